/**
 * Access-log store contracts (same spirit as spanstore.ts). Implementations: storage/memory,
 * storage/elasticsearch; every implementation passes test/support/accesslogstore-contract.
 */
import type { GraphProtocol } from '../graph/model.js';
import type { MeshServiceNaming } from '../istio/service-naming.js';
import type { AccessLogKind, AccessLogRecord } from '../model/access-log.js';
import type { ReadScope } from './read-scope.js';

export interface RejectedAccessLog {
  readonly record: AccessLogRecord;
  readonly reason: string;
}

export interface AccessLogWriter {
  /**
   * Stores records. Idempotent by `record.id`: writing the same record again leaves one copy.
   * Resolves once every record is stored (visible within the refresh interval) or permanently
   * rejected (returned, for the dead-letter topic); transient failures reject the promise so the
   * caller redelivers.
   */
  writeAccessLogs(records: readonly AccessLogRecord[]): Promise<RejectedAccessLog[]>;
}

export interface AccessLogQuery {
  /** Record start within [startTimeMinUs, startTimeMaxUs]. */
  readonly startTimeMinUs: number;
  readonly startTimeMaxUs: number;
  /** Defaults to ['http', 'tcp'] (access logs only, not plain logs). */
  readonly kinds?: readonly AccessLogKind[];
  readonly sourceWorkload?: string;
  readonly sourceNamespace?: string;
  readonly destinationWorkload?: string;
  readonly destinationNamespace?: string;
  /** Matches the destination service host, its short name, or its mesh graph node id (`reviews.bookinfo`). */
  readonly destinationService?: string;
  /** Matches the source's mesh graph node id (`productpage.bookinfo`, `unknown`). */
  readonly sourceService?: string;
  /** Exact x-request-id. */
  readonly requestId?: string;
  /** The call's protocol as the mesh graph tells it: http, grpc or tcp. */
  readonly protocol?: GraphProtocol;
  /**
   * How node ids are named when a store derives them at query time (memory); a store that indexed
   * them at write time (Elasticsearch) uses the naming it was written with. Default: Istio's default.
   */
  readonly serviceNaming?: MeshServiceNaming;
  /** Exact code (e.g. 503) … */
  readonly responseCode?: number;
  /** … or a class: 2 for 2xx, 5 for 5xx. */
  readonly responseCodeClass?: number;
  /** Record has this flag among its response flags (e.g. 'UH'). */
  readonly responseFlag?: string;
  readonly minDurationUs?: number;
  readonly traceId?: string;
  readonly reporter?: string;
  /** Newest first; page of `limit` records after skipping `offset`. */
  readonly limit: number;
  readonly offset: number;
}

export interface AccessLogPage {
  readonly records: AccessLogRecord[];
  /** Matching records in all (for paging); may be capped by the store (then `totalIsLowerBound`). */
  readonly total: number;
  readonly totalIsLowerBound?: boolean;
}

export interface AccessLogEdge {
  /** Source workload (or 'unknown'). */
  readonly parent: string;
  /** Destination service short name (or workload, or 'unknown'). */
  readonly child: string;
  readonly callCount: number;
}

/** Both methods take an optional ReadScope last (read-scope.ts): with a tenant, only its records count. */
export interface AccessLogReader {
  findAccessLogs(query: AccessLogQuery, scope?: ReadScope): Promise<AccessLogPage>;
  /**
   * Call edges (kinds http and tcp) seen in access logs started within
   * [endTimeMs - lookbackMs, endTimeMs]. Both sidecars of a hop log the same request, so each
   * request counts once: records that carry a request id count once per (request id, parent,
   * child); records without one (TCP) count when reported by `source`, or by `destination` when
   * the source workload is unknown (a caller without a sidecar, whose twin cannot exist).
   */
  getAccessLogEdges(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<AccessLogEdge[]>;
}

export interface AccessLogStore extends AccessLogWriter, AccessLogReader {
  start(): Promise<void>;
  isReady(): Promise<boolean>;
  stop(): Promise<void>;
}
