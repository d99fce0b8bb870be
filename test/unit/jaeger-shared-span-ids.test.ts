import { describe, expect, it } from 'vitest';
import { toJaegerTrace } from '../../services/query/jaeger/from-spans.js';
import { dedupeSharedSpanIds } from '../../services/query/jaeger/shared-span-ids.js';
import { SpanKind } from '../../shared/model/span.js';
import { BASE_US, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

describe("Zipkin shared span ids in Jaeger answers", () => {
  it('gives the server half a fresh id under the client half, and moves its children along', () => {
    const trace = toJaegerTrace([
      span({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'frontend', startUs: BASE_US }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(5), parentSpanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: BASE_US + 1 }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(5), parentSpanId: spanIdOf(1), service: 'cart', kind: SpanKind.SERVER, startUs: BASE_US + 2 }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(9), parentSpanId: spanIdOf(5), service: 'cart', kind: SpanKind.INTERNAL, startUs: BASE_US + 3 }),
    ]);
    if (trace === undefined) throw new Error('no trace');
    const adjusted = dedupeSharedSpanIds(trace);
    const tree = adjusted.spans.map((s) => `${s.spanID}<${s.references.map((r) => `${r.refType}:${r.spanID}`).join(',')}`);
    expect(tree).toEqual([
      `${spanIdOf(1)}<`,
      `${spanIdOf(5)}<CHILD_OF:${spanIdOf(1)}`,
      `${spanIdOf(10)}<CHILD_OF:${spanIdOf(5)}`, // one above the largest id in the trace (9)
      `${spanIdOf(9)}<CHILD_OF:${spanIdOf(10)}`,
    ]);
    expect(adjusted.warnings).toBeNull();
  });

  it('leaves traces without shared ids untouched', () => {
    const trace = toJaegerTrace([
      span({ traceId: traceIdOf(1), spanId: spanIdOf(1), kind: SpanKind.CLIENT }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart' }),
    ]);
    if (trace === undefined) throw new Error('no trace');
    const before = JSON.stringify(trace);
    expect(JSON.stringify(dedupeSharedSpanIds(trace))).toBe(before);
  });
});
