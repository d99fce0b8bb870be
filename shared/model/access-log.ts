/**
 * One access-log record schema for every access-log input (Envoy ALS, Istio's envoyOtelAls OTLP
 * logs, Istio TEXT/JSON lines). Each input is normalized to this shape at the collector; it travels
 * through the buffer as an OTLP LogRecord whose attributes are these fields (see
 * shared/accesslog/otlp-codec.ts for the attribute names), and stores index it as is.
 *
 * Field conventions: absent values are `undefined` (Envoy's `-` / JSON `null` / unset proto field);
 * durations and sizes carry their unit in the name; peers follow Istio's metric labels so the
 * metrics derived later (istio_requests_total …) map one to one.
 */

/** Which side of the hop wrote the entry, as Istio's `reporter` label says it. */
export type Reporter = 'source' | 'destination' | 'waypoint' | 'unknown';

/** `http` and `tcp` are access logs; `log` is a plain OTLP log record kept alongside them. */
export type AccessLogKind = 'http' | 'tcp' | 'log';

export type AccessLogInput = 'als' | 'otlp' | 'lines';

/** A workload at one end of the hop, from Istio's peer metadata, node metadata and cluster names. */
export interface Workload {
  readonly workload?: string;
  readonly namespace?: string;
  readonly canonicalService?: string;
  readonly canonicalRevision?: string;
  readonly app?: string;
  readonly version?: string;
  readonly cluster?: string;
  /** SPIFFE id, e.g. spiffe://cluster.local/ns/default/sa/bookinfo-reviews */
  readonly principal?: string;
}

export interface DestinationWorkload extends Workload {
  /** Service host, e.g. reviews.default.svc.cluster.local (from the outbound cluster or :authority). */
  readonly service?: string;
  /** First label of the host, e.g. reviews. */
  readonly serviceName?: string;
  readonly serviceNamespace?: string;
}

export interface AccessLogRecord {
  /**
   * Deterministic id (hex) derived from the entry's content, so a redelivered or re-sent entry
   * overwrites instead of duplicating. See accessLogId() in shared/accesslog/.
   */
  readonly id: string;
  readonly kind: AccessLogKind;
  readonly input: AccessLogInput;
  /** Request (or connection) start. */
  readonly startTimeUnixNano: bigint;
  /** Whole request / connection duration (Envoy %DURATION% / ALS `duration`). */
  readonly durationUs?: number;
  readonly reporter: Reporter;

  // HTTP request
  readonly method?: string;
  readonly path?: string;
  readonly authority?: string;
  readonly scheme?: string;
  /** HTTP/1.1, HTTP/2, HTTP/3; undefined for TCP. */
  readonly protocol?: string;
  readonly userAgent?: string;
  readonly requestId?: string;
  readonly forwardedFor?: string;

  // Response
  /** 0 when no response was sent (as Envoy prints it). */
  readonly responseCode?: number;
  /** Envoy short codes (UH, URX, NR …); [] when none. */
  readonly responseFlags: readonly string[];
  readonly responseCodeDetails?: string;
  readonly connectionTerminationDetails?: string;
  readonly upstreamTransportFailureReason?: string;
  readonly grpcStatus?: string;
  readonly upstreamServiceTimeMs?: number;

  // Bytes (downstream side: received from / sent to the caller)
  readonly bytesReceived?: number;
  readonly bytesSent?: number;

  // Upstream / addresses / routing
  readonly upstreamCluster?: string;
  readonly upstreamHost?: string;
  readonly upstreamLocalAddress?: string;
  readonly downstreamLocalAddress?: string;
  readonly downstreamRemoteAddress?: string;
  readonly requestedServerName?: string;
  readonly routeName?: string;

  // Security
  /** True when both peer and local certificates were presented (Istio mTLS); undefined when unknown. */
  readonly mtls?: boolean;

  // Who talked to whom
  readonly source: Workload;
  readonly destination: DestinationWorkload;

  // The reporting proxy (ALS identifier.node, or attributes the sender added)
  readonly proxyNodeId?: string;
  readonly logName?: string;

  // Trace correlation, when a header or the OTLP record carried them (32 / 16 lower-case hex)
  readonly traceId?: string;
  readonly spanId?: string;

  /** kind 'log' only: the plain log record's body (as text) and severity. */
  readonly body?: string;
  readonly severityText?: string;
  /** Anything else worth keeping: custom tags, extra labels, plain-log attributes (string values). */
  readonly attributes: Readonly<Record<string, string>>;
  /** With multi-tenancy on: the tenant the entry was received for (model/tenant.ts). */
  readonly tenant?: string;
}
