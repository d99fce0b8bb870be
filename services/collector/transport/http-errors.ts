/**
 * The one place where an OTLP/HTTP refusal becomes an HTTP status. Typed errors from decoding,
 * limits and the buffer come in; status code, google.rpc.Status code and message, Retry-After
 * and the metric reason come out.
 *
 * Codes follow the OTLP/HTTP spec (opentelemetry-proto docs/specification.md, "Failures"): bad
 * data is 400 and never retried; overload is 503 with Retry-After, which senders retry, so the
 * data stays with them while the buffer cannot take it.
 */
import { BufferFullError, BufferUnavailableError } from '../../../shared/buffer/buffer.js';
import { TooManySpansError } from '../../../shared/otlp/traces/limits.js';
import { OtlpDecodeError, RpcCode } from '../../../shared/otlp/traces/traces.js';
import type { RefusalReason } from '../receiver-metrics.js';
import { ReceiverBusyError } from './byte-budget.js';
import { BodyEncodingError, BodyTooLargeError, UnsupportedMediaTypeError } from './http-body.js';

export interface HttpRefusal {
  readonly statusCode: number;
  /** google.rpc.Status.code of the body (the gRPC code closest in meaning). */
  readonly grpcCode: RpcCode;
  /** Shown to the sender; names what was wrong. */
  readonly message: string;
  readonly retryAfterSeconds?: number;
  /** Label for meshtel_receiver_requests_refused_total; undefined for our own faults (500). */
  readonly reason?: RefusalReason;
}

/** Fastify's own errors (body limit, bad Content-Length) carry these. */
interface FastifyLikeError {
  readonly code: string;
  readonly statusCode: number;
  readonly message: string;
}

export function httpRefusalFor(err: unknown): HttpRefusal {
  if (err instanceof OtlpDecodeError || err instanceof BodyEncodingError) {
    return { statusCode: 400, grpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, reason: 'decode_error' };
  }
  if (err instanceof TooManySpansError) {
    // Retrying the same request cannot help, hence a 4xx the spec marks non-retryable.
    return { statusCode: 413, grpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, reason: 'too_many_spans' };
  }
  if (err instanceof BodyTooLargeError) {
    return { statusCode: 413, grpcCode: RpcCode.RESOURCE_EXHAUSTED, message: err.message, reason: 'body_too_large' };
  }
  if (err instanceof UnsupportedMediaTypeError) {
    return {
      statusCode: 415,
      grpcCode: RpcCode.INVALID_ARGUMENT,
      message: err.message,
      reason: 'unsupported_media_type',
    };
  }
  if (err instanceof BufferFullError) {
    return {
      statusCode: 503,
      grpcCode: RpcCode.UNAVAILABLE,
      message: `cannot take data now, retry later: ${err.message}`,
      retryAfterSeconds: err.retryAfterSeconds,
      reason: 'buffer_full',
    };
  }
  if (err instanceof ReceiverBusyError) {
    return {
      statusCode: 503,
      grpcCode: RpcCode.UNAVAILABLE,
      message: err.message,
      retryAfterSeconds: err.retryAfterSeconds,
      reason: 'receiver_busy',
    };
  }
  if (err instanceof BufferUnavailableError) {
    return {
      statusCode: 503,
      grpcCode: RpcCode.UNAVAILABLE,
      message: `cannot take data now, retry later: ${err.message}`,
      retryAfterSeconds: err.retryAfterSeconds,
      reason: 'buffer_unavailable',
    };
  }
  if (isFastifyError(err)) {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return {
        statusCode: 413,
        grpcCode: RpcCode.RESOURCE_EXHAUSTED,
        message: 'request body is larger than the limit (MESHTEL_MAX_REQUEST_BODY_BYTES)',
        reason: 'body_too_large',
      };
    }
    if (err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed HTTP framing (bad Content-Length, aborted body): the sender's fault, not ours.
      return { statusCode: err.statusCode, grpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, reason: 'decode_error' };
    }
  }
  // Anything else is a bug of ours: say so without leaking internals; the caller logs it.
  return { statusCode: 500, grpcCode: RpcCode.INTERNAL, message: 'internal error while receiving traces' };
}

function isFastifyError(err: unknown): err is FastifyLikeError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Partial<FastifyLikeError>;
  return typeof e.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number';
}
