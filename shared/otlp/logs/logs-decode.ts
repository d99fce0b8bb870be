/**
 * Generic OTLP logs decoding: an ExportLogsServiceRequest (protobuf or OTLP/JSON) becomes a flat
 * list of {@link OtlpLogRecord}s, each pointing at its (shared) resource and scope. Nothing here
 * knows about access logs: classifying a record as an Envoy access log or a plain log, and
 * validating it, happens afterwards (logs-normalize.ts), so both encodings are judged alike.
 *
 * Lenient about ids, like the trace decoders: trace and span ids of any length are kept as hex
 * so that one bad record is rejected on its own (partial success) instead of failing the request.
 */
import type { OtlpLogRecord } from './logs-model.js';
import { decodeLogsJsonBody } from './logs-json-decode.js';
import { decodeLogsProtobufBody } from './logs-protobuf-decode.js';

export { positionOf, type OtlpLogRecord } from './logs-model.js';

/** Decodes a protobuf ExportLogsServiceRequest (or LogsData: the same bytes). Throws OtlpDecodeError. */
export function decodeLogsProtobuf(body: Uint8Array): OtlpLogRecord[] {
  return decodeLogsProtobufBody(body);
}

/**
 * Decodes an OTLP/JSON ExportLogsServiceRequest: hex ids, lowerCamelCase or snake_case keys,
 * int64 as string or number, enums as integers or names. Throws OtlpDecodeError.
 */
export function decodeLogsJson(body: string): OtlpLogRecord[] {
  return decodeLogsJsonBody(body);
}
