/**
 * The one place where an OTLP/gRPC refusal becomes a gRPC status. Codes follow the OTLP/gRPC
 * spec (opentelemetry-proto docs/specification.md, "OTLP/gRPC Response"): bad data is
 * INVALID_ARGUMENT (never retried); a buffer that cannot take data now is UNAVAILABLE, which
 * senders retry, so the data stays with them meanwhile.
 *
 * Too many spans in one request is INVALID_ARGUMENT rather than RESOURCE_EXHAUSTED: the same
 * request can never succeed, and RESOURCE_EXHAUSTED without RetryInfo would be read as "bad"
 * anyway — INVALID_ARGUMENT says it plainly (as MESHTEL_MAX_SPANS_PER_REQUEST's help states).
 * Oversize and gzip-bomb messages never reach us: grpc-js ends them with RESOURCE_EXHAUSTED.
 */
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { BufferFullError, BufferUnavailableError } from '../../../shared/buffer/buffer.js';
import { TooManySpansError } from '../../../shared/otlp/traces/limits.js';
import { OtlpDecodeError, encodeStatusProtobuf } from '../../../shared/otlp/traces/traces.js';
import type { RefusalReason } from '../receiver-metrics.js';

export interface GrpcRefusal {
  readonly error: Partial<ServiceError> & { code: GrpcStatus; details: string };
  /** Label for meshtel_receiver_requests_refused_total; undefined for our own faults. */
  readonly reason?: RefusalReason;
}

export function grpcRefusalFor(err: unknown): GrpcRefusal {
  if (err instanceof OtlpDecodeError) {
    return { error: { code: GrpcStatus.INVALID_ARGUMENT, details: err.message }, reason: 'decode_error' };
  }
  if (err instanceof TooManySpansError) {
    return { error: { code: GrpcStatus.INVALID_ARGUMENT, details: err.message }, reason: 'too_many_spans' };
  }
  if (err instanceof BufferFullError || err instanceof BufferUnavailableError) {
    const details = `cannot take data now, retry later: ${err.message}`;
    return {
      error: {
        code: GrpcStatus.UNAVAILABLE,
        details,
        metadata: retryInfoMetadata(GrpcStatus.UNAVAILABLE, details, err.retryAfterSeconds),
      },
      reason: err instanceof BufferFullError ? 'buffer_full' : 'buffer_unavailable',
    };
  }
  return { error: { code: GrpcStatus.INTERNAL, details: 'internal error while receiving traces' } };
}

/**
 * `grpc-status-details-bin` carrying a google.rpc.Status whose details hold a RetryInfo: the
 * gRPC counterpart of HTTP's Retry-After. The OTel Collector's exporters read it to pace their
 * retry; clients that do not simply see UNAVAILABLE and back off.
 */
export function retryInfoMetadata(code: GrpcStatus, message: string, retryAfterSeconds: number): Metadata {
  const retryDelayMs = Math.max(1, Math.ceil(retryAfterSeconds)) * 1000;
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatusProtobuf(code, message, [{ type: 'retryInfo', retryDelayMs }])));
  return metadata;
}
