/**
 * The all-in-one span store: everything in memory, bounded by a span count and an estimated
 * byte size. When a write crosses either bound, whole traces are evicted in the order their
 * first span was written (arrival order, not span timestamps: a sender with a skewed clock or a
 * late batch of old spans cannot pin its traces in memory or push fresh ones out). Evicting whole
 * traces keeps every answer consistent: a trace is either complete or gone.
 *
 * Spans are kept encoded: each as its protobuf Span message, copied into large shared chunks,
 * beside a small index entry with what searches filter on (~300 bytes of heap and ~550 of chunk
 * for test/bench's spans). Held as decoded objects a span was ~1.8 KB of small long-lived heap
 * objects, and with 500k of them the garbage collector's copying and marking cost about as much
 * CPU as everything else all-in-one does (test/bench: 1.8 CPU-s per 100k spans, against 1.0
 * with a store of 20k spans). Chunks are plain bytes the collector never traces; a chunk is freed
 * once the last trace with a span in it is evicted, which arrival-order eviction makes happen
 * roughly in chunk order. Reads decode the spans they return (a few µs a span).
 *
 * Writes cost O(spans written) plus O(spans evicted). Searches and dependencies scan the index
 * entries — at the default bound of 500k spans ~0.05–0.15 s; a tag search reads the encoded
 * attributes of the spans that pass the other criteria, ~0.35 s when no service narrows it —
 * which suits a laptop or small cluster.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource, SpanKind, SpanRecord } from '../../model/span.js';
import { durationUs, startTimeUs } from '../../model/span.js';
import { SpanAttributeScanner, decodeSpanProtobuf, encodeSpanProtobuf } from '../../otlp/traces.js';
import type { MeshtelMetrics } from '../../telemetry/metrics.js';
import { addDependencyEdges, attributeValueAsString, dependencyLinksFromCounts } from '../span-match.js';
import type { DependencyLink, Operation, OperationQuery, RejectedSpan, SpanStore, TraceQuery } from '../spanstore.js';
import type { DependencyRangeReader } from '../dependency-range.js';
import { OperationIndex, compareStrings } from './operation-index.js';
import { storedSpanBytes } from './span-size.js';

export interface MemorySpanStoreOptions {
  /** Most spans held; must be ≥ 1. */
  readonly maxSpans: number;
  /** Most estimated bytes held; must be ≥ 1. */
  readonly maxBytes: number;
  readonly metrics?: Pick<
    MeshtelMetrics,
    'storeSpans' | 'storeBytes' | 'storeTracesEvicted' | 'storeSpansEvicted' | 'spansWritten'
  >;
}

/** Encoded spans are appended to chunks of this size (a few hundred spans each). */
const CHUNK_BYTES = 256 * 1024;
/** A span message larger than this gets an allocation of its own instead of a chunk's tail. */
const OWN_ALLOCATION_BYTES = 16 * 1024;
/** Traces up to this many spans find a rewritten span by scanning; larger ones keep a map. */
const SCAN_LIMIT = 16;

/**
 * One held span: the fields searches and dependencies read, and where its Span message sits. The
 * field names match SpanRecord's where they mean the same, so dependency edges are computed on
 * these entries directly (span-match.ts DependencySpan).
 */
class StoredSpan {
  constructor(
    readonly spanId: string,
    readonly parentSpanId: string,
    readonly kind: SpanKind,
    readonly serviceName: string,
    readonly name: string,
    readonly startTimeUnixNano: bigint,
    readonly startUs: number,
    readonly durationUs: number,
    readonly resource: Resource,
    readonly scope: InstrumentationScope,
    readonly chunk: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  get bytes(): number {
    return storedSpanBytes(this.length);
  }

  decode(): SpanRecord {
    return decodeSpanProtobuf(this.chunk, this.offset, this.offset + this.length, this.resource, this.scope, this.serviceName);
  }
}

interface StoredTrace {
  /** In first-written order; a rewritten span takes its earlier copy's place. */
  readonly spans: StoredSpan[];
  /**
   * Span identity (id, kind, service: what makes writes idempotent) → index in `spans`; built
   * only once a trace outgrows SCAN_LIMIT, as scanning a few entries is cheaper than a key string.
   */
  byIdentity: Map<string, number> | undefined;
  bytes: number;
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
  private spanCount = 0;
  private byteCount = 0;
  private chunk = new Uint8Array(CHUNK_BYTES);
  private chunkUsed = 0;
  private readonly maxSpans: number;
  private readonly maxBytes: number;
  private readonly metrics: MemorySpanStoreOptions['metrics'];

  constructor(options: MemorySpanStoreOptions) {
    if (!Number.isInteger(options.maxSpans) || options.maxSpans < 1) {
      throw new RangeError(`maxSpans must be a positive integer, got ${options.maxSpans}`);
    }
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1) {
      throw new RangeError(`maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.maxSpans = options.maxSpans;
    this.maxBytes = options.maxBytes;
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
    this.evictToLimits();
    this.metrics?.spansWritten.inc({ store: 'memory' }, spans.length - (rejected?.length ?? 0));
    this.metrics?.storeSpans.set(this.spanCount);
    this.metrics?.storeBytes.set(this.byteCount);
    return rejected ?? [];
  }

  private put(span: SpanRecord, stored: StoredSpan): void {
    let trace = this.traces.get(span.traceId);
    if (trace === undefined) {
      trace = { spans: [], byIdentity: undefined, bytes: 0 };
      this.traces.set(span.traceId, trace);
      this.arrivals.push(span.traceId);
    }
    const at = indexOfSame(trace, span);
    if (at >= 0) {
      // A redelivered span replaces its earlier copy, as a deterministic-id index write would.
      // (The earlier copy's bytes stay in their chunk until the chunk is freed.)
      this.forget(trace, trace.spans[at]);
      trace.spans[at] = stored;
    } else {
      trace.spans.push(stored);
      if (trace.byIdentity !== undefined) trace.byIdentity.set(identityOf(span), trace.spans.length - 1);
      else if (trace.spans.length > SCAN_LIMIT) trace.byIdentity = identityIndex(trace.spans);
    }
    const bytes = stored.bytes;
    trace.bytes += bytes;
    this.spanCount++;
    this.byteCount += bytes;
    this.operations.add(span.serviceName, span.name, span.kind);
  }

  /** Copies the span's message into the current chunk (or its own allocation) and indexes it. */
  private encode(span: SpanRecord): StoredSpan {
    // The collector's spans still hold the bytes they were decoded from (BufferRecord.spans):
    // copying those costs ~3 µs a span less than encoding the model again.
    const message = encodeSpanProtobuf(span);
    const length = message.length;
    let chunk: Uint8Array;
    let offset: number;
    if (length > OWN_ALLOCATION_BYTES) {
      chunk = message.slice();
      offset = 0;
    } else {
      if (this.chunkUsed + length > this.chunk.length) {
        // The full chunk lives on as long as spans in it do; nothing else refers to it.
        this.chunk = new Uint8Array(CHUNK_BYTES);
        this.chunkUsed = 0;
      }
      chunk = this.chunk;
      offset = this.chunkUsed;
      chunk.set(message, offset);
      this.chunkUsed += length;
    }
    return new StoredSpan(
      span.spanId, span.parentSpanId, span.kind, span.serviceName, span.name, span.startTimeUnixNano,
      startTimeUs(span), durationUs(span), span.resource, span.scope, chunk, offset, length,
    );
  }

  private forget(trace: StoredTrace, stored: StoredSpan): void {
    const bytes = stored.bytes;
    trace.bytes -= bytes;
    this.spanCount--;
    this.byteCount -= bytes;
    this.operations.remove(stored.serviceName, stored.name, stored.kind);
  }

  private evictToLimits(): void {
    let tracesEvicted = 0;
    let spansEvicted = 0;
    while ((this.spanCount > this.maxSpans || this.byteCount > this.maxBytes) && this.arrivalHead < this.arrivals.length) {
      const traceId = this.arrivals[this.arrivalHead++];
      const trace = this.traces.get(traceId);
      if (trace === undefined) continue;
      for (const stored of trace.spans) this.forget(trace, stored);
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

  async getTrace(traceId: string): Promise<SpanRecord[]> {
    const trace = this.traces.get(traceId);
    return trace === undefined ? [] : spansOf(trace);
  }

  async getServices(): Promise<string[]> {
    return this.operations.services();
  }

  async getOperations(query: OperationQuery): Promise<Operation[]> {
    return this.operations.operations(query.service, query.spanKind);
  }

  async findTraces(query: TraceQuery): Promise<SpanRecord[][]> {
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
        if (stored.startUs < startTimeMinUs || stored.startUs > startTimeMaxUs) continue;
        if (stored.startUs <= latestUs) continue;
        if (stored.durationUs < minDuration || stored.durationUs > maxDuration) continue;
        if (service !== undefined && stored.serviceName !== service) continue;
        if (operation !== undefined && stored.name !== operation) continue;
        if (tags.length > 0 && !hasAllTags(stored, tags, scanner)) continue;
        latestUs = stored.startUs;
      }
      if (latestUs !== -Infinity) hits.push({ traceId, trace, latestUs });
    }
    hits.sort((a, b) => b.latestUs - a.latestUs || compareStrings(a.traceId, b.traceId));
    return hits.slice(0, query.limit).map((hit) => spansOf(hit.trace));
  }

  async getDependencies(endTimeMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    return this.getDependenciesBetween((endTimeMs - lookbackMs) * 1000, endTimeMs * 1000);
  }

  /** DependencyRangeReader: children started within [fromUs, toUs]. */
  async getDependenciesBetween(fromUs: number, toUs: number): Promise<DependencyLink[]> {
    const counts = new Map<string, number>();
    for (const trace of this.traces.values()) {
      let inWindow = false;
      for (const stored of trace.spans) {
        if (stored.startUs >= fromUs && stored.startUs <= toUs) {
          inWindow = true;
          break;
        }
      }
      // The index entries carry every field edges need: nothing is decoded.
      if (inWindow) addDependencyEdges(trace.spans, fromUs, toUs, counts);
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
    this.matches = (v) => attributeValueAsString(v) === value;
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
    const { chunk, offset } = stored;
    if (!scanner.hasAttribute(chunk, offset, offset + stored.length, tag.keyBytes, tag.matches)) return false;
  }
  return true;
}

function spansOf(trace: StoredTrace): SpanRecord[] {
  const out = new Array<SpanRecord>(trace.spans.length);
  for (let i = 0; i < trace.spans.length; i++) out[i] = trace.spans[i].decode();
  return out;
}

function identityOf(span: { readonly spanId: string; readonly kind: SpanKind; readonly serviceName: string }): string {
  return `${span.spanId}\u0000${span.kind}\u0000${span.serviceName}`;
}

function identityIndex(spans: readonly StoredSpan[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < spans.length; i++) index.set(identityOf(spans[i]), i);
  return index;
}

/** Index of the held copy of `span` (same id, kind and service) in its trace, or -1. */
function indexOfSame(trace: StoredTrace, span: SpanRecord): number {
  if (trace.byIdentity !== undefined) return trace.byIdentity.get(identityOf(span)) ?? -1;
  const spans = trace.spans;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s.spanId === span.spanId && s.kind === span.kind && s.serviceName === span.serviceName) return i;
  }
  return -1;
}
