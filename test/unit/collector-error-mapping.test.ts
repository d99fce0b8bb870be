import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { TooManySpansError } from '../../shared/otlp/traces/limits.js';
import { RetryInfo, RpcStatus } from '../support/proto-root.js';
import { OtlpDecodeError } from '../../shared/otlp/traces/traces.js';
import { BodyEncodingError, BodyTooLargeError, UnsupportedMediaTypeError } from '../../services/collector/transport/http-body.js';
import { grpcRefusalFor } from '../../services/collector/transport/grpc-errors.js';
import { httpRefusalFor } from '../../services/collector/transport/http-errors.js';

describe('OTLP/HTTP refusal mapping', () => {
  it('answers undecodable data with 400 and the decoder message (never retried)', () => {
    const r = httpRefusalFor(new OtlpDecodeError('span 3: trace_id truncated'));
    expect(r).toMatchObject({ statusCode: 400, grpcCode: 3, message: 'span 3: trace_id truncated', reason: 'decode_error' });
    expect(httpRefusalFor(new BodyEncodingError('bad gzip')).statusCode).toBe(400);
  });

  it('answers size problems with 413 naming the limit', () => {
    const tooMany = httpRefusalFor(new TooManySpansError(20, 10));
    expect(tooMany).toMatchObject({ statusCode: 413, reason: 'too_many_spans' });
    expect(tooMany.message).toMatch(/limit of 10/);
    expect(httpRefusalFor(new BodyTooLargeError('too big', 5))).toMatchObject({ statusCode: 413, reason: 'body_too_large' });
    const fastifyLimit = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(httpRefusalFor(fastifyLimit)).toMatchObject({ statusCode: 413, reason: 'body_too_large' });
    expect(httpRefusalFor(fastifyLimit).message).toMatch(/MESHTEL_MAX_REQUEST_BODY_BYTES/);
  });

  it('answers an unknown media type with 415', () => {
    expect(httpRefusalFor(new UnsupportedMediaTypeError('nope')).statusCode).toBe(415);
  });

  it('answers a refusing buffer with a retryable 503 and the buffer’s Retry-After', () => {
    expect(httpRefusalFor(new BufferFullError('full', 2))).toMatchObject({
      statusCode: 503,
      grpcCode: 14,
      retryAfterSeconds: 2,
      reason: 'buffer_full',
    });
    expect(httpRefusalFor(new BufferUnavailableError('down'))).toMatchObject({
      statusCode: 503,
      retryAfterSeconds: 5,
      reason: 'buffer_unavailable',
    });
  });

  it('answers an unexpected error with 500 without leaking its message', () => {
    const r = httpRefusalFor(new TypeError('secret internals'));
    expect(r.statusCode).toBe(500);
    expect(r.message).not.toMatch(/secret/);
    expect(r.reason).toBeUndefined();
  });
});

describe('OTLP/gRPC refusal mapping', () => {
  it('answers bad data and too many spans with INVALID_ARGUMENT', () => {
    expect(grpcRefusalFor(new OtlpDecodeError('truncated')).error).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'truncated',
    });
    expect(grpcRefusalFor(new TooManySpansError(20, 10))).toMatchObject({
      error: { code: GrpcStatus.INVALID_ARGUMENT },
      reason: 'too_many_spans',
    });
  });

  it('answers a refusing buffer with UNAVAILABLE carrying RetryInfo with the buffer’s delay', () => {
    const { error, reason } = grpcRefusalFor(new BufferFullError('full', 3));
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(reason).toBe('buffer_full');
    const [bin] = error.metadata!.get('grpc-status-details-bin') as Buffer[];
    const status = RpcStatus.toObject(RpcStatus.decode(bin), { longs: Number }) as {
      code: number;
      details: Array<{ type_url: string; value: Uint8Array }>;
    };
    expect(status.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(status.details[0].type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const retry = RetryInfo.toObject(RetryInfo.decode(status.details[0].value), { longs: Number }) as {
      retryDelay: { seconds: number };
    };
    expect(retry.retryDelay.seconds).toBe(3);
  });

  it('answers an unexpected error with INTERNAL', () => {
    expect(grpcRefusalFor(new Error('boom')).error.code).toBe(GrpcStatus.INTERNAL);
  });
});
