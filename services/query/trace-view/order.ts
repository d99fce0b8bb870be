/** The order spans of one trace are shown in, by every API: start time, span id, kind, service. */
import type { SpanRecord } from '../../../shared/model/span.js';

export function compareSpans(a: SpanRecord, b: SpanRecord): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  if (a.spanId !== b.spanId) return a.spanId < b.spanId ? -1 : 1;
  if (a.kind !== b.kind) return a.kind - b.kind;
  return a.serviceName < b.serviceName ? -1 : a.serviceName > b.serviceName ? 1 : 0;
}
