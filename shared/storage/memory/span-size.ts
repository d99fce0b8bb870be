/**
 * What a held span costs the memory store beyond its message, for its byte bound. The store keeps
 * each span as its encoded protobuf Span message, in shared chunks outside the JS heap (charged
 * per chunk: span-chunks.ts), plus a small index entry on the heap; the resource and scope objects
 * are shared by many spans and not charged to each.
 */

/**
 * The heap beyond the message bytes: the index entry, its boxed start time, the span and parent
 * id strings, and its share of the trace's entry, array and id. It was ~290 bytes a span, measured
 * as heap growth after full GCs over 200k spans of test/bench's workload (the decoded objects the
 * store held before took ~1,800); sharing resource, scope, service and tenant in one origin
 * object and dropping the bigint start time took ~50 bytes off (test/bench/memstore.ts, 300k
 * spans: heap after GC 85 → 70 MB).
 */
export const STORED_SPAN_OVERHEAD_BYTES = 250;
