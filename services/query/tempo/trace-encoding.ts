/**
 * A stored trace as Tempo serves it. `tempopb.Trace` is OTLP's ExportTraceServiceRequest under
 * another name — field 1, repeated ResourceSpans (`batches` before Tempo 2.6) — so the protobuf
 * answer IS the collector's hand-written OTLP encoding, and `TraceByIDResponse` wraps it as field 1.
 * The JSON form is Tempo's gogo-jsonpb rendering of the same message (lowerCamel names, 64-bit
 * integers as strings, ids base64, enums by name), written by the one OTLP/JSON encoder the
 * Jaeger api_v3 answers use too.
 */
import type { SpanRecord } from '../../../shared/model/span.js';
import { encodeTracesProtobuf } from '../../../shared/otlp/traces/traces.js';
import { encodeTracesJsonObject, type JsonValue } from '../../../shared/otlp/traces/traces-json-encode.js';
import { WireType } from '../../../shared/wire/wire-reader.js';
import { ProtoWriter } from '../../../shared/wire/wire-writer.js';

/** TraceByIDResponse.trace (tempo.proto). */
const TRACE_BY_ID_TRACE_FIELD = 1;

function ordered(spans: readonly SpanRecord[]): SpanRecord[] {
  return [...spans].sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
}

/** `tempopb.Trace` bytes. */
export function traceProtobuf(spans: readonly SpanRecord[]): Uint8Array {
  return encodeTracesProtobuf(ordered(spans));
}

/** `tempopb.TraceByIDResponse` bytes: the trace; status COMPLETE (0) is the default and not written. */
export function traceByIdResponseProtobuf(spans: readonly SpanRecord[]): Uint8Array {
  const trace = traceProtobuf(spans);
  const w = new ProtoWriter(trace.length + 16);
  w.tag(TRACE_BY_ID_TRACE_FIELD, WireType.LEN);
  w.bytesField(trace);
  return w.finish();
}

/** `tempopb.Trace` as Tempo's JSON: `{"resourceSpans":[…]}`. */
export function traceJson(spans: readonly SpanRecord[]): { resourceSpans: { [key: string]: JsonValue }[] } {
  return encodeTracesJsonObject(ordered(spans), { ids: 'base64', enums: 'name' });
}
