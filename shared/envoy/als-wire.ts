/**
 * Hand-written decoder for Envoy's StreamAccessLogsMessage (ALS v3; our rendering of the schema is
 * shared/proto/envoy/). It keeps only what meshtel maps into AccessLogRecord, already in the
 * shapes the record uses (addresses as `ip:port`, times in ns / µs, response flags as short
 * codes), and skips everything else without building it.
 *
 * Why hand-written: Envoy drops entries when a stream backs up and never retries, so the receiver
 * must keep pace with every proxy of a mesh on one core. test/bench/als.ts measures this decoder
 * against protobufjs reflection on the same messages.
 *
 * Conventions as in shared/otlp: each reader starts at `r.pos`, stops at `end` (the end of its
 * message); the caller moves past the message. Tags are compared whole (field number and wire
 * type), so a known field sent with an unexpected wire type is skipped like an unknown one.
 */
import { DecodeProblem, within } from '../wire/decode-errors.js';
import { ProtoReader } from '../wire/wire-reader.js';
import { dictionary } from './dictionary.js';
import { readResponseFlags } from './response-flags.js';
import { readStruct, type StructObject } from './struct.js';

/** The message could not be decoded; `message` says what and where. */
export class AlsDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlsDecodeError';
  }
}

export interface EnvoyLocality {
  readonly region?: string;
  readonly zone?: string;
  readonly subZone?: string;
}

export interface EnvoyNode {
  /** Istio: `sidecar~10.244.1.17~reviews-v1-5d8f7c9b6-x2kqp.default~default.svc.cluster.local`. */
  readonly id?: string;
  /** Istio: the tracing service name, `<app>.<ns>`. */
  readonly cluster?: string;
  /** Istio: NAME, NAMESPACE, WORKLOAD_NAME, LABELS, CLUSTER_ID, SERVICE_ACCOUNT … */
  readonly metadata: StructObject;
  readonly locality?: EnvoyLocality;
}

/** Sent in the first message of a stream only. */
export interface AlsIdentifier {
  readonly node?: EnvoyNode;
  readonly logName?: string;
}

/** A google.protobuf.Any; `value` is a view into the message bytes (no copy). */
export interface AnyMessage {
  readonly typeUrl: string;
  readonly value: Buffer;
}

/** The downstream connection's TLS. Envoy fills only URI SANs. */
export interface AlsTls {
  readonly version?: string;
  readonly sniHostname?: string;
  readonly localUriSans: readonly string[];
  readonly peerUriSans: readonly string[];
}

export interface AlsCommon {
  startTimeUnixNano?: bigint;
  durationUs?: number;
  /** Fallback for `duration` (field 23), which older Envoy releases do not fill. */
  timeToLastDownstreamTxByteUs?: number;
  downstreamRemoteAddress?: string;
  downstreamLocalAddress?: string;
  downstreamDirectRemoteAddress?: string;
  upstreamRemoteAddress?: string;
  upstreamLocalAddress?: string;
  upstreamCluster?: string;
  responseFlags: readonly string[];
  upstreamTransportFailureReason?: string;
  downstreamTransportFailureReason?: string;
  routeName?: string;
  connectionTerminationDetails?: string;
  streamId?: string;
  tls?: AlsTls;
  filterStateObjects?: Map<string, AnyMessage>;
  customTags?: Record<string, string>;
  upstreamRequestAttemptCount?: number;
  /** 0 = unset (proto3); HTTP entries always have some. */
  downstreamWireBytesSent: number;
  downstreamWireBytesReceived: number;
  /** AccessLogType number (0 NotSet, 2 TcpPeriodic, 6 DownstreamEnd …). */
  accessLogType: number;
}

export interface AlsHttpRequest {
  /** RequestMethod number (0 unspecified, 1 GET …). */
  method: number;
  scheme?: string;
  authority?: string;
  path?: string;
  userAgent?: string;
  referer?: string;
  forwardedFor?: string;
  requestId?: string;
  originalPath?: string;
  headersBytes: number;
  bodyBytes: number;
  /** Only the headers the logger was told to log (lower-case names). */
  headers?: Record<string, string>;
}

export interface AlsHttpResponse {
  /** Undefined when Envoy sent no response. */
  responseCode?: number;
  headersBytes: number;
  bodyBytes: number;
  headers?: Record<string, string>;
  trailers?: Record<string, string>;
  responseCodeDetails?: string;
}

export interface AlsHttpEntry {
  readonly common: AlsCommon;
  /** HTTPVersion number (0 unspecified, 1 HTTP/1.0, 2 HTTP/1.1, 3 HTTP/2, 4 HTTP/3). */
  readonly protocolVersion: number;
  readonly request?: AlsHttpRequest;
  readonly response?: AlsHttpResponse;
}

export interface AlsTcpEntry {
  readonly common: AlsCommon;
  readonly connection?: { readonly receivedBytes: number; readonly sentBytes: number };
}

export interface AlsMessage {
  readonly identifier?: AlsIdentifier;
  readonly httpEntries: readonly AlsHttpEntry[];
  readonly tcpEntries: readonly AlsTcpEntry[];
}

const LEN = (field: number) => (field << 3) | 2;
const VARINT = (field: number) => field << 3;

/** Decodes one StreamAccessLogsMessage. Throws AlsDecodeError when the bytes are not one. */
export function decodeAlsMessage(bytes: Uint8Array): AlsMessage {
  const r = new ProtoReader(bytes);
  const end = bytes.length;
  let identifier: AlsIdentifier | undefined;
  let httpEntries: AlsHttpEntry[] = [];
  let tcpEntries: AlsTcpEntry[] = [];
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === LEN(1)) {
        const stop = r.lengthDelimited(end);
        try {
          identifier = readIdentifier(r, stop);
        } catch (err) {
          throw within(err, 'identifier');
        }
        r.pos = stop;
      } else if (tag === LEN(2)) {
        // http_logs and tcp_logs are a oneof: the member that comes last wins.
        tcpEntries = [];
        const stop = r.lengthDelimited(end);
        readEntries(r, stop, 'httpLogs', (s) => httpEntries.push(readHttpEntry(r, s)));
        r.pos = stop;
      } else if (tag === LEN(3)) {
        httpEntries = [];
        const stop = r.lengthDelimited(end);
        readEntries(r, stop, 'tcpLogs', (s) => tcpEntries.push(readTcpEntry(r, s)));
        r.pos = stop;
      } else r.skip(tag, end);
    }
  } catch (err) {
    throw toAlsDecodeError(err);
  }
  return { identifier, httpEntries, tcpEntries };
}

function toAlsDecodeError(err: unknown): AlsDecodeError {
  const prefix = 'invalid StreamAccessLogsMessage';
  if (err instanceof DecodeProblem) {
    const path = err.path();
    return new AlsDecodeError(path === '' ? `${prefix}: ${err.problem}` : `${prefix} at ${path}: ${err.problem}`);
  }
  return new AlsDecodeError(`${prefix}: ${err instanceof Error ? err.message : String(err)}`);
}

/** HTTPAccessLogEntries / TCPAccessLogEntries: `log_entry` 1, repeated. */
function readEntries(r: ProtoReader, end: number, name: string, readOne: (stop: number) => void): void {
  let index = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag !== LEN(1)) {
      r.skip(tag, end);
      continue;
    }
    const stop = r.lengthDelimited(end);
    try {
      readOne(stop);
    } catch (err) {
      throw within(within(err, 'logEntry', index), name);
    }
    r.pos = stop;
    index++;
  }
}

function readIdentifier(r: ProtoReader, end: number): AlsIdentifier {
  let node: EnvoyNode | undefined;
  let logName: string | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(1)) {
      const stop = r.lengthDelimited(end);
      try {
        node = readNode(r, stop);
      } catch (err) {
        throw within(err, 'node');
      }
      r.pos = stop;
    } else if (tag === LEN(2)) logName = r.string(end) || undefined;
    else r.skip(tag, end);
  }
  return { node, logName };
}

function readNode(r: ProtoReader, end: number): EnvoyNode {
  let id: string | undefined;
  let cluster: string | undefined;
  let metadata: StructObject = {};
  let locality: EnvoyLocality | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case LEN(1): id = r.string(end) || undefined; break;
      case LEN(2): cluster = r.string(end) || undefined; break;
      case LEN(3): {
        const stop = r.lengthDelimited(end);
        try {
          metadata = readStruct(r, stop, 0);
        } catch (err) {
          throw within(err, 'metadata');
        }
        r.pos = stop;
        break;
      }
      case LEN(4): {
        const stop = r.lengthDelimited(end);
        locality = readLocality(r, stop);
        r.pos = stop;
        break;
      }
      default: r.skip(tag, end);
    }
  }
  return { id, cluster, metadata, locality };
}

function readLocality(r: ProtoReader, end: number): EnvoyLocality {
  let region: string | undefined;
  let zone: string | undefined;
  let subZone: string | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(1)) region = r.string(end) || undefined;
    else if (tag === LEN(2)) zone = r.string(end) || undefined;
    else if (tag === LEN(3)) subZone = r.string(end) || undefined;
    else r.skip(tag, end);
  }
  return { region, zone, subZone };
}

function readHttpEntry(r: ProtoReader, end: number): AlsHttpEntry {
  let common: AlsCommon | undefined;
  let protocolVersion = 0;
  let request: AlsHttpRequest | undefined;
  let response: AlsHttpResponse | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(1)) common = readSub(r, end, 'commonProperties', readCommon);
    else if (tag === VARINT(2)) protocolVersion = r.uint32(end);
    else if (tag === LEN(3)) request = readSub(r, end, 'request', readRequest);
    else if (tag === LEN(4)) response = readSub(r, end, 'response', readResponse);
    else r.skip(tag, end);
  }
  return { common: common ?? emptyCommon(), protocolVersion, request, response };
}

function readTcpEntry(r: ProtoReader, end: number): AlsTcpEntry {
  let common: AlsCommon | undefined;
  let connection: { receivedBytes: number; sentBytes: number } | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(1)) common = readSub(r, end, 'commonProperties', readCommon);
    else if (tag === LEN(2)) connection = readSub(r, end, 'connectionProperties', readConnection);
    else r.skip(tag, end);
  }
  return { common: common ?? emptyCommon(), connection };
}

/** Reads a length-delimited sub-message with `read`, naming it in errors. */
function readSub<T>(r: ProtoReader, end: number, name: string, read: (r: ProtoReader, end: number) => T): T {
  const stop = r.lengthDelimited(end);
  let value: T;
  try {
    value = read(r, stop);
  } catch (err) {
    throw within(err, name);
  }
  r.pos = stop;
  return value;
}

function readConnection(r: ProtoReader, end: number): { receivedBytes: number; sentBytes: number } {
  let receivedBytes = 0;
  let sentBytes = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === VARINT(1)) receivedBytes = uint64Number(r, end);
    else if (tag === VARINT(2)) sentBytes = uint64Number(r, end);
    else r.skip(tag, end);
  }
  return { receivedBytes, sentBytes };
}

function emptyCommon(): AlsCommon {
  // Every property declared up front, so all commons share one object shape.
  return {
    startTimeUnixNano: undefined,
    durationUs: undefined,
    timeToLastDownstreamTxByteUs: undefined,
    downstreamRemoteAddress: undefined,
    downstreamLocalAddress: undefined,
    downstreamDirectRemoteAddress: undefined,
    upstreamRemoteAddress: undefined,
    upstreamLocalAddress: undefined,
    upstreamCluster: undefined,
    responseFlags: [],
    upstreamTransportFailureReason: undefined,
    downstreamTransportFailureReason: undefined,
    routeName: undefined,
    connectionTerminationDetails: undefined,
    streamId: undefined,
    tls: undefined,
    filterStateObjects: undefined,
    customTags: undefined,
    upstreamRequestAttemptCount: undefined,
    downstreamWireBytesSent: 0,
    downstreamWireBytesReceived: 0,
    accessLogType: 0,
  };
}

// AccessLogCommon field names by number, for error paths.
const COMMON_FIELDS: readonly (string | undefined)[] = [
  undefined, 'sampleRate', 'downstreamRemoteAddress', 'downstreamLocalAddress', 'tlsProperties', 'startTime',
  undefined, undefined, undefined, undefined, undefined, undefined, 'timeToLastDownstreamTxByte',
  'upstreamRemoteAddress', 'upstreamLocalAddress', 'upstreamCluster', 'responseFlags', 'metadata',
  'upstreamTransportFailureReason', 'routeName', 'downstreamDirectRemoteAddress', 'filterStateObjects',
  'customTags', 'duration', 'upstreamRequestAttemptCount', 'connectionTerminationDetails', 'streamId',
  undefined, 'downstreamTransportFailureReason', 'downstreamWireBytesSent', 'downstreamWireBytesReceived',
  undefined, undefined, 'accessLogType',
];

function readCommon(r: ProtoReader, end: number): AlsCommon {
  const c = emptyCommon();
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case LEN(2): c.downstreamRemoteAddress = readAddressField(r, end); break;
        case LEN(3): c.downstreamLocalAddress = readAddressField(r, end); break;
        case LEN(4): {
          const stop = r.lengthDelimited(end);
          c.tls = readTls(r, stop);
          r.pos = stop;
          break;
        }
        case LEN(5): c.startTimeUnixNano = readTimestamp(r, end); break;
        case LEN(12): c.timeToLastDownstreamTxByteUs = readDurationUs(r, end); break;
        case LEN(13): c.upstreamRemoteAddress = readAddressField(r, end); break;
        case LEN(14): c.upstreamLocalAddress = readAddressField(r, end); break;
        case LEN(15): c.upstreamCluster = r.string(end) || undefined; break;
        case LEN(16): {
          const stop = r.lengthDelimited(end);
          c.responseFlags = readResponseFlags(r, stop);
          r.pos = stop;
          break;
        }
        case LEN(18): c.upstreamTransportFailureReason = r.string(end) || undefined; break;
        case LEN(19): c.routeName = r.string(end) || undefined; break;
        case LEN(20): c.downstreamDirectRemoteAddress = readAddressField(r, end); break;
        case LEN(21): readAnyMapEntry(r, end, (c.filterStateObjects ??= new Map())); break;
        case LEN(22): readStringMapEntry(r, end, (c.customTags ??= dictionary())); break;
        case LEN(23): c.durationUs = readDurationUs(r, end); break;
        case VARINT(24): c.upstreamRequestAttemptCount = r.uint32(end); break;
        case LEN(25): c.connectionTerminationDetails = r.string(end) || undefined; break;
        case LEN(26): c.streamId = r.string(end) || undefined; break;
        case LEN(28): c.downstreamTransportFailureReason = r.string(end) || undefined; break;
        case VARINT(29): c.downstreamWireBytesSent = uint64Number(r, end); break;
        case VARINT(30): c.downstreamWireBytesReceived = uint64Number(r, end); break;
        case VARINT(33): c.accessLogType = r.uint32(end); break;
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    const name = COMMON_FIELDS[tag >>> 3];
    throw name === undefined ? err : within(err, name);
  }
  return c;
}

function readRequest(r: ProtoReader, end: number): AlsHttpRequest {
  const q: AlsHttpRequest = {
    method: 0, scheme: undefined, authority: undefined, path: undefined, userAgent: undefined, referer: undefined,
    forwardedFor: undefined, requestId: undefined, originalPath: undefined, headersBytes: 0, bodyBytes: 0, headers: undefined,
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case VARINT(1): q.method = r.uint32(end); break;
      case LEN(2): q.scheme = r.string(end) || undefined; break;
      case LEN(3): q.authority = r.string(end) || undefined; break;
      case LEN(5): q.path = r.string(end) || undefined; break;
      case LEN(6): q.userAgent = r.string(end) || undefined; break;
      case LEN(7): q.referer = r.string(end) || undefined; break;
      case LEN(8): q.forwardedFor = r.string(end) || undefined; break;
      case LEN(9): q.requestId = r.string(end) || undefined; break;
      case LEN(10): q.originalPath = r.string(end) || undefined; break;
      case VARINT(11): q.headersBytes = uint64Number(r, end); break;
      case VARINT(12): q.bodyBytes = uint64Number(r, end); break;
      case LEN(13): readStringMapEntry(r, end, (q.headers ??= dictionary())); break;
      default: r.skip(tag, end);
    }
  }
  return q;
}

function readResponse(r: ProtoReader, end: number): AlsHttpResponse {
  const s: AlsHttpResponse = {
    responseCode: undefined, headersBytes: 0, bodyBytes: 0, headers: undefined, trailers: undefined, responseCodeDetails: undefined,
  };
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case LEN(1): s.responseCode = readUInt32Value(r, end); break;
      case VARINT(2): s.headersBytes = uint64Number(r, end); break;
      case VARINT(3): s.bodyBytes = uint64Number(r, end); break;
      case LEN(4): readStringMapEntry(r, end, (s.headers ??= dictionary())); break;
      case LEN(5): readStringMapEntry(r, end, (s.trailers ??= dictionary())); break;
      case LEN(6): s.responseCodeDetails = r.string(end) || undefined; break;
      default: r.skip(tag, end);
    }
  }
  return s;
}

const TLS_VERSIONS: readonly (string | undefined)[] = [undefined, 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const NO_SANS: readonly string[] = Object.freeze([]);

function readTls(r: ProtoReader, end: number): AlsTls {
  let version: string | undefined;
  let sniHostname: string | undefined;
  let localUriSans = NO_SANS;
  let peerUriSans = NO_SANS;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case VARINT(1): version = TLS_VERSIONS[r.uint32(end)]; break;
      case LEN(3): sniHostname = r.string(end) || undefined; break;
      case LEN(4): localUriSans = readSub(r, end, 'localCertificateProperties', readUriSans); break;
      case LEN(5): peerUriSans = readSub(r, end, 'peerCertificateProperties', readUriSans); break;
      default: r.skip(tag, end);
    }
  }
  return { version, sniHostname, localUriSans, peerUriSans };
}

/** CertificateProperties → its URI SANs (`subject_alt_name` 1, each a oneof `uri` 1 / `dns` 2). */
function readUriSans(r: ProtoReader, end: number): readonly string[] {
  const out: string[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag !== LEN(1)) {
      r.skip(tag, end);
      continue;
    }
    const stop = r.lengthDelimited(end);
    while (r.pos < stop) {
      const t = r.tag(stop);
      if (t === LEN(1)) {
        const uri = r.string(stop);
        if (uri !== '') out.push(uri);
      } else r.skip(t, stop);
    }
  }
  return out.length === 0 ? NO_SANS : out;
}

/** An Address field → how Envoy prints it: `ip:port` (`[v6]:port`), a pipe path, `envoy://listener/id`. */
function readAddressField(r: ProtoReader, end: number): string | undefined {
  const stop = r.lengthDelimited(end);
  let text: string | undefined;
  while (r.pos < stop) {
    const tag = r.tag(stop);
    if (tag === LEN(1)) text = readSub(r, stop, 'socketAddress', readSocketAddress);
    else if (tag === LEN(2)) text = readSub(r, stop, 'pipe', readFirstString);
    else if (tag === LEN(3)) text = readSub(r, stop, 'envoyInternalAddress', readInternalAddress);
    else r.skip(tag, stop);
  }
  return text;
}

function readSocketAddress(r: ProtoReader, end: number): string | undefined {
  let address = '';
  let port: string | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(2)) address = r.string(end);
    else if (tag === VARINT(3)) port = String(r.uint32(end));
    else if (tag === LEN(4)) port = r.string(end);
    else r.skip(tag, end);
  }
  if (address === '') return undefined;
  const host = address.includes(':') ? `[${address}]` : address;
  return port === undefined ? host : `${host}:${port}`;
}

/** Pipe: `path` 1. */
function readFirstString(r: ProtoReader, end: number): string | undefined {
  let path: string | undefined;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(1)) path = r.string(end) || undefined;
    else r.skip(tag, end);
  }
  return path;
}

function readInternalAddress(r: ProtoReader, end: number): string | undefined {
  let listener = '';
  let endpointId = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === LEN(1)) listener = r.string(end);
    else if (tag === LEN(2)) endpointId = r.string(end);
    else r.skip(tag, end);
  }
  if (listener === '') return undefined;
  return endpointId === '' ? `envoy://${listener}/` : `envoy://${listener}/${endpointId}`;
}

/** google.protobuf.Timestamp field → unix ns. */
function readTimestamp(r: ProtoReader, end: number): bigint {
  const stop = r.lengthDelimited(end);
  let seconds = 0n;
  let nanos = 0;
  while (r.pos < stop) {
    const tag = r.tag(stop);
    if (tag === VARINT(1)) seconds = r.int64(stop);
    else if (tag === VARINT(2)) nanos = r.uint32(stop) | 0;
    else r.skip(tag, stop);
  }
  return seconds * 1_000_000_000n + BigInt(nanos);
}

/** google.protobuf.Duration field → whole µs (Envoy measures in ns; µs is the record's unit). */
function readDurationUs(r: ProtoReader, end: number): number {
  const stop = r.lengthDelimited(end);
  let seconds = 0;
  let nanos = 0;
  while (r.pos < stop) {
    const tag = r.tag(stop);
    if (tag === VARINT(1)) seconds = Number(r.int64(stop));
    else if (tag === VARINT(2)) nanos = r.uint32(stop) | 0;
    else r.skip(tag, stop);
  }
  return seconds * 1_000_000 + Math.trunc(nanos / 1000);
}

/** google.protobuf.UInt32Value field → its value (a present wrapper without value is 0). */
function readUInt32Value(r: ProtoReader, end: number): number {
  const stop = r.lengthDelimited(end);
  let value = 0;
  while (r.pos < stop) {
    const tag = r.tag(stop);
    if (tag === VARINT(1)) value = r.uint32(stop);
    else r.skip(tag, stop);
  }
  return value;
}

/** One map<string, string> entry (key 1, value 2) into `into`. */
function readStringMapEntry(r: ProtoReader, end: number, into: Record<string, string>): void {
  const stop = r.lengthDelimited(end);
  let key = '';
  let value = '';
  while (r.pos < stop) {
    const tag = r.tag(stop);
    if (tag === LEN(1)) key = r.string(stop);
    else if (tag === LEN(2)) value = r.string(stop);
    else r.skip(tag, stop);
  }
  into[key] = value;
}

/** One map<string, Any> entry into `into`; the Any's value stays a view of the message bytes. */
function readAnyMapEntry(r: ProtoReader, end: number, into: Map<string, AnyMessage>): void {
  const stop = r.lengthDelimited(end);
  let key = '';
  let typeUrl = '';
  let value: Buffer = EMPTY_BYTES;
  while (r.pos < stop) {
    const tag = r.tag(stop);
    if (tag === LEN(1)) key = r.string(stop);
    else if (tag === LEN(2)) {
      const anyEnd = r.lengthDelimited(stop);
      while (r.pos < anyEnd) {
        const t = r.tag(anyEnd);
        if (t === LEN(1)) typeUrl = r.string(anyEnd);
        else if (t === LEN(2)) {
          const valueEnd = r.lengthDelimited(anyEnd);
          value = r.buffer.subarray(r.pos, valueEnd);
          r.pos = valueEnd;
        } else r.skip(t, anyEnd);
      }
    } else r.skip(tag, stop);
  }
  into.set(key, { typeUrl, value });
}

const EMPTY_BYTES = Buffer.alloc(0);

/**
 * A uint64 varint as a JS number: exact up to 2^53 (8 PiB, beyond any byte count one entry can
 * carry), without the BigInt ProtoReader.int64 would allocate for every counter.
 */
function uint64Number(r: ProtoReader, end: number): number {
  const b = r.bytes;
  let pos = r.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new DecodeProblem(`truncated varint at offset ${r.pos}: its enclosing message ends at offset ${end}`);
    const c = b[pos++];
    value += (c & 0x7f) * scale;
    if (c < 0x80) {
      r.pos = pos;
      return value;
    }
    scale *= 128;
  }
  throw new DecodeProblem(`varint longer than 10 bytes at offset ${r.pos}`);
}
