/**
 * What each Envoy access-log operator means for an AccessLogRecord: `%RESPONSE_CODE%` → responseCode,
 * `%REQ(:AUTHORITY)%` → authority, `%REQ(TRACEPARENT)%` → trace and span id … Used by the TEXT
 * parser (operators of the compiled format) and the JSON parser (Istio's keys name the same
 * operators), so both read a value the same way. Operators with no field here are kept in
 * `attributes` under their name (`ENVIRONMENT(POD_NAME)`), so custom formats lose nothing.
 */
import { AccessLogParseError, quoteValue } from './errors.js';
import type { AccessLogDraft } from './record-draft.js';

export interface OperatorRef {
  /** Upper case, e.g. `REQ`. */
  readonly command: string;
  readonly args?: string;
}

type Setter = (draft: AccessLogDraft, value: string, field: string, op: OperatorRef) => void;

/**
 * Applies one operator value to the draft. `-` (Envoy's "missing") sets nothing. `field` names
 * the value in errors (`%RESPONSE_CODE% (field 5)` for TEXT, `response_code` for JSON).
 * Throws AccessLogParseError when the value cannot be what the operator prints.
 */
export function applyOperator(draft: AccessLogDraft, op: OperatorRef, value: string, field: string): void {
  if (value === '-' || value === '') return;
  const setter = setterFor(op);
  if (setter) setter(draft, value, field, op);
  else draft.attributes[attributeName(op)] = value;
}

/** The attribute key of an operator with no record field: `REQ(CONTENT-TYPE)`, `ENVIRONMENT(POD_NAME)`. */
export function attributeName(op: OperatorRef): string {
  return op.args === undefined ? op.command : `${op.command}(${op.args})`;
}

// Resolved once per distinct operator: formats and JSON keys repeat on every line.
const resolved = new Map<string, Setter | null>();

function setterFor(op: OperatorRef): Setter | undefined {
  const key = op.args === undefined ? op.command : `${op.command}\u0000${op.args}`;
  let setter = resolved.get(key);
  if (setter === undefined) {
    setter = resolveSetter(op) ?? null;
    // Bounded: only operators of configured formats and known JSON keys ever get here.
    if (resolved.size < 10_000) resolved.set(key, setter);
  }
  return setter ?? undefined;
}

function resolveSetter(op: OperatorRef): Setter | undefined {
  switch (op.command) {
    case 'REQ':
      return headerSetter(REQUEST_HEADERS, op.args);
    case 'RESP':
    case 'TRAILER':
      return headerSetter(RESPONSE_HEADERS, op.args);
    default:
      return OPERATORS[op.command];
  }
}

/** `X-ENVOY-ORIGINAL-PATH?:PATH` → the first alternative we know a field for. */
function headerSetter(table: Readonly<Record<string, Setter>>, args: string | undefined): Setter | undefined {
  if (args === undefined) return undefined;
  for (const name of args.split('?')) {
    const setter = table[name.trim().toLowerCase()];
    if (setter) return setter;
  }
  return undefined;
}

// --- value readers ---------------------------------------------------------------------------

function bad(field: string, expected: string, value: string): AccessLogParseError {
  return new AccessLogParseError(`${field}: expected ${expected}, found ${quoteValue(value)}`, field);
}

function nonNegativeInt(value: string, field: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d{1,16}$/.test(value)) throw bad(field, 'a non-negative integer', value);
  const n = Number(value);
  if (n > max) throw bad(field, `an integer up to ${max}`, value);
  return n;
}

/**
 * Values Envoy prints without spaces (addresses, cluster and route names, codes). A space inside
 * one means the line's fields are shifted (a garbage or differently formatted line): better
 * refused than stored with every field wrong.
 */
function token(value: string, field: string): string {
  if (/\s/.test(value)) throw bad(field, 'a value without spaces', value);
  return value;
}

const string =
  (set: (d: AccessLogDraft, v: string) => void): Setter =>
  (d, v) =>
    set(d, v);
const tokenField =
  (set: (d: AccessLogDraft, v: string) => void): Setter =>
  (d, v, field) =>
    set(d, token(v, field));

const RESPONSE_FLAG = /^[A-Z]{1,6}$/;

const OPERATORS: Readonly<Record<string, Setter>> = {
  START_TIME: (d, v, field, op) => {
    d.startTimeUnixNano = parseStartTime(v, field, op.args);
  },
  PROTOCOL: tokenField((d, v) => (d.protocol = v)),
  RESPONSE_CODE: (d, v, field) => {
    d.responseCode = nonNegativeInt(v, field, 999);
  },
  RESPONSE_FLAGS: (d, v, field) => {
    const flags = v.split(',').map((f) => f.trim());
    // Short codes are a few capital letters (reference §1.2); anything else is a shifted field.
    for (const flag of flags) if (!RESPONSE_FLAG.test(flag)) throw bad(field, 'Envoy response flags such as UH or UF,URX', v);
    d.responseFlags = flags;
  },
  RESPONSE_CODE_DETAILS: tokenField((d, v) => (d.responseCodeDetails = v)),
  CONNECTION_TERMINATION_DETAILS: string((d, v) => (d.connectionTerminationDetails = v)),
  UPSTREAM_TRANSPORT_FAILURE_REASON: string((d, v) => (d.upstreamTransportFailureReason = v)),
  BYTES_RECEIVED: (d, v, field) => {
    d.bytesReceived = nonNegativeInt(v, field);
  },
  BYTES_SENT: (d, v, field) => {
    d.bytesSent = nonNegativeInt(v, field);
  },
  // %DURATION% is whole milliseconds.
  DURATION: (d, v, field) => {
    d.durationUs = nonNegativeInt(v, field) * 1000;
  },
  UPSTREAM_HOST: tokenField((d, v) => (d.upstreamHost = v)),
  UPSTREAM_CLUSTER: tokenField((d, v) => (d.upstreamCluster = v)),
  UPSTREAM_CLUSTER_RAW: tokenField((d, v) => (d.upstreamCluster = v)),
  UPSTREAM_LOCAL_ADDRESS: tokenField((d, v) => (d.upstreamLocalAddress = v)),
  DOWNSTREAM_LOCAL_ADDRESS: tokenField((d, v) => (d.downstreamLocalAddress = v)),
  DOWNSTREAM_REMOTE_ADDRESS: tokenField((d, v) => (d.downstreamRemoteAddress = v)),
  REQUESTED_SERVER_NAME: tokenField((d, v) => (d.requestedServerName = v)),
  ROUTE_NAME: tokenField((d, v) => (d.routeName = v)),
  // Downstream = the caller, upstream = the callee, whichever proxy writes the line.
  DOWNSTREAM_PEER_URI_SAN: tokenField((d, v) => (d.source.principal = firstSan(v))),
  DOWNSTREAM_LOCAL_URI_SAN: tokenField((d, v) => (d.destination.principal = firstSan(v))),
  UPSTREAM_PEER_URI_SAN: tokenField((d, v) => (d.destination.principal = firstSan(v))),
  UPSTREAM_LOCAL_URI_SAN: tokenField((d, v) => (d.source.principal = firstSan(v))),
  TRACE_ID: (d, v) => {
    const id = traceIdOf(v);
    if (id) d.traceId = id;
  },
  GRPC_STATUS_NUMBER: (d, v, field) => {
    d.grpcStatus = String(nonNegativeInt(v, field, 16));
  },
  GRPC_STATUS: (d, v) => {
    d.grpcStatus = grpcStatusNumber(v) ?? v;
  },
};

const REQUEST_HEADERS: Readonly<Record<string, Setter>> = {
  ':method': tokenField((d, v) => (d.method = v)),
  ':path': string((d, v) => (d.path = v)),
  'x-envoy-original-path': string((d, v) => (d.path = v)),
  ':authority': string((d, v) => (d.authority = v)),
  host: string((d, v) => (d.authority = v)),
  ':scheme': tokenField((d, v) => (d.scheme = v)),
  'x-forwarded-proto': tokenField((d, v) => (d.scheme = v)),
  'user-agent': string((d, v) => (d.userAgent = v)),
  'x-request-id': string((d, v) => (d.requestId = v)),
  'x-forwarded-for': string((d, v) => (d.forwardedFor = v)),
  // Trace headers are the application's: a malformed one is ignored rather than failing the entry.
  traceparent: (d, v) => {
    const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}/.exec(v.trim().toLowerCase());
    if (match && !/^0+$/.test(match[1]) && !/^0+$/.test(match[2])) {
      d.traceId = match[1];
      d.spanId = match[2];
    }
  },
  'x-b3-traceid': (d, v) => {
    const id = traceIdOf(v);
    if (id) d.traceId = id;
  },
  'x-b3-spanid': (d, v) => {
    const id = spanIdOf(v);
    if (id) d.spanId = id;
  },
  // Single-header B3: {traceid}-{spanid}[-{sampled}[-{parent}]]
  b3: (d, v) => {
    const [trace, span] = v.split('-');
    const traceId = traceIdOf(trace ?? '');
    const spanId = spanIdOf(span ?? '');
    if (traceId && spanId) {
      d.traceId = traceId;
      d.spanId = spanId;
    }
  },
};

const RESPONSE_HEADERS: Readonly<Record<string, Setter>> = {
  // Envoy sets it itself: the upstream's processing time in whole milliseconds.
  'x-envoy-upstream-service-time': (d, v, field) => {
    d.upstreamServiceTimeMs = nonNegativeInt(v, field);
  },
  'grpc-status': (d, v, field) => {
    d.grpcStatus = String(nonNegativeInt(v, field, 16));
  },
};

/** 32 lower-case hex; a 64-bit (16 hex) B3 id is left-padded the way OpenTelemetry does. */
function traceIdOf(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (/^[0-9a-f]{32}$/.test(v) && !/^0+$/.test(v)) return v;
  if (/^[0-9a-f]{16}$/.test(v) && !/^0+$/.test(v)) return v.padStart(32, '0');
  return undefined;
}

function spanIdOf(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  return /^[0-9a-f]{16}$/.test(v) && !/^0+$/.test(v) ? v : undefined;
}

/** Envoy joins several URI SANs with ','; Istio certificates carry one SPIFFE id. */
function firstSan(value: string): string {
  return value.split(',')[0];
}

const GRPC_CODES = [
  'ok', 'canceled', 'unknown', 'invalidargument', 'deadlineexceeded', 'notfound', 'alreadyexists',
  'permissiondenied', 'resourceexhausted', 'failedprecondition', 'aborted', 'outofrange',
  'unimplemented', 'internal', 'unavailable', 'dataloss', 'unauthenticated',
];

/** %GRPC_STATUS% prints names (`Ok`, `Unavailable`, `DEADLINE_EXCEEDED`); Istio's label is the number. */
function grpcStatusNumber(value: string): string | undefined {
  const name = value.replace(/_/g, '').toLowerCase();
  const code = GRPC_CODES.indexOf(name === 'cancelled' ? 'canceled' : name);
  if (code >= 0) return String(code);
  return /^\d{1,2}$/.test(value) ? value : undefined;
}

// --- time --------------------------------------------------------------------------------------

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * %START_TIME% as Envoy prints it by default (`2026-08-21T10:15:02.123Z`, UTC, milliseconds) or
 * with a custom strftime: any ISO-8601 form (up to nanoseconds, offset or `Z`; none = UTC), or
 * epoch digits (`%s`, optionally with a fraction; 13/16/19 digits read as ms/µs/ns).
 */
export function parseStartTime(value: string, field: string, _format?: string): bigint {
  const iso = ISO.exec(value.trim());
  if (iso) {
    const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = iso;
    const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const valid = new Date(ms);
    if (Number.isNaN(ms) || valid.getUTCDate() !== Number(d) || valid.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) {
      throw bad(field, 'a valid date and time', value);
    }
    const offsetMinutes = zone === 'Z' ? 0 : zoneMinutes(zone);
    const fractionNs = BigInt(fraction.padEnd(9, '0') || '0');
    return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + fractionNs;
  }
  const epoch = /^(\d{1,19})(?:\.(\d{1,9}))?$/.exec(value.trim());
  if (epoch) {
    const [, whole, fraction = ''] = epoch;
    const scale = whole.length === 19 ? 1n : whole.length === 16 ? 1_000n : whole.length === 13 ? 1_000_000n : whole.length <= 10 ? 1_000_000_000n : 0n;
    if (scale === 0n) throw bad(field, 'a time (ISO 8601, or epoch seconds / ms / µs / ns)', value);
    const fractionNs = (BigInt(fraction.padEnd(9, '0') || '0') * scale) / 1_000_000_000n;
    return BigInt(whole) * scale + fractionNs;
  }
  throw bad(field, 'a time such as 2026-08-21T10:15:02.123Z', value);
}

function zoneMinutes(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}
