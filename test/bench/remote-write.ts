/**
 * Remote-write benchmark: `npx tsx test/bench/remote-write.ts`.
 *
 * A registry shaped like a busy mesh (Istio-style label sets: counters plus histograms with
 * Istio's 19 default buckets) is snapshotted and turned into samples the way RemoteWriteSink does:
 * (1) snapshot → sorted label sets → queue, (2) protobuf encoding + snappy in batches of 2000,
 * (3) end to end into the real Prometheus on 127.0.0.1:9090 (deploy/local/up prometheus).
 * Figures are samples per CPU-second of this process (and per wall second for the send).
 *
 * Settings (environment): BENCH_RW_COUNTERS (default 4000), BENCH_RW_HISTOGRAMS (default 1000),
 * BENCH_RW_ROUNDS (default 10), BENCH_RW_SKIP_SEND=1 to skip the Prometheus part.
 */
import { performance } from 'node:perf_hooks';
import { MetricsRegistry, type MetricsSource } from '../../shared/metrics/registry.js';
import { compressBody, encodeLabels, encodeWriteRequest, type EncodedSeries } from '../../shared/metrics/remote-write/encode.js';
import { expandSnapshot } from '../../shared/metrics/remote-write/expand.js';
import { RemoteWriteSink } from '../../shared/metrics/remote-write/remote-write-sink.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';

const COUNTERS = Number(process.env.BENCH_RW_COUNTERS ?? 4000);
const HISTOGRAMS = Number(process.env.BENCH_RW_HISTOGRAMS ?? 1000);
const ROUNDS = Number(process.env.BENCH_RW_ROUNDS ?? 10);
const ISTIO_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
const LABELS = ['reporter', 'source_workload', 'source_workload_namespace', 'destination_workload', 'destination_workload_namespace', 'destination_service', 'request_protocol', 'response_code', 'response_flags', 'connection_security_policy', 'bench_run'];
const RUN = `b${Date.now().toString(36)}`;

function labelsFor(i: number): Record<string, string> {
  return {
    reporter: i % 2 ? 'source' : 'destination',
    source_workload: `client-${i % 97}`, source_workload_namespace: `ns-${i % 7}`,
    destination_workload: `server-${i % 89}`, destination_workload_namespace: `ns-${i % 5}`,
    destination_service: `server-${i % 89}.ns-${i % 5}.svc.cluster.local`,
    request_protocol: 'http', response_code: String([200, 404, 503][i % 3]), response_flags: '-',
    connection_security_policy: 'mutual_tls', bench_run: `${RUN}-${i}`,
  };
}

function buildRegistry(): MetricsRegistry {
  const registry = new MetricsRegistry({ defaultMaxSeries: 1_000_000 });
  const requests = registry.counter({ name: 'meshtel_bench_requests_total', help: 'h', labelNames: LABELS });
  const duration = registry.histogram({ name: 'meshtel_bench_request_duration_milliseconds', help: 'h', labelNames: LABELS, buckets: ISTIO_BUCKETS });
  for (let i = 0; i < COUNTERS; i++) requests.inc(labelsFor(i), 1 + (i % 13));
  for (let i = 0; i < HISTOGRAMS; i++) for (let k = 0; k < 5; k++) duration.observe(labelsFor(i), (i * 37 + k * 101) % 5000);
  return registry;
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const registry = buildRegistry();
  const samplesPerSnapshot = COUNTERS + HISTOGRAMS * (ISTIO_BUCKETS.length + 3);
  console.log(`remote-write bench: ${fmt(COUNTERS)} counters + ${fmt(HISTOGRAMS)} histograms = ${fmt(samplesPerSnapshot)} samples per snapshot, ${ROUNDS} rounds`);

  // (1) the sink's own collect(): snapshot → labelled samples → queue (never sent here).
  let clock = Date.now();
  const clocked: MetricsSource = { snapshot: () => ({ ...registry.snapshot(), timestampMs: (clock += 1000) }) };
  const collector = new RemoteWriteSink({
    source: clocked, url: 'http://127.0.0.1:9/unused', metrics: createMetrics(), logger: createLogger('silent'),
    queueMaxSamples: samplesPerSnapshot, externalLabels: { cluster: 'bench' }, instanceLabel: { name: 'meshtel_instance', value: 'bench-1' },
  });
  collector.collect(); // first snapshot: series state and label bytes are built once
  let t = process.cpuUsage();
  let collected = 0;
  for (let round = 0; round < ROUNDS; round++) collected += collector.collect();
  const collectCpu = cpuSeconds(t);
  console.log(`  collect (snapshot → queue)  : ${fmt(collected / collectCpu)} samples/CPU-s (steady state; first snapshot builds the series state)`);

  // (2) protobuf + snappy of requests of 2000 samples.
  const series: EncodedSeries[] = [];
  expandSnapshot(registry.snapshot(), { external: [['cluster', 'bench']], instance: ['meshtel_instance', 'bench-1'] },
    (s) => series.push({ labelBytes: encodeLabels(s.labels), values: [s.value], timestampsMs: [s.timestampMs] }), () => undefined);
  let samples = 0;
  let rawBytes = 0;
  let wireBytes = 0;
  t = process.cpuUsage();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < series.length; i += 2000) {
      const raw = encodeWriteRequest(series.slice(i, i + 2000));
      const body = compressBody(raw);
      rawBytes += raw.length;
      wireBytes += body.length;
    }
    samples += series.length;
  }
  const encodeCpu = cpuSeconds(t);
  console.log(`  encode + snappy (2000/req)  : ${fmt(samples / encodeCpu)} samples/CPU-s; ${(rawBytes / samples).toFixed(1)} B/sample raw, ${(wireBytes / samples).toFixed(1)} B/sample compressed`);

  if (process.env.BENCH_RW_SKIP_SEND === '1') return;
  // (3) end to end into Prometheus: the real sink, one flush per round with the current time.
  const metrics = createMetrics();
  const source: MetricsSource = registry;
  const sink = new RemoteWriteSink({
    source, url: 'http://127.0.0.1:9090/api/v1/write', metrics, logger: createLogger('warn'),
    flushIntervalMs: 3_600_000, queueMaxSamples: samplesPerSnapshot * 2, externalLabels: { cluster: 'bench' },
    instanceLabel: { name: 'meshtel_instance', value: 'bench-1' },
  });
  await sink.flush(); // first round creates the series in Prometheus; not measured
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    await new Promise((r) => setTimeout(r, 2)); // a new millisecond, so every sample is newer
    await sink.flush();
  }
  const wallS = (performance.now() - wall) / 1000;
  const cpuS = cpuSeconds(cpu);
  const sentAll = (await metrics.registry.getSingleMetric('meshtel_remote_write_samples_sent_total')!.get()).values[0]?.value ?? 0;
  const dropped = (await metrics.registry.getSingleMetric('meshtel_remote_write_samples_dropped_total')!.get()).values.reduce((s, v) => s + v.value, 0);
  const sent = sentAll - samplesPerSnapshot;
  console.log(`  to Prometheus 2.42          : ${fmt(sent / wallS)} samples/s wall, ${fmt(sent / cpuS)} samples/CPU-s (meshtel side), ${fmt(sent)} sent, ${fmt(dropped)} dropped`);
  await sink.stop();
}

await main();
