import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RetryInfo, RpcStatus } from '../support/proto-root.js';
import { LOGS_EXPORT_GRPC_PATH } from '../../services/collector/receivers/otlp/otlp-logs-grpc.js';
import { INBOUND_LINE, OUTBOUND_LINE, TCP_LINE } from '../fixtures/istio-lines.js';
import {
  ExportLogsServiceRequest, ExportLogsServiceResponse, POD_LABELS, SPAN_ID, TRACE_ID, bytesOfHex, envoyOtelAlsRequest,
  sdkLogRecords,
} from '../fixtures/otlp-logs.js';
import {
  LIMITS, exportWith, grpcLogsExporter, startLogsReceivers, type RunningLogsReceivers,
} from '../support/receivers-otlp-logs-harness.js';
import { counterValue } from '../support/self-metrics.js';
import { unaryRaw, type RawCallResult } from '../support/grpc-raw.js';

let running: RunningLogsReceivers;
let plain: grpc.Client;
let gzipped: grpc.Client;

beforeAll(async () => {
  running = await startLogsReceivers();
  plain = new grpc.Client(running.grpcTarget, grpc.credentials.createInsecure());
  gzipped = new grpc.Client(running.grpcTarget, grpc.credentials.createInsecure(), {
    'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
  });
});

afterAll(async () => {
  plain.close();
  gzipped.close();
  await running.stop();
});

beforeEach(() => {
  running.received.length = 0;
});

/** One raw Export call: bytes in, bytes out, so malformed requests can be sent. */
function exportRaw(client: grpc.Client, body: Uint8Array): Promise<RawCallResult> {
  return unaryRaw(client, LOGS_EXPORT_GRPC_PATH, body);
}

function partialOf(response: Buffer | undefined): { rejectedLogRecords: number; errorMessage: string } {
  const decoded = ExportLogsServiceResponse.toObject(ExportLogsServiceResponse.decode(response ?? Buffer.alloc(0)), {
    longs: Number,
    defaults: true,
  }) as { partialSuccess?: { rejectedLogRecords: number; errorMessage: string } };
  return decoded.partialSuccess ?? { rejectedLogRecords: 0, errorMessage: '' };
}

describe('LogsService/Export', () => {
  it('stores SDK logs sent by the OpenTelemetry gRPC exporter as plain logs', async () => {
    const exporter = grpcLogsExporter(running.grpcTarget);
    const result = await exportWith(exporter, sdkLogRecords('payments'));
    await exporter.shutdown();
    expect(result.code).toBe(0);
    const [error] = await running.waitForRecords(2);
    expect(error).toMatchObject({
      kind: 'log', body: 'payment declined for order 42', severityText: 'ERROR', traceId: TRACE_ID, source: { workload: 'payments' },
    });
  });

  it.each([
    ['uncompressed', () => plain],
    ['gzip-compressed', () => gzipped],
  ])('stores envoyOtelAls entries sent %s as access logs', async (_name, client) => {
    const { response, error } = await exportRaw(client(), envoyOtelAlsRequest([
      { line: INBOUND_LINE, labels: POD_LABELS.reviews, traceId: bytesOfHex(TRACE_ID), spanId: bytesOfHex(SPAN_ID) },
      { line: TCP_LINE, labels: POD_LABELS.productpage },
    ]));
    expect(error).toBeUndefined();
    expect(response).toHaveLength(0);
    const [http, tcp] = await running.waitForRecords(2);
    expect(http).toMatchObject({
      kind: 'http',
      input: 'otlp',
      reporter: 'destination',
      path: '/reviews/0',
      responseCode: 200,
      requestId: '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11',
      traceId: TRACE_ID,
      destination: { workload: 'reviews-v1', namespace: 'default' },
    });
    expect(tcp).toMatchObject({ kind: 'tcp', bytesSent: 4210, source: { workload: 'productpage-v1' } });
    expect(await counterValue(running.metrics, 'accessLogsAccepted', { transport: 'otlp_grpc', kind: 'tcp' })).toBeGreaterThanOrEqual(1);
  });

  it('answers INVALID_ARGUMENT for a truncated message', async () => {
    const body = envoyOtelAlsRequest([{ line: INBOUND_LINE }]);
    const { error } = await exportRaw(plain, body.subarray(0, body.length - 10));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/^invalid protobuf ExportLogsServiceRequest/);
  });

  it('rejects a record with a bad span id through partial success and keeps the rest', async () => {
    const body = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({
      resourceLogs: [{
        scopeLogs: [{
          logRecords: [
            { body: { stringValue: OUTBOUND_LINE } , timeUnixNano: '1787307302123000000' },
            { body: { stringValue: 'broken sender' }, spanId: bytesOfHex('0102') },
          ],
        }],
      }],
    })).finish();
    const { response, error } = await exportRaw(plain, body);
    expect(error).toBeUndefined();
    expect(partialOf(response)).toEqual({
      rejectedLogRecords: 1,
      errorMessage: expect.stringMatching(/^1 log record rejected: 1 with an invalid span id .*logRecords\[1\] span id "0102"/),
    });
    const records = await running.waitForRecords(1);
    expect(records.map((r) => r.kind)).toEqual(['http']);
  });

  it('answers INVALID_ARGUMENT for more records than the limit', async () => {
    const logRecords = Array.from({ length: LIMITS.maxLogRecordsPerRequest + 1 }, () => ({ body: { stringValue: 'x' } }));
    const body = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] })).finish();
    const { error } = await exportRaw(plain, body);
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(/501 log records, more than the limit of 500 \(MESHTEL_MAX_LOG_RECORDS_PER_REQUEST\)/);
    expect(await counterValue(running.metrics, 'requestsRefused', { transport: 'otlp_grpc', reason: 'too_many_log_records' })).toBe(1);
  });

  it('answers UNAVAILABLE with RetryInfo when the buffer is full, and takes good data afterwards', async () => {
    const entries = Array.from({ length: 400 }, (_, i) => ({ line: INBOUND_LINE.replace('/reviews/0', `/reviews/${i}`), labels: POD_LABELS.reviews }));
    const { error } = await exportRaw(plain, envoyOtelAlsRequest(entries));
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    const [details] = error?.metadata.get('grpc-status-details-bin') ?? [];
    const status = RpcStatus.decode(details as Buffer) as unknown as { details: Array<{ type_url?: string; typeUrl?: string; value: Uint8Array }> };
    const retry = RetryInfo.toObject(RetryInfo.decode(status.details[0].value), { longs: Number }) as { retryDelay: { seconds: number } };
    expect(retry.retryDelay.seconds).toBe(1);

    const { error: after } = await exportRaw(plain, envoyOtelAlsRequest([{ line: INBOUND_LINE, labels: POD_LABELS.reviews }]));
    expect(after).toBeUndefined();
    const records = await running.waitForRecords(1);
    expect(records).toHaveLength(1);
  });
});
