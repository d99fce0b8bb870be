/**
 * OTLP trace codec: ExportTraceServiceRequest <-> SpanRecord[] (protobuf and OTLP/JSON), plus the
 * ExportTraceServiceResponse (partial success) and google.rpc.Status error bodies.
 *
 * Protobuf is read and written by hand (traces-protobuf-*.ts) rather than through protobufjs
 * reflection: it goes straight to and from the model, several times faster (test/bench/codec.ts).
 * The .proto files in shared/proto remain the reference, and tests check these functions against
 * protobufjs and the OpenTelemetry JS serializers.
 */
import type { InstrumentationScope, Resource, SpanRecord } from '../../model/span.js';
import { decodeTracesJsonBody } from './traces-json-decode.js';
import { decodeSpanMessage, decodeTracesProtobufBody } from './traces-protobuf-decode.js';
import { encodeSpanMessageBody, encodeTracesProtobufBody, encodeTracesProtobufEachBody } from './traces-protobuf-encode.js';
import { releaseEncodedSpan } from './encoded-spans.js';
import { WireType } from '../../wire/wire-reader.js';
import { ProtoWriter } from '../../wire/wire-writer.js';

export { OtlpDecodeError } from '../../wire/decode-errors.js';
export { SpanAttributeScanner } from './span-attribute-scan.js';
export { RpcCode, encodeStatusProtobuf, statusJson, type FieldViolation, type StatusDetail } from '../common/status.js';

export interface DecodeOptions {
  /**
   * Keep each span's original bytes so that encodeTracesProtobuf copies them instead of
   * re-encoding spans that were not changed (see encoded-spans.ts). For the collector, which
   * re-encodes at once; not for spans that are stored, as the body then stays in memory.
   */
  readonly keepEncodedSpans?: boolean;
}

/**
 * Decodes a protobuf ExportTraceServiceRequest. Lenient about ids: ids of any length are kept
 * as hex so validation can reject those spans individually. Throws OtlpDecodeError.
 */
export function decodeTracesProtobuf(body: Uint8Array, options: DecodeOptions = {}): SpanRecord[] {
  return decodeTracesProtobufBody(body, options.keepEncodedSpans === true);
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest: hex ids, lowerCamelCase or snake_case keys,
 * int64 as string or number, enums as integers (names also accepted). Throws OtlpDecodeError.
 */
export function decodeTracesJson(body: string): SpanRecord[] {
  return decodeTracesJsonBody(body);
}

/** Encodes spans (any mix of traces) as one ExportTraceServiceRequest, regrouped by resource and scope. */
export function encodeTracesProtobuf(spans: readonly SpanRecord[]): Uint8Array<ArrayBuffer> {
  return encodeTracesProtobufBody(spans);
}

/**
 * Encodes each element of `batches` as its own ExportTraceServiceRequest (e.g. one per trace).
 * The results are views of one shared ArrayBuffer, so keeping any one of them keeps the memory
 * of all: fine for records that live and die together (a request's buffer records); copy one
 * (`slice()`) to keep it alone for long.
 */
export function encodeTracesProtobufEach(batches: readonly (readonly SpanRecord[])[]): Uint8Array<ArrayBuffer>[] {
  return encodeTracesProtobufEachBody(batches);
}

/**
 * The protobuf Span message of one span (no field tag, no length prefix), for stores that keep
 * spans encoded: the bytes the span was decoded from when it kept them (keepEncodedSpans), else
 * a fresh encoding. The result may be a view of a scratch buffer that the next encode call
 * overwrites, or of the request body: copy it at once.
 */
export function encodeSpanProtobuf(span: SpanRecord): Uint8Array {
  return encodeSpanMessageBody(span);
}

/**
 * Decodes a Span message (as encodeSpanProtobuf wrote it) found at `bytes[start, end)`, giving it
 * the resource, scope and service name that the enclosing ResourceSpans / ScopeSpans would have.
 * Throws OtlpDecodeError.
 */
export function decodeSpanProtobuf(
  bytes: Uint8Array, start: number, end: number, resource: Resource, scope: InstrumentationScope, serviceName: string,
): SpanRecord {
  return decodeSpanMessage(bytes, start, end, resource, scope, serviceName);
}

/**
 * Drops the request bytes that spans decoded with `keepEncodedSpans` remember, for spans that
 * are kept beyond their request (otherwise each would keep its whole request body in memory).
 * The spans themselves do not change; encoding them later encodes the model.
 */
export function releaseEncodedSpans(spans: readonly SpanRecord[]): void {
  for (const span of spans) releaseEncodedSpan(span);
}

/** Spans grouped by trace id; traces in order of first appearance, spans in input order. */
export function groupSpansByTrace(spans: readonly SpanRecord[]): Map<string, SpanRecord[]> {
  const traces = new Map<string, SpanRecord[]>();
  let lastId = '';
  let last: SpanRecord[] | undefined;
  for (const span of spans) {
    // Spans of a trace usually arrive together: skip the map lookup while the id repeats.
    if (last === undefined || span.traceId !== lastId) {
      lastId = span.traceId;
      last = traces.get(lastId);
      if (last === undefined) {
        last = [];
        traces.set(lastId, last);
      }
    }
    last.push(span);
  }
  return traces;
}

export interface PartialSuccess {
  readonly rejectedSpans: number;
  readonly errorMessage: string;
}

function isFullSuccess(partial: PartialSuccess): boolean {
  return partial.rejectedSpans === 0 && partial.errorMessage === '';
}

/** ExportTraceServiceResponse; omits partial_success when nothing was rejected and no message. */
export function encodeTraceResponseProtobuf(partial: PartialSuccess): Uint8Array<ArrayBuffer> {
  // The spec: leave partial_success unset on full success (an empty message is zero bytes).
  if (isFullSuccess(partial)) return new Uint8Array(0);
  const w = new ProtoWriter(64 + partial.errorMessage.length * 3);
  w.tag(1, WireType.LEN);
  const mark = w.fork();
  if (partial.rejectedSpans !== 0) {
    w.tag(1, WireType.VARINT);
    w.int64(BigInt(partial.rejectedSpans));
  }
  if (partial.errorMessage !== '') {
    w.tag(2, WireType.LEN);
    w.string(partial.errorMessage);
  }
  w.join(mark);
  return w.finish();
}

/** The same in proto3 JSON: int64 as a decimal string, default fields left out. */
export function encodeTraceResponseJson(partial: PartialSuccess): string {
  if (isFullSuccess(partial)) return '{}';
  const body: { rejectedSpans?: string; errorMessage?: string } = {};
  if (partial.rejectedSpans !== 0) body.rejectedSpans = String(partial.rejectedSpans);
  if (partial.errorMessage !== '') body.errorMessage = partial.errorMessage;
  return JSON.stringify({ partialSuccess: body });
}
