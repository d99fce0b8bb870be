/**
 * Our decoders against what real senders produce: spans recorded with the OpenTelemetry JS SDK
 * and serialized by @opentelemetry/otlp-transformer, the code behind the OTLP exporters.
 */
import { ROOT_CONTEXT, SpanKind as ApiSpanKind, SpanStatusCode, TraceFlags, trace, type Attributes } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type KeyValue, type SpanRecord } from '../../shared/model/span.js';
import { decodeTracesJson, decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';

const LINKED_TRACE = '0af7651916cd43dd8448eb211c80319c';
const LINKED_SPAN = 'b7ad6b7169203331';

/** Two spans (server parent, client child) of one trace, recorded by the SDK with exact times. */
function recordSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'checkout', 'k8s.pod.name': 'checkout-7d9f', 'host.cpu.count': 8 },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
    ),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('meshtel-test', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  const server = tracer.startSpan('GET /cart', {
    kind: ApiSpanKind.SERVER,
    startTime: [1_700_000_000, 123_456_789],
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 503,
      'retry.negative': -7,
      'load.ratio': 0.75,
      'cache.hit': false,
      'http.request.header.accept': ['text/html', 'application/json'],
      'shard.ids': [3, 5, 8],
      'unicode.text': 'grüße, 世界',
    },
  }, ROOT_CONTEXT);
  server.addEvent('cache miss', { 'cache.key': 'cart:42', 'cache.size': 1024 }, [1_700_000_000, 200_000_001]);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' });
  const client = tracer.startSpan('SELECT carts', {
    kind: ApiSpanKind.CLIENT,
    startTime: [1_700_000_000, 300_000_000],
    links: [{
      context: { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('vendor=abc') },
      attributes: { 'link.reason': 'batch' },
    }],
  }, trace.setSpan(ROOT_CONTEXT, server));
  client.setStatus({ code: SpanStatusCode.OK });
  client.end([1_700_000_000, 450_000_000]);
  server.end([1_700_000_001, 5]);
  return exporter.getFinishedSpans();
}

/** The same span with attribute values the SDK API does not offer but OTLP carries (bytes, maps). */
function withExtraAttributes(span: ReadableSpan, extra: Record<string, unknown>): ReadableSpan {
  return Object.create(span, { attributes: { value: { ...span.attributes, ...extra } as unknown as Attributes } }) as ReadableSpan;
}

function attribute(list: readonly KeyValue[], key: string): KeyValue['value'] | undefined {
  return list.find((kv) => kv.key === key)?.value;
}

function checkDecodedSpans(decoded: SpanRecord[], recorded: ReadableSpan[]): void {
  expect(decoded).toHaveLength(2);
  const client = decoded.find((s) => s.name === 'SELECT carts')!;
  const server = decoded.find((s) => s.name === 'GET /cart')!;
  const sdkServer = recorded.find((s) => s.name === 'GET /cart')!;
  const sdkClient = recorded.find((s) => s.name === 'SELECT carts')!;

  expect(server.traceId).toBe(sdkServer.spanContext().traceId);
  expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(server.spanId).toBe(sdkServer.spanContext().spanId);
  expect(server.parentSpanId).toBe('');
  expect(client.traceId).toBe(server.traceId);
  expect(client.spanId).toBe(sdkClient.spanContext().spanId);
  expect(client.parentSpanId).toBe(server.spanId);

  expect(server.kind).toBe(SpanKind.SERVER);
  expect(client.kind).toBe(SpanKind.CLIENT);
  expect(server.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
  expect(server.endTimeUnixNano).toBe(1_700_000_001_000_000_005n);
  expect(client.startTimeUnixNano).toBe(1_700_000_000_300_000_000n);
  expect(client.endTimeUnixNano).toBe(1_700_000_000_450_000_000n);
  // Sampled, and "whether the parent is remote is known" (bit 8), as the SDK's exporter writes it.
  expect(server.flags & 0xff).toBe(1);
  expect(server.flags & 0x100).toBe(0x100);

  const a = server.attributes;
  expect(attribute(a, 'http.request.method')).toEqual({ type: 'string', value: 'GET' });
  expect(attribute(a, 'http.response.status_code')).toEqual({ type: 'int', value: 503n });
  expect(attribute(a, 'retry.negative')).toEqual({ type: 'int', value: -7n });
  expect(attribute(a, 'load.ratio')).toEqual({ type: 'double', value: 0.75 });
  expect(attribute(a, 'cache.hit')).toEqual({ type: 'bool', value: false });
  expect(attribute(a, 'unicode.text')).toEqual({ type: 'string', value: 'grüße, 世界' });
  expect(attribute(a, 'http.request.header.accept')).toEqual({
    type: 'array', value: [{ type: 'string', value: 'text/html' }, { type: 'string', value: 'application/json' }],
  });
  expect(attribute(a, 'shard.ids')).toEqual({
    type: 'array', value: [{ type: 'int', value: 3n }, { type: 'int', value: 5n }, { type: 'int', value: 8n }],
  });
  expect(attribute(a, 'raw')).toEqual({ type: 'bytes', value: new Uint8Array([0, 1, 254, 255]) });
  expect(attribute(a, 'nested')).toEqual({
    type: 'kvlist', value: [{ key: 'zone', value: { type: 'string', value: 'eu-1' } }, { key: 'replicas', value: { type: 'int', value: 3n } }],
  });

  expect(server.events).toEqual([{
    timeUnixNano: 1_700_000_000_200_000_001n,
    name: 'cache miss',
    attributes: [{ key: 'cache.key', value: { type: 'string', value: 'cart:42' } }, { key: 'cache.size', value: { type: 'int', value: 1024n } }],
    droppedAttributesCount: 0,
  }]);
  expect(server.status).toEqual({ code: StatusCode.ERROR, message: 'upstream unavailable' });
  expect(client.status).toEqual({ code: StatusCode.OK, message: '' });

  expect(client.links).toHaveLength(1);
  expect(client.links[0]).toMatchObject({
    traceId: LINKED_TRACE,
    spanId: LINKED_SPAN,
    traceState: 'vendor=abc',
    attributes: [{ key: 'link.reason', value: { type: 'string', value: 'batch' } }],
  });
  expect(client.links[0].flags & 0xff).toBe(1);

  expect(server.serviceName).toBe('checkout');
  expect(attribute(server.resource.attributes, 'k8s.pod.name')).toEqual({ type: 'string', value: 'checkout-7d9f' });
  expect(attribute(server.resource.attributes, 'host.cpu.count')).toEqual({ type: 'int', value: 8n });
  expect(server.resource.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
  expect(server.scope).toMatchObject({ name: 'meshtel-test', version: '1.2.3', schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  // One ResourceSpans and one ScopeSpans on the wire: both spans share the same objects.
  expect(client.resource).toBe(server.resource);
  expect(client.scope).toBe(server.scope);
}

function exampleSpans(): ReadableSpan[] {
  return recordSpans().map((s) =>
    s.name === 'GET /cart' ? withExtraAttributes(s, { raw: new Uint8Array([0, 1, 254, 255]), nested: { zone: 'eu-1', replicas: 3 } }) : s,
  );
}

describe('decodeTracesProtobuf with the OpenTelemetry JS protobuf serializer', () => {
  it('decodes ids, names, kinds, exact nanosecond times, every attribute type, events, links, status, resource and scope', () => {
    const spans = exampleSpans();
    const body = ProtobufTraceSerializer.serializeRequest(spans)!;
    checkDecodedSpans(decodeTracesProtobuf(body), spans);
  });

  it('gives the same spans after our encoder re-encodes them', () => {
    const spans = exampleSpans();
    const decoded = decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!);
    const again = decodeTracesProtobuf(encodeTracesProtobuf(decoded));
    expect(again).toEqual(decoded);
    checkDecodedSpans(again, spans);
  });
});

describe('decodeTracesJson with the OpenTelemetry JS JSON serializer', () => {
  it('decodes the same spans as the protobuf path (int64 attributes sent as JSON numbers, times as strings)', () => {
    const spans = exampleSpans();
    const json = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!);
    // The JSON serializer writes int attributes as numbers and times as strings: both must be read.
    expect(json).toContain('"intValue":503');
    expect(json).toContain('"startTimeUnixNano":"1700000000123456789"');
    const decoded = decodeTracesJson(json);
    checkDecodedSpans(decoded, spans);
    expect(decoded).toEqual(decodeTracesProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!));
  });
});
