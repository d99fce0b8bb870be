/**
 * Generic OTLP logs decoding: an ExportLogsServiceRequest (protobuf or OTLP/JSON) becomes a flat
 * list of {@link OtlpLogRecord}s, each pointing at its (shared) resource and scope. Nothing here
 * knows about access logs: classifying a record as an Envoy access log or a plain log, and
 * validating it, happens afterwards (logs-normalize.ts), so both encodings are judged alike.
 *
 * Lenient about ids, like the trace decoders: trace and span ids of any length are kept as hex
 * so that one bad record is rejected on its own (partial success) instead of failing the request.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../model/span.js';
import { decodeLogsJsonBody } from './logs-json-decode.js';
import { decodeLogsProtobufBody } from './logs-protobuf-decode.js';

export interface OtlpLogRecord {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** 0n when the sender did not know it. */
  readonly timeUnixNano: bigint;
  readonly observedTimeUnixNano: bigint;
  /** OTLP SeverityNumber (0–24; unknown numbers read as 0). */
  readonly severityNumber: number;
  /** undefined when the field is absent (an empty string when sent empty). */
  readonly severityText: string | undefined;
  /** The body; `{ type: 'empty' }` when absent. */
  readonly body: AnyValue;
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly flags: number;
  /** Lower-case hex as sent, any length ('' when absent); validation judges it. */
  readonly traceId: string;
  readonly spanId: string;
  readonly eventName: string;
  /** Position in the request, for refusal messages: resourceLogs[r].scopeLogs[s].logRecords[l]. */
  readonly resourceIndex: number;
  readonly scopeIndex: number;
  readonly recordIndex: number;
}

/** `resourceLogs[0].scopeLogs[1].logRecords[2]`, as OTLP/JSON names the path. */
export function positionOf(record: OtlpLogRecord): string {
  return `resourceLogs[${record.resourceIndex}].scopeLogs[${record.scopeIndex}].logRecords[${record.recordIndex}]`;
}

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
