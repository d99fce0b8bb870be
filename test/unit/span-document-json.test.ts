/**
 * The span store writes each document's text directly (span-document-json.ts) instead of
 * `JSON.stringify` of the document object `encodeSpanDocument` defines. The two must give the
 * same bytes for every span: the golden trace, a load-generator request, and the corners where
 * the text writer takes its own paths (repeated terms across and within attribute lists, terms
 * too long for the index, values JSON has to escape, non-scalar values, a tenant, a graph).
 */
import { describe, expect, it } from 'vitest';
import type { KeyValue, SpanRecord } from '../../shared/model/span.js';
import { SpanKind, StatusCode } from '../../shared/model/span.js';
import { TENANT_ATTRIBUTE } from '../../shared/model/tenant.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { encodeSpanDocument, encodeSpanDocumentJson, spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import { TAG_TERM_MAX_CHARS } from '../../shared/storage/elasticsearch/templates.js';
import { goldenTrace } from '../fixtures/golden-trace.js';
import { bookinfoTrace } from '../fixtures/mesh-traces.js';
import { double, emptyValue, resourceOf, span, traceIdOf, spanIdOf } from '../fixtures/spans.js';
import { buildRequestPool } from '../bench/otlp-workload.js';

function expectSameText(spans: readonly SpanRecord[], graph?: object): void {
  for (const s of spans) {
    const written = encodeSpanDocumentJson(s, graph);
    const doc = encodeSpanDocument(s);
    expect(written.json).toBe(JSON.stringify(graph === undefined ? doc : { ...doc, graph }));
    expect(written.id).toBe(spanDocumentId(s));
    expect(written.startTimeMs).toBe(doc.startTime);
  }
}

const long = 'x'.repeat(TAG_TERM_MAX_CHARS);

describe('span document text', () => {
  it('is the text of the document object for the golden trace and the mesh fixtures', () => {
    expectSameText(goldenTrace());
    expectSameText(bookinfoTrace().spans);
  });

  it('is the text of the document object for a load-generator request (decoded: shared KeyValues and resources)', () => {
    const { templates } = buildRequestPool({ spansPerRequest: 512, poolSize: 2, seed: 7 });
    for (const t of templates) {
      const spans = decodeTracesProtobuf(t.bytes, { keepEncodedSpans: true });
      expectSameText(spans);
      // Second pass: every resource, scope and attribute now comes from the caches.
      expectSameText(spans);
    }
  });

  it('drops a tag repeated between span, resource, scope, events and links once, first place wins', () => {
    const resource = resourceOf('cart', { 'http.method': 'GET', region: 'eu', dup: 'x' });
    const s = span({
      service: 'cart',
      resource,
      attrs: { 'http.method': 'GET', dup: 'x', solo: 1 },
      scope: { name: 'lib', version: '1', attrs: { region: 'eu', own: true } },
      events: [
        { name: 'a', attrs: { dup: 'x', e: 1 } },
        { name: 'a', attrs: { e: 1, f: 'g' } },
      ],
      links: [{ traceId: traceIdOf(9), spanId: spanIdOf(9), traceState: 'k=v', attrs: { e: 1, region: 'eu' } }],
    });
    expectSameText([s]);
    // A resource seen first without overlap, then with: its cached text must not leak the repeat.
    expectSameText([span({ service: 'cart', resource }), s, span({ service: 'cart', resource, attrs: { region: 'eu' } })]);
  });

  it('keeps an attribute list repeating its own key or term as the object does', () => {
    const attributes: KeyValue[] = [
      { key: 'k', value: { type: 'string', value: 'v' } },
      { key: 'k', value: { type: 'string', value: 'v' } },
      { key: 'k', value: { type: 'string', value: 'w' } },
    ];
    expectSameText([{ ...span(), attributes, resource: { attributes, droppedAttributesCount: 2, schemaUrl: 'https://s' } }]);
  });

  it('escapes what JSON escapes and leaves over-long TraceQL terms out', () => {
    expectSameText([
      span({
        name: 'quote " back \\ tab \t nl \n ü 😀 \u0001',
        attrs: { 'a=b': 'c\\d', q: '"', [long]: 'v', long, emoji: '😀' },
        resourceAttrs: { 'x"y': '\u2028' },
        status: { code: StatusCode.ERROR, message: 'boom "x"' },
        events: [{ name: long, attrs: { '\n': '\r' } }],
        traceState: 'a="b"',
      }),
    ]);
  });

  it('writes every value type as the object does', () => {
    expectSameText([
      span({
        kind: SpanKind.CONSUMER,
        attrs: {
          int: 12345678901234567890n,
          neg: -3,
          dbl: 1.5,
          whole: double(2),
          negZero: double(-0),
          nan: double(Number.NaN),
          inf: double(Number.POSITIVE_INFINITY),
          bool: false,
          bytes: new Uint8Array([0, 1, 255]),
          arr: ['a', 1, [true]],
          map: { z: 1, a: { b: 'c' } },
          empty: emptyValue(),
        },
        flags: 257,
      }),
    ]);
  });

  it('carries the tenant of the resource and the graph observation when given', () => {
    const tenant = span({ service: 'cart', resourceAttrs: { [TENANT_ATTRIBUTE]: 'team-a' } });
    expectSameText([tenant]);
    expectSameText([tenant, span()], { source: 'a', target: 'b', protocol: 'http', failed: false });
  });
});
