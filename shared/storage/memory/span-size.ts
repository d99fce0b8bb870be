/**
 * A cheap estimate of the heap a stored span costs, for the memory store's byte bound. It only
 * needs to grow with the span's real size; walking attribute lists once is O(span) and far
 * cheaper than serializing. Resource and scope objects are shared by many spans, so they are not
 * charged to each span.
 */
import type { AnyValue, KeyValue, SpanRecord } from '../../model/span.js';

/** Object headers, ids, bigints, status and the index entries a span costs beyond its strings. */
const SPAN_OVERHEAD_BYTES = 400;
const KEY_VALUE_OVERHEAD_BYTES = 48;
const EVENT_OVERHEAD_BYTES = 80;
const LINK_OVERHEAD_BYTES = 120;

export function estimateSpanBytes(span: SpanRecord): number {
  let bytes = SPAN_OVERHEAD_BYTES + 2 * (span.name.length + span.traceState.length + span.status.message.length);
  bytes += keyValuesBytes(span.attributes);
  for (const event of span.events) {
    bytes += EVENT_OVERHEAD_BYTES + 2 * event.name.length + keyValuesBytes(event.attributes);
  }
  for (const link of span.links) {
    bytes += LINK_OVERHEAD_BYTES + 2 * link.traceState.length + keyValuesBytes(link.attributes);
  }
  return bytes;
}

function keyValuesBytes(kvs: readonly KeyValue[]): number {
  let bytes = 0;
  for (const kv of kvs) bytes += KEY_VALUE_OVERHEAD_BYTES + 2 * kv.key.length + valueBytes(kv.value);
  return bytes;
}

function valueBytes(value: AnyValue): number {
  switch (value.type) {
    case 'string':
      // V8 stores one-byte strings compactly, but UTF-16 is the safe upper bound.
      return 2 * value.value.length;
    case 'bytes':
      return value.value.byteLength;
    case 'array': {
      let bytes = 16;
      for (const v of value.value) bytes += 16 + valueBytes(v);
      return bytes;
    }
    case 'kvlist':
      return 16 + keyValuesBytes(value.value);
    default:
      return 16;
  }
}
