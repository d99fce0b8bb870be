/**
 * What the collector answers: ExportTraceServiceResponse (partial success) as the OpenTelemetry
 * JS exporters read it, and google.rpc.Status error bodies with their typed details.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { BadRequest, ExportTraceServiceResponse, RetryInfo, RpcStatus } from '../support/proto-root.js';
import {
  RpcCode, encodeStatusProtobuf, encodeTraceResponseJson, encodeTraceResponseProtobuf, statusJson,
} from '../../shared/otlp/traces/traces.js';

describe('ExportTraceServiceResponse', () => {
  it('is empty on full success, in both encodings', () => {
    expect(encodeTraceResponseProtobuf({ rejectedSpans: 0, errorMessage: '' })).toEqual(new Uint8Array(0));
    expect(encodeTraceResponseJson({ rejectedSpans: 0, errorMessage: '' })).toBe('{}');
  });

  it('carries rejected spans and the message where the OpenTelemetry JS exporter reads them (protobuf)', () => {
    const bytes = encodeTraceResponseProtobuf({ rejectedSpans: 2, errorMessage: '2 spans rejected: …' });
    const read = ProtobufTraceSerializer.deserializeResponse(bytes);
    expect(Number(read.partialSuccess?.rejectedSpans)).toBe(2);
    expect(read.partialSuccess?.errorMessage).toBe('2 spans rejected: …');
    const viaProto = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(bytes), { longs: String });
    expect(viaProto).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: '2 spans rejected: …' } });
  });

  it('writes int64 as a string in proto3 JSON, as the spec example shows', () => {
    const json = encodeTraceResponseJson({ rejectedSpans: 2, errorMessage: 'bad ids' });
    expect(json).toBe('{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}}');
    const read = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(json));
    expect(read.partialSuccess?.errorMessage).toBe('bad ids');
  });

  it('carries a warning with nothing rejected (rejected count left out as the default)', () => {
    expect(encodeTraceResponseJson({ rejectedSpans: 0, errorMessage: 'attributes truncated' })).toBe('{"partialSuccess":{"errorMessage":"attributes truncated"}}');
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(encodeTraceResponseProtobuf({ rejectedSpans: 0, errorMessage: 'w' })));
    expect(decoded).toEqual({ partialSuccess: { errorMessage: 'w' } });
  });
});

describe('google.rpc.Status bodies', () => {
  it('encodes code and message (protobuf), readable with the googleapis field numbers', () => {
    const bytes = encodeStatusProtobuf(RpcCode.INVALID_ARGUMENT, 'invalid protobuf: truncated');
    expect(RpcStatus.toObject(RpcStatus.decode(bytes))).toEqual({ code: 3, message: 'invalid protobuf: truncated' });
  });

  it('carries BadRequest and RetryInfo details as google.protobuf.Any', () => {
    const bytes = encodeStatusProtobuf(RpcCode.UNAVAILABLE, 'buffer full', [
      { type: 'badRequest', fieldViolations: [{ field: 'resourceSpans[0]', description: 'bad' }] },
      { type: 'retryInfo', retryDelayMs: 2500 },
    ]);
    // The decoded message itself: protobufjs's toObject would unpack Any by its own rules (and its
    // bundled Any keeps the snake_case field name).
    const status = RpcStatus.decode(bytes) as unknown as { code: number; details: { type_url: string; value: Uint8Array }[] };
    expect(status.code).toBe(14);
    expect(status.details.map((d) => d.type_url)).toEqual(['type.googleapis.com/google.rpc.BadRequest', 'type.googleapis.com/google.rpc.RetryInfo']);
    expect(BadRequest.toObject(BadRequest.decode(status.details[0].value))).toEqual({ fieldViolations: [{ field: 'resourceSpans[0]', description: 'bad' }] });
    expect(RetryInfo.toObject(RetryInfo.decode(status.details[1].value), { longs: Number })).toEqual({ retryDelay: { seconds: 2, nanos: 500_000_000 } });
  });

  it('renders the same in proto3 JSON (Duration as seconds with an "s")', () => {
    expect(JSON.parse(statusJson(RpcCode.INVALID_ARGUMENT, 'invalid JSON: Unexpected end'))).toEqual({ code: 3, message: 'invalid JSON: Unexpected end' });
    expect(JSON.parse(statusJson(RpcCode.UNAVAILABLE, 'later', [{ type: 'retryInfo', retryDelayMs: 1050 }]))).toEqual({
      code: 14,
      message: 'later',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.050s' }],
    });
  });
});
