/**
 * Span-derivation benchmark: `npx tsx test/bench/derive-spans.ts`.
 *
 * 100k spans of mesh traces through the span-metrics deriver, the service-graph deriver, and both
 * (as the ingester runs them): bookinfo requests through the ingress gateway (Envoy-shaped, half
 * with separate span ids, half with Zipkin shared ids, app SERVER spans under the sidecars'),
 * OTel-style app hops whose client and server spans have different names (the pairs that must
 * wait out the window until their services are learnt), and database calls. Spans of a trace are
 * spread over several 512-span batches, as they arrive from different proxies. A virtual clock
 * plays the spans at BENCH_DERIVE_RATE spans/s (default 20 000) and `expire()` runs every 2 s of
 * it, as Tempo's generator does, so the waiting room holds what it would in production.
 *
 * The last row runs both derivers on the same spans as the all-in-one's ingester gets them: encoded
 * per 512-span batch and decoded with their bytes kept (so the span metrics' size is a copy-free
 * look-up instead of an encode, ~3 µs a span; the batch's spans then arrive grouped by service).
 *
 * Figures are per CPU-second of this process (best of BENCH_DERIVE_RUNS runs, default 5).
 * `peak waiting` is the most spans the service graph held at once; the heap figure is what the
 * run holds at the end of the load, before the final drain (after a GC with NODE_OPTIONS=--expose-gc),
 * with the number of spans waiting then beside it.
 */
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { ServiceGraphDeriver } from '../../shared/metrics/servicegraph/service-graph-deriver.js';
import { SpanMetricsDeriver } from '../../shared/metrics/spanmetrics/span-metrics-deriver.js';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { bookinfoTrace, databaseCall } from '../fixtures/mesh-traces.js';
import { span, traceIdOf } from '../fixtures/spans.js';

const TOTAL_SPANS = 100_000;
const BATCH = 512;
const RATE = Number(process.env['BENCH_DERIVE_RATE'] ?? 20_000);
const RUNS = Number(process.env['BENCH_DERIVE_RUNS'] ?? 5);
const EXPIRE_EVERY_MS = 2_000;
/**
 * Every root SERVER span (the `user` edges) waits the whole window, as in Tempo, so the waiting
 * room holds about rate × wait ÷ spans-per-trace of them: at 20k spans/s and ~6 spans per trace
 * that is well above Tempo's default max_items (10 000), which the ingester must size up.
 */
const MAX_ITEMS = Number(process.env['BENCH_DERIVE_MAX_ITEMS'] ?? 100_000);

let seed = 7;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

function appHop(trace: number): SpanRecord[] {
  const services = ['checkout', 'payments', 'shipping', 'catalog'];
  const from = services[trace % 4]!;
  const to = services[(trace + 1) % 4]!;
  const root = span({ traceId: traceIdOf(trace), service: from, kind: SpanKind.SERVER, name: 'POST /api/order' });
  const client = span({ traceId: traceIdOf(trace), service: from, kind: SpanKind.CLIENT, name: 'HTTP POST', parentSpanId: root.spanId });
  const server = span({ traceId: traceIdOf(trace), service: to, kind: SpanKind.SERVER, name: 'POST /api/charge', parentSpanId: client.spanId });
  const internal = span({ traceId: traceIdOf(trace), service: to, kind: SpanKind.INTERNAL, name: 'validate', parentSpanId: server.spanId });
  const db = databaseCall({ trace, service: to, parentSpanId: server.spanId });
  return [db, internal, server, client, root];
}

function buildSpans(): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (let t = 1; spans.length < TOTAL_SPANS; t++) {
    const kind = t % 4;
    if (kind === 3) spans.push(...appHop(t));
    else spans.push(...bookinfoTrace({ trace: t, ids: kind === 1 ? 'shared' : 'separate' }).spans);
  }
  spans.length = TOTAL_SPANS;
  // Spread each trace over neighbouring batches: shuffle inside windows of four batches.
  const window = 4 * BATCH;
  for (let start = 0; start < spans.length; start += window) {
    const end = Math.min(start + window, spans.length);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [spans[i], spans[j]] = [spans[j]!, spans[i]!];
    }
  }
  return spans;
}

interface Result { cpuMs: number; wallMs: number; peakPending: number; heapMB: number; waitingAtEnd: number; edges: number; unpaired: number; dropped: number }

/** The spans re-encoded per batch and decoded keeping their bytes, as the collector hands them over. */
function decodedAsIngested(spans: readonly SpanRecord[]): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (let i = 0; i < spans.length; i += BATCH) {
    out.push(...decodeTracesProtobuf(encodeTracesProtobuf(spans.slice(i, i + BATCH)), { keepEncodedSpans: true }));
  }
  return out;
}

type Which = 'spanmetrics' | 'servicegraph' | 'both';

function run(spans: readonly SpanRecord[], which: Which): Result {
  const registry = new MetricsRegistry({ defaultMaxSeries: 10_000 });
  let clockMs = 0;
  const sm = which !== 'servicegraph' ? new SpanMetricsDeriver(registry) : undefined;
  const sg = which !== 'spanmetrics' ? new ServiceGraphDeriver(registry, { now: () => clockMs, maxItems: MAX_ITEMS }) : undefined;
  const batchMs = (BATCH / RATE) * 1000;
  let nextExpire = EXPIRE_EVERY_MS;
  let peakPending = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  for (let i = 0; i < spans.length; i += BATCH) {
    const batch = spans.slice(i, i + BATCH);
    sm?.observeSpans(batch);
    if (sg) {
      sg.observeSpans(batch);
      clockMs += batchMs;
      if (clockMs >= nextExpire) { sg.expire(); nextExpire += EXPIRE_EVERY_MS; }
      if (sg.pendingCount > peakPending) peakPending = sg.pendingCount;
    }
  }
  // Memory the waiting room holds at the end of the load (GC'd first when --expose-gc).
  const cpuLoad = process.cpuUsage(cpu0);
  global.gc?.();
  const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const waitingAtEnd = sg?.pendingCount ?? 0;
  const cpuResume = process.cpuUsage();
  // Drain: the window ends for everything still waiting (counted in the CPU: it is work per span).
  if (sg) { clockMs += 60_000; sg.expire(); }
  const drain = process.cpuUsage(cpuResume);
  const cpu = { user: cpuLoad.user + drain.user, system: cpuLoad.system + drain.system };
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  const sumOf = (name: string) => {
    const f = registry.snapshot().families.find((x) => x.name === name);
    return f && f.type === 'counter' ? f.series.reduce((n, s) => n + s.value, 0) : 0;
  };
  return {
    cpuMs: (cpu.user + cpu.system) / 1000, wallMs, peakPending, heapMB, waitingAtEnd,
    edges: sumOf('traces_service_graph_request_total'),
    unpaired: sumOf('traces_service_graph_unpaired_spans_total'),
    dropped: sumOf('traces_service_graph_dropped_spans_total'),
  };
}

const spans = buildSpans();
const decoded = decodedAsIngested(spans);
console.log(`derive-spans: ${spans.length} spans, batches of ${BATCH}, virtual rate ${RATE} spans/s, maxItems ${MAX_ITEMS}, best of ${RUNS}`);
if (!global.gc) console.log('(heap Δ is rough: run with NODE_OPTIONS=--expose-gc for a figure after GC)');
console.log('| deriver | spans/CPU-s | CPU s/100k spans | wall ms | peak waiting | edges | unpaired | dropped | heap Δ MB before drain | waiting then |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
const rows: ReadonlyArray<readonly [label: string, which: Which, input: readonly SpanRecord[]]> = [
  ['spanmetrics', 'spanmetrics', spans],
  ['servicegraph', 'servicegraph', spans],
  ['both', 'both', spans],
  ['both, decoded with bytes kept', 'both', decoded],
];
for (const [label, which, input] of rows) {
  run(input, which); // warm-up
  let best: Result | undefined;
  for (let r = 0; r < RUNS; r++) {
    const result = run(input, which);
    if (!best || result.cpuMs < best.cpuMs) best = result;
  }
  const b = best!;
  const perCpuS = Math.round(input.length / (b.cpuMs / 1000));
  const per100k = ((b.cpuMs / 1000) * (100_000 / input.length)).toFixed(3);
  const sgCols = which === 'spanmetrics' ? '- | - | - | -' : `${b.peakPending} | ${b.edges} | ${b.unpaired} | ${b.dropped}`;
  console.log(`| ${label} | ${perCpuS.toLocaleString('en')} | ${per100k} | ${b.wallMs.toFixed(0)} | ${sgCols} | ${b.heapMB.toFixed(1)} | ${which === 'spanmetrics' ? '-' : b.waitingAtEnd} |`);
}
