/**
 * Retention: deletes whole daily indices (`<prefix>-<signal>-YYYY.MM.DD`) older than each signal's
 * configured days, deciding by the name alone — no query, so it costs nothing however large the
 * indices are. Today's and future-dated indices are never deleted, whatever the settings; names
 * that do not parse as a real date are left alone.
 */
import type { Client } from '@elastic/elasticsearch';
import { DAY_MS, type Signal } from '../../shared/storage/elasticsearch/indices.js';

export const RETENTION_SIGNALS: readonly Signal[] = ['spans', 'services', 'accesslogs', 'dependencies'];

export interface RetentionJobOptions {
  readonly client: Client;
  readonly indexPrefix: string;
  /** Days kept per signal, today included; 0 keeps every index of the signal. */
  readonly days: Readonly<Record<Signal, number>>;
  readonly nowMs?: () => number;
}

export interface RetentionResult {
  readonly job: 'retention';
  readonly dryRun: boolean;
  /** Deleted indices (in a dry run: the ones that would be), sorted. */
  readonly deleted: string[];
  /** Daily indices of the prefix left in place. */
  readonly kept: number;
}

/** Indices per DELETE request: the names go into the request line, which is capped at 4 KiB. */
const NAMES_PER_DELETE = 20;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The UTC day (epoch ms of its start) a daily index is for, or undefined when the name is not one of ours. */
export function dailyIndexDay(prefix: string, name: string): { signal: Signal; dayMs: number } | undefined {
  const m = new RegExp(`^${escapeRegExp(prefix)}-(${RETENTION_SIGNALS.join('|')})-(\\d{4})\\.(\\d{2})\\.(\\d{2})$`).exec(name);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[2]), Number(m[3]), Number(m[4])];
  const dayMs = Date.UTC(y, mo - 1, d);
  const back = new Date(dayMs);
  // 2024.02.30 is not a day: leave it alone rather than guess.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return { signal: m[1] as Signal, dayMs };
}

/** Which of these index names retention deletes at `nowMs` (pure; the job and its tests share it). */
export function expiredIndices(prefix: string, names: readonly string[], days: Readonly<Record<Signal, number>>, nowMs: number): { expired: string[]; kept: number } {
  const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const expired: string[] = [];
  let kept = 0;
  for (const name of names) {
    const parsed = dailyIndexDay(prefix, name);
    if (!parsed) continue;
    const keepDays = days[parsed.signal];
    // Keeping N days means today and the N-1 before it; never today or later, whatever N is.
    const expiredDay = keepDays > 0 && parsed.dayMs <= today - keepDays * DAY_MS && parsed.dayMs < today;
    if (expiredDay) expired.push(name);
    else kept++;
  }
  return { expired: expired.sort(), kept };
}

export class RetentionJob {
  private readonly nowMs: () => number;

  constructor(private readonly options: RetentionJobOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    for (const [signal, d] of Object.entries(options.days)) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`retention days for ${signal} must be a non-negative integer, got ${d}`);
    }
  }

  async run(request: { dryRun?: boolean } = {}): Promise<RetentionResult> {
    const { client, indexPrefix, days } = this.options;
    const listed = await client.cat.indices({ index: `${indexPrefix}-*`, format: 'json', h: 'index', expand_wildcards: 'all' });
    const names = listed.map((row) => row.index).filter((n): n is string => typeof n === 'string');
    const { expired, kept } = expiredIndices(indexPrefix, names, days, this.nowMs());
    const dryRun = request.dryRun === true;
    if (!dryRun) {
      for (let i = 0; i < expired.length; i += NAMES_PER_DELETE) {
        await client.indices.delete({ index: expired.slice(i, i + NAMES_PER_DELETE), ignore_unavailable: true });
      }
    }
    return { job: 'retention', dryRun, deleted: expired, kept };
  }
}
