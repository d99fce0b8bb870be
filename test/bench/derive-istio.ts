/**
 * Istio-metrics derivation benchmark: `npx tsx test/bench/derive-istio.ts [seconds per case]`.
 *
 * Access-log records as the collector produces them (decoded by the real ALS decoder and the real
 * Istio TEXT-line parser from the test fixtures, then spread over eight workloads, both reporters,
 * a few response codes and flags, gRPC and TCP) through IstioMetricsDeriver into a
 * MetricsRegistry — the ingester's per-entry CPU for the Istio standard metrics:
 *
 * 1. steady state: a mesh's worth of series (a few hundred per family) that already exist;
 * 2. a flood of unique source workloads beyond the series limit, all folded into the overflow
 *    series — the cardinality guard must not cost more than a normal entry.
 *
 * Figures are per CPU-second of this process and per 100k entries.
 */
import { performance } from 'node:perf_hooks';
import { parseIstioTextLine } from '../../shared/accesslog/istio-text.js';
import { AlsStreamDecoder } from '../../shared/envoy/als-stream.js';
import { IstioMetricsDeriver } from '../../shared/metrics/istio/istio-metrics-deriver.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import {
  apiServerTcpStream, encodeAlsMessage, productpageOutboundStream, reviewsInboundStream, type Msg,
} from '../fixtures/als.js';
import { CONNECTION_FAILURE_LINE, INBOUND_LINE, OUTBOUND_LINE, RETRIES_EXHAUSTED_LINE, TCP_LINE } from '../fixtures/istio-lines.js';

const SECONDS = Number(process.argv[2] ?? 2);
const BATCH = 500;
const APPS = ['productpage', 'reviews', 'ratings', 'details', 'cart', 'checkout', 'payments', 'catalog'];
const CODES: ReadonlyArray<[number, readonly string[]]> = [[200, []], [200, []], [200, []], [404, []], [503, ['UF']], [503, ['UH']], [0, ['DC']]];

function alsRecords(stream: readonly Msg[]): AccessLogRecord[] {
  const decoder = new AlsStreamDecoder();
  return stream.flatMap((m) => decoder.decode(encodeAlsMessage(m)));
}

/** The fixtures' records, in every combination of caller, callee and outcome. */
function meshRecords(count: number): AccessLogRecord[] {
  const templates = [
    ...alsRecords(reviewsInboundStream), ...alsRecords(productpageOutboundStream), ...alsRecords(apiServerTcpStream),
    ...[OUTBOUND_LINE, INBOUND_LINE, CONNECTION_FAILURE_LINE, RETRIES_EXHAUSTED_LINE, TCP_LINE].map((l) => parseIstioTextLine(l)),
  ];
  return Array.from({ length: count }, (_, i) => {
    const t = templates[i % templates.length]!;
    const from = APPS[(i >> 3) % APPS.length]!;
    const to = APPS[(i >> 6) % APPS.length]!;
    const [code, flags] = t.kind === 'http' ? CODES[(i >> 9) % CODES.length]! : [t.responseCode, t.responseFlags];
    return {
      ...t,
      responseCode: code,
      responseFlags: flags ?? [],
      durationUs: 200 + ((i * 7919) % 400_000),
      source: { ...t.source, workload: `${from}-v1`, canonicalService: from, app: from, namespace: 'bookinfo' },
      destination: {
        ...t.destination, workload: `${to}-v1`, canonicalService: to, app: to, namespace: 'bookinfo',
        service: `${to}.bookinfo.svc.cluster.local`, serviceName: to, serviceNamespace: 'bookinfo',
      },
    };
  });
}

function floodRecords(count: number): AccessLogRecord[] {
  const base = meshRecords(1)[0]!;
  return Array.from({ length: count }, (_, i) => ({ ...base, source: { ...base.source, workload: `scanner-${i}` } }));
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

function measure(label: string, records: readonly AccessLogRecord[], deriver: IstioMetricsDeriver): void {
  let offset = 0;
  const step = () => {
    if (offset + BATCH > records.length) offset = 0;
    deriver.observeAccessLogs(records.slice(offset, offset + BATCH));
    offset += BATCH;
  };
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) step();
  let entries = 0;
  const wallStart = performance.now();
  const cpuStart = cpuSeconds();
  while (performance.now() - wallStart < SECONDS * 1000) {
    step();
    entries += BATCH;
  }
  const cpu = cpuSeconds() - cpuStart;
  const wall = (performance.now() - wallStart) / 1000;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
  console.log(
    `${label.padEnd(52)} ${fmt(entries / cpu)} entries/CPU-s ${fmt(entries / wall)} entries/s wall ` +
      `${((cpu / entries) * 100_000 * 1000).toFixed(0).padStart(6)} CPU-ms per 100k`,
  );
}

const mesh = meshRecords(200_000);
const steady = new MetricsRegistry({ defaultMaxSeries: 10_000 });
const steadyDeriver = new IstioMetricsDeriver(steady);
steadyDeriver.observeAccessLogs(mesh);
const seriesPerFamily = Math.max(...steady.snapshot().families.map((f) => f.series.length));
measure(`steady state (${seriesPerFamily} series in the largest family)`, mesh, steadyDeriver);

const flooded = new MetricsRegistry({ defaultMaxSeries: 1_000 });
const floodDeriver = new IstioMetricsDeriver(flooded);
measure('flood of unique source workloads (overflow series)', floodRecords(200_000), floodDeriver);
const overflowSeries = Math.max(...flooded.snapshot().families.map((f) => f.series.length));
console.log(`largest family after the flood: ${overflowSeries} series (limit 1000 + 1 overflow)`);
