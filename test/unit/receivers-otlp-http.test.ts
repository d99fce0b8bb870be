import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { createGzip, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { ExportTraceServiceResponse, RpcStatus } from '../support/proto-root.js';
import {
  MiB,
  comparableFromRecords,
  comparableFromSdk,
  exportWith,
  idBytes,
  rawTraceRequest,
  sdkSpans,
  startCollector,
  testConfig,
  type RunningCollector,
} from '../support/receivers-harness.js';
import { counterValue } from '../support/self-metrics.js';
import { waitUntil } from '../support/poll.js';

type Compression = NonNullable<NonNullable<ConstructorParameters<typeof OtlpProtoExporter>[0]>['compression']>;

let running: RunningCollector;
let tracesUrl: string;

beforeAll(async () => {
  running = await startCollector();
  tracesUrl = `${running.httpUrl}/v1/traces`;
});

afterAll(async () => {
  await running.collector.stop();
});

afterEach(() => {
  running.buffer.refuse = undefined;
  running.buffer.gate = undefined;
  running.buffer.clear();
});

function post(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  // A copy typed as Uint8Array<ArrayBuffer>, which is what fetch's BodyInit accepts.
  return fetch(tracesUrl, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
}

async function protobufStatus(res: Response): Promise<{ code: number; message: string }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
  const decoded = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await res.arrayBuffer())), { longs: Number });
  return { code: Number(decoded.code ?? 0), message: String(decoded.message ?? '') };
}

async function protobufPartial(res: Response): Promise<{ rejectedSpans: number; errorMessage: string }> {
  const decoded = ExportTraceServiceResponse.toObject(
    ExportTraceServiceResponse.decode(new Uint8Array(await res.arrayBuffer())),
    { longs: Number, defaults: true },
  ) as { partialSuccess?: { rejectedSpans: number; errorMessage: string } };
  return decoded.partialSuccess ?? { rejectedSpans: 0, errorMessage: '' };
}

const good = { traceId: idBytes(0xab, 16), spanId: idBytes(0x01, 8), name: 'good' };

describe('OTLP/HTTP receiver with real OpenTelemetry exporters', () => {
  it('buffers spans sent by the protobuf exporter, unchanged', async () => {
    const spans = sdkSpans();
    const result = await exportWith(new OtlpProtoExporter({ url: tracesUrl }), spans);

    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
    expect(running.buffer.records.map((r) => r.key)).toEqual([spans[0].spanContext().traceId]);
  });

  it('buffers spans sent by the protobuf exporter with gzip compression', async () => {
    const spans = sdkSpans('gzip-sender');
    const result = await exportWith(new OtlpProtoExporter({ url: tracesUrl, compression: 'gzip' as Compression }), spans);

    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
  });

  it('buffers spans sent by the JSON exporter, unchanged', async () => {
    const spans = sdkSpans('json-sender');
    const result = await exportWith(new OtlpJsonExporter({ url: tracesUrl }), spans);

    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
  });
});

describe('OTLP/HTTP receiver answers', () => {
  it('answers success in protobuf for a protobuf request, with nothing rejected', async () => {
    const res = await post(rawTraceRequest([good]), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    expect(await protobufPartial(res)).toEqual({ rejectedSpans: 0, errorMessage: '' });
    expect(running.buffer.spans().map((s) => s.name)).toEqual(['good']);
  });

  it('accepts application/protobuf and a deflate-compressed body', async () => {
    const res = await post(deflateSync(rawTraceRequest([good])), {
      'content-type': 'application/protobuf',
      'content-encoding': 'deflate',
    });
    expect(res.status).toBe(200);
    expect(running.buffer.spans()).toHaveLength(1);
  });

  it('keeps good spans and reports zero or short ids as partial success (protobuf)', async () => {
    const body = rawTraceRequest([
      good,
      { traceId: idBytes(0, 16), spanId: idBytes(0x02, 8), name: 'zero-trace' },
      { traceId: idBytes(0xab, 16), spanId: idBytes(0x03, 4), name: 'short-span' },
    ]);
    const res = await post(body, { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(200);
    const partial = await protobufPartial(res);
    expect(partial.rejectedSpans).toBe(2);
    expect(partial.errorMessage).not.toBe('');
    expect(running.buffer.spans().map((s) => s.name)).toEqual(['good']);
  });

  it('keeps good spans and reports bad ids as partial success in JSON for a JSON request', async () => {
    const span = (traceId: string, spanId: string, name: string) => ({
      traceId,
      spanId,
      name,
      kind: 2,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000001000000',
    });
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-raw' } }] },
          scopeSpans: [
            {
              spans: [
                span('ab'.repeat(16), '01'.repeat(8), 'good'),
                span('', '02'.repeat(8), 'empty-trace'),
                span('ab'.repeat(16), '00'.repeat(8), 'zero-span'),
              ],
            },
          ],
        },
      ],
    });
    const res = await post(body, { 'content-type': 'application/json; charset=utf-8' });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const json = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number } };
    expect(Number(json.partialSuccess?.rejectedSpans)).toBe(2);
    expect(running.buffer.spans().map((s) => [s.name, s.serviceName])).toEqual([['good', 'json-raw']]);
  });

  it('answers an empty protobuf request with success', async () => {
    const res = await post(new Uint8Array(0), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(running.buffer.records).toHaveLength(0);
  });

  it('answers a truncated protobuf body with 400 and a Status naming the problem', async () => {
    const whole = rawTraceRequest([good]);
    const res = await post(whole.subarray(0, whole.length - 7), { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(400);
    const status = await protobufStatus(res);
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/truncated/);
    expect(running.buffer.records).toHaveLength(0);
    expect(await counterValue(running.metrics, 'requestsRefused', { transport: 'otlp_http', reason: 'decode_error' })).toBeGreaterThan(0);
  });

  it('answers invalid JSON with 400 and a JSON Status', async () => {
    const res = await post('{"resourceSpans": [', { 'content-type': 'application/json' });

    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const status = (await res.json()) as { code?: number; message?: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/invalid JSON/);
  });

  it('answers a corrupt gzip body with 400', async () => {
    const res = await post(gzipSync(rawTraceRequest([good])).subarray(0, 15), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(400);
    expect((await protobufStatus(res)).message).toMatch(/gzip/);
  });

  it('answers an unsupported Content-Type with 415 naming it', async () => {
    const res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    const status = (await res.json()) as { message: string };
    expect(status.message).toMatch(/text\/plain/);
  });

  it('answers an unsupported Content-Encoding with 415 naming it', async () => {
    const res = await post(rawTraceRequest([good]), { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    expect((await protobufStatus(res)).message).toMatch(/'br'/);
  });

  it('answers GET with 405', async () => {
    const res = await fetch(tracesUrl);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers a body over the request limit with 413', async () => {
    const res = await post(new Uint8Array(testConfig.maxRequestBodyBytes + 1), { 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(413);
    expect((await protobufStatus(res)).message).toMatch(/MESHTEL_MAX_REQUEST_BODY_BYTES/);
  });

  it('answers a request with more spans than allowed with 413 naming the limit, buffering nothing', async () => {
    const spans = Array.from({ length: testConfig.maxSpansPerRequest + 1 }, (_, i) => ({
      traceId: idBytes(0xcd, 16),
      spanId: Buffer.from(String(i + 1).padStart(16, '0'), 'hex'),
      name: `s${i}`,
    }));
    const res = await post(rawTraceRequest(spans), { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(413);
    expect((await protobufStatus(res)).message).toMatch(new RegExp(`limit of ${testConfig.maxSpansPerRequest}`));
    expect(running.buffer.records).toHaveLength(0);
  });

  it('answers a gzip bomb with 413 without inflating it in memory', async () => {
    // 512 MiB of zeros compresses to about 0.5 MiB: under the body limit, far over the
    // decompressed limit (4 MiB). Built by streaming so the test itself stays small.
    const bomb = await gzipOfZeros(512 * MiB);
    expect(bomb.length).toBeLessThan(testConfig.maxRequestBodyBytes);
    const rssBefore = process.memoryUsage().rss;

    const res = await post(bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });

    expect(res.status).toBe(413);
    expect((await protobufStatus(res)).message).toMatch(/MESHTEL_MAX_DECOMPRESSED_BODY_BYTES/);
    const grownMiB = (process.memoryUsage().rss - rssBefore) / MiB;
    expect(grownMiB).toBeLessThan(64);
  });

  it('answers 503 with Retry-After and a Status while the buffer is full', async () => {
    running.buffer.refuse = new BufferFullError('buffer holds 64 MiB', 2);
    const res = await post(rawTraceRequest([good]), { 'content-type': 'application/x-protobuf' });

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    const status = await protobufStatus(res);
    expect(status.code).toBe(14);
    expect(status.message).toMatch(/buffer holds 64 MiB/);
  });

  it('answers 503 with Retry-After in JSON while the buffer is unavailable', async () => {
    running.buffer.refuse = new BufferUnavailableError('kafka unreachable');
    const res = await post('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"' + 'ab'.repeat(16) + '","spanId":"' + '01'.repeat(8) + '","name":"x"}]}]}]}', {
      'content-type': 'application/json',
    });

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const status = (await res.json()) as { code: number; message: string; details: Array<Record<string, string>> };
    expect(status.code).toBe(14);
    expect(status.message).toMatch(/kafka unreachable/);
    expect(status.details).toEqual([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '5s' }]);
  });

  it('still accepts good requests after all the bad ones', async () => {
    const spans = sdkSpans('after-bad');
    const result = await exportWith(new OtlpProtoExporter({ url: tracesUrl }), spans);
    expect(result.code).toBe(0);
    expect(comparableFromRecords(running.buffer.spans())).toEqual(comparableFromSdk(spans));
  });
});

describe('OTLP/HTTP receiver shutdown', () => {
  it('finishes a request in flight before stop() resolves', async () => {
    const own = await startCollector();
    let open!: () => void;
    own.buffer.gate = new Promise((resolve) => (open = resolve));
    const inFlight = fetch(`${own.httpUrl}/v1/traces`, {
      method: 'POST',
      body: new Uint8Array(rawTraceRequest([good])),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    await waitUntil('the request to be received', async () => (await counterValue(own.metrics, 'spansReceived', { transport: 'otlp_http' })) > 0);

    let stopped = false;
    const stopping = own.collector.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    open();

    expect((await inFlight).status).toBe(200);
    await stopping;
    expect(own.buffer.spans()).toHaveLength(1);
  });
});

async function gzipOfZeros(bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const zeros = Buffer.alloc(MiB);
  for (let written = 0; written < bytes; written += zeros.length) {
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  await new Promise((resolve) => {
    gzip.once('end', resolve);
    gzip.end();
  });
  return Buffer.concat(chunks);
}

