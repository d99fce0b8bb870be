import { describe, expect, it } from 'vitest';
import { decodeLogsProtobuf } from '../../shared/otlp/logs/logs-decode.js';
import { accessLogKey, decodeAccessLogsProtobuf, encodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { AnyValue } from '../../shared/model/span.js';
import { OtlpDecodeError } from '../../shared/wire/decode-errors.js';
import { ExportLogsServiceRequest } from '../fixtures/otlp-logs.js';

/** Every field set: productpage's sidecar logs its gRPC call to reviews (outbound, mTLS, retried). */
const HTTP_RECORD: AccessLogRecord = {
  id: '3f0b5c1d9e2a4b6c8d7e6f5a4b3c2d1e',
  kind: 'http',
  input: 'als',
  startTimeUnixNano: 1_787_307_302_123_456_789n,
  durationUs: 24_317,
  reporter: 'source',
  method: 'POST',
  path: '/reviews.v1.Reviews/Get?lang=en&page=2',
  authority: 'reviews.default.svc.cluster.local:9080',
  scheme: 'http',
  protocol: 'HTTP/2',
  userAgent: 'grpc-go/1.64.0',
  requestId: '6d4f2c1a-8f3e-4b7e-9a51-2f0c9d3e7b11',
  forwardedFor: '203.0.113.45, 10.244.0.5',
  responseCode: 503,
  responseFlags: ['UF', 'URX'],
  responseCodeDetails: 'upstream_reset_before_response_started{connection_failure}',
  connectionTerminationDetails: 'remote_reset',
  upstreamTransportFailureReason: 'delayed_connect_error:_Connection_refused',
  grpcStatus: '14',
  upstreamServiceTimeMs: 23,
  bytesReceived: 412,
  bytesSent: 91,
  upstreamCluster: 'outbound|9080|v1|reviews.default.svc.cluster.local',
  upstreamHost: '10.244.1.17:9080',
  upstreamLocalAddress: '10.244.2.9:51234',
  downstreamLocalAddress: '10.96.112.40:9080',
  downstreamRemoteAddress: '10.244.2.9:48812',
  requestedServerName: 'outbound_.9080_.v1_.reviews.default.svc.cluster.local',
  routeName: 'reviews.v1',
  mtls: true,
  source: {
    workload: 'productpage-v1',
    namespace: 'default',
    canonicalService: 'productpage',
    canonicalRevision: 'v1',
    app: 'productpage',
    version: 'v1',
    cluster: 'Kubernetes',
    principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
  },
  destination: {
    workload: 'reviews-v1',
    namespace: 'default',
    canonicalService: 'reviews',
    canonicalRevision: 'v1',
    app: 'reviews',
    version: 'v1',
    cluster: 'Kubernetes',
    principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
    service: 'reviews.default.svc.cluster.local',
    serviceName: 'reviews',
    serviceNamespace: 'default',
  },
  proxyNodeId: 'sidecar~10.244.2.9~productpage-v1-6b746f74dc-9stvs.default~default.svc.cluster.local',
  logName: 'http_envoy_accesslog',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  attributes: { 'request.header.content-type': 'application/grpc', 'custom.tag': 'canary' },
};

/** Only what a TCP entry has: no HTTP fields at all, which must stay absent (not become ''). */
const TCP_RECORD: AccessLogRecord = {
  id: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf',
  kind: 'tcp',
  input: 'lines',
  startTimeUnixNano: 1_787_307_360_000_000_000n,
  durationUs: 60_012_000,
  reporter: 'source',
  responseCode: 0,
  responseFlags: [],
  bytesReceived: 1532,
  bytesSent: 4210,
  upstreamCluster: 'outbound|5432||postgres.db.svc.cluster.local',
  upstreamHost: '10.244.4.8:5432',
  downstreamRemoteAddress: '10.244.2.9:36618',
  source: {},
  destination: { service: 'postgres.db.svc.cluster.local', serviceName: 'postgres', serviceNamespace: 'db' },
  attributes: {},
};

/** A plain application log, whose attributes include names the codec itself uses. */
const LOG_RECORD: AccessLogRecord = {
  id: '0123456789abcdef0123456789abcdef',
  kind: 'log',
  input: 'otlp',
  startTimeUnixNano: 1_787_307_302_500_000_000n,
  reporter: 'unknown',
  responseFlags: [],
  body: 'payment declined for order 42',
  severityText: 'ERROR',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  source: { workload: 'checkout', namespace: 'shop' },
  destination: {},
  attributes: {
    'order.id': '42',
    // Same names as fields: must come back as attributes, not as the fields.
    'http.request.method': 'PATCH',
    'meshtel.accesslog.kind': 'http',
    'istio.source_workload': 'impostor',
    ['__proto__']: 'not a prototype',
  },
};

function roundTrip(records: readonly AccessLogRecord[]): AccessLogRecord[] {
  return decodeAccessLogsProtobuf(encodeAccessLogsProtobuf(records));
}

/** Attributes of the n-th encoded LogRecord, by key. */
function encodedAttributes(record: AccessLogRecord): Map<string, AnyValue> {
  const [log] = decodeLogsProtobuf(encodeAccessLogsProtobuf([record]));
  return new Map(log.attributes.map((kv) => [kv.key, kv.value]));
}

describe('access-log OTLP codec round trip', () => {
  it('gives back an HTTP record with every field set, field for field', () => {
    expect(roundTrip([HTTP_RECORD])).toStrictEqual([HTTP_RECORD]);
  });

  it('keeps absent fields of a TCP record absent', () => {
    const [back] = roundTrip([TCP_RECORD]);
    expect(back).toStrictEqual(TCP_RECORD);
    expect('method' in back).toBe(false);
    expect('path' in back).toBe(false);
  });

  it('gives back a plain log, including attributes named like the fields and __proto__', () => {
    const [back] = roundTrip([LOG_RECORD]);
    expect(back).toStrictEqual(LOG_RECORD);
    expect(back.method).toBeUndefined();
    expect(back.kind).toBe('log');
    expect(back.source).toEqual({ workload: 'checkout', namespace: 'shop' });
    expect(Object.getPrototypeOf(back.attributes)).toBe(Object.prototype);
    expect(Object.keys(back.attributes)).toContain('__proto__');
  });

  it('keeps several records of mixed kinds in order', () => {
    expect(roundTrip([TCP_RECORD, HTTP_RECORD, LOG_RECORD])).toStrictEqual([TCP_RECORD, HTTP_RECORD, LOG_RECORD]);
  });

  it.each<[string, Partial<AccessLogRecord>]>([
    ['a path ending in an empty query', { path: '/search?' }],
    ['a path that is only a query', { path: '?a=1' }],
    ['an empty path', { path: '' }],
    ['an authority without a port', { authority: 'reviews' }],
    ['an IPv6 authority with a port', { authority: '[fd00::1]:8080' }],
    ['a bare IPv6 authority', { authority: 'fd00::1' }],
    ['an authority whose port has a leading zero', { authority: 'reviews:09080' }],
    ['an authority with an empty port', { authority: 'reviews:' }],
    ['a protocol that is not HTTP/x', { protocol: 'h2c' }],
    ['a lower-case http protocol', { protocol: 'http' }],
    ['HTTP/1.0', { protocol: 'HTTP/1.0' }],
    ['a non-numeric gRPC status', { grpcStatus: 'UNAVAILABLE' }],
    ['a gRPC status with a leading zero', { grpcStatus: '014' }],
    ['a fractional upstream service time', { upstreamServiceTimeMs: 1.5 }],
    ['a negative zero', { bytesSent: -0 }],
    ['a byte count above 2^53', { bytesReceived: 2 ** 60 }],
    ['mTLS false', { mtls: false }],
    ['an empty severity and body', { severityText: '', body: '' }],
    ['a severity text that is not an OTLP name', { severityText: 'notice' }],
    ['one empty response flag', { responseFlags: [''] }],
    ['a start time of zero', { startTimeUnixNano: 0n }],
    ['the largest start time', { startTimeUnixNano: 2n ** 64n - 1n }],
    ['a waypoint reporter', { reporter: 'waypoint' }],
    ['non-ASCII text', { path: '/suche/straße?q=café', userAgent: 'Mozilla/5.0 (日本語)' }],
  ])('gives back %s exactly', (_name, change) => {
    const record = { ...HTTP_RECORD, ...change };
    expect(roundTrip([record])).toStrictEqual([record]);
  });

  it('encodes no records as an empty request and decodes it to none', () => {
    expect(encodeAccessLogsProtobuf([])).toHaveLength(0);
    expect(decodeAccessLogsProtobuf(new Uint8Array(0))).toEqual([]);
  });
});

describe('access-log OTLP codec on the wire', () => {
  it('writes semantic-convention attribute names with their conventional types', () => {
    const attrs = encodedAttributes(HTTP_RECORD);
    expect(attrs.get('http.request.method')).toEqual({ type: 'string', value: 'POST' });
    expect(attrs.get('url.path')).toEqual({ type: 'string', value: '/reviews.v1.Reviews/Get' });
    expect(attrs.get('url.query')).toEqual({ type: 'string', value: 'lang=en&page=2' });
    expect(attrs.get('server.address')).toEqual({ type: 'string', value: 'reviews.default.svc.cluster.local' });
    expect(attrs.get('server.port')).toEqual({ type: 'int', value: 9080n });
    expect(attrs.get('url.scheme')).toEqual({ type: 'string', value: 'http' });
    expect(attrs.get('network.protocol.name')).toEqual({ type: 'string', value: 'http' });
    expect(attrs.get('network.protocol.version')).toEqual({ type: 'string', value: '2' });
    expect(attrs.get('user_agent.original')).toEqual({ type: 'string', value: 'grpc-go/1.64.0' });
    expect(attrs.get('http.response.status_code')).toEqual({ type: 'int', value: 503n });
    expect(attrs.get('rpc.grpc.status_code')).toEqual({ type: 'int', value: 14n });
    expect(attrs.get('tls.client.server_name')).toEqual({ type: 'string', value: HTTP_RECORD.requestedServerName });
    expect(attrs.get('log.record.uid')).toEqual({ type: 'string', value: HTTP_RECORD.id });
  });

  it('writes Istio metric label names for the hop and meshtel names for Envoy notions', () => {
    const attrs = encodedAttributes(HTTP_RECORD);
    expect(attrs.get('istio.reporter')).toEqual({ type: 'string', value: 'source' });
    expect(attrs.get('istio.source_workload')).toEqual({ type: 'string', value: 'productpage-v1' });
    expect(attrs.get('istio.source_workload_namespace')).toEqual({ type: 'string', value: 'default' });
    expect(attrs.get('istio.destination_canonical_service')).toEqual({ type: 'string', value: 'reviews' });
    expect(attrs.get('istio.destination_service_name')).toEqual({ type: 'string', value: 'reviews' });
    expect(attrs.get('istio.destination_principal')).toEqual({ type: 'string', value: HTTP_RECORD.destination.principal });
    expect(attrs.get('meshtel.accesslog.response_flags')).toEqual({ type: 'string', value: 'UF,URX' });
    expect(attrs.get('meshtel.accesslog.upstream_cluster')).toEqual({ type: 'string', value: HTTP_RECORD.upstreamCluster });
    expect(attrs.get('meshtel.accesslog.duration_us')).toEqual({ type: 'int', value: 24_317n });
    expect(attrs.get('meshtel.accesslog.mtls')).toEqual({ type: 'bool', value: true });
    expect(attrs.get('meshtel.accesslog.kind')).toEqual({ type: 'string', value: 'http' });
    expect(attrs.get('meshtel.accesslog.input')).toEqual({ type: 'string', value: 'als' });
    // Free-form attributes stay under their own names.
    expect(attrs.get('custom.tag')).toEqual({ type: 'string', value: 'canary' });
  });

  it('writes no attribute for an absent field and no response flags attribute when there are none', () => {
    const attrs = encodedAttributes(TCP_RECORD);
    for (const key of ['http.request.method', 'url.path', 'server.address', 'meshtel.accesslog.response_flags', 'meshtel.accesslog.mtls']) {
      expect(attrs.has(key), key).toBe(false);
    }
  });

  it('moves free-form attributes that collide with field names into one map attribute', () => {
    const attrs = encodedAttributes(LOG_RECORD);
    expect(attrs.get('http.request.method')).toBeUndefined();
    expect(attrs.get('meshtel.accesslog.kind')).toEqual({ type: 'string', value: 'log' });
    const reserved = attrs.get('meshtel.accesslog.attributes');
    expect(reserved?.type).toBe('kvlist');
    expect(reserved?.type === 'kvlist' && reserved.value.map((kv) => kv.key).sort()).toEqual(
      ['http.request.method', 'istio.source_workload', 'meshtel.accesslog.kind'],
    );
  });

  it('is a valid ExportLogsServiceRequest for an independent decoder: times, ids, body and severity', () => {
    const bytes = encodeAccessLogsProtobuf([HTTP_RECORD, LOG_RECORD]);
    const decoded = ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(bytes), { longs: String, bytes: String }) as {
      resourceLogs: Array<{ scopeLogs: Array<{ scope: { name: string }; logRecords: Array<Record<string, unknown>> }> }>;
    };
    const [scopeLogs] = decoded.resourceLogs[0].scopeLogs;
    expect(scopeLogs.scope.name).toBe('meshtel.accesslog');
    const [http, log] = scopeLogs.logRecords;
    expect(http.timeUnixNano).toBe('1787307302123456789');
    expect(Buffer.from(http.traceId as string, 'base64').toString('hex')).toBe(HTTP_RECORD.traceId);
    expect(Buffer.from(http.spanId as string, 'base64').toString('hex')).toBe(HTTP_RECORD.spanId);
    expect(http.body).toBeUndefined();
    expect(log.body).toEqual({ stringValue: 'payment declined for order 42' });
    expect(log.severityText).toBe('ERROR');
    expect(log.severityNumber).toBe(17);
    expect(log.spanId).toBeUndefined();
  });

  it('refuses truncated bytes with an OtlpDecodeError', () => {
    const bytes = encodeAccessLogsProtobuf([HTTP_RECORD]);
    expect(() => decodeAccessLogsProtobuf(bytes.subarray(0, bytes.length - 7))).toThrow(OtlpDecodeError);
    expect(() => decodeAccessLogsProtobuf(bytes.subarray(0, bytes.length - 7))).toThrow(/truncated/);
  });
});

describe('accessLogKey', () => {
  it('is the trace id when the record has one', () => {
    expect(accessLogKey(HTTP_RECORD)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('is the destination workload without a trace id', () => {
    expect(accessLogKey({ ...HTTP_RECORD, traceId: undefined })).toBe('reviews-v1');
  });

  it('falls back to the destination service, then the emitting service of a plain log, then "unknown"', () => {
    expect(accessLogKey(TCP_RECORD)).toBe('postgres.db.svc.cluster.local');
    expect(accessLogKey({ ...LOG_RECORD, traceId: undefined })).toBe('checkout');
    expect(accessLogKey({ ...TCP_RECORD, destination: {} })).toBe('unknown');
  });
});
