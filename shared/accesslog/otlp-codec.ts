/**
 * AccessLogRecord <-> OTLP logs. In the buffer, access logs travel as plain OTLP
 * ExportLogsServiceRequest protobuf (one LogRecord per entry, normalized attributes), so any OTLP
 * logs consumer can read the `accesslogs` topic. Attribute names: otlp-attributes.ts and the table
 * in README.md beside this file.
 *
 * The LogRecord of an entry: `time_unix_nano` = start; `trace_id` / `span_id` when known;
 * `severity_text` (and the matching `severity_number`) and a string `body` for plain logs; every
 * other field as an attribute, absent when the field is undefined. decode(encode(r)) gives r
 * back field for field, including bigint times and undefined fields.
 *
 * Written by hand on the shared wire writer (shared/wire/wire-writer.ts): the collector encodes
 * every entry it receives, so this is on the hot path; decoding reuses the generic logs decoder.
 */
import type {
  AccessLogInput, AccessLogKind, AccessLogRecord, DestinationWorkload, Reporter, Workload,
} from '../model/access-log.js';
import type { AnyValue } from '../model/span.js';
import { isValidLowerHexId } from '../wire/hex.js';
import { WireType } from '../wire/wire-reader.js';
import { ProtoWriter } from '../wire/wire-writer.js';
import { accessLogId } from './id.js';
import { decodeLogsProtobuf, type OtlpLogRecord } from '../otlp/logs/logs-decode.js';
import { attributeText } from '../model/attribute-text.js';
import { severityNumberOf } from '../otlp/logs/logs-values.js';
import {
  ACCESS_LOG_SCOPE_NAME, ATTR, DESTINATION_FIELDS, DESTINATION_PREFIX, RESERVED_KEYS, SOURCE_FIELDS, SOURCE_PREFIX,
} from './otlp-attributes.js';

const writer = new ProtoWriter();

/** ScopeLogs.scope, encoded once: `{ name: "meshtel.accesslog" }`. */
const SCOPE_FIELD: Uint8Array = (() => {
  const w = new ProtoWriter(64);
  w.tag(1, WireType.LEN);
  const mark = w.fork();
  w.tag(1, WireType.LEN);
  w.string(ACCESS_LOG_SCOPE_NAME);
  w.join(mark);
  return w.finish();
})();

/** Encodes records (any mix) as one ExportLogsServiceRequest. */
export function encodeAccessLogsProtobuf(records: readonly AccessLogRecord[]): Uint8Array {
  const w = writer;
  w.reset();
  if (records.length === 0) return w.finish();
  try {
    // One ResourceLogs with an empty resource: the proxy and workloads an entry is about differ
    // from entry to entry, so they are attributes of each record rather than a shared resource.
    w.tag(1, WireType.LEN);
    const resourceLogs = w.fork();
    w.tag(2, WireType.LEN);
    const scopeLogs = w.fork();
    w.raw(SCOPE_FIELD);
    for (const record of records) {
      w.tag(2, WireType.LEN);
      const mark = w.fork();
      writeLogRecord(w, record);
      w.join(mark);
    }
    w.join(scopeLogs);
    w.join(resourceLogs);
    return w.finish();
  } catch (err) {
    w.reset();
    throw err;
  }
}

/** Decodes what encodeAccessLogsProtobuf wrote. Throws OtlpDecodeError on undecodable input. */
export function decodeAccessLogsProtobuf(body: Uint8Array): AccessLogRecord[] {
  return decodeLogsProtobuf(body).map(recordOfLog);
}

/**
 * The buffer key of a record: its trace id when known, else its destination workload (or
 * service), so one trace's entries — and without traces, one workload's — stay on one partition.
 * Plain logs without a trace fall back to their source workload (the emitting service).
 */
export function accessLogKey(record: AccessLogRecord): string {
  return record.traceId || record.destination.workload || record.destination.service || record.destination.serviceName
    || record.source.workload || 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Encoding

function writeLogRecord(w: ProtoWriter, r: AccessLogRecord): void {
  w.tag(1, WireType.I64);
  w.fixed64(r.startTimeUnixNano);
  if (r.severityText !== undefined) {
    const severity = severityNumberOf(r.severityText);
    if (severity !== 0) {
      w.tag(2, WireType.VARINT);
      w.uint32(severity);
    }
    // Written even when empty, so '' and "no severity" stay apart.
    w.tag(3, WireType.LEN);
    w.string(r.severityText);
  }
  if (r.body !== undefined) {
    w.tag(5, WireType.LEN);
    const mark = w.fork();
    w.tag(1, WireType.LEN);
    w.string(r.body);
    w.join(mark);
  }
  writeAttributes(w, r);
  if (r.traceId !== undefined) {
    w.tag(9, WireType.LEN);
    w.hexBytes(r.traceId);
  }
  if (r.spanId !== undefined) {
    w.tag(10, WireType.LEN);
    w.hexBytes(r.spanId);
  }
}

function writeAttributes(w: ProtoWriter, r: AccessLogRecord): void {
  stringAttr(w, ATTR.id, r.id);
  stringAttr(w, ATTR.kind, r.kind);
  stringAttr(w, ATTR.input, r.input);
  stringAttr(w, ATTR.reporter, r.reporter);
  numberAttr(w, ATTR.durationUs, r.durationUs);
  optionalString(w, ATTR.method, r.method);
  if (r.path !== undefined) {
    const q = r.path.indexOf('?');
    stringAttr(w, ATTR.urlPath, q < 0 ? r.path : r.path.slice(0, q));
    if (q >= 0) stringAttr(w, ATTR.urlQuery, r.path.slice(q + 1));
  }
  if (r.authority !== undefined) {
    const split = splitAuthority(r.authority);
    if (split === undefined) stringAttr(w, ATTR.serverAddress, r.authority);
    else {
      stringAttr(w, ATTR.serverAddress, split.host);
      numberAttr(w, ATTR.serverPort, split.port);
    }
  }
  optionalString(w, ATTR.scheme, r.scheme);
  if (r.protocol !== undefined) {
    const http = HTTP_PROTOCOL.exec(r.protocol);
    if (http === null) stringAttr(w, ATTR.protocolName, r.protocol);
    else {
      stringAttr(w, ATTR.protocolName, 'http');
      stringAttr(w, ATTR.protocolVersion, http[1]);
    }
  }
  optionalString(w, ATTR.userAgent, r.userAgent);
  optionalString(w, ATTR.requestId, r.requestId);
  optionalString(w, ATTR.forwardedFor, r.forwardedFor);
  numberAttr(w, ATTR.responseCode, r.responseCode);
  if (r.responseFlags.length > 0) stringAttr(w, ATTR.responseFlags, r.responseFlags.join(','));
  optionalString(w, ATTR.responseCodeDetails, r.responseCodeDetails);
  optionalString(w, ATTR.connectionTerminationDetails, r.connectionTerminationDetails);
  optionalString(w, ATTR.upstreamTransportFailureReason, r.upstreamTransportFailureReason);
  if (r.grpcStatus !== undefined) {
    // The semantic convention types it as an int; a value that is not a plain number stays text.
    if (GRPC_STATUS.test(r.grpcStatus)) numberAttr(w, ATTR.grpcStatus, Number(r.grpcStatus));
    else stringAttr(w, ATTR.grpcStatus, r.grpcStatus);
  }
  numberAttr(w, ATTR.upstreamServiceTimeMs, r.upstreamServiceTimeMs);
  numberAttr(w, ATTR.bytesReceived, r.bytesReceived);
  numberAttr(w, ATTR.bytesSent, r.bytesSent);
  optionalString(w, ATTR.upstreamCluster, r.upstreamCluster);
  optionalString(w, ATTR.upstreamHost, r.upstreamHost);
  optionalString(w, ATTR.upstreamLocalAddress, r.upstreamLocalAddress);
  optionalString(w, ATTR.downstreamLocalAddress, r.downstreamLocalAddress);
  optionalString(w, ATTR.downstreamRemoteAddress, r.downstreamRemoteAddress);
  optionalString(w, ATTR.requestedServerName, r.requestedServerName);
  optionalString(w, ATTR.routeName, r.routeName);
  if (r.mtls !== undefined) boolAttr(w, ATTR.mtls, r.mtls);
  writeWorkload(w, SOURCE_PREFIX, SOURCE_FIELDS, r.source);
  writeWorkload(w, DESTINATION_PREFIX, DESTINATION_FIELDS, r.destination);
  optionalString(w, ATTR.proxyNodeId, r.proxyNodeId);
  optionalString(w, ATTR.logName, r.logName);
  optionalString(w, ATTR.tenant, r.tenant);

  let reserved: string[] | undefined;
  for (const key of Object.keys(r.attributes)) {
    if (RESERVED_KEYS.has(key)) (reserved ??= []).push(key);
    else stringAttr(w, key, r.attributes[key]);
  }
  if (reserved !== undefined) writeReservedAttributes(w, reserved, r.attributes);
}

function writeWorkload(
  w: ProtoWriter, prefix: string, fields: readonly (readonly [string, string])[], workload: Workload | DestinationWorkload,
): void {
  const values = workload as Readonly<Record<string, string | undefined>>;
  for (const [field, label] of fields) optionalString(w, prefix + label, values[field]);
}

/** Free-form attributes whose keys collide with a field's name, as one map attribute. */
function writeReservedAttributes(w: ProtoWriter, keys: readonly string[], attributes: Readonly<Record<string, string>>): void {
  w.tag(6, WireType.LEN);
  const kv = w.fork();
  w.tag(1, WireType.LEN);
  w.string(ATTR.reservedAttributes);
  w.tag(2, WireType.LEN);
  const value = w.fork();
  w.tag(6, WireType.LEN);
  const list = w.fork();
  for (const key of keys) {
    w.tag(1, WireType.LEN);
    const inner = w.fork();
    w.tag(1, WireType.LEN);
    w.string(key);
    w.tag(2, WireType.LEN);
    const innerValue = w.fork();
    w.tag(1, WireType.LEN);
    w.string(attributes[key]);
    w.join(innerValue);
    w.join(inner);
  }
  w.join(list);
  w.join(value);
  w.join(kv);
}

/** Starts a KeyValue attribute (field 6 of LogRecord) and its AnyValue; returns the two marks. */
function openAttr(w: ProtoWriter, key: string): [number, number] {
  w.tag(6, WireType.LEN);
  const kv = w.fork();
  w.tag(1, WireType.LEN);
  w.string(key);
  w.tag(2, WireType.LEN);
  return [kv, w.fork()];
}

function closeAttr(w: ProtoWriter, [kv, value]: [number, number]): void {
  w.join(value);
  w.join(kv);
}

function stringAttr(w: ProtoWriter, key: string, value: string): void {
  const marks = openAttr(w, key);
  w.tag(1, WireType.LEN);
  w.string(value);
  closeAttr(w, marks);
}

function optionalString(w: ProtoWriter, key: string, value: string | undefined): void {
  if (value !== undefined) stringAttr(w, key, value);
}

/** An int when the number is one (exactly), else a double; undefined writes nothing. */
function numberAttr(w: ProtoWriter, key: string, value: number | undefined): void {
  if (value === undefined) return;
  const marks = openAttr(w, key);
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
    w.tag(3, WireType.VARINT);
    w.int64(BigInt(value));
  } else {
    w.tag(4, WireType.I64);
    w.double(value);
  }
  closeAttr(w, marks);
}

function boolAttr(w: ProtoWriter, key: string, value: boolean): void {
  const marks = openAttr(w, key);
  w.tag(2, WireType.VARINT);
  w.uint32(value ? 1 : 0);
  closeAttr(w, marks);
}

const HTTP_PROTOCOL = /^HTTP\/(\d+(?:\.\d+)?)$/;
const GRPC_STATUS = /^(0|[1-9]\d{0,8})$/;
const PORT = /^(0|[1-9]\d{0,4})$/;

/**
 * `reviews:9080` → host `reviews`, port 9080; `[fd00::1]:8080` → `[fd00::1]`, 8080. Only when
 * joining them again gives the same text; otherwise (no port, a bare IPv6 address, a port with
 * leading zeros) the authority is kept whole.
 */
function splitAuthority(authority: string): { host: string; port: number } | undefined {
  const colon = authority.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const host = authority.slice(0, colon);
  const portText = authority.slice(colon + 1);
  if (!PORT.test(portText) || Number(portText) > 65535) return undefined;
  if (host.includes(':') && !(host.startsWith('[') && host.endsWith(']'))) return undefined;
  return { host, port: Number(portText) };
}

// ---------------------------------------------------------------------------------------------
// Decoding

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const KINDS: ReadonlySet<string> = new Set<AccessLogKind>(['http', 'tcp', 'log']);
const INPUTS: ReadonlySet<string> = new Set<AccessLogInput>(['als', 'otlp', 'lines']);
const REPORTERS: ReadonlySet<string> = new Set<Reporter>(['source', 'destination', 'waypoint', 'unknown']);

const SOURCE_KEYS = new Map(SOURCE_FIELDS.map(([field, label]) => [SOURCE_PREFIX + label, field] as const));
const DESTINATION_KEYS = new Map(DESTINATION_FIELDS.map(([field, label]) => [DESTINATION_PREFIX + label, field] as const));

function recordOfLog(log: OtlpLogRecord): AccessLogRecord {
  const out: Partial<Mutable<AccessLogRecord>> = {};
  const source: Record<string, string> = {};
  const destination: Record<string, string> = {};
  // A Map, so keys such as `__proto__` are kept as plain keys (Object.fromEntries defines them).
  const attributes = new Map<string, string>();
  let urlPath: string | undefined;
  let urlQuery: string | undefined;
  let serverAddress: string | undefined;
  let serverPort: number | undefined;
  let protocolName: string | undefined;
  let protocolVersion: string | undefined;

  for (const { key, value } of log.attributes) {
    switch (key) {
      case ATTR.id: out.id = text(value); break;
      case ATTR.kind: if (KINDS.has(text(value))) out.kind = text(value) as AccessLogKind; break;
      case ATTR.input: if (INPUTS.has(text(value))) out.input = text(value) as AccessLogInput; break;
      case ATTR.reporter: if (REPORTERS.has(text(value))) out.reporter = text(value) as Reporter; break;
      case ATTR.durationUs: out.durationUs = numberOf(value); break;
      case ATTR.method: out.method = text(value); break;
      case ATTR.urlPath: urlPath = text(value); break;
      case ATTR.urlQuery: urlQuery = text(value); break;
      case ATTR.serverAddress: serverAddress = text(value); break;
      case ATTR.serverPort: serverPort = numberOf(value); break;
      case ATTR.scheme: out.scheme = text(value); break;
      case ATTR.protocolName: protocolName = text(value); break;
      case ATTR.protocolVersion: protocolVersion = text(value); break;
      case ATTR.userAgent: out.userAgent = text(value); break;
      case ATTR.requestId: out.requestId = text(value); break;
      case ATTR.forwardedFor: out.forwardedFor = text(value); break;
      case ATTR.responseCode: out.responseCode = numberOf(value); break;
      case ATTR.responseFlags: out.responseFlags = text(value).split(','); break;
      case ATTR.responseCodeDetails: out.responseCodeDetails = text(value); break;
      case ATTR.connectionTerminationDetails: out.connectionTerminationDetails = text(value); break;
      case ATTR.upstreamTransportFailureReason: out.upstreamTransportFailureReason = text(value); break;
      case ATTR.grpcStatus: out.grpcStatus = text(value); break;
      case ATTR.upstreamServiceTimeMs: out.upstreamServiceTimeMs = numberOf(value); break;
      case ATTR.bytesReceived: out.bytesReceived = numberOf(value); break;
      case ATTR.bytesSent: out.bytesSent = numberOf(value); break;
      case ATTR.upstreamCluster: out.upstreamCluster = text(value); break;
      case ATTR.upstreamHost: out.upstreamHost = text(value); break;
      case ATTR.upstreamLocalAddress: out.upstreamLocalAddress = text(value); break;
      case ATTR.downstreamLocalAddress: out.downstreamLocalAddress = text(value); break;
      case ATTR.downstreamRemoteAddress: out.downstreamRemoteAddress = text(value); break;
      case ATTR.requestedServerName: out.requestedServerName = text(value); break;
      case ATTR.routeName: out.routeName = text(value); break;
      case ATTR.mtls: if (value.type === 'bool') out.mtls = value.value; break;
      case ATTR.proxyNodeId: out.proxyNodeId = text(value); break;
      case ATTR.logName: out.logName = text(value); break;
      case ATTR.tenant: out.tenant = text(value); break;
      case ATTR.reservedAttributes:
        if (value.type === 'kvlist') for (const inner of value.value) attributes.set(inner.key, text(inner.value));
        else attributes.set(key, text(value));
        break;
      default: {
        const sourceField = SOURCE_KEYS.get(key);
        if (sourceField !== undefined) {
          source[sourceField] = text(value);
          break;
        }
        const destinationField = DESTINATION_KEYS.get(key);
        if (destinationField !== undefined) destination[destinationField] = text(value);
        else attributes.set(key, text(value));
      }
    }
  }

  if (urlPath !== undefined || urlQuery !== undefined) out.path = urlQuery === undefined ? urlPath : `${urlPath ?? ''}?${urlQuery}`;
  if (serverAddress !== undefined) out.authority = serverPort === undefined ? serverAddress : `${serverAddress}:${serverPort}`;
  if (protocolName !== undefined) out.protocol = protocolName === 'http' && protocolVersion !== undefined ? `HTTP/${protocolVersion}` : protocolName;
  if (log.severityText !== undefined) out.severityText = log.severityText;
  if (log.body.type !== 'empty') out.body = text(log.body);
  if (isValidLowerHexId(log.traceId, 32)) out.traceId = log.traceId;
  if (isValidLowerHexId(log.spanId, 16)) out.spanId = log.spanId;

  const record = {
    ...out,
    kind: out.kind ?? 'log',
    input: out.input ?? 'otlp',
    reporter: out.reporter ?? 'unknown',
    startTimeUnixNano: log.timeUnixNano !== 0n ? log.timeUnixNano : log.observedTimeUnixNano,
    responseFlags: out.responseFlags ?? [],
    source: source as Workload,
    destination: destination as DestinationWorkload,
    attributes: Object.fromEntries(attributes),
  };
  // Records written by meshtel always carry their id; one from elsewhere gets the one it would have had.
  return { ...record, id: out.id ?? accessLogId(record) };
}

function text(value: AnyValue): string {
  return value.type === 'string' ? value.value : attributeText(value);
}

function numberOf(value: AnyValue): number | undefined {
  if (value.type === 'int') return Number(value.value);
  if (value.type === 'double') return value.value;
  if (value.type === 'string' && value.value.trim() !== '') {
    const n = Number(value.value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
