/**
 * Span store contracts, in the spirit of Jaeger's storage API: a small writer, a reader that
 * offers exactly what the Jaeger query API needs, and a TraceQL reader for the Tempo API.
 * Implementations: `storage/memory`, `storage/elasticsearch`. Every implementation passes
 * test/support/spanstore-contract and test/support/traceql-contract.
 */
import type { ReadScope } from './read-scope.js';
import type { SpanKind, SpanRecord } from '../model/span.js';
import type { AttributeScope, SpanFilter, SpanIntrinsic, TraceqlQuery, TypedTagValue } from '../traceql/model.js';

/** A span the store can never take (e.g. an Elasticsearch mapping error); retrying is futile. */
export interface RejectedSpan {
  readonly span: SpanRecord;
  readonly reason: string;
}

export interface SpanWriter {
  /**
   * Stores spans. Idempotent: writing the same span again (same trace id, span id, service,
   * kind and content) leaves one copy, so at-least-once redelivery never duplicates. Spans that
   * share a span id but differ in service or kind (Envoy's Zipkin client/server halves), or in
   * anything else (two spans a buggy tracer gave one id), are distinct and all kept.
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

/**
 * A SpanReader that is `reader` except for `overrides` — for wrappers that change one answer
 * (roll-ups, archive fallback, extra edges). Every other method is forwarded with all its
 * arguments, the read scope included, so a wrapper cannot drop a tenant by accident.
 */
export function overridingSpanReader(reader: SpanReader, overrides: Partial<SpanReader>): SpanReader {
  return {
    getTrace: (traceId, hint, scope) => reader.getTrace(traceId, hint, scope),
    getServices: (scope) => reader.getServices(scope),
    getOperations: (query, scope) => reader.getOperations(query, scope),
    findTraces: (query, scope) => reader.findTraces(query, scope),
    getDependencies: (endTimeMs, lookbackMs, scope) => reader.getDependencies(endTimeMs, lookbackMs, scope),
    ...overrides,
  };
}

export interface TraceqlSearchQuery {
  readonly query: TraceqlQuery;
  /** Only spans starting within [startTimeMinUs, startTimeMaxUs] can match. */
  readonly startTimeMinUs: number;
  readonly startTimeMaxUs: number;
  /** At most this many traces. */
  readonly limit: number;
  /** At most this many matched spans returned per trace (Tempo's `spss`). */
  readonly spansPerSpanset: number;
}

export interface TraceqlTraceMatch {
  readonly traceId: string;
  /** Every stored span of the trace (what the search answer's root name, duration and service stats come from). */
  readonly spans: SpanRecord[];
  /** Up to `spansPerSpanset` matched spans, earliest first (ties by span id). */
  readonly matched: SpanRecord[];
  /** All matches, summed over the spansets that hold (a span matching two spansets counts twice). */
  readonly matchedCount: number;
}

/** An attribute of one scope, or a span-level intrinsic, whose values are listed. */
export type TagRef =
  | { readonly kind: 'attribute'; readonly scope: AttributeScope; readonly key: string }
  | { readonly kind: 'intrinsic'; readonly name: SpanIntrinsic };

export interface TagWindow {
  /** Spans starting within [startTimeMinUs, startTimeMaxUs] are looked at. */
  readonly startTimeMinUs: number;
  readonly startTimeMaxUs: number;
  /** At most this many names or values. */
  readonly limit: number;
}

/**
 * What the Tempo API needs beyond the Jaeger reader: TraceQL evaluated IN the store (the memory
 * store walks its spans; Elasticsearch answers from one search request, never by shipping every
 * span to be filtered here) and the attribute names and values Grafana's editor autocompletes.
 * Semantics of the query model: shared/traceql/model.ts and evaluate.ts.
 */
export interface TraceqlReader {
  /**
   * Traces where the query holds, the one with the latest matching span first (ties by trace id),
   * at most `limit`. A store may look at a bounded number of candidate traces when the query has
   * several spansets or trace-level conditions (see the store's documentation).
   */
  searchTraceql(query: TraceqlSearchQuery): Promise<TraceqlTraceMatch[]>;
  /**
   * Distinct attribute keys per scope (span, resource, event, link, instrumentation) among spans
   * matching `filter` (all spans when absent), sorted by scope then key.
   */
  getTraceqlTags(window: TagWindow & { readonly filter?: SpanFilter }): Promise<{ scope: Exclude<AttributeScope, 'unscoped'>; key: string }[]>;
  /** Distinct typed values of one tag among spans matching `filter` (all spans when absent), sorted by type then value. */
  getTraceqlTagValues(tag: TagRef, window: TagWindow & { readonly filter?: SpanFilter }): Promise<TypedTagValue[]>;
}

export interface SpanStore extends SpanWriter, SpanReader, TraceqlReader {
  start(): Promise<void>;
  isReady(): Promise<boolean>;
  stop(): Promise<void>;
}
