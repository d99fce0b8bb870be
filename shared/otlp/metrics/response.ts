/**
 * ExportMetricsServiceResponse: how a metrics receiver says which data points it rejected (OTLP
 * partial success). Unset on full success; set when points were rejected (the sender must not
 * retry them) or to carry a warning.
 */
import { WireType } from '../../wire/wire-reader.js';
import { ProtoWriter } from '../../wire/wire-writer.js';

export interface MetricsPartialSuccess {
  readonly rejectedDataPoints: number;
  /** English explanation for the sender's logs ('' when none). */
  readonly errorMessage: string;
}

function isFullSuccess(partial: MetricsPartialSuccess): boolean {
  return partial.rejectedDataPoints === 0 && partial.errorMessage === '';
}

export function encodeMetricsResponseProtobuf(partial: MetricsPartialSuccess): Uint8Array<ArrayBuffer> {
  if (isFullSuccess(partial)) return new Uint8Array(0);
  const w = new ProtoWriter(64 + partial.errorMessage.length * 3);
  w.tag(1, WireType.LEN);
  const mark = w.fork();
  if (partial.rejectedDataPoints !== 0) {
    w.tag(1, WireType.VARINT);
    w.int64(BigInt(partial.rejectedDataPoints));
  }
  if (partial.errorMessage !== '') {
    w.tag(2, WireType.LEN);
    w.string(partial.errorMessage);
  }
  w.join(mark);
  return w.finish();
}

/** The same in proto3 JSON: int64 as a decimal string, default fields left out. */
export function encodeMetricsResponseJson(partial: MetricsPartialSuccess): string {
  if (isFullSuccess(partial)) return '{}';
  const body: { rejectedDataPoints?: string; errorMessage?: string } = {};
  if (partial.rejectedDataPoints !== 0) body.rejectedDataPoints = String(partial.rejectedDataPoints);
  if (partial.errorMessage !== '') body.errorMessage = partial.errorMessage;
  return JSON.stringify({ partialSuccess: body });
}
