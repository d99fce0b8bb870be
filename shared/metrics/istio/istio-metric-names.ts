/**
 * Istio's standard metric names, label names (in Istio's emission order) and default buckets
 * (shared/reference/istio-envoy.md §5). Kiali and the Istio Grafana dashboards query these exact
 * names, so they are spelled once here and nowhere else.
 */

export const ISTIO_REQUESTS_TOTAL = 'istio_requests_total';
export const ISTIO_REQUEST_DURATION_MS = 'istio_request_duration_milliseconds';
export const ISTIO_REQUEST_BYTES = 'istio_request_bytes';
export const ISTIO_RESPONSE_BYTES = 'istio_response_bytes';
export const ISTIO_TCP_OPENED_TOTAL = 'istio_tcp_connections_opened_total';
export const ISTIO_TCP_CLOSED_TOTAL = 'istio_tcp_connections_closed_total';
export const ISTIO_TCP_SENT_BYTES_TOTAL = 'istio_tcp_sent_bytes_total';
export const ISTIO_TCP_RECEIVED_BYTES_TOTAL = 'istio_tcp_received_bytes_total';

/** Every family the deriver registers (histograms by their base name). */
export const ISTIO_METRIC_NAMES: readonly string[] = [
  ISTIO_REQUESTS_TOTAL, ISTIO_REQUEST_DURATION_MS, ISTIO_REQUEST_BYTES, ISTIO_RESPONSE_BYTES,
  ISTIO_TCP_OPENED_TOTAL, ISTIO_TCP_CLOSED_TOTAL, ISTIO_TCP_SENT_BYTES_TOTAL, ISTIO_TCP_RECEIVED_BYTES_TOTAL,
];

/** The 20 labels every Istio metric carries, in the order istio_stats emits them. */
export const ISTIO_PEER_LABEL_NAMES = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_service_name',
  'destination_service_namespace',
  'destination_cluster',
] as const;

export const ISTIO_REQUEST_LABEL_NAMES: readonly string[] = [
  ...ISTIO_PEER_LABEL_NAMES,
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
];

export const ISTIO_TCP_LABEL_NAMES: readonly string[] = [
  ...ISTIO_PEER_LABEL_NAMES,
  'request_protocol',
  'response_flags',
  'connection_security_policy',
];

/**
 * Envoy's default histogram buckets, which Istio keeps unless a pod overrides them; Istio uses the
 * same numbers for the millisecond and the byte histograms.
 */
export const ISTIO_DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];
