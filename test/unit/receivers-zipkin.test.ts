/**
 * The Zipkin v2 receiver mounted on its own fastify app on a free port, in front of a real
 * TraceIntake and InProcessBuffer: what Envoy's Zipkin tracer sends is answered 202 and buffered
 * as OTLP, bad input gets Zipkin's statuses with a plain-text reason, and nothing else is harmed.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../shared/buffer/buffer.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import { protoRoot } from '../support/proto-root.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { createMetrics, type MeshtelMetrics } from '../support/metrics.js';
import { decodeZipkinSpansJson } from '../../shared/zipkin/spans.js';
import { TraceIntake } from '../../services/collector/intake/trace-intake.js';
import { ZIPKIN_SPANS_PATH, zipkinHttp } from '../../services/collector/receivers/zipkin/zipkin-http.js';
import { CLIENT_ID, ROOT_ID, TRACE_ID, failedClientSpan, istioHop, sharedContextHop } from '../fixtures/zipkin.js';
import { counterValue } from '../support/self-metrics.js';

const KiB = 1024;

interface ZipkinApp {
  readonly app: FastifyInstance;
  readonly buffer: InProcessBuffer;
  readonly metrics: MeshtelMetrics;
  readonly url: string;
  /** Records the buffer delivered to its subscriber (none when started without one). */
  readonly delivered: ConsumedRecord[];
}

async function startZipkinApp(options: { capacityBytes?: number; subscribe?: boolean } = {}): Promise<ZipkinApp> {
  const metrics = createMetrics();
  const logger = pino({ level: 'silent' });
  const buffer = new InProcessBuffer({ capacityBytes: options.capacityBytes ?? 8 * 1024 * KiB, metrics, logger });
  const delivered: ConsumedRecord[] = [];
  if (options.subscribe ?? true) await buffer.subscribe('spans', async (records) => void delivered.push(...records));
  const intake = new TraceIntake({
    buffer,
    metrics,
    logger,
    limits: { maxSpansPerRequest: 100, maxAttributesPerSpan: 128, maxAttributeValueLength: 4096 },
  });
  const httpLogger: FastifyBaseLogger = logger;
  const app = Fastify({ loggerInstance: httpLogger });
  await app.register(zipkinHttp, {
    intake,
    metrics,
    limits: { maxRequestBodyBytes: 64 * KiB, maxDecompressedBodyBytes: 256 * KiB },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, buffer, metrics, url: `http://127.0.0.1:${port}`, delivered };
}

let zipkin: ZipkinApp;

beforeAll(async () => {
  zipkin = await startZipkinApp();
});

afterAll(async () => {
  await zipkin.app.close();
  await zipkin.buffer.stop();
});

afterEach(() => {
  zipkin.delivered.length = 0;
});

function post(body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/json' }, path = ZIPKIN_SPANS_PATH): Promise<Response> {
  return fetch(`${zipkin.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
}

/** Waits (up to 5 s) until the buffer handed its subscriber at least `minSpans` spans, then decodes them. */
async function bufferedSpans(minSpans: number): Promise<SpanRecord[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const spans = zipkin.delivered.flatMap((r) => decodeTracesProtobuf(r.value));
    if (spans.length >= minSpans || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Spans in a stable order for comparisons (buffer records are regrouped per trace and resource). */
function byIdAndKind(spans: readonly SpanRecord[]): SpanRecord[] {
  return [...spans].sort((a, b) => `${a.spanId}/${a.kind}`.localeCompare(`${b.spanId}/${b.kind}`));
}

describe('Zipkin receiver with Envoy spans', () => {
  it('answers 202 with an empty body and buffers the spans of a trace as one OTLP record keyed by trace id', async () => {
    const body = JSON.stringify(istioHop());
    const res = await post(body);

    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    const spans = await bufferedSpans(3);
    expect(zipkin.delivered.map((r) => [r.topic, r.key])).toEqual([['spans', TRACE_ID]]);
    expect(byIdAndKind(spans)).toEqual(byIdAndKind(decodeZipkinSpansJson(body)));
  });

  it('keeps both halves of a shared span id through the buffer', async () => {
    const res = await post(JSON.stringify(sharedContextHop()));
    expect(res.status).toBe(202);
    const halves = (await bufferedSpans(3)).filter((s) => s.spanId === CLIENT_ID);
    expect(halves.map((s) => [s.kind, s.serviceName, s.parentSpanId]).sort()).toEqual([
      [SpanKind.SERVER, 'reviews.default', ROOT_ID],
      [SpanKind.CLIENT, 'productpage.default', ROOT_ID],
    ].sort());
  });

  it('accepts a gzip-compressed body and a JSON body sent without Content-Type', async () => {
    const gz = await post(gzipSync(JSON.stringify([failedClientSpan()])), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(gz.status).toBe(202);
    const bare = await fetch(`${zipkin.url}${ZIPKIN_SPANS_PATH}`, { method: 'POST', body: new Uint8Array(Buffer.from(JSON.stringify(istioHop()))) });
    expect(bare.status).toBe(202);
    const spans = await bufferedSpans(4);
    expect(spans).toHaveLength(4);
    expect(spans.filter((s) => s.status.code === StatusCode.ERROR)).toHaveLength(1);
  });

  it('accepts application/x-protobuf (ListOfSpans)', async () => {
    const ListOfSpans = protoRoot.lookupType('zipkin.proto3.ListOfSpans');
    const body = ListOfSpans.encode(ListOfSpans.fromObject({
      spans: [{
        traceId: Buffer.from(TRACE_ID, 'hex'), id: Buffer.from(CLIENT_ID, 'hex'), kind: 1, name: 'proto-span',
        timestamp: '1767225600123456', duration: '10', localEndpoint: { serviceName: 'proto.default' },
      }],
    })).finish();
    const res = await post(body, { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(202);
    const [span] = await bufferedSpans(1);
    expect(span).toMatchObject({ traceId: TRACE_ID, spanId: CLIENT_ID, name: 'proto-span', kind: SpanKind.CLIENT, serviceName: 'proto.default' });
    expect(span.startTimeUnixNano).toBe(1_767_225_600_123_456_000n);
  });

  it('counts received and accepted spans under transport zipkin', async () => {
    const before = await counterValue(zipkin.metrics, 'spansAccepted', { transport: 'zipkin' });
    const received = await counterValue(zipkin.metrics, 'spansReceived', { transport: 'zipkin' });
    expect((await post(JSON.stringify(istioHop()))).status).toBe(202);
    expect(await counterValue(zipkin.metrics, 'spansAccepted', { transport: 'zipkin' })).toBe(before + 3);
    expect(await counterValue(zipkin.metrics, 'spansReceived', { transport: 'zipkin' })).toBe(received + 3);
    // Let delivery finish so it cannot land in the next test's observations.
    expect(await bufferedSpans(3)).toHaveLength(3);
  });
});

describe('Zipkin receiver refusals', () => {
  async function expectRefusal(res: Response, status: number, message: RegExp): Promise<void> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(message);
  }

  it('answers 400 naming the problem for malformed JSON, a non-array body and a bad trace id, and buffers nothing', async () => {
    const refusedBefore = await counterValue(zipkin.metrics, 'requestsRefused', { transport: 'zipkin', reason: 'decode_error' });
    await expectRefusal(await post('[{"traceId":'), 400, /^body is not valid JSON/);
    await expectRefusal(await post(JSON.stringify(istioHop()[0])), 400, /^body must be a JSON array of Zipkin v2 spans, got an object$/);
    const badId = [...istioHop(), { traceId: 'not-hex', id: CLIENT_ID }];
    await expectRefusal(await post(JSON.stringify(badId)), 400, /^invalid Zipkin v2 JSON at spans\[3\]\.traceId: must be 1 to 32 hex characters, got "not-hex"$/);
    await expectRefusal(await post(JSON.stringify([{ traceId: '0'.repeat(32), id: CLIENT_ID }])), 400, /spans\[0\]\.traceId: must not be all zeros/);

    expect(await counterValue(zipkin.metrics, 'requestsRefused', { transport: 'zipkin', reason: 'decode_error' })).toBe(refusedBefore + 4);
    // The good spans of the refused request were not buffered either: Zipkin refuses whole requests.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(zipkin.delivered).toEqual([]);
  });

  it('answers 400 for a corrupt gzip body', async () => {
    await expectRefusal(await post('not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 400, /^body is not valid gzip data/);
  });

  it('answers 413 for a body over the request limit and for one that decompresses past the limit', async () => {
    const huge = JSON.stringify(Array.from({ length: 200 }, () => istioHop()).flat());
    expect(huge.length).toBeGreaterThan(64 * KiB);
    await expectRefusal(await post(huge), 413, /larger than the limit/);
    const bomb = gzipSync(Buffer.alloc(1024 * KiB, 0x20));
    expect(bomb.length).toBeLessThan(64 * KiB);
    await expectRefusal(await post(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, /decompresses to more than 262144 bytes/);
  });

  it('answers 413 for more spans than a request may carry', async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ traceId: TRACE_ID, id: (i + 1).toString(16) }));
    await expectRefusal(await post(JSON.stringify(many)), 413, /carries 101 spans, more than the limit of 100/);
  });

  it('answers 415 for a Content-Type or Content-Encoding it does not decode', async () => {
    await expectRefusal(await post(JSON.stringify(istioHop()), { 'content-type': 'text/plain' }), 415, /unsupported Content-Type 'text\/plain'; send application\/json/);
    await expectRefusal(await post(JSON.stringify(istioHop()), { 'content-type': 'application/json', 'content-encoding': 'br' }), 415, /unsupported Content-Encoding 'br'/);
    expect(await counterValue(zipkin.metrics, 'requestsRefused', { transport: 'zipkin', reason: 'unsupported_media_type' })).toBe(2);
  });

  it('answers 404 saying so for Zipkin v1, and 405 for other methods on the v2 path', async () => {
    await expectRefusal(await post('[]', { 'content-type': 'application/json' }, '/api/v1/spans'), 404, /Zipkin v1 spans are not supported; send Zipkin v2 JSON or protobuf to \/api\/v2\/spans/);
    const get = await fetch(`${zipkin.url}${ZIPKIN_SPANS_PATH}`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('still answers 202 to a good request after all those refusals', async () => {
    expect((await post(JSON.stringify(istioHop()))).status).toBe(202);
    expect(await bufferedSpans(3)).toHaveLength(3);
  });
});

describe('Zipkin receiver while the buffer is full', () => {
  it('answers 503 with Retry-After so the sender keeps its spans', async () => {
    const full = await startZipkinApp({ capacityBytes: 512, subscribe: false });
    try {
      const res = await fetch(`${full.url}${ZIPKIN_SPANS_PATH}`, {
        method: 'POST', body: JSON.stringify(istioHop()), headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.text()).toMatch(/^cannot take data now, retry later: in-process buffer full/);
      expect(await counterValue(full.metrics, 'spansRefused', { transport: 'zipkin', reason: 'buffer_full' })).toBe(3);
    } finally {
      await full.app.close();
    }
  });
});
