/**
 * The attribute names an AccessLogRecord's fields travel under as an OTLP LogRecord (the
 * `accesslogs` topic). OpenTelemetry semantic-convention names where one means the same thing, so
 * any OTLP logs consumer understands them; Istio's metric label names (prefixed `istio.`) for who
 * talked to whom; `meshtel.accesslog.*` for Envoy's own notions. The table in README.md beside this
 * file is the user-facing copy: change both together.
 */
import type { DestinationWorkload, Workload } from '../model/access-log.js';

export const ATTR = {
  id: 'log.record.uid',
  kind: 'meshtel.accesslog.kind',
  input: 'meshtel.accesslog.input',
  durationUs: 'meshtel.accesslog.duration_us',
  reporter: 'istio.reporter',
  method: 'http.request.method',
  /** The path without its query; the query goes to url.query (both together give `path` back). */
  urlPath: 'url.path',
  urlQuery: 'url.query',
  /** `:authority` as host and port when it splits cleanly, else the whole authority. */
  serverAddress: 'server.address',
  serverPort: 'server.port',
  scheme: 'url.scheme',
  /** `HTTP/1.1` → name `http`, version `1.1`. */
  protocolName: 'network.protocol.name',
  protocolVersion: 'network.protocol.version',
  userAgent: 'user_agent.original',
  requestId: 'meshtel.accesslog.request_id',
  forwardedFor: 'meshtel.accesslog.forwarded_for',
  responseCode: 'http.response.status_code',
  /** Envoy's short codes joined by `,` (as Envoy prints several); absent when none. */
  responseFlags: 'meshtel.accesslog.response_flags',
  responseCodeDetails: 'meshtel.accesslog.response_code_details',
  connectionTerminationDetails: 'meshtel.accesslog.connection_termination_details',
  upstreamTransportFailureReason: 'meshtel.accesslog.upstream_transport_failure_reason',
  grpcStatus: 'rpc.grpc.status_code',
  upstreamServiceTimeMs: 'meshtel.accesslog.upstream_service_time_ms',
  bytesReceived: 'meshtel.accesslog.bytes_received',
  bytesSent: 'meshtel.accesslog.bytes_sent',
  upstreamCluster: 'meshtel.accesslog.upstream_cluster',
  upstreamHost: 'meshtel.accesslog.upstream_host',
  upstreamLocalAddress: 'meshtel.accesslog.upstream_local_address',
  downstreamLocalAddress: 'meshtel.accesslog.downstream_local_address',
  downstreamRemoteAddress: 'meshtel.accesslog.downstream_remote_address',
  requestedServerName: 'tls.client.server_name',
  routeName: 'meshtel.accesslog.route_name',
  mtls: 'meshtel.accesslog.mtls',
  proxyNodeId: 'meshtel.accesslog.node_id',
  logName: 'meshtel.accesslog.log_name',
  /** The same attribute name as on spans and metrics (model/tenant.ts TENANT_ATTRIBUTE). */
  tenant: 'meshtel.tenant',
  /**
   * A record's free-form attributes are written as top-level attributes under their own keys;
   * only a key that would be read back as one of the names above goes into this map instead.
   */
  reservedAttributes: 'meshtel.accesslog.attributes',
} as const;

/** Workload fields and the Istio metric label each one mirrors (source_workload …). */
export const DESTINATION_FIELDS: readonly (readonly [keyof DestinationWorkload, string])[] = [
  ['workload', 'workload'],
  ['namespace', 'workload_namespace'],
  ['canonicalService', 'canonical_service'],
  ['canonicalRevision', 'canonical_revision'],
  ['app', 'app'],
  ['version', 'version'],
  ['cluster', 'cluster'],
  ['principal', 'principal'],
  // Destination only.
  ['service', 'service'],
  ['serviceName', 'service_name'],
  ['serviceNamespace', 'service_namespace'],
];

/** The source side has no service fields. */
export const SOURCE_FIELDS: readonly (readonly [keyof Workload, string])[] = DESTINATION_FIELDS.slice(0, 8) as readonly (readonly [keyof Workload, string])[];

export const SOURCE_PREFIX = 'istio.source_';
export const DESTINATION_PREFIX = 'istio.destination_';

/** Keys the decoder reads as fields: free-form attributes under these names are moved aside. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set<string>([
  ...Object.values(ATTR),
  ...SOURCE_FIELDS.map(([, label]) => SOURCE_PREFIX + label),
  ...DESTINATION_FIELDS.map(([, label]) => DESTINATION_PREFIX + label),
]);

/** Scope name of the LogRecords meshtel writes to the `accesslogs` topic. */
export const ACCESS_LOG_SCOPE_NAME = 'meshtel.accesslog';
