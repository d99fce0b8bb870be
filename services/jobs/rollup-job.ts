/**
 * The dependency roll-up: Jaeger dependency links per closed UTC hour, stored as a window each,
 * and per UTC day summed from its 24 hours. An hour is computed again on every run until a run
 * happens `latenessMs` after it closed — only then is it final — so a span arriving up to that
 * late is counted. Windows are rewritten whole with deterministic ids: running twice, or in two
 * processes at once, gives the same documents.
 */
import type { DependencyRangeReader } from '../../shared/storage/dependency-range.js';
import { GRANULARITY_MS, windowEndMs, type RollupStore, type RollupWindow, type StoredWindow } from '../../shared/storage/rollupstore.js';

export interface RollupJobOptions {
  readonly source: DependencyRangeReader;
  readonly store: RollupStore;
  readonly latenessMs: number;
  /** How far back a scheduled run looks for hours without a final roll-up. */
  readonly backfillMs: number;
  readonly nowMs?: () => number;
}

export interface RollupRequest {
  /** Recompute every closed hour overlapping [fromMs, toMs), final or not (an operator's repair). */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
}

export interface RollupResult {
  readonly job: 'rollup';
  readonly from: string;
  readonly to: string;
  readonly dryRun: boolean;
  /** Hour windows computed (written unless dry run), and how many of them are now final. */
  readonly hours: number;
  readonly finalHours: number;
  /** Hours left alone because their roll-up was already final. */
  readonly skippedHours: number;
  readonly days: number;
  /** Edge documents written (or that would be). */
  readonly edges: number;
}

const HOUR = GRANULARITY_MS.hour;
const DAY = GRANULARITY_MS.day;

export class RollupJob {
  private readonly nowMs: () => number;

  constructor(private readonly options: RollupJobOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  async run(request: RollupRequest = {}): Promise<RollupResult> {
    const { source, store, latenessMs } = this.options;
    const now = this.nowMs();
    const forced = request.fromMs !== undefined || request.toMs !== undefined;
    const dryRun = request.dryRun === true;
    const fromMs = Math.floor((request.fromMs ?? now - this.options.backfillMs) / HOUR) * HOUR;
    // Only closed hours: the open one is always computed live by readers.
    const toMs = Math.min(Math.ceil((request.toMs ?? now) / HOUR) * HOUR, Math.floor(now / HOUR) * HOUR);

    const existing = new Map((await store.listWindows('dependency', 'hour', fromMs, toMs)).map((w) => [w.startMs, w]));
    let hours = 0;
    let finalHours = 0;
    let skippedHours = 0;
    let edges = 0;
    const touchedDays = new Set<number>();
    for (let start = fromMs; start < toMs; start += HOUR) {
      if (!forced && existing.get(start)?.final) {
        skippedHours++;
        continue;
      }
      const window: RollupWindow = { kind: 'dependency', granularity: 'hour', startMs: start };
      const links = await source.getDependenciesBetween(start * 1000, windowEndMs(window) * 1000 - 1);
      const final = now >= windowEndMs(window) + latenessMs;
      if (!dryRun) await store.writeWindow(window, links, { computedAtMs: now, final });
      hours++;
      if (final) finalHours++;
      edges += links.length;
      touchedDays.add(Math.floor(start / DAY) * DAY);
    }

    let days = 0;
    if (!dryRun) {
      // Whole days in range whose day window is missing or not final (a failed write, hours that
      // became final in an earlier run) are summed again too, not only the days touched now.
      const firstDay = Math.ceil(fromMs / DAY) * DAY;
      const endDay = Math.floor(toMs / DAY) * DAY;
      if (endDay > firstDay) {
        const stored = new Map((await store.listWindows('dependency', 'day', firstDay, endDay)).map((w) => [w.startMs, w]));
        for (let d = firstDay; d < endDay; d += DAY) if (!stored.get(d)?.final) touchedDays.add(d);
      }
      for (const dayStart of [...touchedDays].sort((a, b) => a - b)) {
        const written = await this.rollUpDay(dayStart, now);
        if (written !== undefined) {
          days++;
          edges += written;
        }
      }
    }
    return {
      job: 'rollup',
      from: new Date(fromMs).toISOString(),
      to: new Date(Math.max(fromMs, toMs)).toISOString(),
      dryRun,
      hours,
      finalHours,
      skippedHours,
      days,
      edges,
    };
  }

  /** Sums the day's 24 hour roll-ups into the day window, once all exist; final when they all are. */
  private async rollUpDay(dayStart: number, now: number): Promise<number | undefined> {
    if (dayStart + DAY > now) return undefined;
    const { store } = this.options;
    const hours: StoredWindow[] = await store.listWindows('dependency', 'hour', dayStart, dayStart + DAY);
    if (hours.length < DAY / HOUR) return undefined;
    const day: RollupWindow = { kind: 'dependency', granularity: 'day', startMs: dayStart };
    const edges = await store.readEdges(hours);
    await store.writeWindow(day, edges, { computedAtMs: now, final: hours.every((h) => h.final) });
    return edges.length;
  }
}
