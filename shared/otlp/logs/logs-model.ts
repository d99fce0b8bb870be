/**
 * The OTLP log record as meshtel holds it between decoding and use: what both decoders (protobuf,
 * OTLP/JSON) produce and what access-log normalization reads. Kept apart from the decoders so
 * neither decoder imports the other.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../model/span.js';

/** Highest SeverityNumber OTLP defines (FATAL4). */
export const MAX_SEVERITY_NUMBER = 24;

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
