/**
 * The label values of Istio's standard metrics for one access-log record (reference §5): who
 * talked to whom, the protocol, the response, the security policy. Values follow Istio's own
 * conventions — `unknown` for a peer value nobody reported, `latest` for a missing canonical
 * revision — so Kiali's graph queries match series derived here exactly as they match the
 * sidecars' own.
 */
import type { AccessLogRecord, Workload } from '../model/access-log.js';
/** Label name → value, as every metrics registry and sink takes them (structurally the registry's Labels). */
type Labels = Readonly<Record<string, string>>;

const UNKNOWN = 'unknown';

const orUnknown = (value: string | undefined): string => (value === undefined || value === '' ? UNKNOWN : value);

/** The 20 labels every Istio metric carries. */
export function peerLabels(record: AccessLogRecord): Record<string, string> {
  const s = record.source;
  const d = record.destination;
  return {
    reporter: record.reporter,
    source_workload: orUnknown(s.workload),
    source_canonical_service: canonicalService(s),
    source_canonical_revision: canonicalRevision(s),
    source_workload_namespace: orUnknown(s.namespace),
    source_principal: orUnknown(s.principal),
    source_app: orUnknown(s.app),
    source_version: orUnknown(s.version),
    source_cluster: orUnknown(s.cluster),
    destination_workload: orUnknown(d.workload),
    destination_workload_namespace: orUnknown(d.namespace),
    destination_principal: orUnknown(d.principal),
    destination_app: orUnknown(d.app),
    destination_version: orUnknown(d.version),
    destination_service: orUnknown(d.service),
    destination_canonical_service: canonicalService(d),
    destination_canonical_revision: canonicalRevision(d),
    destination_service_name: orUnknown(d.serviceName),
    // A Kubernetes service lives in its workloads' namespace; the host says it when it can
    // (`reviews.default.svc…`), the called workload's namespace otherwise.
    destination_service_namespace: orUnknown(d.serviceNamespace ?? d.namespace),
    destination_cluster: orUnknown(d.cluster),
  };
}

/** Istio falls back to the workload name when a pod has no canonical-name / app label (reference §2.1). */
function canonicalService(w: Workload): string {
  return orUnknown(w.canonicalService || w.workload);
}

/** Istio's revision for a pod without revision labels — and for an unknown peer — is `latest`. */
function canonicalRevision(w: Workload): string {
  return w.canonicalRevision || 'latest';
}

/** Envoy's `-` for no flags, else its short codes joined by `,` as %RESPONSE_FLAGS% prints them. */
export function responseFlagsLabel(record: AccessLogRecord): string {
  return record.responseFlags.length === 0 ? '-' : record.responseFlags.join(',');
}

/**
 * `mutual_tls` / `none` only where the server side saw the handshake (destination and waypoint
 * reporters); a client-side proxy cannot tell, and Istio writes `unknown` there. An entry that
 * does not say whether certificates were presented stays `unknown` rather than claiming `none`.
 */
export function securityPolicyLabel(record: AccessLogRecord): string {
  if (record.reporter !== 'destination' && record.reporter !== 'waypoint') return UNKNOWN;
  if (record.mtls === undefined) return UNKNOWN;
  return record.mtls ? 'mutual_tls' : 'none';
}

/** Header keys under which inputs carry a logged request content-type (ALS: Envoy's operator name). */
const CONTENT_TYPE_KEYS = ['REQ(CONTENT-TYPE)', 'content-type', 'content_type'];

/**
 * `grpc` or `http`. Istio decides by the request's content-type (application/grpc[+proto|…]). Not
 * every input logs it, so a logged gRPC status, or a gRPC client's user agent over HTTP/2 or
 * HTTP/3 (gRPC runs on nothing else), count as the same evidence.
 */
export function requestProtocolLabel(record: AccessLogRecord): 'grpc' | 'http' {
  for (const key of CONTENT_TYPE_KEYS) {
    const contentType = record.attributes[key];
    if (contentType !== undefined) return contentType.toLowerCase().startsWith('application/grpc') ? 'grpc' : 'http';
  }
  if (record.grpcStatus !== undefined) return 'grpc';
  const http2or3 = record.protocol === 'HTTP/2' || record.protocol === 'HTTP/3';
  if (http2or3 && record.userAgent !== undefined && /^grpc-/i.test(record.userAgent)) return 'grpc';
  return 'http';
}

/**
 * The gRPC status of a gRPC call, '' for plain HTTP. Without a logged `grpc-status`, Envoy derives
 * it from the HTTP status (gRPC's HTTP-to-status mapping, as Envoy's Grpc::Utility does) — but only
 * for error codes here: a 200 whose trailers were not logged says nothing about the call's status.
 */
export function grpcStatusLabel(record: AccessLogRecord, protocol: 'grpc' | 'http'): string {
  if (protocol !== 'grpc') return '';
  if (record.grpcStatus !== undefined && record.grpcStatus !== '') return record.grpcStatus;
  const code = record.responseCode ?? 0;
  if (code < 300) return '';
  return String(grpcStatusOfHttp(code));
}

function grpcStatusOfHttp(code: number): number {
  switch (code) {
    case 400: return 13; // INTERNAL
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 12; // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14; // UNAVAILABLE
    default: return 2; // UNKNOWN
  }
}

/** Request metrics' labels: the peer labels plus protocol, response and security policy. */
export function requestLabels(record: AccessLogRecord): Labels {
  const labels = peerLabels(record);
  const protocol = requestProtocolLabel(record);
  labels.request_protocol = protocol;
  labels.response_code = String(record.responseCode ?? 0);
  labels.grpc_response_status = grpcStatusLabel(record, protocol);
  labels.response_flags = responseFlagsLabel(record);
  labels.connection_security_policy = securityPolicyLabel(record);
  return labels;
}

/** TCP metrics' labels: the peer labels plus `request_protocol="tcp"`, flags and security policy. */
export function tcpLabels(record: AccessLogRecord): Labels {
  const labels = peerLabels(record);
  labels.request_protocol = 'tcp';
  labels.response_flags = responseFlagsLabel(record);
  labels.connection_security_policy = securityPolicyLabel(record);
  return labels;
}
