/**
 * The headers an ALS logger was told to log (Istio: additionalRequestHeadersToLog,
 * additionalResponseHeadersToLog, additionalResponseTrailersToLog). Those that carry a record field
 * (trace context, gRPC status, upstream service time) fill it; the others are kept as attributes
 * under the Envoy operator that prints them (`REQ(CONTENT-TYPE)`, `RESP(…)`, `TRAILER(…)`), the
 * same keys the access-log line parsers use for operators without a field, so a header logged
 * through ALS and through a custom TEXT format lands under one name.
 */
import { dictionary } from './dictionary.js';

export interface HeaderFields {
  traceId?: string;
  spanId?: string;
  grpcStatus?: string;
  upstreamServiceTimeMs?: number;
  attributes: Record<string, string>;
}

type Reader = (out: HeaderFields, value: string) => void;

const REQUEST: Readonly<Record<string, Reader>> = Object.assign(dictionary<Reader>(), {
  // W3C trace context: version-traceid-parentid-flags. The parent id is the caller's span.
  traceparent: (out: HeaderFields, value: string) => {
    const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}/.exec(value.trim().toLowerCase());
    if (match && !isZero(match[1]) && !isZero(match[2])) {
      out.traceId = match[1];
      out.spanId = match[2];
    }
  },
  'x-b3-traceid': (out: HeaderFields, value: string) => {
    out.traceId = traceIdOf(value) ?? out.traceId;
  },
  'x-b3-spanid': (out: HeaderFields, value: string) => {
    out.spanId = spanIdOf(value) ?? out.spanId;
  },
  // Single-header B3: {traceid}-{spanid}[-{sampled}[-{parent}]].
  b3: (out: HeaderFields, value: string) => {
    const [trace = '', span = ''] = value.split('-');
    const traceId = traceIdOf(trace);
    const spanId = spanIdOf(span);
    if (traceId && spanId) {
      out.traceId = traceId;
      out.spanId = spanId;
    }
  },
});

const RESPONSE: Readonly<Record<string, Reader>> = Object.assign(dictionary<Reader>(), {
  // Set by Envoy: the upstream's processing time in whole milliseconds.
  'x-envoy-upstream-service-time': (out: HeaderFields, value: string) => {
    if (/^\d{1,9}$/.test(value.trim())) out.upstreamServiceTimeMs = Number(value.trim());
  },
  // A trailers-only gRPC response carries grpc-status in its headers.
  'grpc-status': (out: HeaderFields, value: string) => {
    if (/^\d{1,2}$/.test(value.trim())) out.grpcStatus = value.trim();
  },
});

/** Reads logged headers into `out`; header names arrive lower-case from Envoy. */
export function readLoggedHeaders(
  out: HeaderFields,
  request: Readonly<Record<string, string>> | undefined,
  response: Readonly<Record<string, string>> | undefined,
  trailers: Readonly<Record<string, string>> | undefined,
): void {
  if (request) apply(out, request, REQUEST, 'REQ');
  if (response) apply(out, response, RESPONSE, 'RESP');
  // Trailers last: in a normal gRPC response the status is there, and it is the final word.
  if (trailers) apply(out, trailers, RESPONSE, 'TRAILER');
}

function apply(out: HeaderFields, headers: Readonly<Record<string, string>>, readers: Readonly<Record<string, Reader>>, operator: Operator): void {
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    const read = readers[name.toLowerCase()];
    if (read) read(out, value);
    else out.attributes[attributeKey(operator, name)] = value;
  }
}

type Operator = 'REQ' | 'RESP' | 'TRAILER';

// A proxy logs the same few headers on every entry: each attribute key is built once.
const attributeKeys: Record<Operator, Map<string, string>> = { REQ: new Map(), RESP: new Map(), TRAILER: new Map() };

function attributeKey(operator: Operator, name: string): string {
  const keys = attributeKeys[operator];
  let key = keys.get(name);
  if (key === undefined) {
    key = `${operator}(${name.toUpperCase()})`;
    // Header names come from configuration, so they are few; the bound guards against a sender inventing them.
    if (keys.size < 1024) keys.set(name, key);
  }
  return key;
}

function isZero(hex: string): boolean {
  return /^0+$/.test(hex);
}

/** 32 lower-case hex; a 64-bit (16 hex) B3 id is left-padded as OpenTelemetry does. */
function traceIdOf(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (!/^([0-9a-f]{16}|[0-9a-f]{32})$/.test(v) || isZero(v)) return undefined;
  return v.padStart(32, '0');
}

function spanIdOf(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  return /^[0-9a-f]{16}$/.test(v) && !isZero(v) ? v : undefined;
}
