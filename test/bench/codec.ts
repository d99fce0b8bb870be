/**
 * Codec benchmark: `npx tsx test/bench/codec.ts`.
 *
 * One realistic export request (512 spans of 3–12-span traces from 8 services, ~10 attributes per
 * span, a few events and links) through each step the pipeline runs per span: the collector
 * decodes (protobuf or JSON), validates, groups by trace and encodes one record per trace; the
 * ingester decodes each record. The pipeline target is 100k spans/s end to end on one core, so
 * every step should be well above that. protobufjs reflection decoding (without even converting
 * to our model) is timed as the baseline the hand-written decoder has to beat.
 *
 * Figures are per CPU-second of this process, so they stay meaningful while other processes
 * compete for the cores; run `NODE_OPTIONS=--max-semi-space-size=64 npx tsx …` to see how much
 * of the cost is young-generation GC.
 */
import {
  SpanKind, StatusCode, serviceNameOf,
  type AnyValue, type InstrumentationScope, type KeyValue, type Resource, type SpanRecord,
} from '../../shared/model/span.js';
import { validateSpans } from '../../shared/otlp/traces/limits.js';
import { ExportTraceServiceRequest } from '../support/proto-root.js';
import { decodeTracesJson, decodeTracesProtobuf, encodeTracesProtobuf, groupSpansByTrace } from '../../shared/otlp/traces/traces.js';

const SPANS_PER_REQUEST = 512;
const LIMITS = { maxSpansPerRequest: 10_000, maxAttributesPerSpan: 128, maxAttributeValueLength: 16_384 };

/** Deterministic pseudo-random numbers, so runs are comparable. */
let seed = 42;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
const hex = (bytes: number): string => Array.from({ length: bytes }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join('');
const str = (value: string): AnyValue => ({ type: 'string', value });
const int = (value: number): AnyValue => ({ type: 'int', value: BigInt(value) });

const SERVICES = ['frontend', 'cart', 'checkout', 'payments', 'shipping', 'catalog', 'recommendation', 'currency'];
const ROUTES = ['GET /api/cart', 'POST /api/checkout', 'GET /api/products/{id}', 'GET /api/recommendations', 'POST /api/charge'];

function makeResource(service: string): Resource {
  const attributes: KeyValue[] = [
    { key: 'service.name', value: str(service) },
    { key: 'service.namespace', value: str('shop') },
    { key: 'service.version', value: str('1.14.2') },
    { key: 'k8s.namespace.name', value: str('prod') },
    { key: 'k8s.pod.name', value: str(`${service}-7d9f8b6c5-${hex(3)}`) },
    { key: 'k8s.node.name', value: str('node-pool-a-3') },
    { key: 'host.name', value: str(`${service}-host`) },
    { key: 'telemetry.sdk.language', value: str('nodejs') },
    { key: 'telemetry.sdk.version', value: str('2.12.1') },
  ];
  return { attributes, droppedAttributesCount: 0, schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' };
}

function makeSpanAttributes(kind: SpanKind, route: string): KeyValue[] {
  return [
    { key: 'http.request.method', value: str(route.split(' ')[0]) },
    { key: 'http.route', value: str(route.split(' ')[1]) },
    { key: 'url.path', value: str(`${route.split(' ')[1].replace('{id}', String(Math.floor(random() * 10_000)))}`) },
    { key: 'http.response.status_code', value: int(pick([200, 200, 200, 201, 404, 503])) },
    { key: 'server.address', value: str('cart.prod.svc.cluster.local') },
    { key: 'server.port', value: int(8080) },
    { key: 'network.protocol.version', value: str('1.1') },
    { key: 'user_agent.original', value: str('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36') },
    { key: 'istio.canonical_service', value: str('cart') },
    { key: 'span.kind.server', value: { type: 'bool', value: kind === SpanKind.SERVER } },
    { key: 'upstream.latency_ratio', value: { type: 'double', value: random() } },
  ];
}

function makeSpans(): SpanRecord[] {
  const resources = SERVICES.map(makeResource);
  const scopes: InstrumentationScope[] = resources.map(() => ({
    name: '@opentelemetry/instrumentation-http', version: '0.52.1', attributes: [], droppedAttributesCount: 0, schemaUrl: '',
  }));
  const spans: SpanRecord[] = [];
  while (spans.length < SPANS_PER_REQUEST) {
    const traceId = hex(16);
    const count = Math.min(3 + Math.floor(random() * 10), SPANS_PER_REQUEST - spans.length);
    let parent = '';
    const start = 1_700_000_000_000_000_000n + BigInt(Math.floor(random() * 1e12));
    for (let i = 0; i < count; i++) {
      const r = Math.floor(random() * resources.length);
      const kind = i % 2 === 0 ? SpanKind.SERVER : SpanKind.CLIENT;
      const route = pick(ROUTES);
      const spanId = hex(8);
      const spanStart = start + BigInt(i * 1_000_000);
      spans.push({
        traceId,
        spanId,
        parentSpanId: parent,
        traceState: '',
        flags: 0x101,
        name: route,
        kind,
        startTimeUnixNano: spanStart,
        endTimeUnixNano: spanStart + BigInt(Math.floor(random() * 50_000_000)),
        attributes: makeSpanAttributes(kind, route),
        droppedAttributesCount: 0,
        events: i === 0 ? [{ timeUnixNano: spanStart + 1000n, name: 'request.received', attributes: [{ key: 'bytes', value: int(512) }], droppedAttributesCount: 0 }] : [],
        droppedEventsCount: 0,
        links: i === 1 ? [{ traceId: hex(16), spanId: hex(8), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 1 }] : [],
        droppedLinksCount: 0,
        status: random() < 0.1 ? { code: StatusCode.ERROR, message: 'upstream connect error' } : { code: StatusCode.UNSET, message: '' },
        resource: resources[r],
        scope: scopes[r],
        serviceName: serviceNameOf(resources[r]),
      });
      parent = spanId;
    }
  }
  return spans;
}

// OTLP/JSON as an SDK exporter writes it (hex ids, times as strings, ints as numbers), grouped
// by resource and scope through a protobuf round trip.
function jsonValue(v: AnyValue): unknown {
  switch (v.type) {
    case 'string': return { stringValue: v.value };
    case 'bool': return { boolValue: v.value };
    case 'int': return { intValue: Number(v.value) };
    case 'double': return { doubleValue: v.value };
    case 'bytes': return { bytesValue: Buffer.from(v.value).toString('base64') };
    case 'array': return { arrayValue: { values: v.value.map(jsonValue) } };
    case 'kvlist': return { kvlistValue: { values: v.value.map(jsonKeyValue) } };
    default: return {};
  }
}
const jsonKeyValue = (kv: KeyValue) => ({ key: kv.key, value: jsonValue(kv.value) });

function toOtlpJson(spans: readonly SpanRecord[]): string {
  const byResource = new Map<Resource, Map<InstrumentationScope, SpanRecord[]>>();
  for (const s of spans) {
    const scopes = byResource.get(s.resource) ?? new Map<InstrumentationScope, SpanRecord[]>();
    byResource.set(s.resource, scopes);
    const list = scopes.get(s.scope) ?? [];
    scopes.set(s.scope, list);
    list.push(s);
  }
  return JSON.stringify({
    resourceSpans: [...byResource].map(([resource, scopes]) => ({
      resource: { attributes: resource.attributes.map(jsonKeyValue) },
      schemaUrl: resource.schemaUrl,
      scopeSpans: [...scopes].map(([scope, list]) => ({
        scope: { name: scope.name, version: scope.version },
        spans: list.map((s) => ({
          traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, flags: s.flags, name: s.name, kind: s.kind,
          startTimeUnixNano: String(s.startTimeUnixNano), endTimeUnixNano: String(s.endTimeUnixNano),
          attributes: s.attributes.map(jsonKeyValue),
          events: s.events.map((e) => ({ timeUnixNano: String(e.timeUnixNano), name: e.name, attributes: e.attributes.map(jsonKeyValue) })),
          links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, flags: l.flags })),
          status: { code: s.status.code, message: s.status.message },
        })),
      })),
    })),
  });
}

/** CPU time this process used, in seconds (all threads: GC helpers count too, as they should). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/**
 * Runs `fn` for about `ms` after a warm-up, in ~50 ms windows, and prints spans per CPU-second
 * (the "one core" figure, robust to other processes competing for the machine's cores) and per
 * wall-clock second, both as medians over the windows.
 */
function measure(label: string, spansPerCall: number, fn: () => unknown, ms = 2000): number {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) fn();
  const cpuRates: number[] = [];
  const wallRates: number[] = [];
  const stop = performance.now() + ms;
  while (performance.now() < stop) {
    let calls = 0;
    const wallStart = performance.now();
    const cpuStart = cpuSeconds();
    let now = wallStart;
    while (now - wallStart < 50) {
      fn();
      calls++;
      now = performance.now();
    }
    const cpu = cpuSeconds() - cpuStart;
    if (cpu > 0) cpuRates.push((calls * spansPerCall) / cpu);
    wallRates.push((calls * spansPerCall) / ((now - wallStart) / 1000));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const perCpu = median(cpuRates);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
  console.log(`${label.padEnd(62)} ${fmt(perCpu)} spans/CPU-s ${fmt(median(wallRates))} spans/s wall`);
  return perCpu;
}

const original = makeSpans();
const protobufBody = encodeTracesProtobuf(original);
const spans = decodeTracesProtobuf(protobufBody);
const keptSpans = decodeTracesProtobuf(protobufBody, { keepEncodedSpans: true });
const jsonBody = toOtlpJson(spans);
const traces = groupSpansByTrace(spans);
const records = [...traces.values()].map((t) => encodeTracesProtobuf(t));
const n = spans.length;

console.log(`request: ${n} spans in ${traces.size} traces; protobuf ${protobufBody.length} bytes, JSON ${jsonBody.length} bytes`);
console.log(`node ${process.version}\n`);

const results = {
  decodeProtobuf: measure('decodeTracesProtobuf (512-span request)', n, () => decodeTracesProtobuf(protobufBody)),
  protobufjs: measure('  baseline: protobufjs reflection decode only (no model)', n, () => ExportTraceServiceRequest.decode(protobufBody)),
  decodeJson: measure('decodeTracesJson (512-span request)', n, () => decodeTracesJson(jsonBody)),
  validate: measure('validateSpans', n, () => validateSpans(spans, LIMITS)),
  encodePerTrace: measure('groupSpansByTrace + encodeTracesProtobuf per trace', n, () => {
    for (const t of groupSpansByTrace(spans).values()) encodeTracesProtobuf(t);
  }),
  encodeKept: measure('  the same, spans decoded with keepEncodedSpans (copied)', n, () => {
    for (const t of groupSpansByTrace(keptSpans).values()) encodeTracesProtobuf(t);
  }),
  decodePerTrace: measure('decodeTracesProtobuf of each per-trace record', n, () => {
    for (const r of records) decodeTracesProtobuf(r);
  }),
  collector: measure('collector: decode (keepEncodedSpans) + validate + group/encode', n, () => {
    const decoded = decodeTracesProtobuf(protobufBody, { keepEncodedSpans: true });
    const { accepted } = validateSpans(decoded, LIMITS);
    for (const t of groupSpansByTrace(accepted).values()) encodeTracesProtobuf(t);
  }),
  endToEnd: measure('collector + ingester decode of every record', n, () => {
    const decoded = decodeTracesProtobuf(protobufBody, { keepEncodedSpans: true });
    const { accepted } = validateSpans(decoded, LIMITS);
    for (const t of groupSpansByTrace(accepted).values()) decodeTracesProtobuf(encodeTracesProtobuf(t));
  }),
};

const slowest = Math.min(results.decodeProtobuf, results.decodeJson, results.validate, results.encodePerTrace, results.decodePerTrace);
console.log(`\ncodec CPU per span, collector + ingester: ${(1e6 / results.endToEnd).toFixed(2)} µs`);
console.log(`slowest single step: ${Math.round(slowest).toLocaleString('en-US')} spans per CPU-second (target: well above 100,000)`);
console.log(`hand-written protobuf decode vs protobufjs decode-only: ${(results.decodeProtobuf / results.protobufjs).toFixed(2)}x`);
