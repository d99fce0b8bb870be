/**
 * Decoded ALS entries → AccessLogRecords (shared/model/access-log.ts), with the stream's proxy
 * identity. Which side of the hop the proxy is (reporter), who the peer was, mTLS and principals
 * follow Istio's own metric labels (reference §5, "From ALS to these labels"):
 *
 * - reporter from the upstream cluster (`inbound|…` → destination, else source); a waypoint
 *   proxy (node id type `waypoint`) reports as `waypoint`, between two peers;
 * - the proxy's workload is the destination when it reports as destination, else the source;
 *   the peer comes from `downstream_peer` (the caller) or `upstream_peer` (the callee);
 * - TLS properties describe only the downstream connection: on the server side, the peer URI SAN
 *   is the caller's principal and the local one the server's, and mTLS means both were presented.
 *   On the client side Envoy logs nothing about the upstream connection, so mTLS and principals
 *   stay unknown there.
 */
import { accessLogId } from '../accesslog/id.js';
import { fillDerivedFields, reporterFromCluster } from '../istio/naming.js';
import type { AccessLogRecord, DestinationWorkload, Reporter, Workload } from '../model/access-log.js';
import type { AlsCommon, AlsHttpEntry, AlsMessage, AlsTcpEntry, AnyMessage } from './als-wire.js';
import { dictionary } from './dictionary.js';
import { peerFromFilterState, type LocalProxy } from './istio-identity.js';
import { readLoggedHeaders, type HeaderFields } from './logged-headers.js';

/** RequestMethod numbers (envoy.config.core.v3) → names; 0 is unspecified. */
const METHODS: readonly (string | undefined)[] = [
  undefined, 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
];

/** HTTPVersion numbers → how Envoy's %PROTOCOL% prints them. */
const PROTOCOLS: readonly (string | undefined)[] = [undefined, 'HTTP/1.0', 'HTTP/1.1', 'HTTP/2', 'HTTP/3'];

/**
 * AccessLogType names for entries written before the end of a request or connection (periodic
 * TCP entries, tunnel and upstream-side entries). They are kept as an attribute, under Envoy's
 * operator name, so bytes of periodic entries are not mistaken for whole connections; the usual
 * end-of-request and end-of-connection entries carry no such attribute.
 */
const NOT_FINAL_LOG_TYPES: readonly (string | undefined)[] = [
  undefined, 'TcpUpstreamConnected', 'TcpPeriodic', undefined, 'DownstreamStart', 'DownstreamPeriodic', undefined,
  'UpstreamPoolReady', 'UpstreamPeriodic', 'UpstreamEnd', 'DownstreamTunnelSuccessfullyEstablished',
  'UdpTunnelUpstreamConnected', 'UdpPeriodic', undefined, 'TcpConnectionStart',
];

/**
 * The records of one StreamAccessLogsMessage. `receivedAtUnixNano` stands in for an entry's
 * start time if Envoy left it out (it always sets it; this only keeps a malformed entry).
 */
export function toAccessLogRecords(message: AlsMessage, proxy: LocalProxy, receivedAtUnixNano = nowUnixNano()): AccessLogRecord[] {
  const out: AccessLogRecord[] = [];
  for (const entry of message.httpEntries) out.push(httpRecord(entry, proxy, receivedAtUnixNano));
  for (const entry of message.tcpEntries) out.push(tcpRecord(entry, proxy, receivedAtUnixNano));
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Records are built as one object literal with every field, not by spreading partial objects:
// V8 spreads of ~40-property objects were most of the mapping cost (measured in test/bench/als.ts),
// and one shape for HTTP and TCP records keeps the encoders downstream monomorphic.

function httpRecord(entry: AlsHttpEntry, proxy: LocalProxy, receivedAt: bigint): AccessLogRecord {
  const c = entry.common;
  const q = entry.request;
  const s = entry.response;
  const extra = commonAttributes(c);
  readLoggedHeaders(extra, q?.headers, s?.headers, s?.trailers);
  const who = whoTalked(c, proxy, q?.authority);
  const record: Mutable<AccessLogRecord> = {
    id: '',
    kind: 'http',
    input: 'als',
    startTimeUnixNano: c.startTimeUnixNano ?? receivedAt,
    durationUs: c.durationUs ?? c.timeToLastDownstreamTxByteUs,
    reporter: who.reporter,
    method: q ? METHODS[q.method] : undefined,
    // As Istio's TEXT format prints it: the path before any rewrite (x-envoy-original-path).
    path: q?.originalPath ?? q?.path,
    authority: q?.authority,
    scheme: q?.scheme,
    protocol: PROTOCOLS[entry.protocolVersion],
    userAgent: q?.userAgent,
    requestId: q?.requestId,
    forwardedFor: q?.forwardedFor,
    // No response code means Envoy sent no response, which it prints as 0.
    responseCode: s?.responseCode ?? 0,
    responseFlags: c.responseFlags,
    responseCodeDetails: s?.responseCodeDetails,
    connectionTerminationDetails: c.connectionTerminationDetails,
    upstreamTransportFailureReason: c.upstreamTransportFailureReason,
    grpcStatus: extra.grpcStatus,
    upstreamServiceTimeMs: extra.upstreamServiceTimeMs,
    // Wire bytes (headers and framing included) are what Istio's request/response size metrics
    // count; Envoy releases that do not fill them still give header and body sizes.
    bytesReceived: c.downstreamWireBytesReceived || (q ? q.headersBytes + q.bodyBytes : 0),
    bytesSent: c.downstreamWireBytesSent || (s ? s.headersBytes + s.bodyBytes : 0),
    upstreamCluster: c.upstreamCluster,
    upstreamHost: c.upstreamRemoteAddress,
    upstreamLocalAddress: c.upstreamLocalAddress,
    downstreamLocalAddress: c.downstreamLocalAddress,
    downstreamRemoteAddress: c.downstreamRemoteAddress,
    requestedServerName: c.tls?.sniHostname,
    routeName: c.routeName,
    mtls: who.mtls,
    source: who.source,
    destination: who.destination,
    proxyNodeId: proxy.nodeId,
    logName: proxy.logName,
    traceId: extra.traceId,
    spanId: extra.spanId,
    attributes: extra.attributes,
  };
  record.id = accessLogId(record);
  return record;
}

function tcpRecord(entry: AlsTcpEntry, proxy: LocalProxy, receivedAt: bigint): AccessLogRecord {
  const c = entry.common;
  const extra = commonAttributes(c);
  const who = whoTalked(c, proxy, undefined);
  const record: Mutable<AccessLogRecord> = {
    id: '',
    kind: 'tcp',
    input: 'als',
    startTimeUnixNano: c.startTimeUnixNano ?? receivedAt,
    durationUs: c.durationUs ?? c.timeToLastDownstreamTxByteUs,
    reporter: who.reporter,
    method: undefined,
    path: undefined,
    authority: undefined,
    scheme: undefined,
    protocol: undefined,
    userAgent: undefined,
    requestId: undefined,
    forwardedFor: undefined,
    responseCode: undefined,
    responseFlags: c.responseFlags,
    responseCodeDetails: undefined,
    connectionTerminationDetails: c.connectionTerminationDetails,
    upstreamTransportFailureReason: c.upstreamTransportFailureReason,
    grpcStatus: undefined,
    upstreamServiceTimeMs: undefined,
    bytesReceived: entry.connection ? entry.connection.receivedBytes : c.downstreamWireBytesReceived,
    bytesSent: entry.connection ? entry.connection.sentBytes : c.downstreamWireBytesSent,
    upstreamCluster: c.upstreamCluster,
    upstreamHost: c.upstreamRemoteAddress,
    upstreamLocalAddress: c.upstreamLocalAddress,
    downstreamLocalAddress: c.downstreamLocalAddress,
    downstreamRemoteAddress: c.downstreamRemoteAddress,
    requestedServerName: c.tls?.sniHostname,
    routeName: c.routeName,
    mtls: who.mtls,
    source: who.source,
    destination: who.destination,
    proxyNodeId: proxy.nodeId,
    logName: proxy.logName,
    traceId: undefined,
    spanId: undefined,
    attributes: extra.attributes,
  };
  record.id = accessLogId(record);
  return record;
}

/** Custom tags and the Envoy facts without a record field, as attributes (operator names as keys). */
function commonAttributes(c: AlsCommon): HeaderFields {
  const attributes = dictionary<string>();
  if (c.customTags) for (const key of Object.keys(c.customTags)) attributes[key] = c.customTags[key];
  const logType = NOT_FINAL_LOG_TYPES[c.accessLogType];
  if (logType !== undefined) attributes['ACCESS_LOG_TYPE'] = logType;
  if (c.downstreamTransportFailureReason !== undefined) attributes['DOWNSTREAM_TRANSPORT_FAILURE_REASON'] = c.downstreamTransportFailureReason;
  // Retries are worth seeing; a single attempt is the norm and says nothing.
  if (c.upstreamRequestAttemptCount !== undefined && c.upstreamRequestAttemptCount > 1) {
    attributes['UPSTREAM_REQUEST_ATTEMPT_COUNT'] = String(c.upstreamRequestAttemptCount);
  }
  return { attributes };
}

interface Sides {
  readonly reporter: Reporter;
  readonly source: Workload;
  readonly destination: DestinationWorkload;
  readonly mtls: boolean | undefined;
}

/** Who talked to whom (see the module comment), completed by Istio's derivations from names. */
function whoTalked(c: AlsCommon, proxy: LocalProxy, authority: string | undefined): Sides {
  const objects = c.filterStateObjects;
  const reporter = reporterOf(proxy, c.upstreamCluster, objects);
  const peerSan = c.tls?.peerUriSans[0];
  const localSan = c.tls?.localUriSans[0];
  const bothSans = peerSan !== undefined && localSan !== undefined;

  let source: Workload = {};
  let destination: DestinationWorkload = {};
  let mtls: boolean | undefined;
  switch (reporter) {
    case 'destination':
      source = withPrincipal(peerFromFilterState(objects, 'downstream'), peerSan);
      destination = withPrincipal(proxy.workload, localSan);
      mtls = bothSans;
      break;
    case 'source':
      source = proxy.workload;
      destination = peerFromFilterState(objects, 'upstream') ?? {};
      break;
    case 'waypoint':
      source = withPrincipal(peerFromFilterState(objects, 'downstream'), peerSan);
      destination = peerFromFilterState(objects, 'upstream') ?? {};
      mtls = bothSans || undefined;
      break;
    default:
      mtls = bothSans || undefined;
  }

  const derived = fillDerivedFields({
    upstreamCluster: c.upstreamCluster, authority, requestedServerName: c.tls?.sniHostname, reporter, source, destination,
  });
  return { reporter, source: derived.source, destination: derived.destination, mtls };
}

function withPrincipal(workload: Workload | undefined, principal: string | undefined): Workload {
  if (principal === undefined) return workload ?? {};
  return { ...workload, principal };
}

function reporterOf(proxy: LocalProxy, upstreamCluster: string | undefined, objects: ReadonlyMap<string, AnyMessage> | undefined): Reporter {
  if (proxy.nodeType === 'waypoint') return 'waypoint';
  const fromCluster = reporterFromCluster(upstreamCluster);
  if (fromCluster !== 'unknown') return fromCluster;
  // No cluster (no route, a local reply): the peer the proxy learned tells the direction — only
  // the server side discovers its caller, only the client side its callee.
  if (objects?.has('downstream_peer') || objects?.has('wasm.downstream_peer')) return 'destination';
  if (objects?.has('upstream_peer') || objects?.has('wasm.upstream_peer')) return 'source';
  // Gateways have outbound listeners only.
  return proxy.nodeType === 'router' ? 'source' : 'unknown';
}

function nowUnixNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
