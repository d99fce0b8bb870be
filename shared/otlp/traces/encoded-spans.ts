/**
 * Spans that remember the protobuf bytes they were decoded from, so encoding them again is a copy.
 *
 * The collector decodes a request, validates it, and at once encodes one record per trace;
 * nearly every span passes validation as the very same object (limits.ts), so its original
 * bytes are still a correct encoding of it. The bytes sit in a private field: anything that
 * derives a changed span (validation, a spread `{ ...span, name }`) gets a new object without
 * them, so stale bytes can never be written for a changed span. (A WeakMap keyed by span did the
 * same but cost ~0.4 µs per span to fill, measured in test/bench/codec.ts.)
 *
 * The bytes are views of the request body, which therefore stays in memory as long as any of
 * its spans does — fine for the collector's short-lived spans, wrong for spans kept in a store,
 * which is why decoders only keep them on request.
 */
import type {
  InstrumentationScope, KeyValue, Resource, SpanEvent, SpanKind, SpanLink, SpanRecord, SpanStatus,
} from '../../model/span.js';

export class DecodedSpan implements SpanRecord {
  // Not readonly only so releaseEncoded can drop it; nothing else ever changes it.
  #encoded: Uint8Array | undefined;

  constructor(
    readonly traceId: string,
    readonly spanId: string,
    readonly parentSpanId: string,
    readonly traceState: string,
    readonly flags: number,
    readonly name: string,
    readonly kind: SpanKind,
    readonly startTimeUnixNano: bigint,
    readonly endTimeUnixNano: bigint,
    readonly attributes: readonly KeyValue[],
    readonly droppedAttributesCount: number,
    readonly events: readonly SpanEvent[],
    readonly droppedEventsCount: number,
    readonly links: readonly SpanLink[],
    readonly droppedLinksCount: number,
    readonly status: SpanStatus,
    readonly resource: Resource,
    readonly scope: InstrumentationScope,
    readonly serviceName: string,
    encoded: Uint8Array | undefined,
  ) {
    this.#encoded = encoded;
  }

  /** The Span message bytes `span` was decoded from, if they were kept. */
  static encodedOf(span: SpanRecord): Uint8Array | undefined {
    return #encoded in span ? (span as DecodedSpan).#encoded : undefined;
  }

  /**
   * Forgets the kept bytes of `span` (if any), so a span that outlives its request — handed
   * in-process to a store — does not pin the request body. Encoding it later re-encodes the model.
   */
  static releaseEncoded(span: SpanRecord): void {
    if (#encoded in span) (span as DecodedSpan).#encoded = undefined;
  }
}

export const encodedSpanOf = DecodedSpan.encodedOf;
export const releaseEncodedSpan = DecodedSpan.releaseEncoded;
