/**
 * Istio's `FlatNode` (istio/proxy extensions/common/node_info.fbs): the peer metadata proxies
 * before Istio 1.24 exchanged and kept in filter state as `wasm.downstream_peer` /
 * `wasm.upstream_peer`. Field indexes are the schema's declaration order.
 */
import { dictionary } from './dictionary.js';
import { FlatBufferReader } from './flatbuffers.js';

const FIELD = {
  name: 0,
  namespace: 1,
  labels: 2,
  owner: 3,
  workloadName: 4,
  platformMetadata: 5,
  istioVersion: 6,
  meshId: 7,
  appContainers: 8,
  clusterId: 9,
  instanceIps: 10,
  identity: 11,
} as const;

// KeyVal table: key 0, value 1.
const KEY = 0;
const VALUE = 1;

export interface FlatNode {
  /** Pod name. */
  readonly name?: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** e.g. kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1 */
  readonly owner?: string;
  readonly workloadName?: string;
  readonly istioVersion?: string;
  readonly meshId?: string;
  readonly clusterId?: string;
  readonly instanceIps: readonly string[];
  /** SPIFFE id, when the writer knew it. */
  readonly identity?: string;
}

/** Reads a FlatNode buffer. Throws FlatBufferError when the buffer is not a readable FlatNode. */
export function readFlatNode(bytes: Uint8Array): FlatNode {
  const fb = new FlatBufferReader(bytes);
  const node = fb.rootTable();
  const labels = dictionary<string>();
  for (const entry of fb.tableVector(node, FIELD.labels)) {
    const key = fb.string(entry, KEY);
    if (key !== undefined) labels[key] = fb.string(entry, VALUE) ?? '';
  }
  return {
    name: fb.string(node, FIELD.name) || undefined,
    namespace: fb.string(node, FIELD.namespace) || undefined,
    labels,
    owner: fb.string(node, FIELD.owner) || undefined,
    workloadName: fb.string(node, FIELD.workloadName) || undefined,
    istioVersion: fb.string(node, FIELD.istioVersion) || undefined,
    meshId: fb.string(node, FIELD.meshId) || undefined,
    clusterId: fb.string(node, FIELD.clusterId) || undefined,
    instanceIps: fb.stringVector(node, FIELD.instanceIps),
    identity: fb.string(node, FIELD.identity) || undefined,
  };
}
