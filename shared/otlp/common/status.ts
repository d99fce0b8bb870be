/**
 * google.rpc.Status error bodies. OTLP/HTTP answers every 4xx/5xx with one, in the request's
 * encoding (protobuf or JSON); OTLP/gRPC carries the same message, serialized, in the
 * `grpc-status-details-bin` trailer. Optional typed details: BadRequest (what was wrong with the
 * request, for 400 / INVALID_ARGUMENT) and RetryInfo (how long to wait, for throttling).
 */
import { WireType } from '../../wire/wire-reader.js';
import { ProtoWriter } from '../../wire/wire-writer.js';

/** google.rpc.Code — the gRPC status code numbers. */
export const RpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type RpcCode = (typeof RpcCode)[keyof typeof RpcCode];

export interface FieldViolation {
  /** Path to the offending field, e.g. `resourceSpans[0].scopeSpans[0].spans[3].traceId`. */
  readonly field: string;
  readonly description: string;
}

export type StatusDetail =
  | { readonly type: 'badRequest'; readonly fieldViolations: readonly FieldViolation[] }
  | { readonly type: 'retryInfo'; readonly retryDelayMs: number };

export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';
export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** Serialized google.rpc.Status. */
export function encodeStatusProtobuf(code: number, message: string, details: readonly StatusDetail[] = []): Uint8Array<ArrayBuffer> {
  const w = new ProtoWriter(256 + message.length * 3);
  if (code !== 0) {
    w.tag(1, WireType.VARINT);
    w.int64(BigInt(code));
  }
  if (message !== '') {
    w.tag(2, WireType.LEN);
    w.string(message);
  }
  for (const detail of details) {
    w.tag(3, WireType.LEN);
    const anyMark = w.fork();
    w.tag(1, WireType.LEN);
    w.string(detail.type === 'badRequest' ? BAD_REQUEST_TYPE_URL : RETRY_INFO_TYPE_URL);
    w.tag(2, WireType.LEN);
    const valueMark = w.fork();
    if (detail.type === 'badRequest') writeBadRequest(w, detail.fieldViolations);
    else writeRetryInfo(w, detail.retryDelayMs);
    w.join(valueMark);
    w.join(anyMark);
  }
  return w.finish();
}

function writeBadRequest(w: ProtoWriter, violations: readonly FieldViolation[]): void {
  for (const v of violations) {
    w.tag(1, WireType.LEN);
    const mark = w.fork();
    if (v.field !== '') {
      w.tag(1, WireType.LEN);
      w.string(v.field);
    }
    if (v.description !== '') {
      w.tag(2, WireType.LEN);
      w.string(v.description);
    }
    w.join(mark);
  }
}

function splitDelay(ms: number): { seconds: number; nanos: number } {
  const whole = Math.max(0, Math.round(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

function writeRetryInfo(w: ProtoWriter, retryDelayMs: number): void {
  const { seconds, nanos } = splitDelay(retryDelayMs);
  w.tag(1, WireType.LEN); // retry_delay: google.protobuf.Duration
  const mark = w.fork();
  if (seconds !== 0) {
    w.tag(1, WireType.VARINT);
    w.int64(BigInt(seconds));
  }
  if (nanos !== 0) {
    w.tag(2, WireType.VARINT);
    w.uint32(nanos);
  }
  w.join(mark);
}

/** google.rpc.Status in proto3 JSON, e.g. `{"code":3,"message":"…","details":[{"@type":…}]}`. */
export function statusJson(code: number, message: string, details: readonly StatusDetail[] = []): string {
  const body: { code?: number; message?: string; details?: unknown[] } = {};
  if (code !== 0) body.code = code;
  if (message !== '') body.message = message;
  if (details.length > 0) {
    body.details = details.map((d) => {
      if (d.type === 'badRequest') {
        return { '@type': BAD_REQUEST_TYPE_URL, fieldViolations: d.fieldViolations.map((v) => ({ field: v.field, description: v.description })) };
      }
      // proto3 JSON writes a Duration as seconds with an "s" suffix.
      const { seconds, nanos } = splitDelay(d.retryDelayMs);
      const fraction = nanos === 0 ? '' : `.${String(nanos / 1_000_000).padStart(3, '0')}`;
      return { '@type': RETRY_INFO_TYPE_URL, retryDelay: `${seconds}${fraction}s` };
    });
  }
  return JSON.stringify(body);
}
