/**
 * What a held span costs the memory store beyond its message, for its byte bound. The store keeps
 * each span as its encoded protobuf Span message, in shared chunks outside the JS heap (charged
 * per chunk: span-chunks.ts), plus a small index entry on the heap; the resource and scope objects
 * are shared by many spans and not charged to each.
 */

/**
 * The heap beyond the message bytes: the index entry, its boxed start time and bigint, the span
 * and parent id strings, and its share of the trace's entry, array and id — ~290 bytes a span,
 * measured as heap growth after full GCs over 200k spans of test/bench's workload (the decoded
 * objects the store held before took ~1,800).
 */
export const STORED_SPAN_OVERHEAD_BYTES = 300;
