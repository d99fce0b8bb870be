/**
 * Who is at each end of an ALS entry, from what Istio puts in the stream:
 *
 * - the reporting proxy's own workload, from the stream identifier's node (id and metadata:
 *   NAME, NAMESPACE, WORKLOAD_NAME, LABELS, CLUSTER_ID — reference §2.1), decoded once per stream;
 * - the peer, from the filter-state objects the logger was told to log (reference §2.2):
 *   `downstream_peer` (the caller, known on the server side) and `upstream_peer` (the callee,
 *   known on the client side). Istio ≥ 1.24 stores a google.protobuf.Struct in an Any; older
 *   proxies stored `wasm.downstream_peer` / `wasm.upstream_peer`, an Any(BytesValue) wrapping a
 *   FlatBuffers FlatNode, plus the peer's node id under `wasm.*_peer_id`.
 *
 * Peer metadata is a hint: an undecodable value leaves the peer unknown rather than failing the
 * entry, because the rest of the entry is still worth keeping.
 */
import { canonicalFromLabels, parseNodeId, workloadFromPodName } from '../istio/naming.js';
import type { Workload } from '../model/access-log.js';
import { DecodeCache } from '../wire/decode-cache.js';
import { ProtoReader } from '../wire/wire-reader.js';
import type { AlsIdentifier, AnyMessage, EnvoyNode } from './als-wire.js';
import { readFlatNode } from './flat-node.js';
import { decodeStruct, stringEntries, stringField, structField, type StructObject } from './struct.js';

/** The proxy that sends a stream, resolved once from its identifier. */
export interface LocalProxy {
  /** Envoy node id (Istio: `sidecar~<ip>~<pod>.<ns>~<ns>.svc.<domain>`). */
  readonly nodeId?: string;
  /** Istio node id type: `sidecar`, `router` (gateways), `waypoint` … */
  readonly nodeType?: string;
  readonly logName?: string;
  /** Its own workload (no principal: the node does not carry its SPIFFE id). */
  readonly workload: Workload;
}

/** A stream whose identifier never arrived (or could not be read). */
export const UNKNOWN_PROXY: LocalProxy = Object.freeze({ workload: Object.freeze({}) });

export function localProxyOf(identifier: AlsIdentifier | undefined): LocalProxy {
  if (identifier === undefined) return UNKNOWN_PROXY;
  const node = identifier.node;
  const parsedId = node?.id ? parseNodeId(node.id) : undefined;
  return {
    nodeId: node?.id,
    nodeType: parsedId?.type,
    logName: identifier.logName,
    workload: node ? workloadOfNode(node, parsedId?.pod, parsedId?.namespace) : {},
  };
}

function workloadOfNode(node: EnvoyNode, podFromId: string | undefined, namespaceFromId: string | undefined): Workload {
  const meta = node.metadata;
  const labels = stringEntries(structField(meta, 'LABELS'));
  const pod = stringField(meta, 'NAME') ?? podFromId;
  const workload = stringField(meta, 'WORKLOAD_NAME') ?? (pod !== undefined ? workloadFromPodName(pod) : undefined);
  const namespace = stringField(meta, 'NAMESPACE') ?? namespaceFromId;
  // A plain Envoy (no Istio metadata, no Istio node id) names no workload: say nothing rather
  // than a lone default revision.
  if (workload === undefined && namespace === undefined) return UNKNOWN_PROXY.workload;
  return withoutUndefined({
    workload,
    namespace,
    ...canonicalFromLabels(labels, workload),
    ...appAndVersion(labels),
    cluster: stringField(meta, 'CLUSTER_ID'),
  });
}

/** Istio's `app` / `version` labels, with the Kubernetes recommended labels as fallback. */
function appAndVersion(labels: Readonly<Record<string, string>>): Pick<Workload, 'app' | 'version'> {
  return {
    app: labels['app'] || labels['app.kubernetes.io/name'] || undefined,
    version: labels['version'] || labels['app.kubernetes.io/version'] || undefined,
  };
}

export type PeerSide = 'downstream' | 'upstream';

const STRUCT_TYPE = 'type.googleapis.com/google.protobuf.Struct';
const BYTES_VALUE_TYPE = 'type.googleapis.com/google.protobuf.BytesValue';
const STRING_VALUE_TYPE = 'type.googleapis.com/google.protobuf.StringValue';

// A stream's entries carry the same few peers over and over: decode each distinct value once.
const peers = new DecodeCache<Workload | null>(1024);

/**
 * The peer on `side` from an entry's filter-state objects, or undefined when the entry does not
 * say. The current form wins over the legacy one when a proxy logs both.
 */
export function peerFromFilterState(objects: ReadonlyMap<string, AnyMessage> | undefined, side: PeerSide): Workload | undefined {
  if (objects === undefined) return undefined;
  const current = objects.get(`${side}_peer`);
  const fromCurrent = current ? cachedPeer(current) : undefined;
  if (fromCurrent) return fromCurrent;
  const legacy = objects.get(`wasm.${side}_peer`);
  const fromLegacy = legacy ? cachedPeer(legacy) : undefined;
  if (fromLegacy) return fromLegacy;
  const id = objects.get(`wasm.${side}_peer_id`);
  return id ? peerFromNodeId(id) : undefined;
}

function cachedPeer(any: AnyMessage): Workload | undefined {
  const peer = peers.get(any.value, 0, any.value.length, any.typeUrl, () => decodePeer(any));
  return peer ?? undefined;
}

function decodePeer(any: AnyMessage): Workload | null {
  try {
    if (any.typeUrl === STRUCT_TYPE) return workloadOfPeerStruct(decodeStruct(any.value));
    if (any.typeUrl === BYTES_VALUE_TYPE) {
      const bytes = wrappedBytes(any.value);
      return bytes.length > 0 ? workloadOfFlatNode(bytes) : null;
    }
  } catch {
    // Not what Istio writes under this key: the peer stays unknown (see the module comment).
  }
  return null;
}

/**
 * Istio ≥ 1.24 peer Struct: workload, name (pod), namespace, cluster, service, revision, app,
 * version, labels. Its `identity` is not taken as a principal, here or from a FlatNode: principals
 * come only from the certificates the entry's TLS properties show (see als-records.ts).
 */
function workloadOfPeerStruct(peer: StructObject): Workload | null {
  const pod = stringField(peer, 'name');
  const workload = stringField(peer, 'workload') ?? (pod !== undefined ? workloadFromPodName(pod) : undefined);
  const labels = stringEntries(structField(peer, 'labels'));
  const canonical = canonicalFromLabels(labels, workload);
  const fromLabels = appAndVersion(labels);
  const result = withoutUndefined({
    workload,
    namespace: stringField(peer, 'namespace'),
    canonicalService: stringField(peer, 'service') ?? canonical.canonicalService,
    canonicalRevision: stringField(peer, 'revision') ?? canonical.canonicalRevision,
    app: stringField(peer, 'app') ?? fromLabels.app,
    version: stringField(peer, 'version') ?? fromLabels.version,
    cluster: stringField(peer, 'cluster'),
  });
  return result.workload === undefined && result.namespace === undefined ? null : result;
}

/** Pre-1.24 FlatNode: pod name, namespace, labels, workload_name, cluster_id. */
function workloadOfFlatNode(bytes: Uint8Array): Workload | null {
  const node = readFlatNode(bytes);
  const workload = node.workloadName ?? (node.name !== undefined ? workloadFromPodName(node.name) : undefined);
  const result = withoutUndefined({
    workload,
    namespace: node.namespace,
    ...canonicalFromLabels(node.labels, workload),
    ...appAndVersion(node.labels),
    cluster: node.clusterId,
  });
  return result.workload === undefined && result.namespace === undefined ? null : result;
}

/** `wasm.*_peer_id`: the peer's node id, as BytesValue (or StringValue) in an Any. */
function peerFromNodeId(any: AnyMessage): Workload | undefined {
  if (any.typeUrl !== BYTES_VALUE_TYPE && any.typeUrl !== STRING_VALUE_TYPE) return undefined;
  let id: string;
  try {
    id = Buffer.from(wrappedBytes(any.value)).toString('utf8');
  } catch {
    return undefined;
  }
  const parsed = parseNodeId(id);
  if (!parsed) return undefined;
  return withoutUndefined({ workload: workloadFromPodName(parsed.pod), namespace: parsed.namespace });
}

/** The `value` (field 1, bytes or string) of a BytesValue / StringValue. */
function wrappedBytes(message: Buffer): Uint8Array {
  const r = new ProtoReader(message);
  const end = message.length;
  let value: Uint8Array = new Uint8Array(0);
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      const stop = r.lengthDelimited(end);
      value = message.subarray(r.pos, stop);
      r.pos = stop;
    } else r.skip(tag, end);
  }
  return value;
}

/** Workloads are compared and stored field by field; absent fields are left out, not `undefined`. */
function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return Object.freeze(value);
}
