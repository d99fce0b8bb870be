/**
 * What the load generator sends: realistic OTLP trace export requests, encoded once and then
 * re-stamped per send with fresh ids and current timestamps by patching bytes in place.
 *
 * Encoding 512 spans costs milliseconds; patching ~1,500 ids and timestamps in a copied buffer
 * costs microseconds. That keeps the generator far from being the bottleneck, while every send
 * still carries ids never seen before (a store that deduplicates by id would otherwise absorb a
 * replayed request for free and flatter the figures).
 *
 * Id layout inside a template, so patching keeps every reference consistent:
 *   trace id = 8 template bytes (random, distinct per trace of the request) + 8 stamp bytes
 *   span id  = 4 template bytes (the span's index in the request, from 1) + 4 bytes of the send's sequence
 * Every occurrence of an id (span, parent, link) is patched the same way, so a child still
 * points at its parent and a link at its target after stamping.
 */
import {
  SpanKind, StatusCode, serviceNameOf,
  type AnyValue, type InstrumentationScope, type KeyValue, type Resource, type SpanEvent, type SpanLink, type SpanRecord,
} from '../../shared/model/span.js';
import { encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';

export interface WorkloadOptions {
  /** Spans per export request (the realistic batch: 512). */
  readonly spansPerRequest: number;
  /** Distinct requests encoded up front; sends cycle through them. */
  readonly poolSize: number;
  /** Seed of the deterministic generator, so runs send comparable data. */
  readonly seed: number;
}

/** A pre-encoded request and where its ids and timestamps sit. */
export interface RequestTemplate {
  readonly bytes: Buffer;
  readonly spanCount: number;
  readonly traceCount: number;
  /** Offsets of the first byte of every 16-byte trace id (spans and links). */
  readonly traceIdOffsets: Uint32Array;
  /** Offsets of the first byte of every 8-byte span id (span, parent and link span ids). */
  readonly spanIdOffsets: Uint32Array;
  /** Offsets of every fixed64 nanosecond timestamp (span start/end, event time). */
  readonly timeOffsets: Uint32Array;
  /** The first span of each trace: its trace id offset and how many spans the trace has. */
  readonly traces: ReadonlyArray<{ readonly traceIdOffset: number; readonly spanCount: number }>;
}

export interface RequestPool {
  /** Timestamps in them count from 0 (template i starts near i seconds): stamping shifts them. */
  readonly templates: readonly RequestTemplate[];
}

/** mulberry32: small, fast and good enough for test data. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const str = (value: string): AnyValue => ({ type: 'string', value });
const int = (value: number): AnyValue => ({ type: 'int', value: BigInt(value) });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

/** A mesh of ~10 services, each with its own outgoing calls, as a shop behind Istio would have. */
const SERVICES: ReadonlyArray<{ readonly name: string; readonly language: string; readonly calls: readonly string[] }> = [
  { name: 'frontend', language: 'nodejs', calls: ['cart', 'catalog', 'recommendation', 'checkout', 'ad', 'currency'] },
  { name: 'checkout', language: 'go', calls: ['cart', 'payments', 'shipping', 'currency', 'email', 'orders-db'] },
  { name: 'cart', language: 'dotnet', calls: ['cart-cache'] },
  { name: 'catalog', language: 'go', calls: ['catalog-db'] },
  { name: 'recommendation', language: 'python', calls: ['catalog'] },
  { name: 'payments', language: 'nodejs', calls: ['fraud'] },
  { name: 'shipping', language: 'rust', calls: ['quote'] },
  { name: 'currency', language: 'cpp', calls: [] },
  { name: 'email', language: 'ruby', calls: [] },
  { name: 'ad', language: 'java', calls: [] },
  { name: 'fraud', language: 'java', calls: [] },
  { name: 'quote', language: 'php', calls: [] },
];
const SERVICE_BY_NAME = new Map(SERVICES.map((s) => [s.name, s]));
/** Peers without their own instrumentation: the client span is all there is. */
const DATABASES: Record<string, { readonly system: string; readonly statement: string }> = {
  'orders-db': { system: 'postgresql', statement: 'INSERT INTO orders (id, user_id, total) VALUES ($1, $2, $3)' },
  'catalog-db': { system: 'postgresql', statement: 'SELECT id, name, price FROM products WHERE id = $1' },
  'cart-cache': { system: 'redis', statement: 'HGETALL cart:{user}' },
};
const ROUTES: Record<string, readonly string[]> = {
  frontend: ['GET /', 'GET /product/{id}', 'POST /cart', 'POST /cart/checkout', 'GET /api/recommendations'],
  checkout: ['POST /checkout.CheckoutService/PlaceOrder'],
  cart: ['POST /cart.CartService/GetCart', 'POST /cart.CartService/AddItem'],
  catalog: ['GET /products/{id}', 'GET /products'],
  recommendation: ['GET /recommendations'],
  payments: ['POST /charge'],
  shipping: ['POST /get-quote', 'POST /ship-order'],
  currency: ['POST /currency.CurrencyService/Convert'],
  email: ['POST /send_order_confirmation'],
  ad: ['POST /ads.AdService/GetAds'],
  fraud: ['POST /score'],
  quote: ['POST /getquote'],
};
const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'grpc-go/1.64.0',
  'Envoy/1.30.2',
  'python-requests/2.32.3',
];

function makeResource(service: string, language: string, rand: () => number): Resource {
  const pod = `${service}-${Math.floor(rand() * 0xfffffff).toString(36)}-${Math.floor(rand() * 0xffffff).toString(36)}`;
  return {
    attributes: [
      kv('service.name', str(service)),
      kv('service.namespace', str('shop')),
      kv('service.version', str(`1.${Math.floor(rand() * 20)}.${Math.floor(rand() * 10)}`)),
      kv('service.instance.id', str(pod)),
      kv('k8s.namespace.name', str('shop')),
      kv('k8s.pod.name', str(pod)),
      kv('k8s.deployment.name', str(service)),
      kv('k8s.node.name', str(`gke-prod-pool-a-${Math.floor(rand() * 8)}`)),
      kv('istio.canonical_service', str(service)),
      kv('istio.canonical_revision', str('v1')),
      kv('istio.mesh_id', str('cluster.local')),
      kv('telemetry.sdk.language', str(language)),
      kv('telemetry.sdk.name', str('opentelemetry')),
    ],
    droppedAttributesCount: 0,
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
}

interface SpanDraft {
  service: string;
  name: string;
  kind: SpanKind;
  spanId: string;
  parentSpanId: string;
  startNs: bigint;
  endNs: bigint;
  attributes: KeyValue[];
  events: SpanEvent[];
  links: SpanLink[];
  status: { code: StatusCode; message: string };
}

/** Builds one request's spans: `spansPerRequest` spans in traces of 3–12 spans. */
function makeRequestSpans(
  requestIndex: number,
  spansPerRequest: number,
  rand: () => number,
  resources: ReadonlyMap<string, { resource: Resource; scope: InstrumentationScope }>,
  usedTracePrefixes: Set<string>,
): SpanRecord[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const hexBytes = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
    return s;
  };
  const spans: SpanRecord[] = [];
  let spanIndex = 0;
  const nextSpanId = (): string => (++spanIndex).toString(16).padStart(8, '0') + '00000000';
  // The trace a later consumer span links to (a producer in an earlier trace of the request).
  let lastProducer: { traceId: string; spanId: string } | undefined;

  while (spans.length < spansPerRequest) {
    let prefix: string;
    do prefix = hexBytes(8);
    while (usedTracePrefixes.has(prefix) || prefix === '0000000000000000');
    usedTracePrefixes.add(prefix);
    const traceId = `${prefix}0000000000000000`;
    const target = Math.min(3 + Math.floor(rand() * 10), spansPerRequest - spans.length);
    const rootStart = BigInt(requestIndex) * 1_000_000_000n + BigInt(Math.floor(rand() * 900_000_000));
    const drafts: SpanDraft[] = [];

    // The ingress gateway's server span at the frontend is the root.
    const rootRoute = pick(ROUTES.frontend);
    drafts.push({
      service: 'frontend', name: rootRoute, kind: SpanKind.SERVER, spanId: nextSpanId(), parentSpanId: '',
      startNs: rootStart, endNs: rootStart + BigInt(5_000_000 + Math.floor(rand() * 200_000_000)),
      attributes: httpAttributes(rootRoute, 'frontend', 'frontend.shop.svc.cluster.local', rand, pick, SpanKind.SERVER),
      events: [], links: [], status: { code: StatusCode.UNSET, message: '' },
    });

    while (drafts.length < target) {
      // Grow the tree from a random server span that still calls something.
      const callers = drafts.filter((d) => d.kind === SpanKind.SERVER && SERVICE_BY_NAME.get(d.service)!.calls.length > 0);
      const parent = callers.length > 0 ? pick(callers) : drafts[0];
      const callee = pick(SERVICE_BY_NAME.get(parent.service)!.calls.length > 0 ? SERVICE_BY_NAME.get(parent.service)!.calls : ['currency']);
      const span = parent.endNs - parent.startNs;
      const start = parent.startNs + BigInt(Math.floor(rand() * Number(span / 2n)));
      const end = start + BigInt(Math.floor(rand() * Number(parent.endNs - start)) + 1);
      const db = DATABASES[callee];
      if (db) {
        drafts.push({
          service: parent.service, name: `${db.system} ${callee}`, kind: SpanKind.CLIENT, spanId: nextSpanId(), parentSpanId: parent.spanId,
          startNs: start, endNs: end, attributes: dbAttributes(db.system, db.statement, callee, rand), events: [], links: [],
          status: { code: StatusCode.UNSET, message: '' },
        });
        continue;
      }
      const route = pick(ROUTES[callee]);
      const host = `${callee}.shop.svc.cluster.local`;
      const client: SpanDraft = {
        service: parent.service, name: route, kind: SpanKind.CLIENT, spanId: nextSpanId(), parentSpanId: parent.spanId,
        startNs: start, endNs: end, attributes: httpAttributes(route, callee, host, rand, pick, SpanKind.CLIENT),
        events: [], links: [], status: { code: StatusCode.UNSET, message: '' },
      };
      drafts.push(client);
      if (drafts.length >= target) break;
      const server: SpanDraft = {
        service: callee, name: route, kind: SpanKind.SERVER, spanId: nextSpanId(), parentSpanId: client.spanId,
        startNs: start + 200_000n, endNs: end > start + 400_000n ? end - 200_000n : end,
        attributes: httpAttributes(route, callee, host, rand, pick, SpanKind.SERVER), events: [], links: [],
        status: { code: StatusCode.UNSET, message: '' },
      };
      drafts.push(server);
      // Now and then the callee works in-process or hands off through a queue.
      if (drafts.length < target && rand() < 0.15) {
        const producer = rand() < 0.5;
        drafts.push({
          service: callee, name: producer ? 'orders publish' : 'render', kind: producer ? SpanKind.PRODUCER : SpanKind.INTERNAL,
          spanId: nextSpanId(), parentSpanId: server.spanId, startNs: server.startNs + 100_000n, endNs: server.startNs + 300_000n,
          attributes: producer
            ? [kv('messaging.system', str('kafka')), kv('messaging.destination.name', str('orders')), kv('messaging.operation', str('publish')), kv('messaging.message.body.size', int(Math.floor(rand() * 4096)))]
            : [kv('code.function', str('render')), kv('code.namespace', str(`${callee}.views`)), kv('thread.id', int(Math.floor(rand() * 64)))],
          events: [], links: [], status: { code: StatusCode.UNSET, message: '' },
        });
        if (producer) lastProducer = { traceId, spanId: drafts[drafts.length - 1].spanId };
      }
    }

    // A consumer span linked to an earlier trace's producer (async hand-off), once in a while.
    if (lastProducer && lastProducer.traceId !== traceId && rand() < 0.2) {
      const last = drafts[drafts.length - 1];
      last.links.push({ traceId: lastProducer.traceId, spanId: lastProducer.spanId, traceState: '', attributes: [], droppedAttributesCount: 0, flags: 1 });
    }

    // A few errors: the deepest server span fails and its callers see a 5xx.
    if (rand() < 0.05) {
      const failing = drafts[drafts.length - 1];
      failing.status = { code: StatusCode.ERROR, message: 'upstream connect error or disconnect/reset before headers' };
      failing.events.push({
        timeUnixNano: failing.endNs - 1000n, name: 'exception', droppedAttributesCount: 0,
        attributes: [
          kv('exception.type', str('UpstreamConnectError')),
          kv('exception.message', str('connection refused')),
          kv('exception.stacktrace', str('UpstreamConnectError: connection refused\n    at connect (net.js:1144:16)\n    at retry (client.js:88:7)')),
        ],
      });
    }
    // Some server spans log request/response messages, as gRPC instrumentations do.
    for (const d of drafts) {
      if (d.kind === SpanKind.SERVER && rand() < 0.3) {
        d.events.push(
          { timeUnixNano: d.startNs + 50_000n, name: 'message', droppedAttributesCount: 0, attributes: [kv('message.type', str('RECEIVED')), kv('message.id', int(1)), kv('message.uncompressed_size', int(Math.floor(rand() * 2048)))] },
          { timeUnixNano: d.endNs - 50_000n, name: 'message', droppedAttributesCount: 0, attributes: [kv('message.type', str('SENT')), kv('message.id', int(1)), kv('message.uncompressed_size', int(Math.floor(rand() * 8192)))] },
        );
      }
    }

    for (const d of drafts) {
      const { resource, scope } = resources.get(d.service)!;
      spans.push({
        traceId, spanId: d.spanId, parentSpanId: d.parentSpanId, traceState: '', flags: 0x101, name: d.name, kind: d.kind,
        startTimeUnixNano: d.startNs, endTimeUnixNano: d.endNs, attributes: d.attributes, droppedAttributesCount: 0,
        events: d.events, droppedEventsCount: 0, links: d.links, droppedLinksCount: 0, status: d.status,
        resource, scope, serviceName: serviceNameOf(resource),
      });
    }
  }
  return spans;
}

/** ~10 attributes of mixed types, as Envoy and OTel HTTP/gRPC instrumentations write them. */
function httpAttributes(
  route: string, peer: string, host: string, rand: () => number, pick: <T>(list: readonly T[]) => T, kind: SpanKind,
): KeyValue[] {
  const [method, path] = route.split(' ');
  const status = rand() < 0.04 ? pick([500, 503, 504]) : rand() < 0.05 ? 404 : 200;
  const attributes = [
    kv('http.request.method', str(method)),
    kv('http.route', str(path)),
    kv('url.path', str(path.replace('{id}', String(Math.floor(rand() * 100_000))))),
    kv('http.response.status_code', int(status)),
    kv(kind === SpanKind.CLIENT ? 'server.address' : 'net.peer.name', str(host)),
    kv('server.port', int(kind === SpanKind.CLIENT ? 8080 : 15006)),
    kv('network.protocol.version', str(pick(['1.1', '2']))),
    kv('user_agent.original', str(pick(USER_AGENTS))),
    kv('upstream_cluster', str(`outbound|8080||${host}`)),
    kv('guid:x-request-id', str(`${Math.floor(rand() * 0xffffffff).toString(16)}-${Math.floor(rand() * 0xffff).toString(16)}-4a1e-9c3f-${Math.floor(rand() * 0xffffffffffff).toString(16)}`)),
    kv('response_size', int(Math.floor(rand() * 16_384))),
    kv('peer.service', str(peer)),
    kv('sampled', { type: 'bool', value: true }),
    kv('upstream.latency_ratio', { type: 'double', value: rand() }),
  ];
  // ~10 on average: drop a few of the optional ones per span, as real instrumentations vary.
  const keep = 8 + Math.floor(rand() * 7);
  return attributes.slice(0, keep);
}

function dbAttributes(system: string, statement: string, peer: string, rand: () => number): KeyValue[] {
  return [
    kv('db.system', str(system)),
    kv('db.statement', str(statement)),
    kv('db.name', str(peer.replace('-db', '').replace('-cache', ''))),
    kv('db.operation', str(statement.split(' ')[0])),
    kv('server.address', str(`${peer}.shop.svc.cluster.local`)),
    kv('server.port', int(system === 'redis' ? 6379 : 5432)),
    kv('db.rows_affected', int(Math.floor(rand() * 10))),
    kv('peer.service', str(peer)),
    kv('network.transport', str('tcp')),
    kv('db.connection_reused', { type: 'bool', value: rand() < 0.9 }),
  ];
}

/** Builds `poolSize` distinct requests of realistic spans and encodes each once. */
export function buildRequestPool(options: WorkloadOptions): RequestPool {
  const rand = generator(options.seed);
  const resources = new Map<string, { resource: Resource; scope: InstrumentationScope }>();
  for (const s of SERVICES) {
    resources.set(s.name, {
      resource: makeResource(s.name, s.language, rand),
      scope: { name: `io.opentelemetry.${s.language}.http`, version: '1.38.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    });
  }
  const usedTracePrefixes = new Set<string>();
  const templates: RequestTemplate[] = [];
  for (let i = 0; i < options.poolSize; i++) {
    const spans = makeRequestSpans(i, options.spansPerRequest, rand, resources, usedTracePrefixes);
    templates.push(locateFields(Buffer.from(encodeTracesProtobuf(spans)), spans));
  }
  return { templates };
}

/**
 * Walks an encoded ExportTraceServiceRequest and records where ids and timestamps are. A walker
 * of its own rather than meshtel's decoder: the load generator should not depend on the code it
 * measures (and a decoder bug must not hide itself here).
 */
function locateFields(bytes: Buffer, spans: readonly SpanRecord[]): RequestTemplate {
  const traceIds: number[] = [];
  const spanIds: number[] = [];
  const times: number[] = [];
  const firstSpanOfTrace = new Map<string, number>();

  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  /** Calls `field(number, wireType, end)` for each field of the message ending at `end`. */
  const fields = (end: number, field: (n: number, wire: number, fieldEnd: number) => void): void => {
    while (pos < end) {
      const tag = varint();
      const wire = tag & 7;
      const n = Math.floor(tag / 8);
      if (wire === 0) {
        varint();
      } else if (wire === 1) {
        field(n, wire, pos + 8);
        pos += 8;
      } else if (wire === 5) {
        pos += 4;
      } else if (wire === 2) {
        const len = varint();
        const fieldEnd = pos + len;
        field(n, wire, fieldEnd);
        pos = fieldEnd;
      } else {
        throw new Error(`unexpected wire type ${wire} at ${pos}`);
      }
    }
  };
  const idAt = (start: number, len: number): void => {
    if (len === 16) traceIds.push(start);
    else if (len === 8) spanIds.push(start);
  };

  fields(bytes.length, (n, wire, end) => {
    if (n !== 1 || wire !== 2) return; // resource_spans
    fields(end, (n2, w2, end2) => {
      if (n2 !== 2 || w2 !== 2) return; // scope_spans
      fields(end2, (n3, w3, end3) => {
        if (n3 !== 2 || w3 !== 2) return; // spans
        let traceIdOffset = -1;
        fields(end3, (f, w, fend) => {
          const start = w === 2 ? pos : fend - 8;
          if (f === 1 && w === 2) {
            traceIdOffset = start;
            idAt(start, fend - start);
          } else if ((f === 2 || f === 4) && w === 2) {
            idAt(start, fend - start);
          } else if ((f === 7 || f === 8) && w === 1) {
            times.push(start);
          } else if (f === 11 && w === 2) {
            fields(fend, (ef, ew, eend) => { // Event.time_unix_nano
              if (ef === 1 && ew === 1) times.push(eend - 8);
            });
          } else if (f === 13 && w === 2) {
            fields(fend, (lf, lw, lend) => { // Link.trace_id, Link.span_id
              if ((lf === 1 || lf === 2) && lw === 2) idAt(pos, lend - pos);
            });
          }
        });
        const key = bytes.toString('hex', traceIdOffset, traceIdOffset + 8);
        if (!firstSpanOfTrace.has(key)) firstSpanOfTrace.set(key, traceIdOffset);
      });
    });
  });

  const spansPerTrace = new Map<string, number>();
  for (const s of spans) spansPerTrace.set(s.traceId.slice(0, 16), (spansPerTrace.get(s.traceId.slice(0, 16)) ?? 0) + 1);
  const traces = [...firstSpanOfTrace].map(([prefix, traceIdOffset]) => ({ traceIdOffset, spanCount: spansPerTrace.get(prefix) ?? 0 }));
  const spanCountInBytes = traces.reduce((sum, t) => sum + t.spanCount, 0);
  if (spanCountInBytes !== spans.length) {
    throw new Error(`template walker found ${spanCountInBytes} spans, the request has ${spans.length}`);
  }
  return {
    bytes,
    spanCount: spans.length,
    traceCount: traces.length,
    traceIdOffsets: Uint32Array.from(traceIds),
    spanIdOffsets: Uint32Array.from(spanIds),
    timeOffsets: Uint32Array.from(times),
    traces,
  };
}

/**
 * A fresh copy of `template` whose ids carry `stamp` and whose timestamps are shifted to
 * `baseUnixNano` (templates are relative to 0). `stamp` must be unique per send in a run: its 8
 * bytes become the second half of every trace id, and its low 4 bytes the second half of every
 * span id.
 */
export function stampRequest(template: RequestTemplate, stamp: Buffer, baseUnixNano: bigint): Buffer {
  // A copy, not the template itself: a previous send of the same template may still be in the
  // socket's write queue.
  const out = Buffer.allocUnsafe(template.bytes.length);
  template.bytes.copy(out);
  // Plain byte stores and 32-bit halves: a native call or a BigInt per field made stamping
  // cost ~0.7 ms per 512-span request, a noticeable share of the generator's thread.
  const s0 = stamp[0], s1 = stamp[1], s2 = stamp[2], s3 = stamp[3], s4 = stamp[4], s5 = stamp[5], s6 = stamp[6], s7 = stamp[7];
  const traceIds = template.traceIdOffsets;
  for (let i = 0; i < traceIds.length; i++) {
    const off = traceIds[i];
    out[off + 8] = s0; out[off + 9] = s1; out[off + 10] = s2; out[off + 11] = s3;
    out[off + 12] = s4; out[off + 13] = s5; out[off + 14] = s6; out[off + 15] = s7;
  }
  const spanIds = template.spanIdOffsets;
  for (let i = 0; i < spanIds.length; i++) {
    const off = spanIds[i];
    out[off + 4] = s4; out[off + 5] = s5; out[off + 6] = s6; out[off + 7] = s7;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const addLo = Number(baseUnixNano & 0xffffffffn);
  const addHi = Number(baseUnixNano >> 32n);
  const times = template.timeOffsets;
  for (let i = 0; i < times.length; i++) {
    const off = times[i];
    const lo = view.getUint32(off, true) + addLo;
    view.setUint32(off, lo >>> 0, true);
    view.setUint32(off + 4, (view.getUint32(off + 4, true) + addHi + (lo > 0xffffffff ? 1 : 0)) >>> 0, true);
  }
  return out;
}

/** The trace ids of a stamped request, with how many spans each trace has. */
export function traceIdsOf(template: RequestTemplate, stamped: Buffer): Array<{ traceId: string; spanCount: number }> {
  return template.traces.map((t) => ({ traceId: stamped.toString('hex', t.traceIdOffset, t.traceIdOffset + 16), spanCount: t.spanCount }));
}
