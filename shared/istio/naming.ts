/**
 * What Istio's naming conventions tell about a hop, shared by every access-log input (ALS, OTLP
 * logs, Istio lines): cluster names → direction and destination service, node ids → pod and
 * namespace, pod names → workload, SPIFFE ids → namespace and service account, pod labels →
 * canonical service and revision. Facts from shared/reference/istio-envoy.md §2.1–§2.3 and §5.
 * Pure functions; an input they do not recognize yields `undefined` / 'unknown', never an error,
 * because these names are hints and a proxy configured differently must not lose its entries.
 */
import type { AccessLogRecord, DestinationWorkload, Reporter, Workload } from '../model/access-log.js';

export type ClusterDirection = 'inbound' | 'outbound' | 'passthrough' | 'blackhole' | 'unknown';

export interface UpstreamClusterInfo {
  readonly direction: ClusterDirection;
  readonly port?: number;
  /** DestinationRule subset (`v2` in `outbound|9080|v2|reviews…`); undefined when empty. */
  readonly subset?: string;
  /** Service host (`reviews.default.svc.cluster.local`); undefined for `inbound|9080||`. */
  readonly host?: string;
  /**
   * Set for Istio's special clusters (PassthroughCluster, BlackHoleCluster,
   * InboundPassthroughCluster[Ipv4|Ipv6]): the name as written. Istio's metrics use it as
   * destination_service_name, as there is no service behind them.
   */
  readonly special?: string;
}

const UNKNOWN_CLUSTER: UpstreamClusterInfo = { direction: 'unknown' };

/**
 * Parses an Istio cluster name: `outbound|<port>|<subset>|<host>`, `inbound|<port>||` (very old
 * Istio: `inbound|<port>|<port name>|<host>`, whose third field is a port name, not a subset),
 * the SNI / DNS-SRV form `outbound_.<port>_.<subset>_.<host>` (`_` = no subset), and the special
 * passthrough and blackhole clusters.
 */
export function parseUpstreamCluster(name: string): UpstreamClusterInfo {
  const trimmed = name.trim();
  if (trimmed === 'PassthroughCluster') return { direction: 'passthrough', special: trimmed };
  if (trimmed === 'BlackHoleCluster') return { direction: 'blackhole', special: trimmed };
  // Older Istio split the inbound passthrough cluster per IP family.
  if (/^InboundPassthroughCluster(Ipv4|Ipv6)?$/.test(trimmed)) return { direction: 'inbound', special: trimmed };

  const pipe = trimmed.split('|');
  if (pipe.length === 4) {
    const [direction, portText, third, host] = pipe;
    if (direction !== 'inbound' && direction !== 'outbound') return UNKNOWN_CLUSTER;
    return {
      direction,
      port: portOf(portText),
      // Only outbound clusters carry a subset; the old inbound form put the port name there.
      subset: direction === 'outbound' && third !== '' ? third : undefined,
      host: host !== '' ? host : undefined,
    };
  }

  const sni = /^(inbound|outbound)_\.(\d*)_\.([^.]*)_\.(.*)$/.exec(trimmed);
  if (sni) {
    const [, direction, portText, subset, host] = sni;
    return {
      direction: direction as 'inbound' | 'outbound',
      port: portOf(portText),
      subset: subset !== '' && subset !== '_' ? subset : undefined,
      host: host !== '' ? host : undefined,
    };
  }
  return UNKNOWN_CLUSTER;
}

function portOf(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/**
 * Which proxy wrote the entry (reference §5): a sidecar's inbound clusters serve its own workload,
 * so the entry is the destination's; everything else (sidecar outbound, gateways, passthrough,
 * blackhole) is the calling side. No cluster at all → 'unknown'.
 */
export function reporterFromCluster(name: string | undefined): Reporter {
  if (name === undefined || name.trim() === '' || name.trim() === '-') return 'unknown';
  return parseUpstreamCluster(name).direction === 'inbound' ? 'destination' : 'source';
}

export interface ServiceOfHost {
  /** The host without port: `reviews.default.svc.cluster.local`, or `reviews` for a short authority. */
  readonly service: string;
  /** First label (`reviews`); an IP address is kept whole, as its first octet names nothing. */
  readonly serviceName: string;
  /** Kubernetes namespace when the host says it (`<name>.<ns>.svc…`). */
  readonly serviceNamespace?: string;
}

/**
 * The destination service of a host or `:authority` (`reviews.default.svc.cluster.local`,
 * `reviews:9080`, `[fd00::1]:8080`). The namespace is only taken from `<name>.<ns>.svc[.<domain>]`:
 * a two-label host such as `example.com` cannot be told apart from `reviews.default`.
 * Undefined for an empty host or Envoy's `-`.
 */
export function serviceFromHost(host: string): ServiceOfHost | undefined {
  const service = stripPort(host.trim()).toLowerCase();
  if (service === '' || service === '-') return undefined;
  if (isIpAddress(service)) return { service, serviceName: service };
  const labels = service.split('.');
  const serviceNamespace = labels.length >= 3 && labels[2] === 'svc' && labels[1] !== '' ? labels[1] : undefined;
  return { service, serviceName: labels[0], serviceNamespace };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(1, end) : host;
  }
  // More than one ':' without brackets is a bare IPv6 address, which has no port to strip.
  const colon = host.indexOf(':');
  if (colon >= 0 && colon === host.lastIndexOf(':')) return host.slice(0, colon);
  return host;
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

export interface SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** `spiffe://cluster.local/ns/default/sa/bookinfo-reviews` → its parts; undefined for other ids. */
export function parseSpiffe(principal: string): SpiffeId | undefined {
  const match = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal.trim());
  if (!match) return undefined;
  const [, trustDomain, namespace, serviceAccount] = match;
  return { trustDomain, namespace, serviceAccount };
}

export interface CanonicalNames {
  readonly canonicalService?: string;
  readonly canonicalRevision: string;
}

const CANONICAL_NAME_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'];
const CANONICAL_REVISION_LABELS = ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version'];

/**
 * Istio's canonical service and revision of a pod (reference §2.1): first label present, else the
 * workload name (service) and `latest` (revision).
 */
export function canonicalFromLabels(labels: Readonly<Record<string, string>>, workloadName?: string): CanonicalNames {
  const first = (keys: readonly string[]) => keys.map((k) => labels[k]).find((v) => v !== undefined && v !== '');
  return {
    canonicalService: first(CANONICAL_NAME_LABELS) ?? (workloadName || undefined),
    canonicalRevision: first(CANONICAL_REVISION_LABELS) ?? 'latest',
  };
}

export interface ProxyNodeId {
  /** `sidecar`, `router` (gateways), `waypoint` … */
  readonly type: string;
  readonly ip: string;
  readonly pod: string;
  readonly namespace?: string;
  /** DNS domain, e.g. `default.svc.cluster.local`. */
  readonly domain?: string;
}

/**
 * `<type>~<ip>~<pod>.<ns>~<ns>.svc.<domain>` (reference §2.1). Namespaces are DNS labels (no
 * dots), so the pod/namespace split is at the last dot. Undefined for ids of another shape.
 */
export function parseNodeId(id: string): ProxyNodeId | undefined {
  const parts = id.trim().split('~');
  if (parts.length !== 4 || parts[0] === '' || parts[2] === '') return undefined;
  const [type, ip, podAndNs, domain] = parts;
  const dot = podAndNs.lastIndexOf('.');
  const pod = dot > 0 ? podAndNs.slice(0, dot) : podAndNs;
  const namespace = dot > 0 ? podAndNs.slice(dot + 1) : domain.split('.')[0] || undefined;
  return { type, ip, pod, namespace: namespace || undefined, domain: domain || undefined };
}

// Kubernetes generates name suffixes from this alphabet (no vowels, no 0/1/3), which keeps words
// such as `nginx` or `gateway` from looking like hashes.
const K8S_RAND = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${K8S_RAND}{6,10}-${K8S_RAND}{5}$`);
const STATEFUL_POD = /^(.+)-\d+$/;
const GENERATED_POD = new RegExp(`^(.+)-${K8S_RAND}{5}$`);

/**
 * The workload (controller) name of a pod: `reviews-v1-5d8f7c9b6-x2kqp` → `reviews-v1`
 * (Deployment: ReplicaSet hash + pod suffix), `web-0` → `web` (StatefulSet), `fluent-bit-7kq2x` →
 * `fluent-bit` (DaemonSet / Job). A name with no such suffix is returned unchanged.
 */
export function workloadFromPodName(pod: string): string {
  for (const pattern of [DEPLOYMENT_POD, STATEFUL_POD, GENERATED_POD]) {
    const match = pattern.exec(pod);
    if (match) return match[1];
  }
  return pod;
}

/** What fillDerivedFields reads and may fill. */
export type DerivableFields = Partial<
  Pick<AccessLogRecord, 'upstreamCluster' | 'authority' | 'requestedServerName' | 'reporter' | 'source' | 'destination'>
>;

/**
 * Fills what the names imply and the input did not say, never overwriting a value it has:
 * reporter (from the upstream cluster), destination service / name / namespace (outbound cluster
 * host; on the inbound side the mTLS SNI, which is the caller's outbound cluster; else
 * `:authority`), and workload namespaces from SPIFFE principals (Istio prefers the SAN's `/ns/`).
 */
export function fillDerivedFields<T extends DerivableFields>(
  partial: T,
): T & { readonly reporter: Reporter; readonly source: Workload; readonly destination: DestinationWorkload } {
  const reporter = partial.reporter && partial.reporter !== 'unknown' ? partial.reporter : reporterFromCluster(partial.upstreamCluster);
  const source = withPrincipalNamespace(partial.source ?? {});
  let destination: DestinationWorkload = withPrincipalNamespace(partial.destination ?? {});

  const derived = destinationServiceOf(partial);
  if (derived) {
    destination = {
      ...destination,
      service: destination.service ?? derived.service,
      serviceName: destination.serviceName ?? derived.serviceName,
      serviceNamespace: destination.serviceNamespace ?? derived.serviceNamespace,
    };
  }
  return { ...partial, reporter, source, destination };
}

function withPrincipalNamespace<W extends Workload>(workload: W): W {
  if (workload.namespace !== undefined || workload.principal === undefined) return workload;
  const spiffe = parseSpiffe(workload.principal);
  return spiffe ? { ...workload, namespace: spiffe.namespace } : workload;
}

function destinationServiceOf(partial: DerivableFields): Partial<ServiceOfHost> | undefined {
  const cluster = partial.upstreamCluster ? parseUpstreamCluster(partial.upstreamCluster) : UNKNOWN_CLUSTER;
  const fromAuthority = partial.authority ? serviceFromHost(partial.authority) : undefined;
  if (cluster.special) {
    // No service behind these clusters: the host header names what was called, the cluster
    // name stands in for the service name (as Istio's destination_service_name does).
    return { service: fromAuthority?.service, serviceName: cluster.special, serviceNamespace: fromAuthority?.serviceNamespace };
  }
  if (cluster.direction === 'outbound' && cluster.host) return serviceFromHost(cluster.host);
  if (cluster.direction === 'inbound') {
    const sni = partial.requestedServerName ? parseUpstreamCluster(partial.requestedServerName) : UNKNOWN_CLUSTER;
    if (sni.direction === 'outbound' && sni.host) return serviceFromHost(sni.host);
    if (cluster.host) return serviceFromHost(cluster.host);
  }
  return fromAuthority;
}
