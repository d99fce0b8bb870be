/**
 * What the distributed-pipeline benchmarks read while the pipeline runs: each role's CPU time and
 * memory (/proc, as for all-in-one), the counters that say how far the spans got (the collector's
 * accepted spans, the ingester's spans written to Elasticsearch), the CPU of the shared Kafka and
 * Elasticsearch JVMs, and what Elasticsearch holds in the end.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { MeshtelProcess } from '../support/meshtel-process.js';
import { ES_URL } from '../support/servers.js';
import { metricSum, sampleProcess, scrapeMetrics, type ProcessSample } from './target-process.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const ACCEPTED = 'meshtel_receiver_spans_accepted_total';
/** Counted by the Elasticsearch span store after the bulk items succeeded: spans in Elasticsearch, searchable or not. */
export const STORED = 'meshtel_store_spans_written_total';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function counter(role: MeshtelProcess, name: string): Promise<number> {
  return metricSum(await scrapeMetrics(role.url('admin', '/metrics')), name);
}

export async function waitReady(roles: readonly MeshtelProcess[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const role of roles) {
    for (;;) {
      const ok = await fetch(role.url('admin', '/readyz'), { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${role.url('admin', '/readyz')} not ready within ${timeoutMs} ms`);
      await sleep(200);
    }
  }
}

export interface StoredProgress {
  /** Whether `read()` reached the target before the time ran out. */
  readonly reached: boolean;
  /** performance.now() of the first reading above the starting value (undefined if none). */
  readonly firstProgressAt?: number;
  /** performance.now() of the reading that reached the target, or of the last one. */
  readonly lastAt: number;
  readonly last: number;
}

/**
 * Polls a counter until it reaches `target`. The resolution is `everyMs` plus one scrape: fine
 * against drains of seconds, and each scrape costs the ingester well under a millisecond.
 */
export async function waitForCount(read: () => Promise<number>, target: number, timeoutMs: number, everyMs = 250): Promise<StoredProgress> {
  const deadline = performance.now() + timeoutMs;
  let first: number | undefined;
  let start: number | undefined;
  for (;;) {
    let value: number | undefined;
    try {
      value = await read();
    } catch {
      // a scrape that failed (the role busy or restarting) is just a missed reading
    }
    const at = performance.now();
    if (value !== undefined) {
      start ??= value;
      if (first === undefined && value > start) first = at;
      if (value >= target) return { reached: true, firstProgressAt: first, lastAt: at, last: value };
      if (at > deadline) return { reached: false, firstProgressAt: first, lastAt: at, last: value };
    } else if (at > deadline) {
      return { reached: false, firstProgressAt: first, lastAt: at, last: start ?? 0 };
    }
    await sleep(everyMs);
  }
}

// ---- processes: the three roles and the shared servers ----

/** A process measured over one window: CPU spent in it, memory at its end. */
export interface ProcessUsage {
  readonly name: string;
  readonly cpuSeconds: number;
  /** VmHWM over the process's whole life; undefined where /proc has none. */
  readonly peakRssBytes?: number;
  readonly rssBytes: number;
  /** Shared servers serve other users of the machine too: their CPU is an upper bound. */
  readonly shared: boolean;
}

interface Tracked {
  readonly name: string;
  readonly pid: number;
  readonly shared: boolean;
  readonly metricsUrl: string;
}

export interface UsageWindow {
  /** Ends the window: CPU spent since it opened, per process. */
  close(): Promise<ProcessUsage[]>;
  /**
   * Share of the window's wall time in which some runnable task on the machine waited for a CPU
   * (Linux PSI, /proc/pressure/cpu "some"), after close(); undefined without PSI. Near 0 the
   * processes had the cores they asked for; high, they queued behind others (this run or not).
   */
  cpuPressure(): number | undefined;
  /** Shared servers whose process changed or vanished meanwhile (a fault test restarted them). */
  disturbed(): string[];
}

/**
 * The pid deploy/local recorded for a server, if that process is alive and is that server (the
 * same check deploy/local's `managed_pid` makes, since a stale pid file may name a reused pid).
 */
export function serverPid(name: 'kafka' | 'elasticsearch'): number | undefined {
  const runDir = process.env.MESHTEL_LOCAL_RUN ?? join(repoRoot, 'deploy', 'local', '.run');
  const file = join(runDir, name, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').replace(/\D/g, ''));
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(name === 'kafka' ? 'kafka.Kafka' : 'org.elasticsearch') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Servers are read from /proc only: they have no meshtel /metrics to fall back on. */
async function sample(t: Tracked): Promise<ProcessSample | undefined> {
  try {
    return await sampleProcess(t.pid, t.metricsUrl);
  } catch {
    return undefined;
  }
}

/** Opens a measuring window over the given roles plus the Kafka and Elasticsearch JVMs. */
export async function openUsageWindow(roles: ReadonlyArray<readonly [string, MeshtelProcess]>): Promise<UsageWindow> {
  const tracked: Tracked[] = roles.map(([name, role]) => ({ name, pid: role.child.pid!, shared: false, metricsUrl: role.url('admin', '/metrics') }));
  for (const server of ['kafka', 'elasticsearch'] as const) {
    const pid = serverPid(server);
    if (pid !== undefined) tracked.push({ name: server, pid, shared: true, metricsUrl: '' });
  }
  const before = await Promise.all(tracked.map(sample));
  const stallBefore = cpuStallMicros();
  const openedAt = performance.now();
  let lost: string[] = [];
  let pressure: number | undefined;
  return {
    async close() {
      const after = await Promise.all(tracked.map(sample));
      const stallAfter = cpuStallMicros();
      pressure = stallBefore !== undefined && stallAfter !== undefined ? (stallAfter - stallBefore) / 1000 / (performance.now() - openedAt) : undefined;
      const usage: ProcessUsage[] = [];
      lost = [];
      tracked.forEach((t, i) => {
        const b = before[i];
        const a = after[i];
        if (t.shared && serverPid(t.name as 'kafka' | 'elasticsearch') !== t.pid) lost.push(t.name);
        if (!b || !a) return;
        usage.push({ name: t.name, cpuSeconds: a.cpuSeconds - b.cpuSeconds, peakRssBytes: a.peakRssBytes, rssBytes: a.rssBytes, shared: t.shared });
      });
      return usage;
    },
    disturbed: () => lost,
    cpuPressure: () => pressure,
  };
}

/** Total µs in which some task waited for a CPU since boot (PSI); undefined where the kernel has no PSI. */
export function cpuStallMicros(): number | undefined {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---- Elasticsearch ----

/** Refreshes the prefix's span indices and counts their documents. */
export async function countSpanDocuments(indexPrefix: string): Promise<number> {
  const pattern = `${indexPrefix}-spans-*`;
  const opts = 'ignore_unavailable=true&allow_no_indices=true';
  await fetch(`${ES_URL}/${pattern}/_refresh?${opts}`, { method: 'POST' });
  const res = await fetch(`${ES_URL}/${pattern}/_count?${opts}`);
  if (!res.ok) throw new Error(`count ${pattern}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { count: number }).count;
}

/**
 * The refresh interval of the prefix's span indices, as set or defaulted ("1s" unless a template
 * says otherwise), and whether search-idle applies: with no explicit interval, a shard nobody
 * searched for `index.search.idle.after` (30 s) skips its scheduled refreshes, and the next search
 * waits for one.
 */
export async function refreshSettings(indexPrefix: string): Promise<string> {
  const res = await fetch(
    `${ES_URL}/${indexPrefix}-spans-*/_settings?include_defaults=true&ignore_unavailable=true&allow_no_indices=true` +
      '&filter_path=**.refresh_interval,**.search.idle.after',
  );
  if (!res.ok) return `unknown (HTTP ${res.status})`;
  type IndexSettings = { index?: { refresh_interval?: string; search?: { idle?: { after?: string } } } };
  const body = (await res.json()) as Record<string, { settings?: IndexSettings; defaults?: IndexSettings }>;
  const first = Object.values(body)[0];
  if (!first) return 'unknown (no span index)';
  const explicit = first.settings?.index?.refresh_interval;
  const interval = explicit ?? first.defaults?.index?.refresh_interval ?? '1s';
  const idle = first.defaults?.index?.search?.idle?.after ?? '30s';
  return explicit ? `${interval} (set on the index)` : `${interval} (Elasticsearch's default; shards idle after ${idle} without searches skip it)`;
}

// ---- output ----

export const fmt = (x: number | undefined, digits = 0): string =>
  x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A markdown table, first column left-aligned and the rest right-aligned, indented for the run log. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => `${indent}| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `${indent}|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Per-process CPU and memory over a window in which `spans` spans went through. */
export function usageTable(usage: readonly ProcessUsage[], spans: number, wallS: number, cpuPressure?: number): string {
  const mb = (b: number | undefined) => (b === undefined ? '–' : fmt(b / (1024 * 1024)));
  const pressure = cpuPressure === undefined ? '' : `\n  CPU pressure: something waited for a core ${(cpuPressure * 100).toFixed(0)}% of the time (PSI)`;
  return table(
    ['process', 'CPU s', 'CPU s/100k spans', 'cores', 'peak RSS MB', 'RSS MB now'],
    usage.map((u) => [
      u.shared ? `${u.name} (shared)` : u.name,
      fmt(u.cpuSeconds, 1),
      spans > 0 ? fmt((u.cpuSeconds / spans) * 100_000, 2) : '–',
      fmt(u.cpuSeconds / wallS, 2),
      // A JVM's VmHWM mostly shows its heap settings (-Xms, AlwaysPreTouch), not this run.
      u.shared ? '–' : mb(u.peakRssBytes),
      mb(u.rssBytes),
    ]),
  ) + pressure;
}

/** p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The ingester's own account of its Elasticsearch writes, for saying where its time went. */
export interface IngesterCounters {
  readonly bulkRequests: number;
  readonly bulkSeconds: number;
  readonly spansStored: number;
  readonly recordsConsumed: number;
}

export async function ingesterCounters(ingester: MeshtelProcess): Promise<IngesterCounters> {
  const m = await scrapeMetrics(ingester.url('admin', '/metrics'));
  return {
    bulkRequests: metricSum(m, 'meshtel_es_bulk_duration_seconds_count'),
    bulkSeconds: metricSum(m, 'meshtel_es_bulk_duration_seconds_sum'),
    spansStored: metricSum(m, STORED),
    recordsConsumed: metricSum(m, 'meshtel_buffer_records_consumed_total'),
  };
}

/**
 * One line on the ingester's bulks over a window. "Bulks in flight" is the bulk time summed over
 * the wall time: near 1 with --es-bulk-concurrency 2 means one bulk at a time, i.e. the ingester
 * waits on each bulk rather than keeping Elasticsearch busy.
 */
export function describeBulks(before: IngesterCounters, after: IngesterCounters, wallS: number): string {
  const bulks = after.bulkRequests - before.bulkRequests;
  const seconds = after.bulkSeconds - before.bulkSeconds;
  const spans = after.spansStored - before.spansStored;
  const records = after.recordsConsumed - before.recordsConsumed;
  if (bulks === 0) return 'ingester: no bulk requests in the window';
  return (
    `ingester: ${fmt(bulks)} bulk requests of ${fmt(spans / bulks)} spans on average, ${fmt((seconds / bulks) * 1000)} ms each; ` +
    `bulks in flight on average ${(seconds / wallS).toFixed(2)}; ${fmt(records)} Kafka records (${fmt(spans / Math.max(1, records), 1)} spans each)`
  );
}
