/**
 * The mesh graph's data model, from the per-call observation up to the answer of
 * `/api/v1/graph`. Three stages, each a plain value so any store (or an hourly roll-up) can stop
 * at the one it can produce:
 *  1. GraphObservation — one report of one call (a client span, one sidecar's access-log entry),
 *     already named with the mesh's service identity (observation.ts);
 *  2. EdgePartial — per (source, target) sums over a time range with each call counted once
 *     (aggregate.ts); partials of disjoint ranges merge by adding (mergeEdgePartials);
 *  3. MeshGraph — nodes and edges with rates, quantiles and health (build.ts).
 */

export type GraphSignal = 'traces' | 'accesslogs';
export const GRAPH_SIGNALS: readonly GraphSignal[] = ['traces', 'accesslogs'];

export type NodeKind = 'service' | 'workload' | 'gateway' | 'unknown' | 'external' | 'database' | 'messaging';
export type GraphProtocol = 'http' | 'grpc' | 'tcp';
export type GraphLevel = 'service' | 'workload';
export type Health = 'healthy' | 'degraded' | 'failing';

/** One report of one call, named and classified; what stores index (or derive on the fly). */
export interface GraphObservation {
  readonly signal: GraphSignal;
  /** Service-level node ids (the tracer's service names, `unknown`, or an external host). */
  readonly source: string;
  readonly target: string;
  /** Workload-level node ids (`<workload>.<ns>`); access logs only (spans do not name the callee's workload). */
  readonly sourceWorkload?: string;
  readonly targetWorkload?: string;
  readonly sourceKind: NodeKind;
  readonly targetKind: NodeKind;
  readonly sourceNamespace?: string;
  readonly targetNamespace?: string;
  readonly protocol: GraphProtocol;
  /**
   * The call this report belongs to: `rid:<x-request-id>` when known, so the client span, the
   * caller's and the callee's access-log entries of one request count once; else a key unique to
   * the report. Undefined for a report that must not count a call (the callee's twin of a TCP
   * connection its caller already reported): it still tells mTLS.
   */
  readonly requestKey?: string;
  readonly timeUs: number;
  readonly durationMs?: number;
  /** `2xx`…`5xx`, `0` (no response); gRPC: `grpc:<status>`; undefined for TCP. */
  readonly codeClass?: string;
  /** 5xx, gRPC non-OK, or an Envoy response flag. */
  readonly error: boolean;
  /** Istio mTLS on the hop (the callee's report); undefined when the report cannot tell. */
  readonly mtls?: boolean;
  /** TCP bytes from source to target and back; only on reports that count the call. */
  readonly bytesSent?: number;
  readonly bytesReceived?: number;
}

/** Latency histogram: counts per bucket of LATENCY_BOUNDS_MS (last = +Inf). */
export type LatencyCounts = number[];

/** Per-edge sums over a time range; merge partials of disjoint ranges with mergeEdgePartials. */
export interface EdgePartial {
  readonly source: string;
  readonly target: string;
  readonly sourceKind: NodeKind;
  readonly targetKind: NodeKind;
  readonly sourceNamespace?: string;
  readonly targetNamespace?: string;
  readonly protocol: GraphProtocol;
  readonly requests: number;
  readonly errors: number;
  readonly responseCodes: Readonly<Record<string, number>>;
  /** Durations of access-log reports and of spans, kept apart: access logs win when present. */
  readonly latencyAccessLogs: LatencyCounts;
  readonly latencyTraces: LatencyCounts;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly mtlsReports: number;
  readonly mtlsKnownReports: number;
  readonly seenIn: readonly GraphSignal[];
}

export interface GraphNode {
  readonly id: string;
  readonly name: string;
  readonly namespace: string | null;
  readonly kind: NodeKind;
  readonly requests: number;
  readonly errors: number;
  readonly requestRate: number;
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly health: Health;
  readonly seenIn: GraphSignal[];
}

export interface GraphEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly protocol: GraphProtocol;
  readonly requests: number;
  readonly errors: number;
  readonly requestRate: number;
  readonly errorRate: number;
  readonly responseCodes: Record<string, number>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly mtlsShare: number | null;
  readonly health: Health;
  readonly seenIn: GraphSignal[];
}

export interface MeshGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

export interface GraphQuery {
  readonly startUs: number;
  readonly endUs: number;
  readonly level: GraphLevel;
  /** Only edges with an end in this namespace (the namespace's nodes and their direct neighbours). */
  readonly namespace?: string;
}

export interface EdgeTimeseriesQuery {
  readonly startUs: number;
  readonly endUs: number;
  readonly stepUs: number;
  readonly level: GraphLevel;
  readonly source: string;
  readonly target: string;
}

/** One step of an edge's time series; `timeUs` is the step's start. */
export interface EdgeTimeseriesPoint {
  readonly timeUs: number;
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms: number | null;
}

/** Error-rate thresholds in percent, as Kiali's health config (degraded: > 0 %, failing: ≥ 10 % by default). */
export interface HealthThresholds {
  readonly degradedPercent: number;
  readonly failingPercent: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = { degradedPercent: 0, failingPercent: 10 };
