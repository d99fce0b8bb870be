/**
 * The span store contract (shared/storage/spanstore.ts), as one suite every implementation runs:
 * `describeSpanStoreContract('memory', async () => new MemorySpanStore(...))`. Each test gets a
 * fresh, EMPTY store from `makeStore` (answers are checked exactly) and stops it afterwards.
 * Stores that make writes visible to search only after a refresh (Elasticsearch) expose
 * `flushForTests()`, which the suite calls after every write.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import type { SpanStore, TraceQuery } from '../../shared/storage/spanstore.js';
import { double, sortSpans, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

export type ContractStore = SpanStore & { flushForTests?(): Promise<void> };

/** Recent (an hour ago, whole seconds) so time-partitioned stores write to today's indices. */
const T = Math.floor(Date.now() / 1000 - 3600) * 1_000_000;
const MINUTE_US = 60_000_000;

const ids = (traces: readonly SpanRecord[][]) => traces.map((t) => t[0]?.traceId);
const spanKeys = (spans: readonly SpanRecord[]) => sortSpans(spans).map((s) => `${s.spanId}/${s.serviceName}/${s.kind}`);

export function describeSpanStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`span store contract: ${name}`, () => {
    let store: ContractStore;

    beforeEach(async () => {
      store = await makeStore();
      await store.start();
    });
    afterEach(async () => {
      await store.stop();
    });

    async function write(spans: readonly SpanRecord[]): Promise<void> {
      expect(await store.writeSpans(spans)).toEqual([]);
      await store.flushForTests?.();
    }

    const query = (q: Partial<TraceQuery> = {}): TraceQuery => ({
      tags: {},
      startTimeMinUs: T - 60 * MINUTE_US,
      startTimeMaxUs: T + 60 * MINUTE_US,
      limit: 20,
      ...q,
    });

    const found = async (q: Partial<TraceQuery>) => ids(await store.findTraces(query(q)));

    describe('an empty store', () => {
      it('answers every read with an empty result', async () => {
        expect(await store.getServices()).toEqual([]);
        expect(await store.getOperations({ service: 'frontend' })).toEqual([]);
        expect(await store.getTrace(traceIdOf(1))).toEqual([]);
        expect(await store.findTraces(query())).toEqual([]);
        expect(await store.getDependencies(T / 1000 + 60_000, 24 * 3600_000)).toEqual([]);
      });
    });

    describe('writeSpans and getTrace', () => {
      it('returns every span of a trace exactly as written, whatever the value types', async () => {
        const rich = span({
          traceId: traceIdOf('a1'),
          spanId: spanIdOf('b1'),
          parentSpanId: spanIdOf('b0'),
          name: 'POST /checkout',
          service: 'checkout',
          kind: SpanKind.CLIENT,
          startUs: T,
          durationUs: 1234,
          attrs: {
            str: 'x',
            yes: true,
            n: 42,
            big: 9_007_199_254_740_993n,
            neg: -5,
            d: 1.5,
            whole: double(2),
            raw: new Uint8Array([0, 1, 255]),
            list: ['a', 1, false],
            map: { k: 'v', nested: { n: 1 } },
          },
          resourceAttrs: { 'host.name': 'node-1', 'k8s.pod.uid': 'p-1' },
          scope: { name: 'io.opentelemetry.http', version: '1.2.3', attrs: { 'scope.attr': 'on' } },
          events: [{ name: 'retry', timeUs: T + 10, attrs: { attempt: 2 } }],
          links: [{ traceId: traceIdOf('c1'), spanId: spanIdOf('d1'), traceState: 'k=v', attrs: { 'link.kind': 'batch' } }],
          status: { code: StatusCode.ERROR, message: 'upstream reset' },
          traceState: 'vendor=1',
          flags: 1,
        });
        const plain = span({ traceId: traceIdOf('a1'), spanId: spanIdOf('b0'), service: 'frontend', startUs: T - 5 });
        const other = span({ traceId: traceIdOf('a2'), service: 'frontend', startUs: T });
        await write([rich, plain, other]);

        expect(sortSpans(await store.getTrace(traceIdOf('a1')))).toEqual(sortSpans([rich, plain]));
        expect(await store.getTrace(traceIdOf('a3'))).toEqual([]);
      });

      it('finds a trace with a time hint around its spans', async () => {
        const s = span({ traceId: traceIdOf('a1'), startUs: T });
        await write([s]);
        expect(await store.getTrace(traceIdOf('a1'), { startTimeUs: T - MINUTE_US, endTimeUs: T + MINUTE_US })).toEqual([s]);
      });

      it('keeps one copy when the same spans are written again (at-least-once redelivery)', async () => {
        const spans = [
          span({ traceId: traceIdOf('a1'), spanId: spanIdOf(1), name: 'GET /', startUs: T }),
          span({ traceId: traceIdOf('a1'), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), name: 'SELECT', service: 'db', kind: SpanKind.CLIENT, startUs: T + 1 }),
        ];
        await write(spans);
        await write(spans);
        await write([spans[1]]);
        expect(spanKeys(await store.getTrace(traceIdOf('a1')))).toEqual(spanKeys(spans));
        const traces = await store.findTraces(query());
        expect(traces).toHaveLength(1);
        expect(traces[0]).toHaveLength(2);
      });

      it('keeps both halves of a Zipkin shared span: same span id, different service or kind', async () => {
        const client = span({ traceId: traceIdOf('a1'), spanId: spanIdOf(7), service: 'frontend', kind: SpanKind.CLIENT, startUs: T });
        const server = span({ traceId: traceIdOf('a1'), spanId: spanIdOf(7), service: 'cart', kind: SpanKind.SERVER, startUs: T + 1 });
        await write([client, server]);
        expect(spanKeys(await store.getTrace(traceIdOf('a1')))).toEqual([
          `${spanIdOf(7)}/cart/${SpanKind.SERVER}`,
          `${spanIdOf(7)}/frontend/${SpanKind.CLIENT}`,
        ]);
      });

      it('keeps two different spans that share trace id, span id, service and kind (no overwrite), and redelivery of either still lands once', async () => {
        const first = span({ traceId: traceIdOf('a1'), spanId: spanIdOf(9), name: 'GET /a', service: 'cart', startUs: T });
        const second = span({ traceId: traceIdOf('a1'), spanId: spanIdOf(9), name: 'GET /b', service: 'cart', startUs: T + 5 });
        await write([first]);
        await write([second]);
        await write([first, second]);
        const names = (await store.getTrace(traceIdOf('a1'))).map((s) => s.name).sort();
        expect(names).toEqual(['GET /a', 'GET /b']);
      });
    });

    describe('getServices and getOperations', () => {
      beforeEach(async () => {
        await write([
          span({ traceId: traceIdOf(1), service: 'frontend', name: 'GET /', kind: SpanKind.SERVER, startUs: T }),
          span({ traceId: traceIdOf(1), service: 'frontend', name: 'GET /', kind: SpanKind.SERVER, startUs: T + 1 }),
          span({ traceId: traceIdOf(1), service: 'frontend', name: 'GET /', kind: SpanKind.CLIENT, startUs: T + 2 }),
          span({ traceId: traceIdOf(2), service: 'frontend', name: 'AUTH', kind: SpanKind.INTERNAL, startUs: T }),
          span({ traceId: traceIdOf(2), service: 'cart', name: 'add', kind: SpanKind.SERVER, startUs: T }),
          span({ traceId: traceIdOf(3), service: 'Zeta', name: 'z', kind: SpanKind.UNSPECIFIED, startUs: T }),
        ]);
      });

      it('lists each service once, sorted', async () => {
        expect(await store.getServices()).toEqual(['Zeta', 'cart', 'frontend']);
      });

      it("lists a service's (name, kind) pairs sorted by name then kind, and filters by kind", async () => {
        expect(await store.getOperations({ service: 'frontend' })).toEqual([
          { name: 'AUTH', spanKind: SpanKind.INTERNAL },
          { name: 'GET /', spanKind: SpanKind.SERVER },
          { name: 'GET /', spanKind: SpanKind.CLIENT },
        ]);
        expect(await store.getOperations({ service: 'frontend', spanKind: SpanKind.CLIENT })).toEqual([
          { name: 'GET /', spanKind: SpanKind.CLIENT },
        ]);
        expect(await store.getOperations({ service: 'Zeta' })).toEqual([{ name: 'z', spanKind: SpanKind.UNSPECIFIED }]);
        expect(await store.getOperations({ service: 'unknown' })).toEqual([]);
      });
    });

    describe('findTraces', () => {
      it('returns whole traces, spans of other services included, most recent first', async () => {
        await write([
          span({ traceId: traceIdOf(1), service: 'frontend', startUs: T }),
          span({ traceId: traceIdOf(1), service: 'cart', startUs: T + 5 }),
          span({ traceId: traceIdOf(2), service: 'frontend', startUs: T + 10 }),
          span({ traceId: traceIdOf(3), service: 'cart', startUs: T + 20 }),
        ]);
        const traces = await store.findTraces(query({ service: 'frontend' }));
        expect(ids(traces)).toEqual([traceIdOf(2), traceIdOf(1)]);
        expect(traces[1].map((s) => s.serviceName).sort()).toEqual(['cart', 'frontend']);
      });

      it('orders traces by their latest matching span, not by their other spans', async () => {
        await write([
          // trace 1 has the latest span overall, but its matching span is the oldest.
          span({ traceId: traceIdOf(1), service: 'frontend', startUs: T }),
          span({ traceId: traceIdOf(1), service: 'cart', startUs: T + 100 }),
          span({ traceId: traceIdOf(2), service: 'frontend', startUs: T + 50 }),
        ]);
        expect(await found({ service: 'frontend' })).toEqual([traceIdOf(2), traceIdOf(1)]);
      });

      it('searches all services when none is given', async () => {
        await write([
          span({ traceId: traceIdOf(1), service: 'frontend', startUs: T }),
          span({ traceId: traceIdOf(2), service: 'cart', startUs: T + 1 }),
        ]);
        expect(await found({})).toEqual([traceIdOf(2), traceIdOf(1)]);
      });

      it('matches the operation name exactly', async () => {
        await write([
          span({ traceId: traceIdOf(1), name: 'GET /cart', startUs: T }),
          span({ traceId: traceIdOf(2), name: 'GET /cart/items', startUs: T }),
        ]);
        expect(await found({ service: 'frontend', operation: 'GET /cart' })).toEqual([traceIdOf(1)]);
      });

      it('needs service, operation and tags on ONE span, not spread over a trace', async () => {
        await write([
          span({ traceId: traceIdOf(1), service: 'frontend', name: 'a', attrs: { x: '1' }, startUs: T }),
          span({ traceId: traceIdOf(1), service: 'cart', name: 'b', attrs: { y: '2' }, startUs: T + 1 }),
        ]);
        expect(await found({ service: 'frontend', operation: 'b' })).toEqual([]);
        expect(await found({ tags: { x: '1', y: '2' } })).toEqual([]);
        expect(await found({ service: 'cart', tags: { y: '2' } })).toEqual([traceIdOf(1)]);
      });

      const places: [string, (tag: Record<string, string>) => Parameters<typeof span>[0]][] = [
        ['span attributes', (t) => ({ attrs: t })],
        ['resource attributes', (t) => ({ resourceAttrs: t })],
        ['scope attributes', (t) => ({ scope: { name: 's', attrs: t } })],
        ['an event', (t) => ({ events: [{ name: 'e' }, { name: 'log', attrs: t }] })],
        ['a link', (t) => ({ links: [{ traceId: traceIdOf(9), spanId: spanIdOf(9), attrs: t }] })],
      ];
      for (const [place, build] of places) {
        it(`finds a tag in ${place}`, async () => {
          await write([
            span({ traceId: traceIdOf(1), startUs: T, ...build({ 'http.route': '/cart' }) }),
            span({ traceId: traceIdOf(2), startUs: T, ...build({ 'http.route': '/other' }) }),
          ]);
          expect(await found({ tags: { 'http.route': '/cart' } })).toEqual([traceIdOf(1)]);
        });
      }

      it('matches tags found in different places of the same span', async () => {
        await write([
          span({
            traceId: traceIdOf(1),
            startUs: T,
            attrs: { a: '1' },
            resourceAttrs: { b: '2' },
            events: [{ name: 'e', attrs: { c: '3' } }],
            links: [{ traceId: traceIdOf(9), spanId: spanIdOf(9), attrs: { d: '4' } }],
          }),
        ]);
        expect(await found({ tags: { a: '1', b: '2', c: '3', d: '4' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { a: '1', b: 'nope' } })).toEqual([]);
      });

      it('compares tag values as strings: bool, int, double, array and map values', async () => {
        await write([
          span({
            traceId: traceIdOf(1),
            startUs: T,
            attrs: { ok: true, code: 404, ratio: 1.5, big: 9_007_199_254_740_993n, list: ['a', 1], map: { b: 2, a: 'x' } },
          }),
        ]);
        expect(await found({ tags: { ok: 'true' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { code: '404' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { ratio: '1.5' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { big: '9007199254740993' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { list: '["a",1]' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { map: '{"a":"x","b":2}' } })).toEqual([traceIdOf(1)]);
        expect(await found({ tags: { ok: 'false' } })).toEqual([]);
        expect(await found({ tags: { code: '40' } })).toEqual([]);
      });

      it('includes spans starting exactly at either end of the time range, and nothing outside', async () => {
        await write([
          span({ traceId: traceIdOf(1), startUs: T - 1 }),
          span({ traceId: traceIdOf(2), startUs: T }),
          span({ traceId: traceIdOf(3), startUs: T + MINUTE_US }),
          span({ traceId: traceIdOf(4), startUs: T + MINUTE_US + 1 }),
        ]);
        expect(await found({ startTimeMinUs: T, startTimeMaxUs: T + MINUTE_US })).toEqual([traceIdOf(3), traceIdOf(2)]);
      });

      it('keeps durations within the bounds, both inclusive, each optional', async () => {
        await write([
          span({ traceId: traceIdOf(1), startUs: T + 1, durationUs: 999 }),
          span({ traceId: traceIdOf(2), startUs: T + 2, durationUs: 1000 }),
          span({ traceId: traceIdOf(3), startUs: T + 3, durationUs: 2000 }),
          span({ traceId: traceIdOf(4), startUs: T + 4, durationUs: 2001 }),
        ]);
        expect(await found({ durationMinUs: 1000, durationMaxUs: 2000 })).toEqual([traceIdOf(3), traceIdOf(2)]);
        expect(await found({ durationMinUs: 2000 })).toEqual([traceIdOf(4), traceIdOf(3)]);
        expect(await found({ durationMaxUs: 999 })).toEqual([traceIdOf(1)]);
      });

      it('returns at most `limit` traces, the most recent ones', async () => {
        await write([1, 2, 3, 4, 5].map((n) => span({ traceId: traceIdOf(n), startUs: T + n })));
        expect(await found({ limit: 2 })).toEqual([traceIdOf(5), traceIdOf(4)]);
      });
    });

    describe('getDependencies', () => {
      const endMs = T / 1000 + 60_000;
      const hourMs = 3600_000;

      it('counts one call per span whose parent belongs to another service', async () => {
        await write([
          span({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'frontend', startUs: T }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: T + 1 }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(3), parentSpanId: spanIdOf(2), service: 'cart', startUs: T + 2 }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(4), parentSpanId: spanIdOf(3), service: 'cart', kind: SpanKind.CLIENT, startUs: T + 3 }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(5), parentSpanId: spanIdOf(4), service: 'db', startUs: T + 4 }),
          span({ traceId: traceIdOf(2), spanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: T }),
          span({ traceId: traceIdOf(2), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', startUs: T + 1 }),
          // A parent that was never stored makes no edge.
          span({ traceId: traceIdOf(3), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', startUs: T + 1 }),
        ]);
        const links = await store.getDependencies(endMs, hourMs);
        expect(sortLinks(links)).toEqual([
          { parent: 'cart', child: 'db', callCount: 1 },
          { parent: 'frontend', child: 'cart', callCount: 2 },
        ]);
      });

      it('counts only child spans that started within the window', async () => {
        await write([
          span({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: T - 2 * 3600_000_000 }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', startUs: T - 2 * 3600_000_000 }),
          span({ traceId: traceIdOf(2), spanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: T }),
          span({ traceId: traceIdOf(2), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'db', startUs: T }),
        ]);
        expect(sortLinks(await store.getDependencies(endMs, hourMs))).toEqual([{ parent: 'frontend', child: 'db', callCount: 1 }]);
        expect(sortLinks(await store.getDependencies(endMs, 3 * hourMs))).toEqual([
          { parent: 'frontend', child: 'cart', callCount: 1 },
          { parent: 'frontend', child: 'db', callCount: 1 },
        ]);
      });

      it('counts a Zipkin shared-id client/server pair as one call', async () => {
        await write([
          span({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'frontend', startUs: T }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: T + 1 }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', kind: SpanKind.SERVER, startUs: T + 2 }),
          span({ traceId: traceIdOf(1), spanId: spanIdOf(3), parentSpanId: spanIdOf(2), service: 'cart', kind: SpanKind.INTERNAL, startUs: T + 3 }),
        ]);
        expect(await store.getDependencies(endMs, hourMs)).toEqual([{ parent: 'frontend', child: 'cart', callCount: 1 }]);
      });
    });
  });
}

function sortLinks<T extends { parent: string; child: string }>(links: readonly T[]): T[] {
  return [...links].sort((a, b) => `${a.parent}/${a.child}`.localeCompare(`${b.parent}/${b.child}`));
}
