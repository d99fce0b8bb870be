/**
 * The trace-view adjusters (shared/trace-view/), one describe each, then their composition as
 * the Jaeger API shows a trace. Expected warnings are Jaeger's texts.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../shared/model/span.js';
import { correctClockSkew } from '../../services/query/trace-view/clock-skew.js';
import { dedupeIdenticalSpans } from '../../services/query/trace-view/dedupe-identical.js';
import { sanitizeNonPositiveDurations } from '../../services/query/trace-view/durations.js';
import { formatGoDuration, formatGoTimeUtc } from '../../services/query/trace-view/go-format.js';
import { jaegerTraceView, normalizeIpTags, sortTagsAndLogFields } from '../../services/query/trace-view/jaeger-json.js';
import { uniquifySharedSpanIds } from '../../services/query/trace-view/shared-span-ids.js';
import { toViewSpans, viewOfTrace, type ViewSpan } from '../../services/query/trace-view/view.js';
import { toJaegerTrace } from '../../services/query/jaeger/from-spans.js';
import { BASE_US, resourceOf, span, spanIdOf, traceIdOf, type SpanOptions } from '../fixtures/spans.js';

const view = (...options: SpanOptions[]): ViewSpan[] => toViewSpans(options.map((o) => span({ traceId: traceIdOf(1), ...o })));
const MS = 1_000_000n;
/** Spans come back in start-time order; tests pick them by id. */
const byId = (spans: ViewSpan[], n: number): ViewSpan => spans.find((s) => s.spanId === spanIdOf(n))!;

describe('Go text formats', () => {
  it('writes durations as Go does', () => {
    expect([0n, 750n, 1500n, 2n * MS, 1500n * MS, 90_000n * MS, 7_200_500n * MS, -3n * MS].map(formatGoDuration)).toEqual([
      '0s', '750ns', '1.5µs', '2ms', '1.5s', '1m30s', '2h0m0.5s', '-3ms',
    ]);
  });

  it('writes UTC instants as Go does, trimming the fraction', () => {
    expect(formatGoTimeUtc(1_772_323_200_500_000_000n)).toBe('2026-03-01 00:00:00.5 +0000 UTC');
    expect(formatGoTimeUtc(0n)).toBe('1970-01-01 00:00:00 +0000 UTC');
  });
});

describe('dedupeIdenticalSpans', () => {
  it('shows a span stored twice once, and keeps different spans that share an id', () => {
    const a = span({ traceId: traceIdOf(1), spanId: spanIdOf(1), name: 'a' });
    const b = span({ traceId: traceIdOf(1), spanId: spanIdOf(1), name: 'b' });
    const spans = dedupeIdenticalSpans(toViewSpans([a, { ...a }, b]));
    expect(spans.map((s) => s.name).sort()).toEqual(['a', 'b']);
  });
});

describe('uniquifySharedSpanIds', () => {
  it('gives the server half a fresh id under the client half, and moves its children along', () => {
    const spans = uniquifySharedSpanIds(view(
      { spanId: spanIdOf(1), startUs: BASE_US },
      { spanId: spanIdOf(5), parentSpanId: spanIdOf(1), kind: SpanKind.CLIENT, startUs: BASE_US + 1 },
      { spanId: spanIdOf(5), parentSpanId: spanIdOf(1), service: 'cart', kind: SpanKind.SERVER, startUs: BASE_US + 2 },
      { spanId: spanIdOf(9), parentSpanId: spanIdOf(5), service: 'cart', kind: SpanKind.INTERNAL, startUs: BASE_US + 3 },
    ));
    expect(spans.map((s) => `${s.spanId}<${s.parentSpanId}`)).toEqual([
      `${spanIdOf(1)}<`,
      `${spanIdOf(5)}<${spanIdOf(1)}`,
      `${spanIdOf(10)}<${spanIdOf(5)}`, // one above the largest id in the trace (9)
      `${spanIdOf(9)}<${spanIdOf(10)}`,
    ]);
    expect(spans.every((s) => s.warnings.length === 0)).toBe(true);
  });

  it('leaves traces without shared ids untouched', () => {
    const spans = view({ spanId: spanIdOf(1), kind: SpanKind.CLIENT }, { spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart' });
    const before = JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(JSON.stringify(uniquifySharedSpanIds(spans), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
  });
});

describe('sanitizeNonPositiveDurations', () => {
  it('moves the end of a span that ends before it starts to 1 ns after its start, with Jaeger\'s warning', () => {
    const [s] = view({ startUs: 1_772_323_200_000_000 });
    s.endTimeUnixNano = s.startTimeUnixNano - 500_000_000n;
    sanitizeNonPositiveDurations([s]);
    expect(s.endTimeUnixNano).toBe(s.startTimeUnixNano + 1n);
    expect(s.warnings).toEqual([
      'Negative duration detected, sanitizing end timestamp. Original end timestamp: 2026-02-28 23:59:59.5 +0000 UTC, adjusted to: 2026-03-01 00:00:00.000000001 +0000 UTC',
    ]);
  });

  it('treats a zero duration the same and leaves positive ones alone', () => {
    const [zero, fine] = view({ durationUs: 0, startUs: BASE_US }, { durationUs: 5, startUs: BASE_US + 1 });
    sanitizeNonPositiveDurations([zero, fine]);
    expect(zero.endTimeUnixNano - zero.startTimeUnixNano).toBe(1n);
    expect(zero.warnings).toHaveLength(1);
    expect(fine.warnings).toEqual([]);
  });
});

describe('correctClockSkew', () => {
  // Parent 0..1000 µs on host A; child lasts 200 µs but its host's clock says it started 300 µs early.
  const skewed = (childHost = '10.0.0.2') => view(
    { spanId: spanIdOf(1), startUs: BASE_US, durationUs: 1000, resourceAttrs: { ip: '10.0.0.1' } },
    {
      spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', startUs: BASE_US - 300, durationUs: 200,
      resourceAttrs: { ip: childHost }, events: [{ name: 'e', timeUs: BASE_US - 250 }],
    },
    { spanId: spanIdOf(3), parentSpanId: spanIdOf(2), service: 'cart', startUs: BASE_US - 290, durationUs: 10, resourceAttrs: { ip: childHost } },
  );

  it('centres a child from another host in its parent, moves its events and same-host children, and says by how much', () => {
    const spans = correctClockSkew(skewed(), 1000n * MS);
    const [parent, child, grandchild] = [byId(spans, 1), byId(spans, 2), byId(spans, 3)];
    // (1000 - 200) / 2 = 400 µs after the parent's start: a shift of 700 µs.
    expect(child.startTimeUnixNano).toBe(BigInt(BASE_US + 400) * 1000n);
    expect(child.endTimeUnixNano - child.startTimeUnixNano).toBe(200_000n);
    expect(child.events[0].timeUnixNano).toBe(BigInt(BASE_US + 450) * 1000n);
    expect(child.warnings).toEqual(["This span's timestamps were adjusted by 700µs"]);
    expect(grandchild.startTimeUnixNano).toBe(BigInt(BASE_US + 410) * 1000n);
    expect(grandchild.warnings).toEqual(["This span's timestamps were adjusted by 700µs"]);
    expect(parent.warnings).toEqual([]);
  });

  it('does not apply a shift when disabled (Jaeger\'s default) or over the maximum, and says so', () => {
    const disabled = byId(correctClockSkew(skewed(), 0n), 2);
    expect(disabled.startTimeUnixNano).toBe(BigInt(BASE_US - 300) * 1000n);
    expect(disabled.warnings).toEqual(['clock skew adjustment disabled; not applying calculated delta of 700µs']);
    const capped = byId(correctClockSkew(skewed(), 500_000n), 2);
    expect(capped.warnings).toEqual(['max clock skew adjustment delta of 500µs exceeded; not applying calculated delta of 700µs']);
  });

  it('leaves children from the same host alone and children already inside their parent too', () => {
    const sameHost = byId(correctClockSkew(skewed('10.0.0.1'), 1000n * MS), 2);
    expect(sameHost.warnings).toEqual([]);
    const inside = correctClockSkew(view(
      { spanId: spanIdOf(1), startUs: BASE_US, durationUs: 1000 },
      { spanId: spanIdOf(2), parentSpanId: spanIdOf(1), startUs: BASE_US + 10, durationUs: 10 },
    ), 1000n * MS);
    expect(inside.flatMap((s) => s.warnings)).toEqual([]);
  });

  it('only keeps a longer child from starting before its parent', () => {
    const child = byId(correctClockSkew(view(
      { spanId: spanIdOf(1), startUs: BASE_US, durationUs: 100 },
      { spanId: spanIdOf(2), parentSpanId: spanIdOf(1), startUs: BASE_US - 50, durationUs: 500 },
    ), 1000n * MS), 2);
    expect(child.startTimeUnixNano).toBe(BigInt(BASE_US) * 1000n);
    expect(child.warnings).toEqual(["This span's timestamps were adjusted by 50µs"]);
  });

  it('reports a parent that is not in the trace, and repeated span ids', () => {
    const spans = correctClockSkew(view(
      { spanId: spanIdOf(2), parentSpanId: spanIdOf(7), startUs: BASE_US },
      { spanId: spanIdOf(3), name: 'a', startUs: BASE_US + 1 },
      { spanId: spanIdOf(3), name: 'b', startUs: BASE_US + 2 },
    ), 0n);
    expect(spans.map((s) => s.warnings)).toEqual([
      [`invalid parent span IDs=${spanIdOf(7)}; skipping clock skew adjustment`],
      [],
      ['duplicate span IDs; skipping clock skew adjustment'],
    ]);
  });
});

describe('Jaeger JSON adjusters', () => {
  it('shows integer ip and peer.ipv4 tags as dotted addresses, in span and process tags', () => {
    const trace = toJaegerTrace([span({ attrs: { 'peer.ipv4': 167772161, port: 80 }, resourceAttrs: { ip: 3232235777 } })])!;
    normalizeIpTags(trace);
    expect(trace.spans[0].tags).toContainEqual({ key: 'peer.ipv4', type: 'string', value: '10.0.0.1' });
    expect(trace.spans[0].tags).toContainEqual({ key: 'port', type: 'int64', value: 80 });
    expect(trace.processes.p1.tags).toEqual([{ key: 'ip', type: 'string', value: '192.168.1.1' }]);
  });

  it('sorts tags by key, type and value, and log fields with a string event first', () => {
    const trace = toJaegerTrace([span({
      attrs: { zeta: 1, alpha: 'x', 'http.status_code': 200 },
      resourceAttrs: { 'host.name': 'n1', 'container.id': 'c' },
      events: [{ name: 'retry', attrs: { z: 1, a: 2 } }],
    })])!;
    sortTagsAndLogFields(trace);
    expect(trace.spans[0].tags.map((t) => t.key)).toEqual(['alpha', 'http.status_code', 'span.kind', 'zeta']);
    expect(trace.processes.p1.tags.map((t) => t.key)).toEqual(['container.id', 'host.name']);
    expect(trace.spans[0].logs[0].fields.map((f) => f.key)).toEqual(['event', 'a', 'z']);
  });
});

describe('the trace as the Jaeger API shows it', () => {
  const options = { maxClockSkewAdjustNanos: 0n };

  it('puts warnings on the spans, a missing parent included', () => {
    const trace = jaegerTraceView([span({ spanId: spanIdOf(2), parentSpanId: spanIdOf(9) })], options)!;
    expect(trace.spans[0].warnings).toEqual([`invalid parent span IDs=${spanIdOf(9)}; skipping clock skew adjustment`]);
  });

  it('is one process for one resource whatever order its attributes were sent in', () => {
    const a = resourceOf('cart', { 'host.name': 'n1', 'k8s.pod.name': 'p' });
    const b = { ...a, attributes: [...a.attributes].reverse() };
    const trace = jaegerTraceView([
      span({ spanId: spanIdOf(1), resource: a, startUs: BASE_US }),
      span({ spanId: spanIdOf(2), parentSpanId: spanIdOf(1), resource: b, startUs: BASE_US + 1 }),
    ], options)!;
    expect(Object.keys(trace.processes)).toEqual(['p1']);
    expect(trace.spans.map((s) => s.processID)).toEqual(['p1', 'p1']);
  });

  it('keeps only the W3C trace flags (OTLP\'s remote-parent bits are not Jaeger flags)', () => {
    const trace = jaegerTraceView([span({ flags: 0x301 })], options)!;
    expect(trace.spans[0].flags).toBe(1);
    expect(jaegerTraceView([span({ flags: 0x300 })], options)!.spans[0].flags).toBeUndefined();
  });

  it('applies nothing with raw', () => {
    const spans = [span({ spanId: spanIdOf(2), parentSpanId: spanIdOf(9), attrs: { z: 1, a: 1 } })];
    const raw = jaegerTraceView(spans, { ...options, raw: true })!;
    expect(raw.spans[0].warnings).toBeNull();
    expect(raw.spans[0].tags.map((t) => t.key)).toEqual(['z', 'a', 'span.kind']);
    expect(viewOfTrace(spans, { ...options, raw: true })[0].warnings).toEqual([]);
  });
});
