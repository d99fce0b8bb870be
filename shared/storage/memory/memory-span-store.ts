/**
 * The all-in-one span store: everything in memory, bounded by a span count and an estimated
 * byte size. When a write crosses either bound, whole traces are evicted in the order their
 * first span was written (arrival order, not span timestamps: a sender with a skewed clock or a
 * late batch of old spans cannot pin its traces in memory or push fresh ones out). Evicting whole
 * traces keeps every answer consistent: a trace is either complete or gone.
 *
 * Spans are kept encoded: each as its protobuf Span message, copied into large shared chunks
 * that are compressed once full (span-chunks.ts), beside a small index entry with what searches
 * filter on (~300 bytes of heap, and ~550 bytes of message compressed to ~65, for test/bench's
 * spans). Held as decoded objects a span was ~1.8 KB of small long-lived heap objects, and with
 * 500k of them the garbage collector's copying and marking cost about as much CPU as everything
 * else all-in-one does (test/bench: 1.8 CPU-s per 100k spans, against 1.0 with a store of 20k
 * spans). Chunks are plain bytes the collector never traces; a chunk is freed once the last
 * trace with a span in it is evicted, which arrival-order eviction makes happen roughly in chunk
 * order. Reads inflate the chunks their spans are in (a few recent ones stay inflated) and decode
 * the spans they return (a few µs a span).
 *
 * Writes cost O(spans written) plus O(spans evicted). Searches and dependencies scan the index
 * entries — at the default bound of 500k spans ~0.05–0.15 s; a tag search reads the encoded
 * attributes of the spans that pass the other criteria, ~0.35 s when no service narrows it —
 * which suits a laptop or small cluster.
 *
 * Tenants (multi-tenancy on): each held span knows its tenant (its resource's tenant attribute);
 * a span's identity includes it, so one tenant's write never replaces another's span, and a
 * scoped read skips every span of another tenant — even in a trace that shares its id.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource, SpanKind, SpanRecord } from '../../model/span.js';
import { attributeText } from '../../model/attribute-text.js';
import { durationUs } from '../../model/span.js';
import { SpanAttributeScanner, decodeSpanProtobuf, encodeSpanProtobuf } from '../../otlp/traces/traces.js';
import type { StoreMetrics } from '../store-metrics.js';
import type { MemoryStoreMetrics } from './memory-store-metrics.js';
import { tenantOfResource } from '../../model/tenant.js';
import { inScope, type ReadScope } from '../read-scope.js';
import { addDependencyEdges, dependencyLinksFromCounts } from '../span-match.js';
import { spanMayMatch } from '../../traceql/evaluate.js';
import { spansetsOf, type SpanFilter, type TypedTagValue } from '../../traceql/model.js';
import type {
  DependencyLink,
  Operation,
  OperationQuery,
  RejectedSpan,
  SpanStore,
  TagRef,
  TagWindow,
  TraceQuery,
  TraceqlSearchQuery,
  TraceqlTraceMatch,
} from '../spanstore.js';
import type { DependencyRangeReader } from '../dependency-range.js';
import { OperationIndex, compareStrings } from './operation-index.js';
import { MEMORY_SPAN_STORE_DEFAULTS } from './memory-store-settings.js';
import { STORED_SPAN_OVERHEAD_BYTES } from './span-size.js';
import { SpanChunks, type SpanChunk } from './span-chunks.js';
import { collectTagValues, collectTags, searchTraces, type TraceCandidate } from './traceql-search.js';

export interface MemorySpanStoreOptions {
  /** Most spans held; must be ≥ 1 (default {@link MEMORY_SPAN_STORE_DEFAULTS}). */
  readonly maxSpans?: number;
  /** Most estimated bytes held; must be ≥ 1 (default {@link MEMORY_SPAN_STORE_DEFAULTS}). */
  readonly maxBytes?: number;
  readonly metrics?: Pick<
    (StoreMetrics & MemoryStoreMetrics),
    'storeSpans' | 'storeBytes' | 'storeTracesEvicted' | 'storeSpansEvicted' | 'spansWritten'
  >;
}

/** Traces up to this many spans find a rewritten span by scanning; larger ones keep a map. */
const SCAN_LIMIT = 16;

/**
 * What the spans of one ResourceSpans / ScopeSpans share, held once for all of them instead of
 * four fields in every index entry.
 */
class SpanOrigin {
  constructor(
    readonly resource: Resource,
    readonly scope: InstrumentationScope,
    readonly serviceName: string,
    readonly tenant: string | undefined,
  ) {}
}

/**
 * One held span: the fields searches and dependencies read, and where its Span message sits. The
 * field names match SpanRecord's where they mean the same, so dependency edges are computed on
 * these entries directly (span-match.ts DependencySpan). Kept lean — 500k of them live on the
 * heap — so the start time is its whole seconds and the nanoseconds within that second (small
 * integers V8 keeps in the entry itself, where microseconds since 1970 would be a boxed number
 * and the nanoseconds a bigint object), and shared fields sit in its origin.
 */
class StoredSpan {
  constructor(
    readonly spanId: string,
    readonly parentSpanId: string,
    readonly kind: SpanKind,
    readonly name: string,
    /** Whole seconds of startTimeUnixNano. */
    readonly startSec: number,
    /** The nanoseconds of startTimeUnixNano within its second (0 – 999,999,999). */
    readonly startNanosInSec: number,
    readonly durationUs: number,
    readonly origin: SpanOrigin,
    readonly chunk: SpanChunk,
    readonly offset: number,
    readonly length: number,
  ) {}

  get startUs(): number {
    return this.startSec * 1_000_000 + Math.floor(this.startNanosInSec / 1000);
  }

  get startTimeUnixNano(): bigint {
    return BigInt(this.startSec) * 1_000_000_000n + BigInt(this.startNanosInSec);
  }

  get serviceName(): string {
    return this.origin.serviceName;
  }

  get resource(): Resource {
    return this.origin.resource;
  }

  get scope(): InstrumentationScope {
    return this.origin.scope;
  }

  get tenant(): string | undefined {
    return this.origin.tenant;
  }

  decode(): SpanRecord {
    return decodeSpanProtobuf(this.chunk.bytes(), this.offset, this.offset + this.length, this.resource, this.scope, this.serviceName);
  }
}

interface StoredTrace {
  /** In first-written order; a rewritten span takes its earlier copy's place. */
  readonly spans: StoredSpan[];
  /**
   * Span identity (id, kind, service) → indices in `spans` of the spans with it (usually one;
   * more when different spans share an id); built only once a trace outgrows SCAN_LIMIT, as
   * scanning a few entries is cheaper than a key string.
   */
  byIdentity: Map<string, number[]> | undefined;
}

export class MemorySpanStore implements SpanStore, DependencyRangeReader {
  private readonly traces = new Map<string, StoredTrace>();
  /**
   * Trace ids in first-written order, oldest at `arrivalHead`. Kept beside the map because
   * iterating a Map from its start walks the holes deleted entries leave until V8 rehashes,
   * which made steady-state eviction cost O(traces) per write.
   */
  private arrivals: string[] = [];
  private arrivalHead = 0;
  private readonly operations = new OperationIndex();
  /** Services and operations per tenant, for scoped reads (spans with a tenant only). */
  private readonly tenantOperations = new Map<string, OperationIndex>();
  /**
   * The origins made for the batch being written, by resource (spans of one ResourceSpans share
   * the resource object; the batch may interleave them, grouped by trace). Emptied after each
   * batch, so it holds no resource longer than its spans.
   */
  private readonly batchOrigins = new Map<Resource, SpanOrigin[]>();
  private spanCount = 0;
  /** The span messages, compressed chunk by chunk (span-chunks.ts). */
  private readonly chunks = new SpanChunks();
  private readonly maxSpans: number;
  private readonly maxBytes: number;
  private readonly metrics: MemorySpanStoreOptions['metrics'];

  constructor(options: MemorySpanStoreOptions = {}) {
    const { maxSpans = MEMORY_SPAN_STORE_DEFAULTS.maxSpans, maxBytes = MEMORY_SPAN_STORE_DEFAULTS.maxBytes } = options;
    if (!Number.isInteger(maxSpans) || maxSpans < 1) {
      throw new RangeError(`maxSpans must be a positive integer, got ${maxSpans}`);
    }
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    }
    this.maxSpans = maxSpans;
    this.maxBytes = maxBytes;
    this.metrics = options.metrics;
  }

  async start(): Promise<void> {}

  async isReady(): Promise<boolean> {
    return true;
  }

  /** Nothing to flush: a write is complete when writeSpans resolves. Data stays readable. */
  async stop(): Promise<void> {}

  /** Spans and estimated bytes currently held (for tests and status pages). */
  stats(): { spans: number; bytes: number; traces: number } {
    return { spans: this.spanCount, bytes: this.byteCount, traces: this.traces.size };
  }

  /**
   * Estimated bytes held: each span's index entry (STORED_SPAN_OVERHEAD_BYTES) plus the chunks
   * its message is in — compressed once sealed, and charged while any span in them is held.
   */
  private get byteCount(): number {
    return this.spanCount * STORED_SPAN_OVERHEAD_BYTES + this.chunks.bytes;
  }

  /** Chunks inflated for reads so far (for tests and benchmarks). */
  get chunksInflated(): number {
    return this.chunks.inflateCount;
  }

  /** Resolves once every full chunk is compressed (it happens off the writing thread; for tests and benchmarks). */
  compressed(): Promise<void> {
    return this.chunks.idle();
  }

  /**
   * Takes every span that can be encoded (the collector's validation lets only such spans in),
   * then evicts old traces down to the bounds. A span that cannot be encoded (e.g. a non-hex id)
   * is returned as rejected.
   */
  async writeSpans(spans: readonly SpanRecord[]): Promise<RejectedSpan[]> {
    let rejected: RejectedSpan[] | undefined;
    for (const span of spans) {
      let stored: StoredSpan;
      try {
        stored = this.encode(span);
      } catch (err) {
        (rejected ??= []).push({ span, reason: `cannot be stored: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      this.put(span, stored);
    }
    this.batchOrigins.clear();
    this.evictToLimits();
    this.metrics?.spansWritten.inc({ store: 'memory' }, spans.length - (rejected?.length ?? 0));
    this.metrics?.storeSpans.set(this.spanCount);
    this.metrics?.storeBytes.set(this.byteCount);
    return rejected ?? [];
  }

  private put(span: SpanRecord, stored: StoredSpan): void {
    let trace = this.traces.get(span.traceId);
    if (trace === undefined) {
      trace = { spans: [], byIdentity: undefined };
      this.traces.set(span.traceId, trace);
      this.arrivals.push(span.traceId);
    }
    const at = indexOfSame(trace, stored);
    if (at >= 0) {
      // A redelivered span (same identity, same bytes) replaces its earlier copy, as a
      // deterministic-id index write would. (The earlier copy's bytes stay in their chunk until
      // the chunk is freed.) A different span that only shares the identity is kept beside it.
      this.forget(trace.spans[at]);
      trace.spans[at] = stored;
    } else {
      trace.spans.push(stored);
      if (trace.byIdentity !== undefined) addToIndex(trace.byIdentity, identityOf(span, stored.tenant), trace.spans.length - 1);
      else if (trace.spans.length > SCAN_LIMIT) trace.byIdentity = identityIndex(trace.spans);
    }
    this.spanCount++;
    this.operations.add(span.serviceName, span.name, span.kind);
    if (stored.tenant !== undefined) {
      let index = this.tenantOperations.get(stored.tenant);
      if (index === undefined) this.tenantOperations.set(stored.tenant, (index = new OperationIndex()));
      index.add(span.serviceName, span.name, span.kind);
    }
  }

  private originOf(span: SpanRecord): SpanOrigin {
    const known = this.batchOrigins.get(span.resource);
    if (known !== undefined) {
      for (const o of known) if (o.scope === span.scope && o.serviceName === span.serviceName) return o;
      const origin = new SpanOrigin(span.resource, span.scope, span.serviceName, known[0].tenant);
      known.push(origin);
      return origin;
    }
    const origin = new SpanOrigin(span.resource, span.scope, span.serviceName, tenantOfResource(span.resource));
    this.batchOrigins.set(span.resource, [origin]);
    return origin;
  }

  /** Copies the span's message into the open chunk (or a chunk of its own) and indexes it. */
  private encode(span: SpanRecord): StoredSpan {
    // The collector's spans still hold the bytes they were decoded from (BufferRecord.spans):
    // copying those costs ~3 µs a span less than encoding the model again.
    const message = encodeSpanProtobuf(span);
    // Computed before the message is copied in: a span these throw for is rejected, not held.
    const startSec = Number(span.startTimeUnixNano / 1_000_000_000n);
    const startNanosInSec = Number(span.startTimeUnixNano % 1_000_000_000n);
    const spanDurationUs = durationUs(span);
    const origin = this.originOf(span);
    const { chunk, offset } = this.chunks.add(message);
    return new StoredSpan(
      span.spanId, span.parentSpanId, span.kind, span.name, startSec, startNanosInSec, spanDurationUs, origin, chunk, offset, message.length,
    );
  }

  /** The span is no longer held (evicted, or replaced by its redelivered copy). */
  private forget(stored: StoredSpan): void {
    this.chunks.release(stored.chunk, stored.length);
    this.spanCount--;
    this.operations.remove(stored.serviceName, stored.name, stored.kind);
    if (stored.tenant !== undefined) this.tenantOperations.get(stored.tenant)?.remove(stored.serviceName, stored.name, stored.kind);
  }

  private evictToLimits(): void {
    let tracesEvicted = 0;
    let spansEvicted = 0;
    while ((this.spanCount > this.maxSpans || this.byteCount > this.maxBytes) && this.arrivalHead < this.arrivals.length) {
      const traceId = this.arrivals[this.arrivalHead++];
      const trace = this.traces.get(traceId);
      if (trace === undefined) continue;
      for (const stored of trace.spans) this.forget(stored);
      this.traces.delete(traceId);
      tracesEvicted++;
      spansEvicted += trace.spans.length;
    }
    // Drop the consumed prefix once it dominates, so the queue stays O(traces held).
    if (this.arrivalHead > 1024 && this.arrivalHead * 2 > this.arrivals.length) {
      this.arrivals = this.arrivals.slice(this.arrivalHead);
      this.arrivalHead = 0;
    }
    if (tracesEvicted > 0) {
      this.metrics?.storeTracesEvicted.inc(tracesEvicted);
      this.metrics?.storeSpansEvicted.inc(spansEvicted);
    }
  }

  async getTrace(traceId: string, _hint?: unknown, scope?: ReadScope): Promise<SpanRecord[]> {
    const trace = this.traces.get(traceId);
    return trace === undefined ? [] : spansOf(trace, scope);
  }

  /** The operation index a read in `scope` sees (an empty one for a tenant that wrote nothing). */
  private operationsIn(scope: ReadScope | undefined): OperationIndex {
    if (scope?.tenant === undefined) return this.operations;
    return this.tenantOperations.get(scope.tenant) ?? EMPTY_OPERATIONS;
  }

  async getServices(scope?: ReadScope): Promise<string[]> {
    return this.operationsIn(scope).services();
  }

  async getOperations(query: OperationQuery, scope?: ReadScope): Promise<Operation[]> {
    return this.operationsIn(scope).operations(query.service, query.spanKind);
  }

  async findTraces(query: TraceQuery, scope?: ReadScope): Promise<SpanRecord[][]> {
    if (query.limit <= 0) return [];
    const tags = Object.entries(query.tags).map(([key, value]) => new TagMatcher(key, value));
    const scanner = new SpanAttributeScanner();
    const { service, operation, startTimeMinUs, startTimeMaxUs } = query;
    const minDuration = query.durationMinUs ?? -Infinity;
    const maxDuration = query.durationMaxUs ?? Infinity;
    const hits: { traceId: string; trace: StoredTrace; latestUs: number }[] = [];
    for (const [traceId, trace] of this.traces) {
      let latestUs = -Infinity;
      for (const stored of trace.spans) {
        // Cheapest checks first; the tag walk (which reads the encoded span) runs last.
        const startUs = stored.startUs;
        if (startUs < startTimeMinUs || startUs > startTimeMaxUs) continue;
        if (!inScope(scope, stored.tenant)) continue;
        if (startUs <= latestUs) continue;
        if (stored.durationUs < minDuration || stored.durationUs > maxDuration) continue;
        if (service !== undefined && stored.serviceName !== service) continue;
        if (operation !== undefined && stored.name !== operation) continue;
        if (tags.length > 0 && !hasAllTags(stored, tags, scanner)) continue;
        latestUs = startUs;
      }
      if (latestUs !== -Infinity) hits.push({ traceId, trace, latestUs });
    }
    hits.sort((a, b) => b.latestUs - a.latestUs || compareStrings(a.traceId, b.traceId));
    return hits.slice(0, query.limit).map((hit) => spansOf(hit.trace, scope));
  }

  /** Client and producer spans started within [fromUs, toUs], decoded (the mesh graph reads their tags). */
  *callSpansIn(fromUs: number, toUs: number): Generator<SpanRecord> {
    for (const trace of this.traces.values()) {
      for (const stored of trace.spans) {
        if (stored.kind !== 3 && stored.kind !== 4) continue; // SpanKind.CLIENT, SpanKind.PRODUCER
        if (stored.startUs >= fromUs && stored.startUs <= toUs) yield stored.decode();
      }
    }
  }

  /** Decodes the traces with a span in the window and evaluates the query on them (traceql-search.ts). */
  async searchTraceql(query: TraceqlSearchQuery): Promise<TraceqlTraceMatch[]> {
    // Only traces with a span in the window that some spanset may select (judged on the index
    // entry: name, kind, duration, resource, scope) are candidates, decoded newest first until
    // the answer is settled (traceql-search.ts).
    const filters = spansetsOf(query.query.expr).map((s) => s.span);
    const { startTimeMinUs: fromUs, startTimeMaxUs: toUs } = query;
    const candidates: TraceCandidate[] = [];
    for (const [traceId, trace] of this.traces) {
      // The span that may match with the latest start, compared as seconds and nanoseconds (a
      // bigint per span would be garbage for every span in the window).
      let bound: StoredSpan | undefined;
      for (const s of trace.spans) {
        const startUs = s.startUs;
        if (startUs < fromUs || startUs > toUs) continue;
        if (bound && (s.startSec < bound.startSec || (s.startSec === bound.startSec && s.startNanosInSec <= bound.startNanosInSec))) continue;
        if (filters.some((f) => spanMayMatch(f, s))) bound = s;
      }
      if (bound) {
        candidates.push({ traceId, boundNanos: bound.startTimeUnixNano, decode: () => spansOf(trace), locality: trace.spans[0].chunk.seq });
      }
    }
    return searchTraces(candidates, query);
  }

  async getTraceqlTags(
    window: TagWindow & { readonly filter?: SpanFilter },
  ): Promise<{ scope: 'span' | 'resource' | 'event' | 'link' | 'instrumentation'; key: string }[]> {
    return collectTags(this.spansInWindow(window.startTimeMinUs, window.startTimeMaxUs), window.filter, window.limit);
  }

  async getTraceqlTagValues(tag: TagRef, window: TagWindow & { readonly filter?: SpanFilter }): Promise<TypedTagValue[]> {
    return collectTagValues(this.spansInWindow(window.startTimeMinUs, window.startTimeMaxUs), tag, window.filter, window.limit);
  }

  private *spansInWindow(fromUs: number, toUs: number): Generator<SpanRecord> {
    for (const trace of this.traces.values()) {
      for (const s of trace.spans) if (s.startUs >= fromUs && s.startUs <= toUs) yield s.decode();
    }
  }

  async getDependencies(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<DependencyLink[]> {
    return this.getDependenciesBetween((endTimeMs - lookbackMs) * 1000, endTimeMs * 1000, scope);
  }

  /** DependencyRangeReader: children started within [fromUs, toUs]. */
  async getDependenciesBetween(fromUs: number, toUs: number, scope?: ReadScope): Promise<DependencyLink[]> {
    const counts = new Map<string, number>();
    for (const trace of this.traces.values()) {
      const spans = scope?.tenant === undefined ? trace.spans : trace.spans.filter((s) => s.tenant === scope.tenant);
      let inWindow = false;
      for (const stored of spans) {
        if (stored.startUs >= fromUs && stored.startUs <= toUs) {
          inWindow = true;
          break;
        }
      }
      // The index entries carry every field edges need: nothing is decoded.
      if (inWindow) addDependencyEdges(spans, fromUs, toUs, counts);
    }
    return dependencyLinksFromCounts(counts);
  }
}

/**
 * One searched tag, with span-match.ts's rules (spanHasTag): found in the span's attributes, its
 * resource's or scope's, or one of its events' or links' attributes, values compared as strings.
 */
class TagMatcher {
  readonly keyBytes: Uint8Array;
  readonly matches: (value: AnyValue) => boolean;

  constructor(readonly key: string, readonly value: string) {
    this.keyBytes = Buffer.from(key, 'utf8');
    this.matches = (v) => attributeText(v) === value;
  }

  in(attributes: readonly KeyValue[]): boolean {
    for (const kv of attributes) if (kv.key === this.key && this.matches(kv.value)) return true;
    return false;
  }
}

/** Every pair found on this one span; resource and scope (shared, decoded) are looked at first. */
function hasAllTags(stored: StoredSpan, tags: readonly TagMatcher[], scanner: SpanAttributeScanner): boolean {
  for (const tag of tags) {
    if (tag.in(stored.resource.attributes) || tag.in(stored.scope.attributes)) continue;
    const { offset } = stored;
    if (!scanner.hasAttribute(stored.chunk.bytes(), offset, offset + stored.length, tag.keyBytes, tag.matches)) return false;
  }
  return true;
}

const EMPTY_OPERATIONS = new OperationIndex();

function spansOf(trace: StoredTrace, scope?: ReadScope): SpanRecord[] {
  if (scope?.tenant !== undefined) return trace.spans.filter((s) => s.tenant === scope.tenant).map((s) => s.decode());
  const out = new Array<SpanRecord>(trace.spans.length);
  for (let i = 0; i < trace.spans.length; i++) out[i] = trace.spans[i].decode();
  return out;
}

function identityOf(span: { readonly spanId: string; readonly kind: SpanKind; readonly serviceName: string }, tenant: string | undefined): string {
  return `${span.spanId}\u0000${span.kind}\u0000${span.serviceName}\u0000${tenant ?? ''}`;
}

function addToIndex(index: Map<string, number[]>, key: string, at: number): void {
  const known = index.get(key);
  if (known === undefined) index.set(key, [at]);
  else known.push(at);
}

function identityIndex(spans: readonly StoredSpan[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (let i = 0; i < spans.length; i++) addToIndex(index, identityOf(spans[i], spans[i].tenant), i);
  return index;
}

/**
 * Index of the held copy of `stored` in its trace — same id, kind, service and tenant AND the
 * same encoded bytes (the span's content) — or -1. Two spans that differ in anything else are
 * two spans, as Jaeger keeps them, even when a buggy tracer gave them one id.
 */
function indexOfSame(trace: StoredTrace, stored: StoredSpan): number {
  const spans = trace.spans;
  if (trace.byIdentity !== undefined) {
    for (const i of trace.byIdentity.get(identityOf(stored, stored.tenant)) ?? []) if (sameBytes(spans[i], stored)) return i;
    return -1;
  }
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s.spanId === stored.spanId && s.kind === stored.kind && s.serviceName === stored.serviceName && s.tenant === stored.tenant && sameBytes(s, stored)) return i;
  }
  return -1;
}

function sameBytes(a: StoredSpan, b: StoredSpan): boolean {
  if (a.length !== b.length) return false;
  const aBytes = a.chunk.bytes();
  const bBytes = b.chunk.bytes();
  return Buffer.compare(
    Buffer.from(aBytes.buffer, aBytes.byteOffset + a.offset, a.length),
    Buffer.from(bBytes.buffer, bBytes.byteOffset + b.offset, b.length),
  ) === 0;
}
