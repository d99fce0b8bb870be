/**
 * `meshtel collector` → Kafka with 1 and with 2 worker processes (--workers), side by side: the
 * load generator (loadgen.ts, in a worker thread of this process) flat out against the collector,
 * runs interleaved 1, 2, 1, 2, … so drifting load on a shared machine hits both alike; prints
 * each run and the medians. CPU is summed over the collector's processes (with workers: the
 * primary and every worker) from /proc; the generator's own CPU is shown beside it, since it
 * shares the cores.
 *
 *   npx tsx test/bench/collector-workers.ts            (or BENCH_SCENARIOS=collector-workers npm run bench)
 *
 * Settings: BENCH_WORKERS_RUNS (3 per count), BENCH_WORKERS_COUNTS (1,2), BENCH_WORKERS_PROTOCOLS
 * (http-protobuf,grpc), BENCH_DURATION_S (10 here), BENCH_WARMUP_S (2), BENCH_CONCURRENCY (8),
 * BENCH_BATCH (512), BENCH_GRPC_CONNECTIONS (4: one connection goes to one worker, so gRPC needs
 * several to spread), BENCH_COLLECTOR_ARGS (extra collector flags). Needs deploy/local Kafka; its
 * topics (a prefix of its own) are deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dropPipelineData } from '../support/pipeline.js';
import { eventually, startMeshtel } from '../support/meshtel-process.js';
import { ensureServers, KAFKA_BROKERS } from '../support/servers.js';
import { runLoadInWorker, type LoadProtocol } from './loadgen.js';
import { cpuStallMicros } from './pipeline-measure.js';
import { metricSum, sampleProcess, scrapeMetrics } from './target-process.js';

interface Run {
  readonly workers: number;
  readonly protocol: LoadProtocol;
  readonly spansPerSec: number;
  readonly cpuPer100k: number;
  readonly cores: number;
  readonly generatorCores: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly refusals: number;
  readonly errors: number;
  readonly load1: number;
  /** Share of the run in which some task waited for a core (Linux PSI); undefined without PSI. */
  readonly cpuPressure?: number;
}

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const list = (name: string, fallback: string): string[] => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

const runs = num('BENCH_WORKERS_RUNS', 3);
const counts = list('BENCH_WORKERS_COUNTS', '1,2').map(Number);
const protocols = list('BENCH_WORKERS_PROTOCOLS', 'http-protobuf,grpc') as LoadProtocol[];
const durationS = num('BENCH_DURATION_S', 10);
const warmupS = Number(process.env.BENCH_WARMUP_S ?? 2);
const concurrency = num('BENCH_CONCURRENCY', 8);
const batch = num('BENCH_BATCH', 512);
const grpcConnections = num('BENCH_GRPC_CONNECTIONS', 4);
const extraArgs = (process.env.BENCH_COLLECTOR_ARGS ?? '').split(' ').filter(Boolean);
const id = `bench-${randomBytes(4).toString('hex')}`;

const ACCEPTED = 'meshtel_receiver_spans_accepted_total';

/** Every pid of the collector: the process itself and, with workers, each worker (from /metrics). */
async function pidsOf(primary: number, metricsUrl: string): Promise<number[]> {
  const series = await scrapeMetrics(metricsUrl);
  const workers = [...series.keys()].filter((k) => k.startsWith('meshtel_cluster_worker_info{')).map((k) => Number(/pid="(\d+)"/.exec(k)?.[1]));
  return [primary, ...workers];
}

async function cpuOf(pids: readonly number[], metricsUrl: string): Promise<number> {
  let sum = 0;
  for (const pid of pids) sum += (await sampleProcess(pid, metricsUrl)).cpuSeconds;
  return sum;
}

async function oneRun(workers: number, protocol: LoadProtocol): Promise<Run> {
  const collector = await startMeshtel(
    'collector',
    ['--workers', String(workers), '--kafka-brokers', KAFKA_BROKERS, '--kafka-topic-prefix', `meshtel-${id}`, '--kafka-partitions', '6', ...extraArgs],
    {},
    90_000,
  );
  const metricsUrl = collector.url('admin', '/metrics');
  try {
    await eventually(async () => ((await fetch(collector.url('admin', '/readyz'))).ok ? true : undefined), 60_000, 200);
    const target = protocol === 'grpc' ? collector.endpoints.otlpGrpc! : collector.url('otlpHttp');
    const load = { target, protocol, concurrency, batchSpans: batch, grpcConnections };
    if (warmupS > 0) await runLoadInWorker({ ...load, durationMs: warmupS * 1000 });
    const pids = await pidsOf(collector.child.pid!, metricsUrl);
    const load1 = loadavg()[0]!;
    const cpuBefore = await cpuOf(pids, metricsUrl);
    const acceptedBefore = metricSum(await scrapeMetrics(metricsUrl), ACCEPTED);
    const generatorBefore = process.cpuUsage();
    const stallBefore = cpuStallMicros();
    const started = performance.now();
    const result = await runLoadInWorker({ ...load, durationMs: durationS * 1000 });
    const wallS = (performance.now() - started) / 1000;
    const stallAfter = cpuStallMicros();
    const generator = process.cpuUsage(generatorBefore);
    const cpu = (await cpuOf(pids, metricsUrl)) - cpuBefore;
    const accepted = metricSum(await scrapeMetrics(metricsUrl), ACCEPTED) - acceptedBefore;
    return {
      workers,
      protocol,
      spansPerSec: result.spansAccepted / result.elapsedS,
      cpuPer100k: accepted > 0 ? (cpu / accepted) * 100_000 : NaN,
      cores: cpu / wallS,
      generatorCores: (generator.user + generator.system) / 1e6 / wallS,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      refusals: result.refusals,
      errors: result.errors,
      load1,
      cpuPressure: stallBefore !== undefined && stallAfter !== undefined ? (stallAfter - stallBefore) / 1e6 / wallS : undefined,
    };
  } finally {
    const code = await collector.stop();
    if (code !== 0) process.stdout.write(`  collector --workers ${workers} exited ${code}\n`);
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  await ensureServers(['kafka']);
  process.stdout.write(
    `collector → Kafka, 1 vs more workers: ${durationS} s per run after ${warmupS} s warm-up, ${concurrency} requests in flight × ${batch} spans, ` +
      `gRPC over ${grpcConnections} connections; ${runs} runs per count, interleaved; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`,
  );
  const all: Run[] = [];
  try {
    for (const protocol of protocols) {
      for (let r = 0; r < runs; r++) {
        for (const workers of counts) {
          const run = await oneRun(workers, protocol);
          all.push(run);
          process.stdout.write(
            `  ${protocol} workers=${workers} run ${r + 1}: ${fmt(run.spansPerSec)} spans/s, ${fmt(run.cpuPer100k, 2)} CPU s/100k, collector ${fmt(run.cores, 2)} cores, ` +
              `generator ${fmt(run.generatorCores, 2)} cores, p50/p99 ${fmt(run.p50Ms, 1)}/${fmt(run.p99Ms, 1)} ms, refused ${run.refusals}, errors ${run.errors}, load ${run.load1.toFixed(2)}, ` +
              `CPU pressure ${run.cpuPressure === undefined ? '–' : `${(run.cpuPressure * 100).toFixed(0)} %`}\n`,
          );
        }
      }
    }
  } finally {
    await dropPipelineData(id).catch((err: unknown) => process.stdout.write(`  cleanup failed: ${String(err)}\n`));
  }
  process.stdout.write('\nMedians:\n\n');
  process.stdout.write(`${row(['protocol', 'workers', 'spans/s accepted', 'CPU s/100k spans (all processes)', 'collector cores', 'generator cores', 'p50 / p99 ms', 'load 1m', 'CPU pressure', 'vs 1 worker'])}\n`);
  process.stdout.write(`${row(['---', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:', '--:'])}\n`);
  for (const protocol of protocols) {
    const base = median(all.filter((r) => r.protocol === protocol && r.workers === counts[0]).map((r) => r.spansPerSec));
    for (const workers of counts) {
      const mine = all.filter((r) => r.protocol === protocol && r.workers === workers);
      if (mine.length === 0) continue;
      const rate = median(mine.map((r) => r.spansPerSec));
      process.stdout.write(
        `${row([
          protocol,
          String(workers),
          fmt(rate),
          fmt(median(mine.map((r) => r.cpuPer100k)), 2),
          fmt(median(mine.map((r) => r.cores)), 2),
          fmt(median(mine.map((r) => r.generatorCores)), 2),
          `${fmt(median(mine.map((r) => r.p50Ms)), 1)} / ${fmt(median(mine.map((r) => r.p99Ms)), 1)}`,
          fmt(median(mine.map((r) => r.load1)), 2),
          mine.every((r) => r.cpuPressure !== undefined) ? `${fmt(median(mine.map((r) => r.cpuPressure! * 100)))} %` : '–',
          `${fmt(rate / base, 2)}×`,
        ])}\n`,
      );
    }
  }
  process.stdout.write(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`collector-workers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
