/**
 * AccessLogRecord <-> OTLP logs. In the buffer, access logs travel as plain OTLP
 * ExportLogsServiceRequest protobuf (one LogRecord per entry, normalized attributes), so any OTLP
 * logs consumer can read the `accesslogs` topic. API fixed by the plan; implementation pending
 * (issue 4, OTLP logs helper).
 */
import type { AccessLogRecord } from '../model/access-log.js';

/** Encodes records (any mix) as one ExportLogsServiceRequest. */
export function encodeAccessLogsProtobuf(_records: readonly AccessLogRecord[]): Uint8Array {
  throw new Error('not implemented');
}

/** Decodes what encodeAccessLogsProtobuf wrote. Throws OtlpDecodeError on undecodable input. */
export function decodeAccessLogsProtobuf(_body: Uint8Array): AccessLogRecord[] {
  throw new Error('not implemented');
}

/** The buffer key of a record: its trace id when known, else its destination workload (or service). */
export function accessLogKey(_record: AccessLogRecord): string {
  throw new Error('not implemented');
}
