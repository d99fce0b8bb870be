/**
 * The same bookinfo request reported by Envoy's Zipkin tracer and as OTLP spans goes through
 * receiver → TraceIntake → InProcessBuffer → SpanIngester → MemorySpanStore → Jaeger mapping,
 * and comes out as the same Jaeger trace.
 *
 * Intentional differences, removed before comparing: the Zipkin spans carry `net.host.ip` and
 * `net.host.port` from their localEndpoint (the Collector's mapping), which the OTLP spans of
 * Envoy's OpenTelemetry tracer do not have. Everything else — ids, parents, names, kinds, times,
 * tags, logs, status (`error=true` ↔ status ERROR), processes — must match.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { toJaegerTrace } from '../../services/query/jaeger/from-spans.js';
import { jaegerTraceView } from '../../services/query/trace-view/jaeger-json.js';
import type { JaegerTrace } from '../../services/query/jaeger/model.js';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import { encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { createMetrics } from '../support/metrics.js';
import { OTLP_TRACES_PATH, otlpHttpTraces } from '../../services/collector/receivers/otlp/otlp-http.js';
import { TraceIntake } from '../../services/collector/intake/trace-intake.js';
import { ZIPKIN_SPANS_PATH, zipkinHttp } from '../../services/collector/receivers/zipkin/zipkin-http.js';
import { SpanIngester } from '../../services/ingester/span-ingester.js';
import { span } from '../fixtures/spans.js';
import { CLIENT_ID, ROOT_ID, TRACE_ID, failedClientSpan, istioHop, productpageInbound, reviewsInbound, sharedContextHop, type ZipkinJsonSpan } from '../fixtures/zipkin.js';

interface Pipeline {
  readonly app: FastifyInstance;
  readonly buffer: InProcessBuffer;
  readonly store: MemorySpanStore;
  readonly url: string;
}

/** collector (both receivers) → in-process buffer → span ingester → memory store, in one process. */
async function startPipeline(): Promise<Pipeline> {
  const metrics = createMetrics();
  const logger = pino({ level: 'silent' });
  const buffer = new InProcessBuffer({ capacityBytes: 16 * 1024 * 1024, metrics, logger });
  const store = new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024, metrics });
  await new SpanIngester({ buffer, writer: store, logger, metrics }).start();
  const intake = new TraceIntake({
    buffer, metrics, logger, limits: { maxSpansPerRequest: 1000, maxAttributesPerSpan: 128, maxAttributeValueLength: 4096 },
  });
  const limits = { maxRequestBodyBytes: 1024 * 1024, maxDecompressedBodyBytes: 4 * 1024 * 1024 };
  const httpLogger: FastifyBaseLogger = logger;
  const app = Fastify({ loggerInstance: httpLogger });
  await app.register(zipkinHttp, { intake, metrics, limits });
  await app.register(otlpHttpTraces, { intake, metrics, limits });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, buffer, store, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

// Separate pipelines: both paths carry the same trace and span ids. Fresh ones per test, so
// spans of one case never join the (same) trace of the next.
let viaZipkin: Pipeline;
let viaOtlp: Pipeline;

beforeEach(async () => {
  [viaZipkin, viaOtlp] = await Promise.all([startPipeline(), startPipeline()]);
});

afterEach(async () => {
  for (const p of [viaZipkin, viaOtlp]) {
    await p.app.close();
    await p.buffer.stop();
  }
});

const KIND: Record<string, SpanKind> = { CLIENT: SpanKind.CLIENT, SERVER: SpanKind.SERVER };

/**
 * What Envoy's OpenTelemetry tracer reports for the same proxy span: the same ids, name, kind
 * and times, the same tags as string attributes, `error=true` as status ERROR, annotations as
 * events, and service.name = node.cluster.
 */
function otlpEquivalentOf(z: ZipkinJsonSpan): SpanRecord {
  const zipkin = z as {
    traceId: string; id: string; parentId?: string; kind: string; name: string; timestamp: number; duration: number;
    localEndpoint: { serviceName: string }; tags: Record<string, string>; annotations?: { timestamp: number; value: string }[];
  };
  const { error, ...tags } = zipkin.tags;
  return span({
    traceId: zipkin.traceId,
    spanId: zipkin.id,
    parentSpanId: zipkin.parentId ?? '',
    name: zipkin.name,
    kind: KIND[zipkin.kind],
    service: zipkin.localEndpoint.serviceName,
    startUs: zipkin.timestamp,
    durationUs: zipkin.duration,
    attrs: tags,
    events: (zipkin.annotations ?? []).map((a) => ({ name: a.value, timeUs: a.timestamp })),
    status: error === 'true' ? { code: StatusCode.ERROR } : undefined,
  });
}

async function send(p: Pipeline, path: string, body: Uint8Array | string, contentType: string): Promise<void> {
  const res = await fetch(`${p.url}${path}`, {
    method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': contentType },
  });
  expect(res.status, await res.text()).toBe(path === ZIPKIN_SPANS_PATH ? 202 : 200);
}

/** The stored trace once it holds `count` spans (ingestion is asynchronous). */
async function storedTrace(p: Pipeline, count: number): Promise<SpanRecord[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const spans = await p.store.getTrace(TRACE_ID);
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The Jaeger API's answer (`/api/traces/{id}` without raw), minus the Zipkin-only endpoint tags. */
function jaegerView(spans: readonly SpanRecord[]): JaegerTrace {
  const deduped = jaegerTraceView(spans, { maxClockSkewAdjustNanos: 0n });
  if (deduped === undefined) throw new Error('no trace stored');
  for (const s of deduped.spans) s.tags = s.tags.filter((t) => t.key !== 'net.host.ip' && t.key !== 'net.host.port');
  return deduped;
}

async function sendBoth(zipkinSpans: ZipkinJsonSpan[]): Promise<{ zipkin: SpanRecord[]; otlp: SpanRecord[] }> {
  await Promise.all([
    send(viaZipkin, ZIPKIN_SPANS_PATH, JSON.stringify(zipkinSpans), 'application/json'),
    send(viaOtlp, OTLP_TRACES_PATH, encodeTracesProtobuf(zipkinSpans.map(otlpEquivalentOf)), 'application/x-protobuf'),
  ]);
  return { zipkin: await storedTrace(viaZipkin, zipkinSpans.length), otlp: await storedTrace(viaOtlp, zipkinSpans.length) };
}

describe('Zipkin and OTLP reports of one request give the same Jaeger trace', () => {
  it('for an Istio hop (unshared ids) with a failed call and verbose annotations', async () => {
    const hop = [productpageInbound(), failedClientSpan(), reviewsInbound()];
    const { zipkin, otlp } = await sendBoth(hop);

    expect(zipkin).toHaveLength(3);
    const fromZipkin = jaegerView(zipkin);
    expect(fromZipkin).toEqual(jaegerView(otlp));
    // And the trace says what a user looks for: the failed client call, its flags, the two services.
    const client = fromZipkin.spans.find((s) => s.spanID === CLIENT_ID);
    expect(client?.tags).toEqual(expect.arrayContaining([
      { key: 'span.kind', type: 'string', value: 'client' },
      { key: 'error', type: 'bool', value: true },
      { key: 'response_flags', type: 'string', value: 'UH' },
    ]));
    expect(client?.logs.map((l) => l.fields[0].value)).toEqual(['first upstream tx byte sent', 'last upstream rx byte received']);
    expect(Object.values(fromZipkin.processes).map((p) => p.serviceName).sort()).toEqual(['productpage.default', 'reviews.default']);
  });

  it('for a shared-span-context hop: both halves are stored and the server half is shown under the client half', async () => {
    const { zipkin, otlp } = await sendBoth(sharedContextHop());

    // The memory store keys spans by id, service and kind: the two halves do not overwrite each other.
    const halves = zipkin.filter((s) => s.spanId === CLIENT_ID);
    expect(halves.map((s) => `${s.serviceName}/${s.kind}`).sort()).toEqual([
      `productpage.default/${SpanKind.CLIENT}`, `reviews.default/${SpanKind.SERVER}`,
    ]);
    const fromZipkin = jaegerView(zipkin);
    expect(fromZipkin).toEqual(jaegerView(otlp));
    const server = fromZipkin.spans.find((s) => fromZipkin.processes[s.processID].serviceName === 'reviews.default');
    expect(server?.spanID).not.toBe(CLIENT_ID);
    expect(server?.references).toEqual([{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: CLIENT_ID }]);
    const client = fromZipkin.spans.find((s) => s.spanID === CLIENT_ID);
    expect(client?.references).toEqual([{ refType: 'CHILD_OF', traceID: TRACE_ID, spanID: ROOT_ID }]);
  });

  it('differs only by the localEndpoint tags, which the Zipkin spans carry', async () => {
    const { zipkin } = await sendBoth(istioHop());
    const trace = toJaegerTrace(zipkin);
    const root = trace?.spans.find((s) => s.spanID === ROOT_ID);
    expect(root?.tags).toEqual(expect.arrayContaining([
      { key: 'net.host.ip', type: 'string', value: '10.244.1.17' },
      { key: 'net.host.port', type: 'int64', value: 9080 },
    ]));
  });
});
