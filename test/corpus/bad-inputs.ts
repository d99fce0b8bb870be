/**
 * Inputs a hostile or broken client sends, one case each, with the answer meshtel must give:
 * status and a message that names the problem (never a stack trace or a backend's own text).
 * Replayed by test/e2e/bad-input-corpus.test.ts against every receiver and query endpoint of a
 * running process; add a case here whenever a new bad input is found.
 */
import { gzipSync } from 'node:zlib';

export type Listener = 'otlpHttp' | 'zipkin' | 'query';

export interface HttpCase {
  readonly kind: 'http';
  readonly name: string;
  readonly listener: Listener;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
  readonly status: number;
  /** Matched against the response body text. */
  readonly message: RegExp;
  /** Only against the Elasticsearch-backed query role (extreme windows reach the backend there). */
  readonly storage?: 'any' | 'elasticsearch';
}

export interface GrpcCase {
  readonly kind: 'grpc';
  readonly name: string;
  readonly path: string;
  readonly encoding?: string;
  /** One framed message (flag byte, length, payload). */
  readonly frame: Buffer;
  readonly status: number;
  readonly message: RegExp;
}

export type BadInput = HttpCase | GrpcCase;

const frame = (payload: Buffer, compressed = false): Buffer => {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
};

const MAX = '9007199254740991';
/** Field 1, wire type 2, a length running past the end: truncated protobuf. */
const TRUNCATED_PROTOBUF = Buffer.from([0x0a, 0xff, 0x01, 0x00]);
const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };

const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const LOGS_EXPORT = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const METRICS_EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export const BAD_INPUTS: readonly BadInput[] = [
  // OTLP/HTTP
  { kind: 'http', name: 'traces: truncated protobuf', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: PROTO_TYPE, body: TRUNCATED_PROTOBUF, status: 400, message: /./ },
  { kind: 'http', name: 'traces: JSON that is not JSON', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: JSON_TYPE, body: '{"resourceSpans": [', status: 400, message: /JSON/i },
  { kind: 'http', name: 'traces: JSON of the wrong shape', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: JSON_TYPE, body: '{"resourceSpans": 7}', status: 400, message: /resourceSpans/ },
  // A bad id rejects the span, not the request: OTLP partial success.
  { kind: 'http', name: 'traces: a trace id that is not hex', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: JSON_TYPE,
    body: '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708","name":"x"}]}]}]}', status: 200, message: /"rejectedSpans":"1".*invalid trace id/ },
  { kind: 'http', name: 'traces: a span at 1 ns (clock skew)', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: JSON_TYPE,
    body: '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0102030405060708","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}', status: 200, message: /"rejectedSpans":"1".*MESHTEL_MAX_CLOCK_SKEW/ },
  { kind: 'http', name: 'traces: unsupported media type', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: { 'content-type': 'text/plain' }, body: 'hello', status: 415, message: /text\/plain/ },
  { kind: 'http', name: 'traces: unsupported content coding', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: { ...PROTO_TYPE, 'content-encoding': 'br' }, body: 'x', status: 415, message: /'br'/ },
  { kind: 'http', name: 'traces: corrupt gzip', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: { ...PROTO_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(Buffer.from('x'.repeat(100))).subarray(0, 12), status: 400, message: /gzip/ },
  { kind: 'http', name: 'traces: gzip bomb', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: { ...PROTO_TYPE, 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(17 * 1024 * 1024)), status: 413, message: /MESHTEL_MAX_DECOMPRESSED_BODY_BYTES/ },
  { kind: 'http', name: 'traces: body over the request limit', listener: 'otlpHttp', method: 'POST', path: '/v1/traces', headers: PROTO_TYPE, body: Buffer.alloc(4 * 1024 * 1024 + 1), status: 413, message: /MESHTEL_MAX_REQUEST_BODY_BYTES/ },
  { kind: 'http', name: 'traces: GET', listener: 'otlpHttp', method: 'GET', path: '/v1/traces', status: 405, message: /POST/ },
  { kind: 'http', name: 'logs: truncated protobuf', listener: 'otlpHttp', method: 'POST', path: '/v1/logs', headers: PROTO_TYPE, body: TRUNCATED_PROTOBUF, status: 400, message: /./ },
  { kind: 'http', name: 'metrics: JSON of the wrong shape', listener: 'otlpHttp', method: 'POST', path: '/v1/metrics', headers: JSON_TYPE, body: '{"resourceMetrics": "no"}', status: 400, message: /resourceMetrics/ },
  { kind: 'http', name: 'access-log lines: unsupported media type', listener: 'otlpHttp', method: 'POST', path: '/v1/accesslogs', headers: { 'content-type': 'image/png' }, body: 'x', status: 415, message: /image\/png/ },
  // Zipkin
  { kind: 'http', name: 'zipkin: JSON that is not JSON', listener: 'zipkin', method: 'POST', path: '/api/v2/spans', headers: JSON_TYPE, body: '[{', status: 400, message: /JSON/i },
  { kind: 'http', name: 'zipkin: a span without an id', listener: 'zipkin', method: 'POST', path: '/api/v2/spans', headers: JSON_TYPE, body: '[{"traceId":"0102030405060708"}]', status: 400, message: /id/ },
  { kind: 'http', name: 'zipkin: v1 spans', listener: 'zipkin', method: 'POST', path: '/api/v1/spans', headers: JSON_TYPE, body: '[]', status: 404, message: /v1/ },
  // Query APIs
  { kind: 'http', name: 'query: limit that is not a number', listener: 'query', method: 'GET', path: '/api/traces?service=a&limit=abc', status: 400, message: /limit/ },
  { kind: 'http', name: 'query: duration that is not a duration', listener: 'query', method: 'GET', path: '/api/traces?service=a&minDuration=abc', status: 400, message: /minDuration/ },
  { kind: 'http', name: 'query: trace id that is not hex', listener: 'query', method: 'GET', path: '/api/traces/not-a-trace-id', status: 400, message: /trace/i },
  { kind: 'http', name: 'query: access-log limit over the maximum', listener: 'query', method: 'GET', path: '/api/v1/accesslogs?limit=100000', status: 400, message: /limit/ },
  { kind: 'http', name: 'query: dependencies over the whole number range', listener: 'query', method: 'GET', path: `/api/dependencies?endTs=${MAX}&lookback=${MAX}`, status: 200, message: /"data":\[/ },
  { kind: 'http', name: 'query: traces over the whole number range', listener: 'query', method: 'GET', path: `/api/traces?service=nobody&start=-${MAX}&end=${MAX}`, status: 200, message: /"data":\[\]/ },
  { kind: 'http', name: 'query: access logs over the whole number range', listener: 'query', method: 'GET', path: `/api/v1/accesslogs?start=-${MAX}&end=${MAX}`, status: 200, message: /"data":\[/ },
  { kind: 'http', name: 'query: unknown path', listener: 'query', method: 'GET', path: '/api/nothing', status: 404, message: /"errors":\[\{"code":404/ },
  { kind: 'http', name: 'query: DELETE with a JSON body', listener: 'query', method: 'DELETE', path: '/api/services', headers: JSON_TYPE, body: '{"a":1}', status: 404, message: /"errors":\[\{"code":404/ },
  { kind: 'http', name: 'query: OPTIONS with a body', listener: 'query', method: 'OPTIONS', path: '/api/traces', headers: { 'content-type': 'text/plain' }, body: 'x', status: 404, message: /"errors":\[\{"code":404/ },
  // OTLP/gRPC
  { kind: 'grpc', name: 'gRPC traces: truncated protobuf', path: TRACE_EXPORT, frame: frame(TRUNCATED_PROTOBUF), status: 3, message: /./ },
  { kind: 'grpc', name: 'gRPC logs: truncated protobuf', path: LOGS_EXPORT, frame: frame(TRUNCATED_PROTOBUF), status: 3, message: /./ },
  { kind: 'grpc', name: 'gRPC metrics: truncated protobuf', path: METRICS_EXPORT, frame: frame(TRUNCATED_PROTOBUF), status: 3, message: /./ },
  { kind: 'grpc', name: 'gRPC: compressed frame without grpc-encoding', path: TRACE_EXPORT, frame: frame(gzipSync(Buffer.alloc(10)), true), status: 13, message: /grpc-encoding/ },
  { kind: 'grpc', name: 'gRPC: unknown grpc-encoding', path: TRACE_EXPORT, encoding: 'snappy-nope', frame: frame(Buffer.alloc(10), true), status: 12, message: /snappy-nope/ },
  { kind: 'grpc', name: 'gRPC: gzip bomb', path: TRACE_EXPORT, encoding: 'gzip', frame: frame(gzipSync(Buffer.alloc(17 * 1024 * 1024)), true), status: 8, message: /decompresses|MESHTEL_MAX_BODY_BYTES_IN_FLIGHT/ },
];
