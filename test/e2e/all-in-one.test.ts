/**
 * all-in-one end to end: spans sent by the OpenTelemetry JS SDK's own exporters (HTTP/protobuf,
 * HTTP/JSON, gRPC with gzip) and a hand-built OTLP/JSON payload come back through the Jaeger API
 * exactly, and every search parameter selects what it should.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace, SpanKind, SpanStatusCode, type Span, type HrTime, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';

interface JaegerKV { key: string; type: string; value: unknown }
interface JaegerSpan {
  traceID: string; spanID: string; operationName: string; startTime: number; duration: number;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  tags: JaegerKV[]; logs: Array<{ timestamp: number; fields: JaegerKV[] }>; processID: string;
}
interface JaegerTrace { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string; tags: JaegerKV[] }> }
interface Envelope<T> { data: T; total: number; limit: number; offset: number; errors: Array<{ code: number; msg: string }> | null }

let meshtel: MeshtelProcess;
const providers: BasicTracerProvider[] = [];

async function api<T>(path: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await fetch(meshtel.url('query', path));
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

function tracerFor(service: string, exporter: ProtoExporter | JsonExporter | GrpcExporter, extra: Record<string, string> = {}): Tracer {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, ...extra }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  providers.push(provider);
  return provider.getTracer(`${service}-lib`, '1.2.3');
}

/** Base time in whole ms plus a sub-ms nanosecond part, so ns→µs conversion is visible. */
const baseMs = Date.now() - 60_000;
const at = (offsetMs: number, extraNs = 0): HrTime => {
  const totalMs = baseMs + offsetMs;
  return [Math.floor(totalMs / 1000), (totalMs % 1000) * 1e6 + extraNs];
};
const us = (offsetMs: number) => (baseMs + offsetMs) * 1000;
const childOf = (parent: Span) => trace.setSpanContext(context.active(), parent.spanContext());

let checkout: { traceId: string; root: Span; cartClient: Span; cartServer: Span; query: Span };

beforeAll(async () => {
  meshtel = await startMeshtel('all-in-one');
  const frontend = tracerFor('frontend', new ProtoExporter({ url: meshtel.url('otlpHttp', '/v1/traces') }), {
    'deployment.environment': 'e2e',
    'host.name': 'fe-1',
  });
  const backend = tracerFor('backend', new JsonExporter({ url: meshtel.url('otlpHttp', '/v1/traces') }));
  const storage = tracerFor('storage', new GrpcExporter({ url: `http://${meshtel.endpoints.otlpGrpc}`, compression: CompressionAlgorithm.GZIP }));

  const root = frontend.startSpan('GET /checkout', {
    kind: SpanKind.SERVER,
    startTime: at(0, 789),
    attributes: { 'http.method': 'GET', 'http.status_code': 200, retry: false, ratio: 0.25, labels: ['a', 'b'] },
  });
  root.addEvent('cache miss', { key: 'user:42' }, at(1));
  root.setStatus({ code: SpanStatusCode.OK });
  const cartClient = frontend.startSpan('POST /cart', { kind: SpanKind.CLIENT, startTime: at(5), attributes: { 'peer.service': 'backend' } }, childOf(root));
  const cartServer = backend.startSpan(
    'POST /cart',
    { kind: SpanKind.SERVER, startTime: at(6), links: [{ context: root.spanContext(), attributes: { 'link.reason': 'retry-of' } }] },
    childOf(cartClient),
  );
  cartServer.setStatus({ code: SpanStatusCode.ERROR, message: 'cart locked' });
  const query = storage.startSpan('SELECT cart', { kind: SpanKind.CLIENT, startTime: at(10), attributes: { 'db.system': 'postgresql' } }, childOf(cartServer));
  query.end(at(12));
  cartServer.end(at(34));
  cartClient.end(at(35));
  root.end(at(50, 789));
  checkout = { traceId: root.spanContext().traceId, root, cartClient, cartServer, query };

  // Five short single-span traces, 100 ms apart, for limit / window / duration searches.
  for (let i = 0; i < 5; i++) {
    frontend.startSpan('GET /health', { kind: SpanKind.SERVER, startTime: at(1000 + i * 100), attributes: { probe: `p${i}` } }).end(at(1000 + i * 100 + 2));
  }
  await Promise.all(providers.map((p) => p.forceFlush()));
}, 120_000);

afterAll(async () => {
  await Promise.all(providers.map((p) => p.shutdown()));
  await meshtel?.stop();
});

const window = () => `start=${us(-1000)}&end=${us(5000)}`;

async function waitForTrace(traceId: string, spans: number): Promise<JaegerTrace> {
  return eventually(async () => {
    const { status, body } = await api<JaegerTrace[]>(`/api/traces/${traceId}`);
    return status === 200 && body.data[0]!.spans.length === spans ? body.data[0] : undefined;
  });
}

describe('all-in-one: traces from the OpenTelemetry SDK exporters', () => {
  it('returns the trace whole, with exact ids, names, times, references, tags, logs and processes', async () => {
    const t = await waitForTrace(checkout.traceId, 4);
    expect(t.traceID).toBe(checkout.traceId);
    const byName = (name: string, service: string) =>
      t.spans.find((s) => s.operationName === name && t.processes[s.processID]!.serviceName === service)!;

    const root = byName('GET /checkout', 'frontend');
    expect(root.spanID).toBe(checkout.root.spanContext().spanId);
    expect(root.startTime).toBe(us(0)); // 789 ns below a µs are dropped, as Jaeger does
    expect(root.duration).toBe(50_000);
    expect(root.references).toEqual([]);
    expect(root.tags).toEqual([
      { key: 'otel.scope.name', type: 'string', value: 'frontend-lib' },
      { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
      { key: 'http.method', type: 'string', value: 'GET' },
      { key: 'http.status_code', type: 'int64', value: 200 },
      { key: 'retry', type: 'bool', value: false },
      { key: 'ratio', type: 'float64', value: 0.25 },
      { key: 'labels', type: 'string', value: '["a","b"]' },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'OK' },
    ]);
    expect(root.logs).toEqual([
      { timestamp: us(1), fields: [{ key: 'event', type: 'string', value: 'cache miss' }, { key: 'key', type: 'string', value: 'user:42' }] },
    ]);
    const fe = t.processes[root.processID]!;
    expect(fe.serviceName).toBe('frontend');
    expect(fe.tags).toEqual(expect.arrayContaining([
      { key: 'deployment.environment', type: 'string', value: 'e2e' },
      { key: 'host.name', type: 'string', value: 'fe-1' },
    ]));

    const cartClient = byName('POST /cart', 'frontend');
    expect(cartClient.references).toEqual([{ refType: 'CHILD_OF', traceID: checkout.traceId, spanID: root.spanID }]);
    expect(cartClient.tags).toContainEqual({ key: 'span.kind', type: 'string', value: 'client' });
    expect(cartClient.processID).toBe(root.processID);

    const cartServer = byName('POST /cart', 'backend');
    expect(cartServer.spanID).toBe(checkout.cartServer.spanContext().spanId);
    expect(cartServer.startTime).toBe(us(6));
    expect(cartServer.duration).toBe(28_000);
    expect(cartServer.references).toEqual([
      { refType: 'CHILD_OF', traceID: checkout.traceId, spanID: cartClient.spanID },
      { refType: 'FOLLOWS_FROM', traceID: checkout.traceId, spanID: root.spanID },
    ]);
    expect(cartServer.tags.slice(-4)).toEqual([
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_description', type: 'string', value: 'cart locked' },
    ]);

    const query = byName('SELECT cart', 'storage');
    expect(query.duration).toBe(2000);
    expect(query.references[0]!.spanID).toBe(cartServer.spanID);
    expect(Object.values(t.processes).map((p) => p.serviceName).sort()).toEqual(['backend', 'frontend', 'storage']);
  });

  it('lists services and operations, optionally by span kind', async () => {
    await waitForTrace(checkout.traceId, 4);
    const services = await api<string[]>('/api/services');
    expect(services.body.data).toEqual(expect.arrayContaining(['backend', 'frontend', 'storage']));
    expect(services.body.total).toBe(services.body.data.length);
    const ops = await api<string[]>('/api/services/frontend/operations');
    expect([...ops.body.data].sort()).toEqual(['GET /checkout', 'GET /health', 'POST /cart']);
    const clientOps = await api<Array<{ name: string; spanKind: string }>>('/api/operations?service=frontend&spanKind=client');
    expect(clientOps.body.data).toEqual([{ name: 'POST /cart', spanKind: 'client' }]);
  });

  it('finds traces by service, operation and tags from each of the five places', async () => {
    await waitForTrace(checkout.traceId, 4);
    const ids = async (query: string) => {
      const { status, body } = await api<JaegerTrace[]>(`/api/traces?${window()}&${query}`);
      expect(status, JSON.stringify(body.errors)).toBe(200);
      return body.data.map((t) => t.traceID);
    };
    expect(await ids('service=storage&operation=SELECT%20cart')).toEqual([checkout.traceId]);
    expect(await ids('service=backend')).toEqual([checkout.traceId]);
    // span attribute, resource attribute, event attribute, link attribute
    expect(await ids(`service=frontend&tags=${encodeURIComponent('{"http.method":"GET"}')}`)).toEqual([checkout.traceId]);
    expect(await ids('service=frontend&operation=GET%20%2Fcheckout&tag=host.name:fe-1')).toEqual([checkout.traceId]);
    expect(await ids('service=frontend&tag=key:user:42')).toEqual([checkout.traceId]);
    expect(await ids('service=backend&tag=link.reason:retry-of')).toEqual([checkout.traceId]);
    // typed values compare as text; all tags on one span, even when found in different places
    expect(await ids('service=frontend&tag=http.status_code:200&tag=retry:false&tag=deployment.environment:e2e')).toEqual([checkout.traceId]);
    // tags that are only true of two different spans do not match
    expect(await ids(`tags=${encodeURIComponent('{"http.method":"GET","db.system":"postgresql"}')}`)).toEqual([]);
    expect(await ids('service=frontend&tag=http.method:POST')).toEqual([]);
  });

  it('finds a trace by an instrumentation-scope attribute (hand-built OTLP/JSON, snake_case)', async () => {
    const traceId = 'a1'.repeat(16);
    const startNs = BigInt(us(200)) * 1000n;
    const payload = {
      resource_spans: [{
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'scoped' } }] },
        scope_spans: [{
          scope: { name: 'lib', version: '9', attributes: [{ key: 'scope.team', value: { string_value: 'payments' } }] },
          spans: [{ trace_id: traceId, span_id: 'b2'.repeat(8), name: 'charge', kind: 2,
            start_time_unix_nano: String(startNs), end_time_unix_nano: String(startNs + 3_000_000n) }],
        }],
      }],
    };
    const res = await fetch(meshtel.url('otlpHttp', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(res.status).toBe(200);
    await waitForTrace(traceId, 1);
    const { body } = await api<JaegerTrace[]>(`/api/traces?${window()}&service=scoped&tag=scope.team:payments`);
    expect(body.data.map((t) => t.traceID)).toEqual([traceId]);
    const miss = await api<JaegerTrace[]>(`/api/traces?${window()}&service=scoped&tag=scope.team:billing`);
    expect(miss.body.data).toEqual([]);
  });

  it('selects by duration range, time window and limit, most recent first', async () => {
    await waitForTrace(checkout.traceId, 4);
    const search = async (query: string) => (await api<JaegerTrace[]>(`/api/traces?service=frontend&${query}`)).body.data;
    const long = await search(`${window()}&minDuration=40ms`);
    expect(long.map((t) => t.traceID)).toEqual([checkout.traceId]);
    const short = await search(`${window()}&maxDuration=2.5ms&operation=GET%20%2Fhealth`);
    expect(short).toHaveLength(5);
    const between = await search(`${window()}&minDuration=20ms&maxDuration=0.04s`);
    expect(between.map((t) => t.traceID)).toEqual([checkout.traceId]); // the 30 ms client span
    const newestTwo = await search(`${window()}&operation=GET%20%2Fhealth&limit=2`);
    expect(newestTwo.map((t) => t.spans[0]!.startTime)).toEqual([us(1400), us(1300)]);
    const middle = await search(`start=${us(1150)}&end=${us(1350)}&operation=GET%20%2Fhealth`);
    expect(middle.map((t) => t.spans[0]!.startTime)).toEqual([us(1300), us(1200)]);
    const multiGet = await api<JaegerTrace[]>(`/api/traces?traceID=${checkout.traceId}&traceID=${'f'.repeat(32)}`);
    expect(multiGet.body.data.map((t) => t.traceID)).toEqual([checkout.traceId]);
    expect(multiGet.body.errors).toEqual([{ msg: 'trace not found', traceID: 'f'.repeat(32) }]);
  });

  it('derives service dependencies from parent spans in other services', async () => {
    await waitForTrace(checkout.traceId, 4);
    const { body } = await api<Array<{ parent: string; child: string; callCount: number }>>(`/api/dependencies?endTs=${Date.now()}&lookback=3600000`);
    const edges = body.data.map((d) => `${d.parent}->${d.child}:${d.callCount}`).sort();
    expect(edges).toEqual(['backend->storage:1', 'frontend->backend:1']);
  });

  it('answers bad parameters with 400 naming the parameter, and unknown traces with 404', async () => {
    const bad = await api<null>('/api/traces?service=frontend&minDuration=fast');
    expect(bad.status).toBe(400);
    expect(bad.body.errors![0]!.msg).toContain('minDuration');
    const missing = await api<null>(`/api/traces/${'0123456789abcdef'.repeat(2)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors).toEqual([{ code: 404, msg: 'trace not found' }]);
  });
});

describe('all-in-one: operability', () => {
  it('serves /healthz, /readyz and /metrics with receiver and store counts', async () => {
    await waitForTrace(checkout.traceId, 4);
    expect((await fetch(meshtel.url('admin', '/healthz'))).status).toBe(200);
    const ready = await fetch(meshtel.url('admin', '/readyz'));
    expect(ready.status).toBe(200);
    const text = await (await fetch(meshtel.url('admin', '/metrics'))).text();
    expect(text).toMatch(/meshtel_receiver_spans_accepted_total\{transport="otlp_http"\} [1-9]/);
    expect(text).toMatch(/meshtel_receiver_spans_accepted_total\{transport="otlp_grpc"\} 1\b/);
    expect(text).toMatch(/meshtel_store_spans [1-9]/);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('on SIGTERM drains everything it acknowledged into the store and exits 0', async () => {
    const p = await startMeshtel('all-in-one');
    const exporter = new ProtoExporter({ url: p.url('otlpHttp', '/v1/traces') });
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'drain' }), spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 50 })] });
    const tracer = provider.getTracer('drain');
    for (let i = 0; i < 200; i++) tracer.startSpan(`op${i}`).end();
    await provider.forceFlush();
    const code = await p.stop('SIGTERM');
    expect(code).toBe(0);
    const final = p.logs.filter((l) => l.msg === 'span ingester progress').at(-1);
    expect(final?.spansStored).toBe(200);
    expect(p.logs.some((l) => l.msg === 'shutdown complete')).toBe(true);
    await provider.shutdown();
  });
});
