/**
 * The "checkout" trace every end-to-end test sends with the OpenTelemetry JS SDK's own exporters
 * (HTTP/protobuf, HTTP/JSON, gRPC with gzip) across three services, and the exact Jaeger JSON it
 * must come back as — so all-in-one and the distributed roles are held to the same answer.
 */
import { expect } from 'vitest';
import { context, trace, SpanKind, SpanStatusCode, type Span, type HrTime, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';

export interface JaegerKV { key: string; type: string; value: unknown }
export interface JaegerSpan {
  traceID: string; spanID: string; operationName: string; startTime: number; duration: number;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  tags: JaegerKV[]; logs: Array<{ timestamp: number; fields: JaegerKV[] }>; processID: string;
}
export interface JaegerTrace { traceID: string; spans: JaegerSpan[]; processes: Record<string, { serviceName: string; tags: JaegerKV[] }> }
export interface Envelope<T> { data: T; total: number; limit: number; offset: number; errors: Array<{ code?: number; msg: string; traceID?: string }> | null }

export interface SentCheckout {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly cartServerSpanId: string;
  /** µs since the epoch of a time relative to the trace's base time. */
  us(offsetMs: number): number;
  /** Flushes and shuts the SDK providers down. */
  shutdown(): Promise<void>;
}

/**
 * Sends the checkout trace (4 spans in frontend/backend/storage) plus five 2 ms "GET /health"
 * traces from frontend, 100 ms apart starting at +1000 ms, and waits until the exporters flushed.
 */
export async function sendCheckoutTraces(otlpHttpUrl: string, otlpGrpcAddress: string, baseMs = Date.now() - 60_000): Promise<SentCheckout> {
  const providers: BasicTracerProvider[] = [];
  const tracerFor = (service: string, exporter: ProtoExporter | JsonExporter | GrpcExporter, extra: Record<string, string> = {}): Tracer => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, ...extra }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    providers.push(provider);
    return provider.getTracer(`${service}-lib`, '1.2.3');
  };
  // Whole ms plus a sub-µs nanosecond part, so the ns→µs conversion is visible.
  const at = (offsetMs: number, extraNs = 0): HrTime => {
    const totalMs = baseMs + offsetMs;
    return [Math.floor(totalMs / 1000), (totalMs % 1000) * 1e6 + extraNs];
  };
  const childOf = (parent: Span) => trace.setSpanContext(context.active(), parent.spanContext());

  const frontend = tracerFor('frontend', new ProtoExporter({ url: `${otlpHttpUrl}/v1/traces` }), {
    'deployment.environment': 'e2e',
    'host.name': 'fe-1',
  });
  const backend = tracerFor('backend', new JsonExporter({ url: `${otlpHttpUrl}/v1/traces` }));
  const storage = tracerFor('storage', new GrpcExporter({ url: `http://${otlpGrpcAddress}`, compression: CompressionAlgorithm.GZIP }));

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

  for (let i = 0; i < 5; i++) {
    frontend.startSpan('GET /health', { kind: SpanKind.SERVER, startTime: at(1000 + i * 100), attributes: { probe: `p${i}` } }).end(at(1000 + i * 100 + 2));
  }
  await Promise.all(providers.map((p) => p.forceFlush()));
  return {
    traceId: root.spanContext().traceId,
    rootSpanId: root.spanContext().spanId,
    cartServerSpanId: cartServer.spanContext().spanId,
    us: (offsetMs) => (baseMs + offsetMs) * 1000,
    shutdown: async () => {
      await Promise.all(providers.map((p) => p.shutdown()));
    },
  };
}

/** Asserts the checkout trace came back exactly as the Jaeger API must show it. */
export function expectCheckoutTrace(t: JaegerTrace, sent: SentCheckout): void {
  const { us } = sent;
  expect(t.traceID).toBe(sent.traceId);
  const byName = (name: string, service: string) =>
    t.spans.find((s) => s.operationName === name && t.processes[s.processID]!.serviceName === service)!;

  const root = byName('GET /checkout', 'frontend');
  expect(root.spanID).toBe(sent.rootSpanId);
  expect(root.startTime).toBe(us(0)); // the 789 ns below a µs are dropped, as Jaeger does
  expect(root.duration).toBe(50_000);
  expect(root.references).toEqual([]);
  // Sorted by key, as Jaeger's query service sorts tags before answering.
  expect(root.tags).toEqual([
    { key: 'http.method', type: 'string', value: 'GET' },
    { key: 'http.status_code', type: 'int64', value: 200 },
    { key: 'labels', type: 'string', value: '["a","b"]' },
    { key: 'otel.scope.name', type: 'string', value: 'frontend-lib' },
    { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
    { key: 'otel.status_code', type: 'string', value: 'OK' },
    { key: 'ratio', type: 'float64', value: 0.25 },
    { key: 'retry', type: 'bool', value: false },
    { key: 'span.kind', type: 'string', value: 'server' },
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
  expect(cartClient.references).toEqual([{ refType: 'CHILD_OF', traceID: sent.traceId, spanID: root.spanID }]);
  expect(cartClient.tags).toContainEqual({ key: 'span.kind', type: 'string', value: 'client' });
  expect(cartClient.processID).toBe(root.processID);

  const cartServer = byName('POST /cart', 'backend');
  expect(cartServer.spanID).toBe(sent.cartServerSpanId);
  expect(cartServer.startTime).toBe(us(6));
  expect(cartServer.duration).toBe(28_000);
  expect(cartServer.references).toEqual([
    { refType: 'CHILD_OF', traceID: sent.traceId, spanID: cartClient.spanID },
    { refType: 'FOLLOWS_FROM', traceID: sent.traceId, spanID: root.spanID },
  ]);
  expect(cartServer.tags.filter((tag) => ['span.kind', 'otel.status_code', 'error', 'otel.status_description'].includes(tag.key))).toEqual([
    { key: 'error', type: 'bool', value: true },
    { key: 'otel.status_code', type: 'string', value: 'ERROR' },
    { key: 'otel.status_description', type: 'string', value: 'cart locked' },
    { key: 'span.kind', type: 'string', value: 'server' },
  ]);

  const query = byName('SELECT cart', 'storage');
  expect(query.duration).toBe(2000);
  expect(query.references[0]!.spanID).toBe(cartServer.spanID);
  expect(Object.values(t.processes).map((p) => p.serviceName).sort()).toEqual(['backend', 'frontend', 'storage']);
}
