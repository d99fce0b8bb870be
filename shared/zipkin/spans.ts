/**
 * Zipkin v2 request bodies → meshtel's span model, in one call per wire format. What receivers
 * use; the decoders and the Zipkin → OTLP mapping behind it are separate modules.
 */
import type { SpanRecord } from '../model/span.js';
import { decodeZipkinJson } from './json-decode.js';
import { decodeZipkinProtobuf } from './protobuf-decode.js';
import { zipkinToSpanRecords } from './to-spans.js';

export { ZipkinDecodeError } from './errors.js';

/** A Zipkin v2 JSON body (an array of spans) → SpanRecords. Throws ZipkinDecodeError. */
export function decodeZipkinSpansJson(body: string): SpanRecord[] {
  return zipkinToSpanRecords(decodeZipkinJson(body));
}

/** A Zipkin v2 protobuf body (zipkin.proto3.ListOfSpans) → SpanRecords. Throws ZipkinDecodeError. */
export function decodeZipkinSpansProtobuf(body: Uint8Array): SpanRecord[] {
  return zipkinToSpanRecords(decodeZipkinProtobuf(body));
}
