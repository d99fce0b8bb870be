/**
 * Shared set-up for the trace receiver tests: a real Collector on free ports in front of a
 * RecordingBuffer (our TelemetryBuffer interface, which can be told to refuse).
 */
import { SpanKind as ApiSpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import type { AnyValue, KeyValue, SpanRecord } from '../../shared/model/span.js';
import { ExportTraceServiceRequest } from './proto-root.js';
import { createMetrics, type MeshtelMetrics } from './metrics.js';
import { Collector, type CollectorConfig } from '../../services/collector/collector.js';
import { RecordingBuffer } from './recording-buffer.js';

export const MiB = 1024 * 1024;

export const testConfig = {
  host: '127.0.0.1',
  otlpHttpPort: 0,
  otlpGrpcPort: 0,
  zipkinPort: 0,
  maxLogRecordsPerRequest: 1000,
  maxDataPointsPerRequest: 1000,
  accessLogFormat: '',
  maxAccessLogLineBytes: 65536,
  maxAccessLogLinesPerRequest: 1000,
  maxRequestBodyBytes: 1 * MiB,
  maxDecompressedBodyBytes: 4 * MiB,
  maxSpansPerRequest: 1000,
  maxAttributesPerSpan: 128,
  maxAttributeValueLength: 4096,
  shutdownTimeoutMs: 5000,
  maxClockSkew: '0',
} satisfies CollectorConfig;

export interface RunningCollector {
  readonly collector: Collector;
  readonly buffer: RecordingBuffer;
  readonly metrics: MeshtelMetrics;
  readonly httpUrl: string;
  readonly grpcTarget: string;
}

export async function startCollector(
  overrides: Partial<CollectorConfig> = {},
  beforeStart: (collector: Collector) => void = () => {},
): Promise<RunningCollector> {
  const buffer = new RecordingBuffer();
  const metrics = createMetrics();
  const collector = new Collector({
    config: { ...testConfig, ...overrides },
    buffer,
    metrics,
    logger: pino({ level: 'silent' }),
  });
  beforeStart(collector);
  await collector.start();
  const { otlpHttp, otlpGrpc } = collector.addresses();
  return {
    collector,
    buffer,
    metrics,
    httpUrl: `http://${otlpHttp.host}:${otlpHttp.port}`,
    grpcTarget: `${otlpGrpc.host}:${otlpGrpc.port}`,
  };
}

/** A small trace from the real OpenTelemetry SDK: a server span with a client child. */
export function sdkSpans(serviceName = 'checkout'): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'k8s.namespace.name': 'shop' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('receivers-test', '1.2.3');
  const server = tracer.startSpan('GET /cart', {
    kind: ApiSpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, ratio: 0.25, cached: false },
  });
  server.addEvent('cache miss', { 'cache.key': 'cart:42' });
  const child = tracer.startSpan(
    'SELECT carts',
    { kind: ApiSpanKind.CLIENT, attributes: { 'db.system': 'postgresql', tags: ['a', 'b'] } },
    trace.setSpan(context.active(), server),
  );
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
  child.end();
  server.end();
  return exporter.getFinishedSpans();
}

/** What a receiver must preserve of an SDK span, in our model's terms. */
export interface ComparableSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  events: Array<{ name: string; timeUnixNano: bigint; attributes: KeyValue[] }>;
  status: { code: number; message: string };
  serviceName: string;
  scopeName: string;
}

function hrTimeNanos([seconds, nanos]: [number, number]): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

type SdkAttribute = string | number | boolean | Array<string | number | boolean | null | undefined> | undefined;

function anyValueOf(v: SdkAttribute): AnyValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: BigInt(v) } : { type: 'double', value: v };
  if (Array.isArray(v)) return { type: 'array', value: v.map((x) => anyValueOf(x ?? undefined)) };
  return { type: 'empty' };
}

function keyValuesOf(attrs: Record<string, SdkAttribute>): KeyValue[] {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValueOf(value) }));
}

export function comparableFromSdk(spans: readonly ReadableSpan[]): ComparableSpan[] {
  return spans
    .map((s) => ({
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId ?? '',
      name: s.name,
      // The API's SpanKind starts at INTERNAL = 0; OTLP's enum has UNSPECIFIED = 0 first.
      kind: s.kind + 1,
      startTimeUnixNano: hrTimeNanos(s.startTime),
      endTimeUnixNano: hrTimeNanos(s.endTime),
      attributes: keyValuesOf(s.attributes),
      events: s.events.map((e) => ({
        name: e.name,
        timeUnixNano: hrTimeNanos(e.time),
        attributes: keyValuesOf(e.attributes ?? {}),
      })),
      status: { code: s.status.code, message: s.status.message ?? '' },
      serviceName: String(s.resource.attributes['service.name']),
      scopeName: s.instrumentationScope.name,
    }))
    .sort((a, b) => a.spanId.localeCompare(b.spanId));
}

export function comparableFromRecords(spans: readonly SpanRecord[]): ComparableSpan[] {
  return spans
    .map((s) => ({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      kind: s.kind,
      startTimeUnixNano: s.startTimeUnixNano,
      endTimeUnixNano: s.endTimeUnixNano,
      attributes: [...s.attributes],
      events: s.events.map((e) => ({ name: e.name, timeUnixNano: e.timeUnixNano, attributes: [...e.attributes] })),
      status: { code: s.status.code, message: s.status.message },
      serviceName: s.serviceName,
      scopeName: s.scope.name,
    }))
    .sort((a, b) => a.spanId.localeCompare(b.spanId));
}

/** Sends spans through an SDK exporter and resolves with its result (code 0 = success). */
export function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

/** A valid 16-byte id filled with one byte value. */
export function idBytes(byte: number, length: number): Buffer {
  return Buffer.alloc(length, byte);
}

export interface RawSpanInput {
  traceId: Uint8Array;
  spanId: Uint8Array;
  name: string;
}

/**
 * Encodes an ExportTraceServiceRequest with protobufjs reflection — independent of our own
 * encoder, and able to carry the malformed ids real senders sometimes produce.
 */
export function rawTraceRequest(spans: readonly RawSpanInput[]): Uint8Array {
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-sender' } }] },
        scopeSpans: [
          {
            scope: { name: 'raw' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              name: s.name,
              kind: 2,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000000001000000',
            })),
          },
        ],
      },
    ],
  });
  return ExportTraceServiceRequest.encode(message).finish();
}
