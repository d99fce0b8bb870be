/**
 * What a benchmark reads from the process under load: CPU time and memory from /proc (Linux),
 * falling back to the process's own prom-client figures on its admin port, plus any meshtel
 * counter from /metrics.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessSample {
  /** User + system CPU seconds of every thread of the process (GC and loader threads included). */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** Peak resident set since the process started (VmHWM); undefined where /proc has none. */
  readonly peakRssBytes?: number;
  readonly source: 'proc' | 'metrics';
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // what every Linux build in practice uses
    }
  }
  return clockTicks;
}

function sampleProc(pid: number): ProcessSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: split after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  return { cpuSeconds, rssBytes: kib('VmRSS') ?? 0, peakRssBytes: kib('VmHWM'), source: 'proc' };
}

/** Samples the process by pid, or through its /metrics when /proc is not there. */
export async function sampleProcess(pid: number, metricsUrl: string, metricPrefix = 'meshtel_'): Promise<ProcessSample> {
  try {
    return sampleProc(pid);
  } catch {
    const m = await scrapeMetrics(metricsUrl);
    return {
      cpuSeconds: metricSum(m, `${metricPrefix}process_cpu_seconds_total`),
      rssBytes: metricSum(m, `${metricPrefix}process_resident_memory_bytes`),
      source: 'metrics',
    };
  }
}

/** Prometheus text exposition → series (`name{labels}`) → value. */
export type MetricSeries = ReadonlyMap<string, number>;

export async function scrapeMetrics(url: string): Promise<MetricSeries> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

/** Sum over every series of one metric name (all label sets), 0 when absent. */
export function metricSum(series: MetricSeries, name: string): number {
  let sum = 0;
  for (const [key, value] of series) {
    if (key === name || key.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}
