/**
 * OTLP trace codec: ExportTraceServiceRequest <-> SpanRecord[] (protobuf and OTLP/JSON), plus the
 * ExportTraceServiceResponse (partial success). API fixed by the walking-skeleton plan;
 * implementation pending (helper A).
 */
import type { SpanRecord } from '../model/span.js';

/** The body could not be decoded at all; `message` names the problem (shown to the sender). */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}

/**
 * Decodes a protobuf ExportTraceServiceRequest. Lenient about ids: ids of any length are kept
 * as hex so validation can reject those spans individually. Throws OtlpDecodeError.
 */
export function decodeTracesProtobuf(_body: Uint8Array): SpanRecord[] {
  throw new Error('not implemented');
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest: hex ids, lowerCamelCase or snake_case keys,
 * int64 as string or number, enums as integers (names also accepted). Throws OtlpDecodeError.
 */
export function decodeTracesJson(_body: string): SpanRecord[] {
  throw new Error('not implemented');
}

/** Encodes spans (any mix of traces) as one ExportTraceServiceRequest, regrouped by resource and scope. */
export function encodeTracesProtobuf(_spans: readonly SpanRecord[]): Uint8Array {
  throw new Error('not implemented');
}

export interface PartialSuccess {
  readonly rejectedSpans: number;
  readonly errorMessage: string;
}

/** ExportTraceServiceResponse; omits partial_success when nothing was rejected and no message. */
export function encodeTraceResponseProtobuf(_partial: PartialSuccess): Uint8Array {
  throw new Error('not implemented');
}

export function encodeTraceResponseJson(_partial: PartialSuccess): string {
  throw new Error('not implemented');
}
