/**
 * What a stored span costs the memory store, for its byte bound. The store keeps each span as its
 * encoded protobuf Span message (in shared chunks, outside the JS heap) plus a small index entry
 * on the heap; the resource and scope objects are shared by many spans and not charged to each.
 */

/**
 * The heap beyond the message bytes: the index entry, its boxed start time and bigint, the span
 * and parent id strings, and its share of the trace's entry, array and id — ~290 bytes a span,
 * measured as heap growth after full GCs over 200k spans of test/bench's workload (the decoded
 * objects the store held before took ~1,800).
 */
export const STORED_SPAN_OVERHEAD_BYTES = 300;

/** Bytes charged for a span whose Span message is `messageBytes` long. */
export function storedSpanBytes(messageBytes: number): number {
  return STORED_SPAN_OVERHEAD_BYTES + messageBytes;
}
