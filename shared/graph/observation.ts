/**
 * Access-log entries and spans as GraphObservations: both ends named with the mesh's service
 * identity (shared/istio/service-naming.ts), the call keyed so its several reports count once,
 * and the outcome classified. Pure; the memory store runs it at query time, Elasticsearch at write
 * time (indexed `graph.*` fields the aggregations read).
 */
import { parseNodeId, workloadFromPodName } from '../istio/naming.js';
import {
  hostNode,
  hostOfCluster,
  meshServiceName,
  meshWorkloadName,
  UNKNOWN_NODE,
  workloadIsKnown,
  type MeshServiceNaming,
} from '../istio/service-naming.js';
import type { AccessLogRecord } from '../model/access-log.js';
import { SpanKind, type AnyValue, type SpanRecord } from '../model/span.js';
import type { GraphObservation, GraphProtocol, NodeKind } from './model.js';

/** Well-known ports of TCP destinations that are datastores or brokers, for the node kind. */
const DATABASE_PORTS = new Set([1433, 1521, 3306, 5432, 6379, 9042, 11211, 27017, 26257]);
const MESSAGING_PORTS = new Set([4222, 5672, 9092, 61616, 1883]);

export function kindOfPort(port: number | undefined): NodeKind | undefined {
  if (port === undefined) return undefined;
  if (DATABASE_PORTS.has(port)) return 'database';
  if (MESSAGING_PORTS.has(port)) return 'messaging';
  return undefined;
}

function portOfAddress(address: string | undefined): number | undefined {
  if (address === undefined) return undefined;
  const match = /:(\d{1,5})$/.exec(address);
  return match ? Number(match[1]) : undefined;
}

/** Error as the graph counts it: 5xx, a gRPC status other than OK, or any Envoy response flag. */
function isError(code: number | undefined, grpcStatus: string | undefined, flags: readonly string[]): boolean {
  if (code !== undefined && code >= 500) return true;
  if (grpcStatus !== undefined && grpcStatus !== '' && grpcStatus !== '0') return true;
  return flags.length > 0;
}

function codeClassOf(protocol: GraphProtocol, code: number | undefined, grpcStatus: string | undefined): string | undefined {
  if (protocol === 'tcp') return undefined;
  if (protocol === 'grpc' && grpcStatus !== undefined && grpcStatus !== '') return `grpc:${grpcStatus}`;
  if (code === undefined) return undefined;
  return code === 0 ? '0' : `${Math.floor(code / 100)}xx`;
}

/**
 * The observation of one access-log entry, or undefined for a plain log or an entry whose target
 * cannot be named. Source: the caller's workload (the reporting proxy's node metadata when it is
 * the caller, else the downstream peer), `unknown` without one. Target: the callee's workload
 * (own node metadata on the inbound side, upstream peer on the outbound side), else the called
 * host (cluster host, then :authority); a host outside the cluster is an `external` node.
 */
export function observationOfAccessLog(record: AccessLogRecord, naming: MeshServiceNaming): GraphObservation | undefined {
  if (record.kind !== 'http' && record.kind !== 'tcp') return undefined;
  const { source: src, destination: dst } = record;
  const proxyType = record.proxyNodeId ? parseNodeId(record.proxyNodeId)?.type : undefined;

  const sourceKnown = workloadIsKnown(src);
  const source = sourceKnown ? meshServiceName(src, naming)! : UNKNOWN_NODE;
  const sourceNamespace = sourceKnown ? src.namespace : undefined;
  const sourceKind: NodeKind = !sourceKnown ? 'unknown' : record.reporter === 'source' && proxyType === 'router' ? 'gateway' : 'service';

  const cluster = hostOfCluster(record.upstreamCluster);
  const port = cluster.port ?? portOfAddress(record.upstreamHost);
  const protocol: GraphProtocol =
    record.kind === 'tcp' ? 'tcp' : record.grpcStatus !== undefined || isGrpcContentType(record) ? 'grpc' : 'http';
  let target: string;
  let targetNamespace: string | undefined;
  let targetKind: NodeKind;
  if (workloadIsKnown(dst)) {
    target = meshServiceName(dst, naming)!;
    targetNamespace = dst.namespace;
    targetKind = record.reporter === 'destination' && proxyType === 'router' ? 'gateway' : 'service';
  } else {
    const host = cluster.host ?? (dst.service !== undefined && !cluster.passthrough ? dst.service : undefined) ?? record.authority;
    const node = host !== undefined ? hostNode(host, naming, src.namespace) : undefined;
    if (node === undefined) {
      target = UNKNOWN_NODE;
      targetKind = 'unknown';
    } else {
      target = node.id;
      targetNamespace = node.namespace;
      targetKind = node.external ? 'external' : 'service';
    }
  }
  if (protocol === 'tcp' && targetKind === 'service') targetKind = kindOfPort(port) ?? targetKind;
  if (protocol === 'tcp' && targetKind === 'external') targetKind = kindOfPort(port) ?? targetKind;

  // Without a request id (TCP) the caller's entry counts the connection; the callee's twin counts
  // only when no caller report can exist (an unknown caller has no sidecar).
  const countsAlone = record.reporter === 'source' || (record.reporter === 'destination' && !sourceKnown);
  const requestKey =
    record.requestId !== undefined && record.requestId !== '' ? `rid:${record.requestId}` : countsAlone ? `log:${record.id}` : undefined;
  const counts = requestKey !== undefined;
  return {
    signal: 'accesslogs',
    source,
    target,
    sourceWorkload: sourceKnown ? meshWorkloadName(src) ?? source : UNKNOWN_NODE,
    targetWorkload: meshWorkloadName(dst) ?? target,
    sourceKind,
    targetKind,
    sourceNamespace,
    targetNamespace,
    protocol,
    requestKey,
    timeUs: Number(record.startTimeUnixNano / 1000n),
    durationMs: record.durationUs !== undefined ? record.durationUs / 1000 : undefined,
    codeClass: codeClassOf(protocol, record.responseCode, record.grpcStatus),
    error: isError(protocol === 'tcp' ? undefined : record.responseCode, record.grpcStatus, record.responseFlags),
    mtls: record.mtls,
    // The entry's bytes are the downstream side's: what the caller sent is what it received.
    bytesSent: counts && protocol === 'tcp' ? record.bytesReceived : undefined,
    bytesReceived: counts && protocol === 'tcp' ? record.bytesSent : undefined,
  };
}

function isGrpcContentType(record: AccessLogRecord): boolean {
  // Logged headers without a record field are kept under the Envoy operator that prints them.
  const contentType = record.attributes['REQ(CONTENT-TYPE)'] ?? record.attributes['content-type'];
  return contentType !== undefined && contentType.startsWith('application/grpc');
}

// --- spans ---------------------------------------------------------------------------------------

function attr(span: SpanRecord, key: string): AnyValue | undefined {
  for (const kv of span.attributes) if (kv.key === key) return kv.value;
  for (const kv of span.resource.attributes) if (kv.key === key) return kv.value;
  return undefined;
}

function str(span: SpanRecord, key: string): string | undefined {
  const v = attr(span, key);
  if (v === undefined) return undefined;
  switch (v.type) {
    case 'string':
      return v.value === '' ? undefined : v.value;
    case 'int':
      return v.value.toString();
    case 'double':
      return String(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    default:
      return undefined;
  }
}

function num(span: SpanRecord, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const text = str(span, key);
    if (text !== undefined && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  }
  return undefined;
}

/**
 * The callee a client span names: Envoy's `upstream_cluster` (Istio cluster name), else the
 * OpenTelemetry peer attributes (`peer.service`, `server.address`, `net.peer.name`, the host of
 * `http.url` / `url.full`), else the system a database or messaging client talks to.
 */
function calleeOfSpan(span: SpanRecord, naming: MeshServiceNaming, callerNamespace: string | undefined) {
  const cluster = hostOfCluster(str(span, 'upstream_cluster') ?? str(span, 'upstream_cluster.name'));
  const dbSystem = str(span, 'db.system') ?? str(span, 'db.system.name');
  const messagingSystem = str(span, 'messaging.system');
  const urlHost = hostOfUrl(str(span, 'http.url') ?? str(span, 'url.full'));
  const peerService = str(span, 'peer.service');
  const host = cluster.host ?? (cluster.passthrough ? urlHost : undefined) ?? str(span, 'server.address') ?? str(span, 'net.peer.name') ?? urlHost;
  if (peerService !== undefined && cluster.host === undefined) {
    return { id: peerService, namespace: undefined, kind: dbSystem ? 'database' : messagingSystem ? 'messaging' : 'service' } as const;
  }
  if (host === undefined) {
    if (dbSystem !== undefined) return { id: dbSystem, namespace: undefined, kind: 'database' } as const;
    if (messagingSystem !== undefined) return { id: messagingSystem, namespace: undefined, kind: 'messaging' } as const;
    return undefined;
  }
  const node = hostNode(host, naming, callerNamespace);
  if (node === undefined) return undefined;
  const kind: NodeKind = dbSystem ? 'database' : messagingSystem ? 'messaging' : node.external ? 'external' : 'service';
  return { id: node.id, namespace: node.namespace, kind };
}

function hostOfUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(url);
  if (!match) return undefined;
  const authority = match[1]!;
  const at = authority.lastIndexOf('@');
  return at >= 0 ? authority.slice(at + 1) : authority;
}

/**
 * The observation of a client (or producer) span that names its callee, or undefined. The span's
 * service is the caller, named by the tracer (Istio: tracingServiceName) — already the node id.
 * Server spans add nothing: their call is the caller's client span, or, with no traced caller,
 * only the callee's access logs know who called.
 */
export function observationOfSpan(span: SpanRecord, naming: MeshServiceNaming): GraphObservation | undefined {
  if (span.kind !== SpanKind.CLIENT && span.kind !== SpanKind.PRODUCER) return undefined;
  const nodeId = str(span, 'node_id');
  const proxy = nodeId !== undefined ? parseNodeId(nodeId) : undefined;
  const sourceNamespace = str(span, 'istio.namespace') ?? str(span, 'k8s.namespace.name') ?? proxy?.namespace;
  const callee = calleeOfSpan(span, naming, sourceNamespace);
  if (callee === undefined) return undefined;
  const grpcStatus = str(span, 'grpc.status_code') ?? str(span, 'rpc.grpc.status_code');
  const protocol: GraphProtocol =
    grpcStatus !== undefined || str(span, 'rpc.system') === 'grpc' || str(span, 'grpc.path') !== undefined ? 'grpc' : 'http';
  const code = num(span, 'http.status_code', 'http.response.status_code');
  const flagsText = str(span, 'response_flags');
  const flags = flagsText !== undefined && flagsText !== '-' ? flagsText.split(',') : [];
  const errorTag = str(span, 'error') === 'true' || span.status.code === 2;
  const requestId = str(span, 'guid:x-request-id');
  const durationNs = span.endTimeUnixNano - span.startTimeUnixNano;
  const workload = proxy !== undefined && sourceNamespace !== undefined ? `${workloadFromPodName(proxy.pod)}.${sourceNamespace}` : undefined;
  return {
    signal: 'traces',
    source: span.serviceName,
    target: callee.id,
    sourceWorkload: workload,
    sourceKind: proxy?.type === 'router' ? 'gateway' : 'service',
    targetKind: callee.kind,
    sourceNamespace,
    targetNamespace: callee.namespace,
    protocol,
    requestKey: requestId !== undefined ? `rid:${requestId}` : `span:${span.traceId}:${span.spanId}`,
    timeUs: Number(span.startTimeUnixNano / 1000n),
    durationMs: durationNs > 0n ? Number(durationNs) / 1e6 : 0,
    codeClass: codeClassOf(protocol, code, grpcStatus),
    error: errorTag || isError(code, grpcStatus, flags),
  };
}
