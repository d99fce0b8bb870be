/**
 * ExportLogsServiceResponse: how a logs receiver says which records it rejected (OTLP partial
 * success). The spec: leave partial_success unset on full success; set it when some records were
 * rejected (the sender must not retry them) or to carry a warning.
 */
import { WireType } from '../../wire/wire-reader.js';
import { ProtoWriter } from '../../wire/wire-writer.js';

export interface LogsPartialSuccess {
  readonly rejectedLogRecords: number;
  /** English explanation for the sender's logs ('' when none). */
  readonly errorMessage: string;
}

export const FULL_SUCCESS: LogsPartialSuccess = Object.freeze({ rejectedLogRecords: 0, errorMessage: '' });

function isFullSuccess(partial: LogsPartialSuccess): boolean {
  return partial.rejectedLogRecords === 0 && partial.errorMessage === '';
}

export function encodeLogsResponseProtobuf(partial: LogsPartialSuccess): Uint8Array<ArrayBuffer> {
  // On full success the message is empty: zero bytes.
  if (isFullSuccess(partial)) return new Uint8Array(0);
  const w = new ProtoWriter(64 + partial.errorMessage.length * 3);
  w.tag(1, WireType.LEN);
  const mark = w.fork();
  if (partial.rejectedLogRecords !== 0) {
    w.tag(1, WireType.VARINT);
    w.int64(BigInt(partial.rejectedLogRecords));
  }
  if (partial.errorMessage !== '') {
    w.tag(2, WireType.LEN);
    w.string(partial.errorMessage);
  }
  w.join(mark);
  return w.finish();
}

/** The same in proto3 JSON: int64 as a decimal string, default fields left out. */
export function encodeLogsResponseJson(partial: LogsPartialSuccess): string {
  if (isFullSuccess(partial)) return '{}';
  const body: { rejectedLogRecords?: string; errorMessage?: string } = {};
  if (partial.rejectedLogRecords !== 0) body.rejectedLogRecords = String(partial.rejectedLogRecords);
  if (partial.errorMessage !== '') body.errorMessage = partial.errorMessage;
  return JSON.stringify({ partialSuccess: body });
}
