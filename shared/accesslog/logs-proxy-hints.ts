/**
 * What the labels of an envoyOtelAls record say about the hop. Istio sends no resource and no
 * built-in labels, so the only way to know the sending proxy is the labels a mesh operator adds
 * through `logFormat.labels` (reference §4), e.g.
 *
 * ```yaml
 * logFormat:
 *   labels:
 *     pod: "%ENVIRONMENT(POD_NAME)%"
 *     namespace: "%ENVIRONMENT(POD_NAMESPACE)%"
 *     source_workload: "%CEL(filter_state.downstream_peer.workload)%"
 * ```
 *
 * Recognized names (exact, lower case): the proxy's own pod, namespace, workload, cluster, app,
 * version, canonical service/revision (common label names and the OTel `k8s.*` resource names an
 * OTel Collector's k8sattributes processor adds), Envoy's built-in labels `node_name` / `log_name`
 * (when a non-Istio Envoy leaves them on), explicit peer labels named after Istio's metric labels
 * (`source_workload`, `destination_service_name`, … with or without an `istio.` prefix), and the
 * trace context (`trace_id` / `span_id` hex, or a W3C `traceparent`). Unrecognized labels simply
 * stay attributes. Envoy prints `-` for a value it does not have, Istio `unknown`: both count as absent.
 */
import type { DestinationWorkload, Workload } from '../model/access-log.js';
import { isValidLowerHexId } from '../wire/hex.js';
import { parseNodeId, workloadFromPodName } from '../istio/naming.js';

export interface ProxyHints {
  readonly proxyNodeId?: string;
  readonly logName?: string;
  /** The workload whose proxy wrote the entry: fills the reporter's own side of the hop. */
  readonly reportingWorkload?: Workload;
  /** Peer values the sender stated outright. */
  readonly source: Workload;
  readonly destination: DestinationWorkload;
  readonly traceId?: string;
  readonly spanId?: string;
}

type Labels = ReadonlyMap<string, string>;

const POD = ['pod', 'pod_name', 'k8s.pod.name'];
const NAMESPACE = ['namespace', 'pod_namespace', 'k8s.namespace.name'];
const WORKLOAD = ['workload', 'workload_name', 'k8s.deployment.name'];
const CLUSTER = ['cluster', 'cluster_id', 'k8s.cluster.name'];
const APP = ['app'];
const VERSION = ['version'];
const CANONICAL_SERVICE = ['canonical_service', 'service.istio.io/canonical-name'];
const CANONICAL_REVISION = ['canonical_revision', 'service.istio.io/canonical-revision'];
const NODE_ID = ['node_name', 'node_id'];
const LOG_NAME = ['log_name'];

/** Istio metric label suffixes (after `source_` / `destination_`) and the workload field each fills. */
const PEER_LABELS: readonly (readonly [string, keyof DestinationWorkload])[] = [
  ['workload', 'workload'],
  ['workload_namespace', 'namespace'],
  ['namespace', 'namespace'],
  ['canonical_service', 'canonicalService'],
  ['canonical_revision', 'canonicalRevision'],
  ['app', 'app'],
  ['version', 'version'],
  ['cluster', 'cluster'],
  ['principal', 'principal'],
];
const DESTINATION_ONLY: readonly (readonly [string, keyof DestinationWorkload])[] = [
  ['service', 'service'],
  ['service_name', 'serviceName'],
  ['service_namespace', 'serviceNamespace'],
];

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

function first(labels: Labels, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = labels.get(name);
    if (value !== undefined && value !== '' && value !== '-' && value !== 'unknown') return value;
  }
  return undefined;
}

/** Per side, each workload field with the label names that may state it (built once, not per record). */
const PEER_KEYS = {
  source: peerKeys('source', PEER_LABELS),
  destination: peerKeys('destination', [...PEER_LABELS, ...DESTINATION_ONLY]),
};

function peerKeys(side: string, labels: readonly (readonly [string, keyof DestinationWorkload])[]) {
  return labels.map(([suffix, field]) => ({ field, names: [`${side}_${suffix}`, `istio.${side}_${suffix}`] }));
}

function peer(labels: Labels, side: 'source' | 'destination'): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels.size === 0) return out;
  for (const { field, names } of PEER_KEYS[side]) {
    if (out[field] !== undefined) continue;
    const value = first(labels, names);
    if (value !== undefined) out[field] = value;
  }
  return out;
}

function definedOnly(workload: Record<string, string | undefined>): Workload | undefined {
  const entries = Object.entries(workload).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Workload);
}

/** Reads the hints from a record's labels (its attributes, then its resource attributes, as strings). */
export function proxyHintsOf(labels: Labels): ProxyHints {
  const proxyNodeId = first(labels, NODE_ID);
  const node = proxyNodeId !== undefined ? parseNodeId(proxyNodeId) : undefined;
  const pod = first(labels, POD) ?? node?.pod;
  const reportingWorkload = definedOnly({
    workload: first(labels, WORKLOAD) ?? (pod !== undefined ? workloadFromPodName(pod) : undefined),
    namespace: first(labels, NAMESPACE) ?? node?.namespace,
    cluster: first(labels, CLUSTER),
    app: first(labels, APP),
    version: first(labels, VERSION),
    canonicalService: first(labels, CANONICAL_SERVICE),
    canonicalRevision: first(labels, CANONICAL_REVISION),
  });

  let traceId: string | undefined;
  let spanId: string | undefined;
  const traceLabel = first(labels, ['trace_id'])?.toLowerCase();
  const spanLabel = first(labels, ['span_id'])?.toLowerCase();
  if (traceLabel !== undefined && isValidLowerHexId(traceLabel, 32)) traceId = traceLabel;
  if (spanLabel !== undefined && isValidLowerHexId(spanLabel, 16)) spanId = spanLabel;
  const traceparent = TRACEPARENT.exec(first(labels, ['traceparent'])?.toLowerCase() ?? '');
  if (traceId === undefined && traceparent !== null && isValidLowerHexId(traceparent[1], 32)) {
    traceId = traceparent[1];
    if (isValidLowerHexId(traceparent[2], 16)) spanId = traceparent[2];
  }

  return {
    proxyNodeId,
    logName: first(labels, LOG_NAME),
    reportingWorkload,
    source: peer(labels, 'source'),
    destination: peer(labels, 'destination'),
    traceId,
    spanId,
  };
}
