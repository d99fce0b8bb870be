/**
 * The pure parts of the Elasticsearch span store: which daily indices a span goes to and a read
 * names, how tag terms and document ids are built, how bulk item statuses are handled, and that
 * the document encoding round-trips every value exactly. No server needed.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../shared/model/span.js';
import { classifyItem } from '../../shared/storage/elasticsearch/bulk.js';
import { SpanDocumentDecoder, encodeSpanDocument, spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import { dailyIndex, indicesForRange } from '../../shared/storage/elasticsearch/indices.js';
import { tagTerm, tagTermsOf } from '../../shared/storage/elasticsearch/tags.js';
import { double, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

const utc = (iso: string) => Date.parse(iso);

describe('daily index names', () => {
  it('puts a span in the index of its UTC start day, either side of midnight', () => {
    expect(dailyIndex('mt', 'spans', utc('2025-12-31T23:59:59.999Z'))).toBe('mt-spans-2025.12.31');
    expect(dailyIndex('mt', 'spans', utc('2026-01-01T00:00:00.000Z'))).toBe('mt-spans-2026.01.01');
  });

  it('names only the days a time range touches', () => {
    expect(indicesForRange('mt', 'spans', utc('2026-03-04T10:00:00Z'), utc('2026-03-04T11:00:00Z'))).toEqual(['mt-spans-2026.03.04']);
    expect(indicesForRange('mt', 'spans', utc('2026-03-04T23:30:00Z'), utc('2026-03-05T00:30:00Z'))).toEqual([
      'mt-spans-2026.03.04',
      'mt-spans-2026.03.05',
    ]);
    expect(indicesForRange('mt', 'spans', 10, 5)).toEqual([]);
  });

  it('cuts extreme windows to the days an index can exist for, quickly, and never names NaN', () => {
    const max = Number.MAX_SAFE_INTEGER;
    // lookback=2^53-1 from endTs=2^53-1: before, 10^8 days were walked (18 s, 3 GB) into NaN.NaN.NaN.
    expect(indicesForRange('mt', 'spans', -max, max)).toEqual(['mt-spans-*']);
    expect(indicesForRange('mt', 'spans', max - 1000, max)).toEqual([]);
    expect(indicesForRange('mt', 'spans', -max, -1)).toEqual([]);
    expect(indicesForRange('mt', 'spans', -max, utc('1970-01-01T10:00:00Z'))).toEqual(['mt-spans-1970.01.01']);
    for (const name of indicesForRange('mt', 'spans', utc('2020-01-01T00:00:00Z'), max)) expect(name).not.toMatch(/NaN/);
  });

  it('collapses whole months and years into wildcards so long look-backs keep the request line short', () => {
    expect(indicesForRange('mt', 'spans', utc('2024-12-30T00:00:00Z'), utc('2026-02-02T05:00:00Z'))).toEqual([
      'mt-spans-2024.12.30',
      'mt-spans-2024.12.31',
      'mt-spans-2025.*',
      'mt-spans-2026.01.*',
      'mt-spans-2026.02.01',
      'mt-spans-2026.02.02',
    ]);
    // A partial month at the end stays day by day: the wildcard would reach beyond the range.
    expect(indicesForRange('mt', 'spans', utc('2026-02-01T00:00:00Z'), utc('2026-02-27T00:00:00Z'))).toHaveLength(27);
    expect(indicesForRange('mt', 'spans', utc('2026-02-01T00:00:00Z'), utc('2026-02-28T12:00:00Z'))).toEqual(['mt-spans-2026.02.*']);
  });
});

describe('tag terms', () => {
  it('escapes = and \\ in keys so different key/value splits never produce the same term', () => {
    expect(tagTerm('a=b', 'c')).not.toBe(tagTerm('a', 'b=c'));
    expect(tagTerm('a', 'b=c')).toBe('a=b=c');
    expect(tagTerm('a\\', '=c')).not.toBe(tagTerm('a\\=', 'c'));
  });

  it('collects attributes of the span, resource, scope, events and links once each', () => {
    const s = span({
      attrs: { a: 1, dup: 'x' },
      resourceAttrs: { b: true },
      scope: { name: 's', attrs: { c: 1.5 } },
      events: [{ name: 'e', attrs: { d: 'y', dup: 'x' } }],
      links: [{ traceId: traceIdOf(2), spanId: spanIdOf(2), attrs: { e: ['z'] } }],
    });
    expect(tagTermsOf(s).sort()).toEqual(['a=1', 'b=true', 'c=1.5', 'd=y', 'dup=x', 'e=["z"]', 'service.name=frontend']);
  });
});

describe('document ids', () => {
  it('differ for the two halves of a shared span id and repeat for the same span', () => {
    const client = span({ traceId: traceIdOf(1), spanId: spanIdOf(7), service: 'frontend', kind: SpanKind.CLIENT });
    const server = span({ traceId: traceIdOf(1), spanId: spanIdOf(7), service: 'cart', kind: SpanKind.SERVER });
    const serverAsClient = { ...server, kind: SpanKind.CLIENT };
    expect(spanDocumentId(client)).not.toBe(spanDocumentId(server));
    expect(spanDocumentId(server)).not.toBe(spanDocumentId(serverAsClient));
    expect(spanDocumentId({ ...server })).toBe(spanDocumentId(server));
    expect(spanDocumentId(server).startsWith(`${traceIdOf(1)}-${spanIdOf(7)}-`)).toBe(true);
  });

  it('differ for two different spans with the same trace id, span id, service and kind', () => {
    const a = span({ traceId: traceIdOf(1), spanId: spanIdOf(7), service: 'cart', name: 'GET /a' });
    const b = { ...a, name: 'GET /b' };
    expect(spanDocumentId(a)).not.toBe(spanDocumentId(b));
    expect(spanDocumentId({ ...b })).toBe(spanDocumentId(b));
  });
});

describe('span document encoding', () => {
  it('round-trips values JSON cannot hold: big ints, bytes, NaN, infinities and negative zero', () => {
    const s = span({
      attrs: {
        big: -9_223_372_036_854_775_808n,
        bytes: new Uint8Array([0, 255, 128]),
        nan: double(NaN),
        inf: double(Infinity),
        ninf: double(-Infinity),
        nzero: double(-0),
        nested: [{ deep: 18_446_744_073_709_551n }],
      },
    });
    const doc = JSON.parse(JSON.stringify(encodeSpanDocument(s)));
    const back = new SpanDocumentDecoder().decode(doc);
    expect(back).toEqual(s);
    const nzero = back.attributes.find((a) => a.key === 'nzero')?.value;
    expect(nzero?.type === 'double' && Object.is(nzero.value, -0)).toBe(true);
    expect(back.startTimeUnixNano).toBe(s.startTimeUnixNano);
  });

  it('restores one shared resource object for spans of the same resource', () => {
    const decoder = new SpanDocumentDecoder();
    const a = decoder.decode(JSON.parse(JSON.stringify(encodeSpanDocument(span({ service: 'cart' })))));
    const b = decoder.decode(JSON.parse(JSON.stringify(encodeSpanDocument(span({ service: 'cart' })))));
    expect(a.resource).toBe(b.resource);
  });
});

describe('bulk item outcomes', () => {
  it('retries overload and server errors, refuses bad documents, fails the call when the cluster blocks writes', () => {
    expect(classifyItem(201, undefined)).toBe('stored');
    expect(classifyItem(200, undefined)).toBe('stored');
    expect(classifyItem(409, 'version_conflict_engine_exception')).toBe('stored');
    expect(classifyItem(429, 'es_rejected_execution_exception')).toBe('retry');
    expect(classifyItem(503, 'unavailable_shards_exception')).toBe('retry');
    expect(classifyItem(400, 'document_parsing_exception')).toBe('refused');
    expect(classifyItem(429, 'cluster_block_exception')).toBe('fatal');
    expect(classifyItem(403, 'cluster_block_exception')).toBe('fatal');
    expect(classifyItem(404, 'index_not_found_exception')).toBe('fatal');
  });
});
