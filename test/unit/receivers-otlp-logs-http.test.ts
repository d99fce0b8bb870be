import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { RpcStatus } from '../support/proto-root.js';
import { CONNECTION_FAILURE_LINE, INBOUND_LINE, OUTBOUND_LINE, TCP_LINE } from '../fixtures/istio-lines.js';
import {
  ExportLogsServiceRequest, POD_LABELS, SPAN_ID, TRACE_ID, bytesOfHex, envoyOtelAlsJson, envoyOtelAlsRequest, sdkLogRecords,
} from '../fixtures/otlp-logs.js';
import {
  LIMITS, exportWith, httpJsonLogsExporter, httpProtobufLogsExporter, startLogsReceivers, type RunningLogsReceivers,
} from '../support/receivers-otlp-logs-harness.js';
import { counterValue } from '../support/self-metrics.js';

let running: RunningLogsReceivers;

beforeAll(async () => {
  running = await startLogsReceivers();
});

afterAll(async () => {
  await running.stop();
});

beforeEach(() => {
  running.received.length = 0;
});

function post(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${running.httpUrl}/v1/logs`, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers });
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

function byPath(records: AccessLogRecord[]): Map<string | undefined, AccessLogRecord> {
  return new Map(records.map((r) => [r.path ?? r.kind, r]));
}

describe('POST /v1/logs with the OpenTelemetry JS exporters', () => {
  it.each([
    ['protobuf', httpProtobufLogsExporter, CompressionAlgorithm.NONE],
    ['JSON', httpJsonLogsExporter, CompressionAlgorithm.NONE],
    ['gzipped protobuf', httpProtobufLogsExporter, CompressionAlgorithm.GZIP],
  ] as const)('stores SDK logs sent as %s as plain logs', async (_name, makeExporter, compression) => {
    const exporter = makeExporter(running.httpUrl, compression);
    const result = await exportWith(exporter, sdkLogRecords());
    await exporter.shutdown();
    expect(result.code).toBe(0);

    const [error, info] = await running.waitForRecords(2);
    expect(error).toMatchObject({
      kind: 'log',
      input: 'otlp',
      body: 'payment declined for order 42',
      severityText: 'ERROR',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      source: { workload: 'checkout', namespace: 'shop' },
      attributes: { 'order.id': '42', retryable: 'false', 'payment.provider': 'acme' },
    });
    expect(info).toMatchObject({ kind: 'log', body: '{"event":"cart.updated","items":3}', severityText: 'INFO2' });
    expect(running.received[0].key).toBe(TRACE_ID);
  });
});

describe('POST /v1/logs with envoyOtelAls records', () => {
  it('stores HTTP and TCP entries as access logs, field by field, and answers an empty success', async () => {
    const body = envoyOtelAlsRequest([
      { line: INBOUND_LINE, labels: POD_LABELS.reviews, traceId: bytesOfHex(TRACE_ID), spanId: bytesOfHex(SPAN_ID) },
      { line: CONNECTION_FAILURE_LINE, labels: POD_LABELS.productpage },
      { line: TCP_LINE, labels: POD_LABELS.productpage },
    ]);
    const response = await post(body, PROTOBUF);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    expect((await response.arrayBuffer()).byteLength).toBe(0);

    const records = byPath(await running.waitForRecords(3));
    expect(records.get('/reviews/0')).toMatchObject({
      kind: 'http',
      input: 'otlp',
      reporter: 'destination',
      method: 'GET',
      responseCode: 200,
      durationUs: 20_000,
      mtls: true,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      destination: { workload: 'reviews-v1', namespace: 'default', serviceName: 'reviews' },
    });
    expect(records.get('/orders.v1.Orders/Create')).toMatchObject({
      kind: 'http', responseCode: 503, responseFlags: ['UF'], reporter: 'source', source: { workload: 'productpage-v1' },
    });
    expect(records.get('tcp')).toMatchObject({ kind: 'tcp', bytesReceived: 1532, bytesSent: 4210, reporter: 'source' });
  });

  it('takes the same entries as gzipped JSON (an OTel Collector forwarding them)', async () => {
    const body = gzipSync(envoyOtelAlsJson([{ line: OUTBOUND_LINE, labels: POD_LABELS.productpage }]));
    const response = await post(body, { ...JSON_TYPE, 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{}');
    const [record] = await running.waitForRecords(1);
    expect(record).toMatchObject({ kind: 'http', reporter: 'source', path: '/reviews/0', source: { workload: 'productpage-v1' } });
  });
});

describe('POST /v1/logs refusals', () => {
  it('answers 400 with a google.rpc.Status for truncated protobuf', async () => {
    const body = envoyOtelAlsRequest([{ line: INBOUND_LINE }]);
    const response = await post(body.subarray(0, body.length - 10), PROTOBUF);
    expect(response.status).toBe(400);
    const status = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await response.arrayBuffer()))) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^invalid protobuf ExportLogsServiceRequest at resourceLogs\[0\].*truncated/);
  });

  it('answers 415 for a media type OTLP does not define', async () => {
    const before = await counterValue(running.metrics, 'requestsRefused', { transport: 'otlp_http', reason: 'unsupported_media_type' });
    const response = await post('hello', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect((await response.json()) as unknown).toMatchObject({ code: 3, message: expect.stringMatching(/unsupported Content-Type 'text\/plain'/) });
    expect(await counterValue(running.metrics, 'requestsRefused', { transport: 'otlp_http', reason: 'unsupported_media_type' })).toBe(before + 1);
  });

  it('answers 400 for invalid JSON, naming the problem', async () => {
    const response = await post('{"resourceLogs": [', JSON_TYPE);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^invalid JSON/);
  });

  it('rejects a record with a bad trace id through partial success and keeps the rest', async () => {
    const body = JSON.stringify({
      resourceLogs: [{
        scopeLogs: [{
          logRecords: [
            { body: { stringValue: 'kept before' } },
            { body: { stringValue: 'bad' }, traceId: 'abc123' },
            { body: { stringValue: 'kept after' } },
          ],
        }],
      }],
    });
    const response = await post(body, JSON_TYPE);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { partialSuccess: { rejectedLogRecords: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedLogRecords).toBe('1');
    expect(answer.partialSuccess.errorMessage).toMatch(/invalid trace id .*logRecords\[1\] trace id "abc123"/);
    const records = await running.waitForRecords(2);
    expect(records.map((r) => r.body)).toEqual(['kept before', 'kept after']);
    expect(await counterValue(running.metrics, 'accessLogsRefused', { transport: 'otlp_http', reason: 'invalid_trace_id' })).toBeGreaterThanOrEqual(1);
  });

  it('answers 413 for more records than MESHTEL_MAX_LOG_RECORDS_PER_REQUEST and buffers none', async () => {
    const logRecords = Array.from({ length: LIMITS.maxLogRecordsPerRequest + 1 }, () => ({ body: { stringValue: 'x' } }));
    const body = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] })).finish();
    const response = await post(body, PROTOBUF);
    expect(response.status).toBe(413);
    const status = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await response.arrayBuffer()))) as { message: string };
    expect(status.message).toMatch(/MESHTEL_MAX_LOG_RECORDS_PER_REQUEST/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(running.received).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the buffer is full, and takes good data afterwards', async () => {
    // A few hundred entries are more than the whole buffer holds: refused all or nothing.
    const entries = Array.from({ length: 400 }, (_, i) => ({ line: INBOUND_LINE.replace('/reviews/0', `/reviews/${i}`), labels: POD_LABELS.reviews }));
    const refused = await post(envoyOtelAlsRequest(entries), PROTOBUF);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const status = RpcStatus.toObject(RpcStatus.decode(new Uint8Array(await refused.arrayBuffer()))) as { code: number; message: string };
    expect(status.code).toBe(14);
    expect(status.message).toMatch(/buffer full/);

    const accepted = await post(envoyOtelAlsRequest([{ line: INBOUND_LINE, labels: POD_LABELS.reviews }]), PROTOBUF);
    expect(accepted.status).toBe(200);
    const records = await running.waitForRecords(1);
    expect(records).toHaveLength(1);
    expect(records[0].path).toBe('/reviews/0');
  });

  it('answers 405 to other methods on /v1/logs', async () => {
    const response = await fetch(`${running.httpUrl}/v1/logs`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});
