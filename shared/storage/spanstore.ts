/**
 * Span store contracts, in the spirit of Jaeger's storage API: a small writer and a reader that
 * offers exactly what the Jaeger query API needs. Implementations: `storage/memory`,
 * `storage/elasticsearch`. Every implementation passes test/integration/spanstore-contract.
 */
import type { ReadScope } from './read-scope.js';
import type { SpanKind, SpanRecord } from '../model/span.js';

/** A span the store can never take (e.g. an Elasticsearch mapping error); retrying is futile. */
export interface RejectedSpan {
  readonly span: SpanRecord;
  readonly reason: string;
}

export interface SpanWriter {
  /**
   * Stores spans. Idempotent: writing the same span again (same trace id, span id, service and
   * kind) leaves one copy, so at-least-once redelivery never duplicates. Spans that share a
   * span id but differ in service or kind (Envoy's Zipkin client/server halves) are distinct.
   *
   * Resolves once every span is either durably stored (visible to readers within the store's
   * refresh interval) or permanently rejected; the permanently rejected ones are returned so
   * the caller can dead-letter them ([] when all were stored). Transient failures (store down,
   * overloaded) are retried inside or make the promise reject, in which case the caller must
   * not commit and will deliver the spans again.
   */
  writeSpans(spans: readonly SpanRecord[]): Promise<RejectedSpan[]>;
}

export interface OperationQuery {
  readonly service: string;
  /** When set, only operations seen with this kind. */
  readonly spanKind?: SpanKind;
}

export interface Operation {
  readonly name: string;
  readonly spanKind: SpanKind;
}

export interface TraceQuery {
  readonly service?: string;
  readonly operation?: string;
  /**
   * All pairs must match on ONE span, each pair found in any of: the span's attributes, its
   * resource's, its scope's, one of its events', or one of its links' attributes. Values are
   * compared as strings (Jaeger semantics: `true`, `42`, `1.5` match bool/int/double values).
   */
  readonly tags: Readonly<Record<string, string>>;
  /** The matching span starts within [startTimeMinUs, startTimeMaxUs]. */
  readonly startTimeMinUs: number;
  readonly startTimeMaxUs: number;
  /** The matching span's duration is within the bounds (inclusive) when set. */
  readonly durationMinUs?: number;
  readonly durationMaxUs?: number;
  /** At most this many traces; the most recent (by matching span start) first. */
  readonly limit: number;
}

export interface DependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
}

export type { ReadScope } from './read-scope.js';

/**
 * Every method takes an optional ReadScope last (read-scope.ts): with a tenant, it answers as if
 * only that tenant's spans were stored.
 */
export interface SpanReader {
  /**
   * All stored spans of the trace, in no particular order, or [] when the trace is unknown.
   * `startTimeUs`/`endTimeUs` are hints that may narrow the search (indices touched); a store
   * may ignore them.
   */
  getTrace(traceId: string, hint?: { startTimeUs?: number; endTimeUs?: number }, scope?: ReadScope): Promise<SpanRecord[]>;
  /** Distinct service names, sorted. [] when empty. */
  getServices(scope?: ReadScope): Promise<string[]>;
  /** Distinct (name, kind) pairs of the service, sorted by name then kind. [] for an unknown service. */
  getOperations(query: OperationQuery, scope?: ReadScope): Promise<Operation[]>;
  /**
   * Traces with at least one span matching every criterion of the query; each trace is
   * returned whole (all its stored spans), most recent first, at most `limit` of them.
   */
  findTraces(query: TraceQuery, scope?: ReadScope): Promise<SpanRecord[][]>;
  /**
   * Service call edges among spans that started within [endTimeMs - lookbackMs, endTimeMs]:
   * one per (parent service, child service) pair where a span's parent span belongs to another
   * service, with the number of such child spans. Order unspecified.
   */
  getDependencies(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<DependencyLink[]>;
}

export interface SpanStore extends SpanWriter, SpanReader {
  start(): Promise<void>;
  isReady(): Promise<boolean>;
  stop(): Promise<void>;
}
