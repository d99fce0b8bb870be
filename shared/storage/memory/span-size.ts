/**
 * What a stored span costs the memory store, for its byte bound. The store keeps each span as its
 * encoded protobuf Span message (in shared chunks, outside the JS heap) plus a small index entry
 * on the heap; the resource and scope objects are shared by many spans and not charged to each.
 */

/**
 * The index entry beyond the message bytes: the entry object, its boxed start time, the span
 * and parent id strings, and the trace's array slot — measured at ~230 bytes with heap snapshots
 * of a full store, rounded up.
 */
export const STORED_SPAN_OVERHEAD_BYTES = 256;

/** Bytes charged for a span whose Span message is `messageBytes` long. */
export function storedSpanBytes(messageBytes: number): number {
  return STORED_SPAN_OVERHEAD_BYTES + messageBytes;
}
