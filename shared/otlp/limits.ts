/**
 * Per-span validation and limits applied by the collector before buffering. API fixed by the
 * walking-skeleton plan; implementation pending (helper A).
 */
import type { SpanRecord } from '../model/span.js';
import type { RefusalReason } from '../telemetry/metrics.js';

export interface SpanLimits {
  readonly maxSpansPerRequest: number;
  readonly maxAttributesPerSpan: number;
  readonly maxAttributeValueLength: number;
}

export interface ValidationResult {
  /** Spans to keep, with attribute limits applied (new objects where something was cut). */
  readonly accepted: SpanRecord[];
  /** Spans rejected individually (OTLP partial_success.rejected_spans). */
  readonly rejectedSpans: number;
  /** Human-readable summary of why spans were rejected ('' when none), e.g. for partial_success.error_message. */
  readonly errorMessage: string;
  readonly rejectedByReason: Partial<Record<RefusalReason, number>>;
  readonly attributesDropped: number;
  readonly valuesTruncated: number;
}

/** The request as a whole exceeds maxSpansPerRequest. */
export class TooManySpansError extends Error {
  constructor(readonly spanCount: number, readonly limit: number) {
    super(`request carries ${spanCount} spans, more than the limit of ${limit} (MESHTEL_MAX_SPANS_PER_REQUEST)`);
    this.name = 'TooManySpansError';
  }
}

/**
 * Rejects spans with invalid ids (trace id not 16 bytes or all zero, span id not 8 bytes or all
 * zero, parent span id neither empty nor a valid 8-byte id) individually, and applies attribute
 * count and value-length limits. Throws TooManySpansError when the request is over the span limit.
 */
export function validateSpans(_spans: readonly SpanRecord[], _limits: SpanLimits): ValidationResult {
  throw new Error('not implemented');
}
