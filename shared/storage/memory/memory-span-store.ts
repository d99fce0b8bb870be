/**
 * The all-in-one span store: everything in the heap, bounded by a span count and an estimated
 * byte size. When a write crosses either bound, whole traces are evicted in the order their
 * first span was written (arrival order, not span timestamps: a sender with a skewed clock or a
 * late batch of old spans cannot pin its traces in memory or push fresh ones out). Evicting whole
 * traces keeps every answer consistent: a trace is either complete or gone.
 *
 * Writes cost O(spans written) plus O(spans evicted) (a few hundred thousand spans a second on
 * one core); searches and dependencies scan the held spans, about 0.1–0.3 s at the default bound
 * of 500k spans, which suits a laptop or small cluster.
 */
import type { SpanRecord } from '../../model/span.js';
import { durationUs, startTimeUs } from '../../model/span.js';
import type { MeshtelMetrics } from '../../telemetry/metrics.js';
import { addDependencyEdges, dependencyLinksFromCounts, spanHasAllTags } from '../span-match.js';
import type { DependencyLink, Operation, OperationQuery, RejectedSpan, SpanStore, TraceQuery } from '../spanstore.js';
import { OperationIndex, compareStrings } from './operation-index.js';
import { estimateSpanBytes } from './span-size.js';

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

interface StoredSpan {
  readonly span: SpanRecord;
  readonly startUs: number;
  readonly durationUs: number;
  readonly bytes: number;
}

interface StoredTrace {
  /** Keyed by span id, service and kind: the identity that makes writes idempotent. */
  readonly spans: Map<string, StoredSpan>;
  bytes: number;
}

export class MemorySpanStore implements SpanStore {
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

  /** Takes every span (nothing is ever rejected), then evicts old traces down to the bounds. */
  async writeSpans(spans: readonly SpanRecord[]): Promise<RejectedSpan[]> {
    for (const span of spans) this.put(span);
    this.evictToLimits();
    this.metrics?.spansWritten.inc({ store: 'memory' }, spans.length);
    this.metrics?.storeSpans.set(this.spanCount);
    this.metrics?.storeBytes.set(this.byteCount);
    return [];
  }

  private put(span: SpanRecord): void {
    let trace = this.traces.get(span.traceId);
    if (trace === undefined) {
      trace = { spans: new Map(), bytes: 0 };
      this.traces.set(span.traceId, trace);
      this.arrivals.push(span.traceId);
    }
    const key = `${span.spanId}\u0000${span.kind}\u0000${span.serviceName}`;
    const previous = trace.spans.get(key);
    if (previous !== undefined) {
      // A redelivered span replaces its earlier copy, as a deterministic-id index write would.
      this.forget(trace, previous);
    }
    const stored: StoredSpan = {
      span,
      startUs: startTimeUs(span),
      durationUs: durationUs(span),
      bytes: estimateSpanBytes(span),
    };
    trace.spans.set(key, stored);
    trace.bytes += stored.bytes;
    this.spanCount++;
    this.byteCount += stored.bytes;
    this.operations.add(span.serviceName, span.name, span.kind);
  }

  private forget(trace: StoredTrace, stored: StoredSpan): void {
    trace.bytes -= stored.bytes;
    this.spanCount--;
    this.byteCount -= stored.bytes;
    this.operations.remove(stored.span.serviceName, stored.span.name, stored.span.kind);
  }

  private evictToLimits(): void {
    let tracesEvicted = 0;
    let spansEvicted = 0;
    while ((this.spanCount > this.maxSpans || this.byteCount > this.maxBytes) && this.arrivalHead < this.arrivals.length) {
      const traceId = this.arrivals[this.arrivalHead++];
      const trace = this.traces.get(traceId);
      if (trace === undefined) continue;
      for (const stored of trace.spans.values()) this.forget(trace, stored);
      this.traces.delete(traceId);
      tracesEvicted++;
      spansEvicted += trace.spans.size;
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
    const tags = Object.entries(query.tags);
    const { service, operation, startTimeMinUs, startTimeMaxUs } = query;
    const minDuration = query.durationMinUs ?? -Infinity;
    const maxDuration = query.durationMaxUs ?? Infinity;
    const hits: { traceId: string; trace: StoredTrace; latestUs: number }[] = [];
    for (const [traceId, trace] of this.traces) {
      let latestUs = -Infinity;
      for (const stored of trace.spans.values()) {
        // Cheapest checks first; the tag walk runs only on spans that pass everything else.
        if (stored.startUs < startTimeMinUs || stored.startUs > startTimeMaxUs) continue;
        if (stored.startUs <= latestUs) continue;
        if (stored.durationUs < minDuration || stored.durationUs > maxDuration) continue;
        const span = stored.span;
        if (service !== undefined && span.serviceName !== service) continue;
        if (operation !== undefined && span.name !== operation) continue;
        if (tags.length > 0 && !spanHasAllTags(span, tags)) continue;
        latestUs = stored.startUs;
      }
      if (latestUs !== -Infinity) hits.push({ traceId, trace, latestUs });
    }
    hits.sort((a, b) => b.latestUs - a.latestUs || compareStrings(a.traceId, b.traceId));
    return hits.slice(0, query.limit).map((hit) => spansOf(hit.trace));
  }

  async getDependencies(endTimeMs: number, lookbackMs: number): Promise<DependencyLink[]> {
    const fromUs = (endTimeMs - lookbackMs) * 1000;
    const toUs = endTimeMs * 1000;
    const counts = new Map<string, number>();
    for (const trace of this.traces.values()) {
      let inWindow = false;
      for (const stored of trace.spans.values()) {
        if (stored.startUs >= fromUs && stored.startUs <= toUs) {
          inWindow = true;
          break;
        }
      }
      if (inWindow) addDependencyEdges(spansOf(trace), fromUs, toUs, counts);
    }
    return dependencyLinksFromCounts(counts);
  }
}

function spansOf(trace: StoredTrace): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const stored of trace.spans.values()) out.push(stored.span);
  return out;
}
