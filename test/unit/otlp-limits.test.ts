/**
 * Span validation and limits: bad spans are refused one by one with a clear reason, the rest of
 * the batch is kept, oversized attributes are cut and counted, and untouched spans are the very
 * same objects.
 */
import { describe, expect, it } from 'vitest';
import {
  SpanKind, StatusCode, serviceNameOf,
  type AnyValue, type InstrumentationScope, type KeyValue, type Resource, type SpanRecord,
} from '../../shared/model/span.js';
import { TooManySpansError, validateSpans, type SpanLimits } from '../../shared/otlp/traces/limits.js';
import { groupSpansByTrace } from '../../shared/otlp/traces/traces.js';

const LIMITS: SpanLimits = { maxSpansPerRequest: 100, maxAttributesPerSpan: 4, maxAttributeValueLength: 8 };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ZERO_TRACE = '0'.repeat(32);

const RESOURCE: Resource = { attributes: [{ key: 'service.name', value: { type: 'string', value: 'cart' } }], droppedAttributesCount: 0, schemaUrl: '' };
const SCOPE: InstrumentationScope = { name: 'lib', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

let nextSpanId = 1;
function span(fields: Partial<SpanRecord> = {}): SpanRecord {
  const resource = fields.resource ?? RESOURCE;
  return {
    traceId: TRACE,
    spanId: (nextSpanId++).toString(16).padStart(16, '0'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'GET /x',
    kind: SpanKind.SERVER,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    resource,
    scope: SCOPE,
    serviceName: serviceNameOf(resource),
    ...fields,
  };
}

const str = (value: string): AnyValue => ({ type: 'string', value });
const attrs = (n: number): KeyValue[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: str(`v${i}`) }));

describe('validateSpans: ids', () => {
  it('rejects a span with an all-zero trace id and keeps the rest of the batch', () => {
    const good1 = span();
    const bad = span({ traceId: ZERO_TRACE, name: 'GET /bad' });
    const good2 = span();
    const result = validateSpans([good1, bad, good2], LIMITS);
    expect(result.accepted).toEqual([good1, good2]);
    expect(result.rejectedSpans).toBe(1);
    expect(result.rejectedByReason).toEqual({ invalid_trace_id: 1 });
    expect(result.errorMessage).toBe(
      `1 span rejected: 1 with an invalid trace id (must be 16 bytes (32 hex characters), not all zero; first: span "GET /bad" trace id "${ZERO_TRACE}")`,
    );
  });

  it('counts each invalid id kind separately and names the first offender of each', () => {
    const spans = [
      span({ traceId: 'abcd', name: 'short-trace' }),
      span({ traceId: ZERO_TRACE }),
      span({ spanId: '0000000000000000', name: 'zero-span' }),
      span({ spanId: 'not-hex-not-hex!' }),
      span({ spanId: '00f067aa0ba902b7ff' }),
      span({ parentSpanId: 'abc', name: 'bad-parent' }),
      span({ traceId: 'ZZZZ', spanId: '' }), // both wrong: counted once, by the trace id
      span(),
    ];
    const result = validateSpans(spans, LIMITS);
    expect(result.accepted).toEqual([spans[7]]);
    expect(result.rejectedSpans).toBe(7);
    expect(result.rejectedByReason).toEqual({ invalid_trace_id: 3, invalid_span_id: 3, invalid_parent_span_id: 1 });
    expect(result.errorMessage).toMatch(/^7 spans rejected: 3 with an invalid trace id \(.*first: span "short-trace" trace id "abcd"\), /);
    expect(result.errorMessage).toContain('3 with an invalid span id (must be 8 bytes (16 hex characters), not all zero; first: span "zero-span" span id "0000000000000000")');
    expect(result.errorMessage).toContain('1 with an invalid parent span id (must be empty or 8 bytes (16 hex characters); first: span "bad-parent" parent span id "abc")');
  });

  it('refuses upper-case ids: the model requires lower-case, so decoders must normalize', () => {
    const result = validateSpans([span({ traceId: TRACE.toUpperCase() })], LIMITS);
    expect(result.rejectedByReason).toEqual({ invalid_trace_id: 1 });
  });

  it('shortens very long ids and names in the error message', () => {
    const result = validateSpans([span({ traceId: 'f'.repeat(5000), name: 'n'.repeat(5000) })], LIMITS);
    expect(result.errorMessage.length).toBeLessThan(400);
    expect(result.errorMessage).toContain(`"${'f'.repeat(64)}…"`);
  });

  it('reads an all-zero parent span id as a root span', () => {
    const result = validateSpans([span({ parentSpanId: '0000000000000000' })], LIMITS);
    expect(result.rejectedSpans).toBe(0);
    expect(result.accepted[0].parentSpanId).toBe('');
  });

  it('drops links with invalid ids and counts them in droppedLinksCount', () => {
    const goodLink = { traceId: TRACE, spanId: '00f067aa0ba902b7', traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 };
    const badLink = { ...goodLink, spanId: '0000000000000000' };
    const s = span({ links: [badLink, goodLink], droppedLinksCount: 1 });
    const [out] = validateSpans([s], LIMITS).accepted;
    expect(out.links).toEqual([goodLink]);
    expect(out.droppedLinksCount).toBe(2);
  });

  it('throws TooManySpansError when the request carries more spans than allowed', () => {
    const spans = Array.from({ length: 3 }, () => span());
    expect(() => validateSpans(spans, { ...LIMITS, maxSpansPerRequest: 2 })).toThrow(TooManySpansError);
    expect(() => validateSpans(spans, { ...LIMITS, maxSpansPerRequest: 2 })).toThrow('request carries 3 spans, more than the limit of 2');
    expect(validateSpans(spans, { ...LIMITS, maxSpansPerRequest: 3 }).accepted).toHaveLength(3);
  });
});

describe('validateSpans: attribute limits', () => {
  it('returns spans within the limits as the very same objects', () => {
    const spans = [span({ attributes: attrs(4) }), span()];
    const result = validateSpans(spans, LIMITS);
    expect(result.accepted[0]).toBe(spans[0]);
    expect(result.accepted[1]).toBe(spans[1]);
    expect(result.attributesDropped).toBe(0);
    expect(result.valuesTruncated).toBe(0);
    expect(result.errorMessage).toBe('');
  });

  it('keeps the first attributes, drops the rest and adds them to droppedAttributesCount', () => {
    const s = span({ attributes: attrs(7), droppedAttributesCount: 2 });
    const result = validateSpans([s], LIMITS);
    const [out] = result.accepted;
    expect(out).not.toBe(s);
    expect(out.attributes.map((a) => a.key)).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(out.droppedAttributesCount).toBe(5);
    expect(result.attributesDropped).toBe(3);
    expect(out.spanId).toBe(s.spanId);
    expect(s.attributes).toHaveLength(7); // the input is not mutated
  });

  it('truncates long strings and bytes, also inside arrays and kvlists, and counts each cut value', () => {
    const s = span({
      attributes: [
        { key: 'short', value: str('12345678') },
        { key: 'long', value: str('123456789') },
        { key: 'bytes', value: { type: 'bytes', value: new Uint8Array(20) } },
        { key: 'nested', value: { type: 'array', value: [str('ok'), { type: 'kvlist', value: [{ key: 'deep', value: str('far too long') }] }] } },
      ],
    });
    const result = validateSpans([s], LIMITS);
    const [out] = result.accepted;
    expect(result.valuesTruncated).toBe(3);
    expect(out.attributes[0]).toBe(s.attributes[0]);
    expect(out.attributes[1].value).toEqual(str('12345678'));
    expect(out.attributes[2].value).toEqual({ type: 'bytes', value: new Uint8Array(8) });
    expect(out.attributes[3].value).toEqual({
      type: 'array', value: [str('ok'), { type: 'kvlist', value: [{ key: 'deep', value: str('far too ') }] }],
    });
    expect(out.droppedAttributesCount).toBe(0);
  });

  it('never cuts a surrogate pair in half', () => {
    const [out] = validateSpans([span({ attributes: [{ key: 'emoji', value: str('1234567🚀🚀') }] })], LIMITS).accepted;
    expect(out.attributes[0].value).toEqual(str('1234567'));
  });

  it('applies the limits to event and link attributes', () => {
    const link = { traceId: TRACE, spanId: '00f067aa0ba902b7', traceState: '', attributes: attrs(6), droppedAttributesCount: 1, flags: 0 };
    const event = { timeUnixNano: 5n, name: 'e', attributes: [{ key: 'msg', value: str('a long message') }], droppedAttributesCount: 0 };
    const untouchedEvent = { timeUnixNano: 6n, name: 'f', attributes: [], droppedAttributesCount: 0 };
    const result = validateSpans([span({ events: [untouchedEvent, event], links: [link] })], LIMITS);
    const [out] = result.accepted;
    expect(out.events[0]).toBe(untouchedEvent);
    expect(out.events[1].attributes[0].value).toEqual(str('a long m'));
    expect(out.links[0].attributes).toHaveLength(4);
    expect(out.links[0].droppedAttributesCount).toBe(3);
    expect(result.attributesDropped).toBe(2);
    expect(result.valuesTruncated).toBe(1);
  });

  it('limits a shared resource and scope once, and the spans keep sharing the limited objects', () => {
    const resource: Resource = {
      attributes: [{ key: 'service.name', value: str('a-very-long-service-name') }, ...attrs(5)],
      droppedAttributesCount: 0,
      schemaUrl: 'r',
    };
    const scope: InstrumentationScope = { ...SCOPE, attributes: [{ key: 's', value: str('scope value too long') }] };
    const spans = [span({ resource, scope }), span({ resource, scope }), span()];
    const result = validateSpans(spans, LIMITS);
    const [a, b, c] = result.accepted;
    expect(a.resource).toBe(b.resource);
    expect(a.resource).not.toBe(resource);
    expect(a.resource.attributes).toHaveLength(4);
    expect(a.resource.droppedAttributesCount).toBe(2);
    expect(a.resource.schemaUrl).toBe('r');
    expect(a.serviceName).toBe('a-very-l');
    expect(a.scope).toBe(b.scope);
    expect(a.scope.attributes[0].value).toEqual(str('scope va'));
    expect(c).toBe(spans[2]);
    // Counted per resource/scope object, not per span.
    expect(result.attributesDropped).toBe(2);
    expect(result.valuesTruncated).toBe(2);
  });
});

describe('groupSpansByTrace', () => {
  it('groups spans by trace id, keeping the order traces and spans first appeared in', () => {
    const t1 = '1'.repeat(32);
    const t2 = '2'.repeat(32);
    const spans = [span({ traceId: t1, name: 'a' }), span({ traceId: t2, name: 'b' }), span({ traceId: t1, name: 'c' }), span({ traceId: t2, name: 'd' })];
    const groups = groupSpansByTrace(spans);
    expect([...groups.keys()]).toEqual([t1, t2]);
    expect(groups.get(t1)!.map((s) => s.name)).toEqual(['a', 'c']);
    expect(groups.get(t2)!.map((s) => s.name)).toEqual(['b', 'd']);
    expect(groups.get(t1)![0]).toBe(spans[0]);
  });
});
