/**
 * The all-in-one access-log store: records in the heap, bounded by a record count and
 * (optionally) an estimated byte size. When a write crosses a bound, the records written longest
 * ago go first (arrival order, not their timestamps, for the same reason as the span store: a
 * skewed clock or a late batch of old entries must not pin records in memory or push fresh ones
 * out). Idempotent by `record.id`: a rewritten record replaces its copy and keeps its place.
 *
 * Writes cost O(records written + evicted). Searches and edges scan every held record, and a
 * search sorts its matches: about 0.1 s per 200k records on one core, which suits a laptop or a
 * small cluster; bigger meshes use Elasticsearch.
 */
import type { AccessLogRecord } from '../../model/access-log.js';
import type { StoreMetrics } from '../store-metrics.js';
import type { MemoryStoreMetrics } from './memory-store-metrics.js';
import { AccessLogEdgeCounter, accessLogMatches, accessLogStartUs, compareNewestFirst } from '../accesslog-match.js';
import type { AccessLogEdge, AccessLogPage, AccessLogQuery, AccessLogStore, RejectedAccessLog } from '../accesslogstore.js';
import { estimateAccessLogBytes } from '../accesslog-size.js';
import { MEMORY_ACCESS_LOG_STORE_DEFAULTS } from './memory-store-settings.js';
import { inScope, type ReadScope } from '../read-scope.js';

/** Ids are derived from content, so two tenants' identical entries share one: key by tenant too. */
function keyOf(record: AccessLogRecord): string {
  return record.tenant === undefined ? record.id : `${record.tenant}\u0000${record.id}`;
}

export interface MemoryAccessLogStoreOptions {
  /** Most records held; must be ≥ 1 (default {@link MEMORY_ACCESS_LOG_STORE_DEFAULTS}). */
  readonly maxRecords?: number;
  /** Most estimated bytes held; no byte bound when absent. */
  readonly maxBytes?: number;
  readonly metrics?: Pick<(StoreMetrics & MemoryStoreMetrics), 'accessLogsWritten' | 'storeAccessLogs' | 'storeAccessLogsEvicted'>;
}

interface StoredRecord {
  readonly record: AccessLogRecord;
  readonly startUs: number;
  readonly bytes: number;
}

export class MemoryAccessLogStore implements AccessLogStore {
  private readonly records = new Map<string, StoredRecord>();
  /**
   * Ids in first-written order, oldest at `arrivalHead`: walking a Map from its start after many
   * deletions visits the holes they leave, which would make each eviction O(records).
   */
  private arrivals: string[] = [];
  private arrivalHead = 0;
  private byteCount = 0;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly metrics: MemoryAccessLogStoreOptions['metrics'];

  constructor(options: MemoryAccessLogStoreOptions = {}) {
    const maxRecords = options.maxRecords ?? MEMORY_ACCESS_LOG_STORE_DEFAULTS.maxRecords;
    if (!Number.isInteger(maxRecords) || maxRecords < 1) {
      throw new RangeError(`maxRecords must be a positive integer, got ${maxRecords}`);
    }
    if (options.maxBytes !== undefined && (!Number.isInteger(options.maxBytes) || options.maxBytes < 1)) {
      throw new RangeError(`maxBytes must be a positive integer, got ${options.maxBytes}`);
    }
    this.maxRecords = maxRecords;
    this.maxBytes = options.maxBytes ?? MEMORY_ACCESS_LOG_STORE_DEFAULTS.maxBytes;
    this.metrics = options.metrics;
  }

  async start(): Promise<void> {}

  async isReady(): Promise<boolean> {
    return true;
  }

  /** Nothing to flush: a write is complete when writeAccessLogs resolves. Data stays readable. */
  async stop(): Promise<void> {}

  /** Number of records held (for tests and diagnostics). */
  get size(): number {
    return this.records.size;
  }

  async writeAccessLogs(records: readonly AccessLogRecord[]): Promise<RejectedAccessLog[]> {
    for (const record of records) this.put(record);
    this.evictToLimits();
    this.metrics?.accessLogsWritten.inc({ store: 'memory' }, records.length);
    this.metrics?.storeAccessLogs.set(this.records.size);
    return [];
  }

  private put(record: AccessLogRecord): void {
    const key = keyOf(record);
    const previous = this.records.get(key);
    if (previous === undefined) this.arrivals.push(key);
    else this.byteCount -= previous.bytes;
    const stored: StoredRecord = { record, startUs: accessLogStartUs(record), bytes: estimateAccessLogBytes(record) };
    // Map.set on an existing key keeps its position, so a redelivered record keeps its age.
    this.records.set(key, stored);
    this.byteCount += stored.bytes;
  }

  private evictToLimits(): void {
    let evicted = 0;
    while ((this.records.size > this.maxRecords || this.byteCount > this.maxBytes) && this.arrivalHead < this.arrivals.length) {
      const id = this.arrivals[this.arrivalHead++]!;
      const stored = this.records.get(id);
      if (stored === undefined) continue;
      this.records.delete(id);
      this.byteCount -= stored.bytes;
      evicted++;
    }
    // Drop the consumed prefix once it dominates, so the queue stays O(records held).
    if (this.arrivalHead > 1024 && this.arrivalHead * 2 > this.arrivals.length) {
      this.arrivals = this.arrivals.slice(this.arrivalHead);
      this.arrivalHead = 0;
    }
    if (evicted > 0) this.metrics?.storeAccessLogsEvicted.inc(evicted);
  }

  async findAccessLogs(query: AccessLogQuery, scope?: ReadScope): Promise<AccessLogPage> {
    const matches: AccessLogRecord[] = [];
    for (const stored of this.records.values()) {
      if (inScope(scope, stored.record.tenant) && accessLogMatches(stored.record, query, stored.startUs)) matches.push(stored.record);
    }
    matches.sort(compareNewestFirst);
    const from = Math.max(0, query.offset);
    return { records: query.limit > 0 ? matches.slice(from, from + query.limit) : [], total: matches.length };
  }

  /** Records started within [fromUs, toUs], in arrival order (the mesh graph reads them). */
  *recordsIn(fromUs: number, toUs: number): Generator<AccessLogRecord> {
    for (const stored of this.records.values()) if (stored.startUs >= fromUs && stored.startUs <= toUs) yield stored.record;
  }

  async getAccessLogEdges(endTimeMs: number, lookbackMs: number, scope?: ReadScope): Promise<AccessLogEdge[]> {
    const fromUs = (endTimeMs - lookbackMs) * 1000;
    const toUs = endTimeMs * 1000;
    const counter = new AccessLogEdgeCounter();
    for (const stored of this.records.values()) {
      if (stored.startUs >= fromUs && stored.startUs <= toUs && inScope(scope, stored.record.tenant)) counter.add(stored.record);
    }
    return counter.edges();
  }
}
