/**
 * One name per mesh service, the one the mesh's tracer gives it, so that trace edges, access-log
 * edges and graph nodes meet. Istio names a proxy's spans after ProxyConfig.tracingServiceName
 * (reference istio-envoy.md §6.3): APP_LABEL_AND_NAMESPACE (default) `<app>.<ns>`,
 * CANONICAL_NAME_ONLY `<canonical>`, CANONICAL_NAME_AND_NAMESPACE `<canonical>.<ns>`. The same
 * rule names both ends of an access-log entry (the reporting proxy's node metadata, the peer
 * metadata), and a destination known only by its cluster / host gets the name its own proxy would
 * report (`reviews.default.svc.cluster.local` → `reviews.default`). Pure functions.
 */
import type { Workload } from '../model/access-log.js';
import { parseUpstreamCluster, serviceFromHost } from './naming.js';

export const MESH_SERVICE_NAMINGS = ['APP_LABEL_AND_NAMESPACE', 'CANONICAL_NAME_ONLY', 'CANONICAL_NAME_AND_NAMESPACE'] as const;
export type MeshServiceNaming = (typeof MESH_SERVICE_NAMINGS)[number];
export const DEFAULT_MESH_SERVICE_NAMING: MeshServiceNaming = 'APP_LABEL_AND_NAMESPACE';

/** A caller nothing is known about (no sidecar, no peer metadata); Istio's labels print the same. */
export const UNKNOWN_NODE = 'unknown';

const isKnown = (v: string | undefined): v is string => v !== undefined && v !== '' && v !== UNKNOWN_NODE;

/** True when the workload names anything a service name can be made of. */
export function workloadIsKnown(w: Workload): boolean {
  return isKnown(w.app) || isKnown(w.canonicalService) || isKnown(w.workload);
}

/**
 * The tracer's service name of a workload, or undefined when it names nothing. Istio's
 * APP_LABEL_AND_NAMESPACE takes the `app` label (then `app.kubernetes.io/name`, then the
 * canonical-name label — our `app` field holds the first two, `canonicalService` the last or
 * the workload name), else the workload name.
 */
export function meshServiceName(w: Workload, naming: MeshServiceNaming): string | undefined {
  const base =
    naming === 'APP_LABEL_AND_NAMESPACE'
      ? firstKnown(w.app, w.canonicalService, w.workload)
      : firstKnown(w.canonicalService, w.app, w.workload);
  if (base === undefined) return undefined;
  return withNamespace(base, isKnown(w.namespace) ? w.namespace : undefined, naming);
}

function firstKnown(...values: (string | undefined)[]): string | undefined {
  return values.find(isKnown);
}

function withNamespace(base: string, namespace: string | undefined, naming: MeshServiceNaming): string {
  return naming === 'CANONICAL_NAME_ONLY' || namespace === undefined ? base : `${base}.${namespace}`;
}

/** The workload-level node id: `<workload>.<ns>` (namespaces keep equal names apart). */
export function meshWorkloadName(w: Workload): string | undefined {
  if (!isKnown(w.workload)) return undefined;
  return isKnown(w.namespace) ? `${w.workload}.${w.namespace}` : w.workload;
}

export interface HostNode {
  readonly id: string;
  readonly namespace?: string;
  /** True when the host is outside the cluster: a ServiceEntry / passthrough destination. */
  readonly external: boolean;
}

/**
 * The node a called host stands for: a Kubernetes service host (`<name>.<ns>.svc[.<domain>]`)
 * becomes the name its proxies report (`<name>.<ns>`, or `<name>` in CANONICAL_NAME_ONLY); any
 * other host leaves the mesh and keeps its own name (`api.example.com`, an IP). A short host
 * without a namespace (`reviews`) takes `namespace` when given (the caller's: Kubernetes resolves
 * short names in the caller's namespace).
 */
export function hostNode(host: string, naming: MeshServiceNaming, callerNamespace?: string): HostNode | undefined {
  const parsed = serviceFromHost(host);
  if (parsed === undefined) return undefined;
  if (parsed.serviceNamespace !== undefined) {
    return { id: withNamespace(parsed.serviceName, parsed.serviceNamespace, naming), namespace: parsed.serviceNamespace, external: false };
  }
  if (!parsed.service.includes('.') && !parsed.service.includes(':') && callerNamespace !== undefined) {
    return { id: withNamespace(parsed.serviceName, callerNamespace, naming), namespace: callerNamespace, external: false };
  }
  return { id: parsed.service, external: true };
}

/**
 * The host an Istio upstream cluster calls: `outbound|9080||reviews.default.svc.cluster.local`
 * (or its SNI form) → the host; passthrough / blackhole / inbound clusters name none.
 */
export function hostOfCluster(cluster: string | undefined): { host?: string; passthrough: boolean; port?: number } {
  if (cluster === undefined || cluster === '' || cluster === '-') return { passthrough: false };
  const info = parseUpstreamCluster(cluster);
  if (info.direction === 'passthrough') return { passthrough: true };
  if (info.direction === 'outbound') return { host: info.host, passthrough: false, port: info.port };
  return { passthrough: false, port: info.port };
}

/**
 * The graph node ids of an Istio standard metric series (istio_requests_total & co., reference
 * §5), so a panel or a Prometheus query reading those series lands on the same nodes as
 * /api/v1/graph: the source from `source_app` / `source_canonical_service` / `source_workload` in
 * `source_workload_namespace`; the destination likewise, else from `destination_service` (the
 * called host: an external host keeps its name). Span metrics (`service`) and service-graph series
 * (`client`, `server`) already carry the tracer's service names, which are the node ids.
 */
export function nodeIdsOfIstioLabels(labels: Readonly<Record<string, string>>, naming: MeshServiceNaming): { source: string; target: string } {
  const source = meshServiceName(
    { app: labels['source_app'], canonicalService: labels['source_canonical_service'], workload: labels['source_workload'], namespace: labels['source_workload_namespace'] },
    naming,
  );
  const target =
    meshServiceName(
      {
        app: labels['destination_app'],
        canonicalService: labels['destination_canonical_service'],
        workload: labels['destination_workload'],
        namespace: labels['destination_workload_namespace'],
      },
      naming,
    ) ?? (labels['destination_service'] !== undefined ? hostNode(labels['destination_service'], naming)?.id : undefined);
  return { source: source ?? UNKNOWN_NODE, target: target ?? UNKNOWN_NODE };
}
