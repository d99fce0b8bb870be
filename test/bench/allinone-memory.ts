/**
 * Memory of an all-in-one process holding a full memory store: starts `meshtel all-in-one` (from
 * this checkout or, with `--root`, another one, so two versions compare in one run), sends the load
 * generator's spans until the store has taken `--spans` (default 650k: past the 500k default bound,
 * so eviction runs), waits for the buffer to drain, then idles `--idle-s` seconds and prints
 * peak RSS (VmHWM), steady RSS, V8 heap used / total, external and array-buffer bytes, and what
 * the store says it holds.
 *
 *   npx tsx test/bench/allinone-memory.ts [--root /other/checkout] [--spans 650000] [--idle-s 15]
 *       [--node-options=--max-old-space-size=…] [--heap-snapshot] [-- extra all-in-one flags]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { eventually, startMeshtel } from '../support/meshtel-process.js';
import { runLoadInWorker } from './loadgen.js';
import { metricSum, scrapeMetrics } from './target-process.js';

export interface MemoryFigures {
  readonly root: string;
  readonly spansWritten: number;
  readonly spansHeld: number;
  readonly storeBytes: number;
  readonly peakRssMb: number;
  readonly steadyRssMb: number;
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  readonly arrayBuffersMb: number;
}

const MB = 1024 * 1024;

function procKib(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/** process.memoryUsage() of the target, through prom-client's default metrics on its admin port. */
function heapFigures(series: ReadonlyMap<string, number>): Pick<MemoryFigures, 'heapUsedMb' | 'heapTotalMb' | 'externalMb' | 'arrayBuffersMb'> {
  const find = (suffix: string) => {
    for (const [k, v] of series) if (k.endsWith(suffix) || k.includes(`${suffix}{`)) return v;
    return Number.NaN;
  };
  return {
    heapUsedMb: find('nodejs_heap_size_used_bytes') / MB,
    heapTotalMb: find('nodejs_heap_size_total_bytes') / MB,
    externalMb: find('nodejs_external_memory_bytes') / MB,
    arrayBuffersMb: find('nodejs_heap_space_size_used_bytes{space="large_object"}') / MB,
  };
}

export async function measureAllInOneMemory(options: {
  root?: string;
  spans: number;
  idleS: number;
  nodeOptions?: string;
  meshtelArgs?: readonly string[];
  /** Also write a V8 heap snapshot of the full process (into its checkout) and print where. */
  heapSnapshot?: boolean;
}): Promise<MemoryFigures> {
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', options.nodeOptions ?? '', options.heapSnapshot ? '--heapsnapshot-signal=SIGUSR2' : ''].join(' ').trim();
  const env: Record<string, string> = nodeOptions !== '' ? { NODE_OPTIONS: nodeOptions } : {};
  const meshtel = await startMeshtel('all-in-one', [...(options.meshtelArgs ?? [])], env, 30_000, options.root);
  const pid = meshtel.child.pid!;
  const metricsUrl = meshtel.url('admin', '/metrics');
  try {
    await eventually(async () => ((await fetch(meshtel.url('admin', '/readyz'))).ok ? true : undefined), 15_000);
    const written = async () => metricSum(await scrapeMetrics(metricsUrl), 'meshtel_store_spans_written_total');
    while ((await written()) < options.spans) {
      await runLoadInWorker({ target: meshtel.url('otlpHttp'), protocol: 'http-protobuf', durationMs: 5000, concurrency: 8, batchSpans: 512 });
    }
    await eventually(async () => (metricSum(await scrapeMetrics(metricsUrl), 'meshtel_buffer_bytes') === 0 ? true : undefined), 120_000, 100);
    await new Promise((r) => setTimeout(r, options.idleS * 1000));
    const series = await scrapeMetrics(metricsUrl);
    if (options.heapSnapshot) {
      const dir = options.root ?? process.cwd();
      const before = new Set(readdirSync(dir));
      process.kill(pid, 'SIGUSR2');
      const file = await eventually(async () => readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f)), 120_000, 500);
      // Written once the process answers again.
      await eventually(async () => ((await fetch(meshtel.url('admin', '/readyz'))).ok ? true : undefined), 300_000, 1000);
      process.stdout.write(`heap snapshot: ${join(dir, file)}\n`);
    }
    return {
      root: options.root ?? 'this checkout',
      spansWritten: metricSum(series, 'meshtel_store_spans_written_total'),
      spansHeld: metricSum(series, 'meshtel_store_spans'),
      storeBytes: metricSum(series, 'meshtel_store_bytes'),
      peakRssMb: procKib(pid, 'VmHWM') / MB,
      steadyRssMb: procKib(pid, 'VmRSS') / MB,
      ...heapFigures(series),
    };
  } finally {
    await meshtel.stop();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      root: { type: 'string', multiple: true },
      spans: { type: 'string', default: '650000' },
      'idle-s': { type: 'string', default: '15' },
      'node-options': { type: 'string' },
      runs: { type: 'string', default: '1' },
      'heap-snapshot': { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const roots = values.root ?? [undefined];
  const runs = Number(values.runs);
  const rows: MemoryFigures[] = [];
  // Roots alternate run by run, so a neighbour's load falls on each about equally.
  for (let run = 0; run < runs; run++) {
    for (const root of roots) {
      const load = loadavg()[0].toFixed(2);
      const f = await measureAllInOneMemory({
        root, spans: Number(values.spans), idleS: Number(values['idle-s']), nodeOptions: values['node-options'], meshtelArgs: positionals,
        heapSnapshot: values['heap-snapshot'],
      });
      rows.push(f);
      const n = (x: number) => x.toFixed(0);
      process.stdout.write(
        `${f.root}: written ${f.spansWritten}, held ${f.spansHeld} (${n(f.storeBytes / MB)} MB estimated); ` +
          `peak RSS ${n(f.peakRssMb)} MB, steady RSS ${n(f.steadyRssMb)} MB, heap used/total ${n(f.heapUsedMb)}/${n(f.heapTotalMb)} MB, ` +
          `external ${n(f.externalMb)} MB, large objects ${n(f.arrayBuffersMb)} MB; load ${load}→${loadavg()[0].toFixed(2)}\n`,
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
