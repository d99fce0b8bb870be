import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { accessLogId } from '../../shared/accesslog/id.js';
import { decodeLogsProtobuf, type OtlpLogRecord } from '../../shared/otlp/logs/logs-decode.js';
import { TooManyLogRecordsError, normalizeOtlpLogs, type LogLimits } from '../../shared/accesslog/logs-normalize.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import { CONNECTION_FAILURE_LINE, INBOUND_LINE, OUTBOUND_LINE, RETRIES_EXHAUSTED_LINE, TCP_LINE } from '../fixtures/istio-lines.js';
import {
  ExportLogsServiceRequest, POD_LABELS, SPAN_ID, TRACE_ID, bytesOfHex, envoyOtelAlsRequest, sdkLogRecords, type OtelAlsEntry,
} from '../fixtures/otlp-logs.js';

const LIMITS: LogLimits = { maxLogRecordsPerRequest: 1000, maxAttributesPerLogRecord: 128, maxAttributeValueLength: 4096 };
const RECEIVED_AT = 1_800_000_000_000_000_000n;

function normalizeAls(entries: readonly OtelAlsEntry[], resource: Record<string, string> = {}, limits = LIMITS) {
  return normalizeOtlpLogs(decodeLogsProtobuf(envoyOtelAlsRequest(entries, resource)), limits, RECEIVED_AT);
}

function one(entry: OtelAlsEntry, resource?: Record<string, string>): AccessLogRecord {
  const { records } = normalizeAls([entry], resource);
  expect(records).toHaveLength(1);
  return records[0];
}

/** Log records written with protobufjs from plain objects (for the cases the SDK cannot produce). */
function rawLogs(logRecords: Record<string, unknown>[], resource: Record<string, unknown> = {}): OtlpLogRecord[] {
  return decodeLogsProtobuf(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({
    resourceLogs: [{ resource, scopeLogs: [{ logRecords }] }],
  })).finish());
}

const withoutId = ({ id: _id, ...rest }: AccessLogRecord) => rest;

describe('envoyOtelAls records become access logs', () => {
  it('reads the inbound TEXT line field by field, with the pod labels naming the destination', () => {
    const record = one({
      line: INBOUND_LINE, labels: POD_LABELS.reviews, traceId: bytesOfHex(TRACE_ID), spanId: bytesOfHex(SPAN_ID),
    });
    expect(record).toMatchObject({
      kind: 'http',
      input: 'otlp',
      startTimeUnixNano: 1_787_307_302_126_000_000n,
      reporter: 'destination',
      method: 'GET',
      path: '/reviews/0',
      protocol: 'HTTP/1.1',
      responseCode: 200,
      responseFlags: [],
      responseCodeDetails: 'via_upstream',
      bytesReceived: 0,
      bytesSent: 358,
      durationUs: 20_000,
      upstreamServiceTimeMs: 19,
      userAgent: 'curl/8.5.0',
      requestId: '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11',
      authority: 'reviews:9080',
      upstreamHost: '10.244.1.17:9080',
      upstreamCluster: 'inbound|9080||',
      upstreamLocalAddress: '127.0.0.6:40313',
      downstreamLocalAddress: '10.244.1.17:9080',
      downstreamRemoteAddress: '10.244.2.9:51234',
      requestedServerName: 'outbound_.9080_._.reviews.default.svc.cluster.local',
      routeName: 'default',
      mtls: true,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      attributes: { pod: 'reviews-v1-5d8f7c9b6-x2kqp', namespace: 'default' },
    });
    expect(record.destination).toMatchObject({
      workload: 'reviews-v1',
      namespace: 'default',
      service: 'reviews.default.svc.cluster.local',
      serviceName: 'reviews',
    });
    expect(record.forwardedFor).toBeUndefined();
    expect(record.connectionTerminationDetails).toBeUndefined();
    expect(record.body).toBeUndefined();
    expect(record.id).toBe(accessLogId(withoutId(record)));
  });

  it('reads the outbound line with the pod labels naming the source, and peer labels the destination', () => {
    const record = one({
      line: OUTBOUND_LINE,
      labels: { ...POD_LABELS.productpage, destination_workload: 'reviews-v1', destination_canonical_revision: 'v1' },
    });
    expect(record.reporter).toBe('source');
    expect(record.source).toMatchObject({ workload: 'productpage-v1', namespace: 'default' });
    expect(record.destination).toMatchObject({ workload: 'reviews-v1', canonicalRevision: 'v1', serviceName: 'reviews' });
    expect(record.traceId).toBeUndefined();
  });

  it('reads a failed gRPC call: 503 with flag UF and its details', () => {
    const record = one({ line: CONNECTION_FAILURE_LINE });
    expect(record).toMatchObject({
      kind: 'http',
      method: 'POST',
      path: '/orders.v1.Orders/Create',
      protocol: 'HTTP/2',
      responseCode: 503,
      responseFlags: ['UF'],
      responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
      reporter: 'source',
    });
    expect(record.upstreamServiceTimeMs).toBeUndefined();
    expect(record.upstreamLocalAddress).toBeUndefined();
  });

  it('reads several flags', () => {
    expect(one({ line: RETRIES_EXHAUSTED_LINE }).responseFlags).toEqual(['UF', 'URX']);
  });

  it('reads a TCP line as a tcp entry with its byte counts', () => {
    const record = one({ line: TCP_LINE });
    expect(record).toMatchObject({
      kind: 'tcp',
      input: 'otlp',
      bytesReceived: 1532,
      bytesSent: 4210,
      durationUs: 60_012_000,
      upstreamCluster: 'outbound|5432||postgres.db.svc.cluster.local',
      reporter: 'source',
    });
    expect(record.method).toBeUndefined();
    expect(record.destination.serviceName).toBe('postgres');
  });

  it('takes the trace context from a traceparent label when the record has no ids', () => {
    const record = one({ line: OUTBOUND_LINE, labels: { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` } });
    expect(record.traceId).toBe(TRACE_ID);
    expect(record.spanId).toBe(SPAN_ID);
  });

  it('reads the proxy from Envoy\'s built-in labels when a non-Istio Envoy keeps them in the resource', () => {
    const record = one({ line: INBOUND_LINE }, {
      log_name: 'otel_envoy_accesslog',
      node_name: 'sidecar~10.244.1.17~reviews-v1-5d8f7c9b6-x2kqp.default~default.svc.cluster.local',
      cluster_name: 'reviews.default',
      zone_name: '',
    });
    expect(record.proxyNodeId).toBe('sidecar~10.244.1.17~reviews-v1-5d8f7c9b6-x2kqp.default~default.svc.cluster.local');
    expect(record.logName).toBe('otel_envoy_accesslog');
    expect(record.destination).toMatchObject({ workload: 'reviews-v1', namespace: 'default' });
    expect(record.attributes.cluster_name).toBe('reviews.default');
  });

  it('gives an entry sent twice the same id, and the two sidecars of a hop different ones', () => {
    const first = one({ line: INBOUND_LINE, labels: POD_LABELS.reviews });
    const again = one({ line: INBOUND_LINE, labels: POD_LABELS.reviews });
    const otherSide = one({ line: OUTBOUND_LINE, labels: POD_LABELS.productpage });
    expect(again.id).toBe(first.id);
    expect(otherSide.id).not.toBe(first.id);
  });
});

describe('other records become plain logs', () => {
  it('keeps an SDK log: body, severity, trace ids, service as source, attributes as strings', () => {
    const [error, info] = normalizeOtlpLogs(decodeLogsProtobuf(ProtobufLogsSerializer.serializeRequest(sdkLogRecords())!), LIMITS, RECEIVED_AT).records;
    expect(error).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      kind: 'log',
      input: 'otlp',
      startTimeUnixNano: 1_787_307_302_500_000_000n,
      reporter: 'unknown',
      responseFlags: [],
      body: 'payment declined for order 42',
      severityText: 'ERROR',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      source: { workload: 'checkout', namespace: 'shop' },
      destination: {},
      attributes: {
        'order.id': '42',
        retryable: 'false',
        'payment.provider': 'acme',
        tags: '["card","eu"]',
        'service.name': 'checkout',
        'k8s.namespace.name': 'shop',
        'otel.scope.name': 'checkout-logger',
        'otel.scope.version': '2.0.1',
      },
    });
    // A map body as JSON text; no severity text, so the number's name.
    expect(info.body).toBe('{"event":"cart.updated","items":3}');
    expect(info.severityText).toBe('INFO2');
    expect(info.traceId).toBeUndefined();
  });

  it('keeps an Istio line as a plain log when the resource names a service (not envoyOtelAls)', () => {
    const [record] = normalizeOtlpLogs(rawLogs(
      [{ timeUnixNano: '1787307302126000000', body: { stringValue: INBOUND_LINE } }],
      { attributes: [{ key: 'service.name', value: { stringValue: 'log-forwarder' } }] },
    ), LIMITS, RECEIVED_AT).records;
    expect(record.kind).toBe('log');
    expect(record.body).toBe(INBOUND_LINE);
  });

  it('keeps a body that starts like a line but is not one as a plain log', () => {
    const [record] = normalizeOtlpLogs(rawLogs([{ body: { stringValue: '[INFO] server started on :8080' } }]), LIMITS, RECEIVED_AT).records;
    expect(record).toMatchObject({ kind: 'log', body: '[INFO] server started on :8080', startTimeUnixNano: RECEIVED_AT });
  });

  it('uses the observed time when the record has no time of its own', () => {
    const [record] = normalizeOtlpLogs(rawLogs([{ observedTimeUnixNano: '1787307302600000000', body: { stringValue: 'x' } }]), LIMITS, RECEIVED_AT).records;
    expect(record.startTimeUnixNano).toBe(1_787_307_302_600_000_000n);
  });

  it('writes non-string bodies as text and leaves an absent body absent', () => {
    const records = normalizeOtlpLogs(rawLogs([
      { body: { intValue: '9007199254740993' } },
      { body: { bytesValue: Buffer.from('hi') } },
      { body: { arrayValue: { values: [{ doubleValue: 0.5 }, { boolValue: true }, {}] } } },
      {},
    ]), LIMITS, RECEIVED_AT).records;
    expect(records.map((r) => r.body)).toEqual(['9007199254740993', 'aGk=', '[0.5,true,null]', undefined]);
  });
});

describe('validation and limits', () => {
  it('rejects records with malformed ids one by one and says which and why', () => {
    const result = normalizeOtlpLogs(rawLogs([
      { body: { stringValue: 'good' } },
      { body: { stringValue: 'short trace id' }, traceId: bytesOfHex('abcd') },
      { body: { stringValue: 'long span id' }, spanId: bytesOfHex('0102030405060708090a') },
      { body: { stringValue: 'also good' }, traceId: bytesOfHex(TRACE_ID) },
    ]), LIMITS, RECEIVED_AT);
    expect(result.records.map((r) => r.body)).toEqual(['good', 'also good']);
    expect(result.rejected).toBe(2);
    expect(result.rejectedByReason).toEqual({ invalid_trace_id: 1, invalid_span_id: 1 });
    expect(result.errorMessage).toBe(
      '2 log records rejected: 1 with an invalid trace id (must be empty or 16 bytes (32 hex characters); '
      + 'first: resourceLogs[0].scopeLogs[0].logRecords[1] trace id "abcd"), 1 with an invalid span id '
      + '(must be empty or 8 bytes (16 hex characters); first: resourceLogs[0].scopeLogs[0].logRecords[2] span id "0102030405060708090a")',
    );
  });

  it('reads an all-zero trace id as "not linked to a trace", not as an error', () => {
    const result = normalizeOtlpLogs(rawLogs([{ body: { stringValue: 'x' }, traceId: new Uint8Array(16), spanId: new Uint8Array(8) }]), LIMITS, RECEIVED_AT);
    expect(result.rejected).toBe(0);
    expect(result.records[0].traceId).toBeUndefined();
    expect(result.records[0].spanId).toBeUndefined();
  });

  it('refuses a request with more records than the limit, whole', () => {
    const logs = rawLogs([{}, {}, {}]);
    expect(() => normalizeOtlpLogs(logs, { ...LIMITS, maxLogRecordsPerRequest: 2 })).toThrow(TooManyLogRecordsError);
    expect(() => normalizeOtlpLogs(logs, { ...LIMITS, maxLogRecordsPerRequest: 2 })).toThrow(/3 log records, more than the limit of 2/);
  });

  it('keeps the first attributes up to the limit (record before resource) and counts the rest', () => {
    const result = normalizeOtlpLogs(rawLogs(
      [{ attributes: ['a', 'b', 'c'].map((key) => ({ key, value: { stringValue: key } })) }],
      { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
    ), { ...LIMITS, maxAttributesPerLogRecord: 2 }, RECEIVED_AT);
    expect(result.records[0].attributes).toEqual({ a: 'a', b: 'b' });
    expect(result.attributesDropped).toBe(2);
  });

  it('cuts long attribute values and bodies to the limit and counts each cut', () => {
    const result = normalizeOtlpLogs(rawLogs([
      { body: { stringValue: 'x'.repeat(50) }, attributes: [{ key: 'sql', value: { stringValue: 'SELECT '.repeat(10) } }] },
    ]), { ...LIMITS, maxAttributeValueLength: 16 }, RECEIVED_AT);
    expect(result.records[0].body).toBe('x'.repeat(16));
    expect(result.records[0].attributes.sql).toBe('SELECT SELECT SE');
    expect(result.valuesTruncated).toBe(2);
  });

  it('cuts an over-long access-log field and identifies the entry by what is stored', () => {
    const longPath = `/search?q=${'a'.repeat(200)}`;
    const line = OUTBOUND_LINE.replace('/reviews/0', longPath);
    const limits = { ...LIMITS, maxAttributeValueLength: 64 };
    const first = normalizeAls([{ line }], {}, limits);
    const again = normalizeAls([{ line }], {}, limits);
    const [record] = first.records;
    expect(record.path).toBe(longPath.slice(0, 64));
    expect(first.valuesTruncated).toBe(1);
    expect(record.id).toBe(accessLogId(withoutId(record)));
    expect(again.records[0].id).toBe(record.id);
  });
});
