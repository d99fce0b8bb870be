import { describe, expect, it } from 'vitest';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import { compileSpanFilter } from '../../shared/traceql/compile.js';
import { spanMatches, spanMayMatch, type SpanSummary } from '../../shared/traceql/evaluate.js';
import { span } from '../fixtures/spans.js';

const summaryOf = (s: SpanRecord): SpanSummary => ({
  name: s.name,
  kind: s.kind,
  durationUs: Number((s.endTimeUnixNano - s.startTimeUnixNano) / 1000n),
  resource: s.resource,
  scope: s.scope,
});

const spans = [
  span({ name: 'GET /a', service: 'cart', kind: SpanKind.SERVER, durationUs: 100_000, attrs: { code: 200 }, scope: { attrs: { lang: 'go' } } }),
  span({ name: 'GET /b', service: 'shop', kind: SpanKind.CLIENT, durationUs: 5_000, attrs: { code: 500 } }),
  span({ name: 'POST /c', service: 'cart', kind: SpanKind.INTERNAL, durationUs: 250, resourceAttrs: { region: 'eu' } }),
];

describe('TraceQL pre-filter on what a store knows without decoding a span', () => {
  it.each([
    '{ resource.service.name = "cart" }',
    '{ name =~ "GET.*" && kind = server }',
    '{ duration > 50ms || duration < 1ms }',
    '{ duration >= 5ms && duration < 100ms }',
    '{ instrumentation.lang = "go" }',
    '{ resource.region = nil && kind != client }',
  ])('is exact for %s (name, kind, duration, resource and scope are known)', (q) => {
    const filter = compileSpanFilter(q);
    for (const s of spans) expect(spanMayMatch(filter, summaryOf(s))).toBe(spanMatches(filter, s));
  });

  it.each(['{ span.code = 500 }', '{ status = error || resource.service.name = "nope" }', '{ .code >= 500 && resource.service.name = "cart" }'])(
    'never rules out a span that matches %s',
    (q) => {
      const filter = compileSpanFilter(q);
      for (const s of spans) if (spanMatches(filter, s)) expect(spanMayMatch(filter, summaryOf(s))).toBe(true);
      // A span-attribute condition is not known from the summary, so nothing is ruled out by it.
      expect(spans.some((s) => !spanMatches(filter, s) && spanMayMatch(filter, summaryOf(s)))).toBe(true);
    },
  );
});
