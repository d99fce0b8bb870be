/**
 * The trace as users are shown it, whichever API shows it (Jaeger v1 JSON, Jaeger api_v3 OTLP,
 * Tempo): the stored spans of one trace run through a fixed list of small adjusters — Jaeger's
 * query adjusters, re-stated over our span model — so every API answers with the same spans,
 * ids, timestamps and warnings. Each adjuster is one function over the trace with its own tests.
 *
 * The spans are copies (the store's objects are never changed) with one addition: `warnings`,
 * what Jaeger attaches to a span it had to correct or could not check.
 */
import type { SpanRecord } from '../../../shared/model/span.js';
import type { Adjuster, ViewSpan } from './view-span.js';
import { dedupeIdenticalSpans } from './dedupe-identical.js';
import { correctClockSkew } from './clock-skew.js';
import { sanitizeNonPositiveDurations } from './durations.js';
import { compareSpans } from './order.js';
import { uniquifySharedSpanIds } from './shared-span-ids.js';

export type { Adjuster, ViewSpan } from './view-span.js';

export interface TraceViewOptions {
  /**
   * Largest clock-skew correction applied, in nanoseconds; 0 (Jaeger's default) disables the
   * correction, leaving a warning with the delta on each span that would have moved.
   */
  readonly maxClockSkewAdjustNanos: bigint;
}

/** Copies of the stored spans, no warnings yet, in {@link compareSpans} order. */
export function toViewSpans(spans: readonly SpanRecord[]): ViewSpan[] {
  return spans.map((s) => ({ ...s, events: [...s.events], warnings: [] })).sort(compareSpans);
}

/**
 * Jaeger's standard adjusters. Jaeger splits Zipkin shared ids before removing duplicates; we
 * remove identical copies first, so two stored copies of one server half are not split into two
 * spans. Clock skew comes last: it needs the final ids. The input order does not matter: spans
 * are ordered by start time, span id, kind and service first, so answers are stable.
 */
export function standardAdjusters(options: TraceViewOptions): Adjuster[] {
  return [
    dedupeIdenticalSpans,
    uniquifySharedSpanIds,
    sanitizeNonPositiveDurations,
    (spans) => correctClockSkew(spans, options.maxClockSkewAdjustNanos),
  ];
}

/** The adjusted view of one trace's stored spans ([] for none). `raw` skips the adjusters, as Jaeger's `raw=true`. */
export function viewOfTrace(spans: readonly SpanRecord[], options: TraceViewOptions & { readonly raw?: boolean }): ViewSpan[] {
  let view = toViewSpans(spans);
  if (options.raw === true) return view;
  for (const adjust of standardAdjusters(options)) view = adjust(view);
  return view;
}

