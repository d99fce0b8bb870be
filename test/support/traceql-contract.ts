/**
 * The TraceQL part of the span store contract (TraceqlReader in shared/storage/spanstore.ts), as
 * one table every store runs: `describeTraceqlContract('memory', async () => store)`. The store
 * gets one small set of traces; each row is a query and the traces it must find (in order) with
 * the names of the spans it must report as matched. Queries are compiled from TraceQL text, so
 * the table also shows what each construct of the supported subset means.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type SpanRecord } from '../../shared/model/span.js';
import type { TagRef } from '../../shared/storage/spanstore.js';
import { compileSpanFilter, compileTraceql } from '../../shared/traceql/compile.js';
import { double, span, spanIdOf, traceIdOf } from '../fixtures/spans.js';
import type { ContractStore } from './spanstore-contract.js';

/** An hour ago, whole seconds: time-partitioned stores write to today's (or yesterday's) indices. */
const T = Math.floor(Date.now() / 1000 - 3600) * 1_000_000;
const MS = 1000;
const WINDOW = { startTimeMinUs: T - 3600_000_000, startTimeMaxUs: T + 3600_000_000 };

const CHECKOUT = traceIdOf('c1');
const HOME = traceIdOf('c2');
const ORPHAN = traceIdOf('c3');

/**
 * checkout: frontend root → checkout client call that failed (event, 502) → db span with
 * instrumentation and link attributes. home: frontend root (3 s) → slow cart server span (500).
 * orphan: a cart span whose root never arrived, with `http.status_code` as a STRING.
 */
function traces(): SpanRecord[] {
  return [
    span({
      traceId: CHECKOUT, spanId: spanIdOf('a1'), name: 'GET /checkout', service: 'frontend', kind: SpanKind.SERVER,
      startUs: T, durationUs: 500 * MS, attrs: { 'http.status_code': 200, 'http.method': 'GET' },
      resourceAttrs: { 'deployment.environment': 'prod' },
    }),
    span({
      traceId: CHECKOUT, spanId: spanIdOf('a2'), parentSpanId: spanIdOf('a1'), name: 'POST /pay', service: 'checkout',
      kind: SpanKind.CLIENT, startUs: T + 10 * MS, durationUs: 300 * MS,
      attrs: { 'http.status_code': 502, 'peer.service': 'payments' },
      status: { code: StatusCode.ERROR, message: 'card declined' },
      events: [{ name: 'exception', attrs: { 'exception.type': 'CardError' } }],
    }),
    span({
      traceId: CHECKOUT, spanId: spanIdOf('a3'), parentSpanId: spanIdOf('a2'), name: 'SELECT', service: 'db',
      kind: SpanKind.INTERNAL, startUs: T + 20 * MS, durationUs: 5 * MS,
      attrs: { 'db.system': 'postgresql', retry: 1.5, cached: true, ratio: double(2) },
      scope: { name: 'jdbc', attrs: { 'lib.lang': 'java' } },
      links: [{ traceId: HOME, spanId: spanIdOf('b1'), attrs: { rel: 'follows' } }],
    }),
    span({
      traceId: HOME, spanId: spanIdOf('b1'), name: 'GET /home', service: 'frontend', kind: SpanKind.SERVER,
      startUs: T + 1000 * MS, durationUs: 3000 * MS, attrs: { 'http.status_code': 200, 'http.method': 'POST' },
      status: { code: StatusCode.OK },
    }),
    span({
      traceId: HOME, spanId: spanIdOf('b2'), parentSpanId: spanIdOf('b1'), name: 'GET /cart', service: 'cart',
      kind: SpanKind.SERVER, startUs: T + 1005 * MS, durationUs: 2000 * MS, attrs: { 'http.status_code': 500 },
    }),
    span({
      traceId: ORPHAN, spanId: spanIdOf('c2'), parentSpanId: spanIdOf('c1'), name: 'orphan', service: 'cart',
      kind: SpanKind.SERVER, startUs: T + 2000 * MS, durationUs: 100 * MS, attrs: { 'http.status_code': '500' },
      resourceAttrs: { region: 'eu' },
    }),
  ];
}

/** query → traces found, latest matching span first, each with the names of its matched spans. */
const TABLE: readonly (readonly [string, readonly (readonly [string, readonly string[]])[]])[] = [
  ['{}', [[ORPHAN, ['orphan']], [HOME, ['GET /home', 'GET /cart']], [CHECKOUT, ['GET /checkout', 'POST /pay', 'SELECT']]]],
  ['{ resource.service.name = "cart" && span.http.status_code >= 500 }', [[HOME, ['GET /cart']]]],
  ['{ span.http.status_code = "500" }', [[ORPHAN, ['orphan']]]],
  ['{ .http.status_code = 200 }', [[HOME, ['GET /home']], [CHECKOUT, ['GET /checkout']]]],
  ['{ .service.name = "db" }', [[CHECKOUT, ['SELECT']]]],
  ['{ span.http.status_code < 300 }', [[HOME, ['GET /home']], [CHECKOUT, ['GET /checkout']]]],
  ['{ span.http.status_code > 200 && span.http.status_code <= 502 }', [[HOME, ['GET /cart']], [CHECKOUT, ['POST /pay']]]],
  ['{ span.http.status_code != 200 }', [[HOME, ['GET /cart']], [CHECKOUT, ['POST /pay']]]],
  ['{ duration > 100ms }', [[HOME, ['GET /home', 'GET /cart']], [CHECKOUT, ['GET /checkout', 'POST /pay']]]],
  ['{ span:duration >= 100ms && duration < 0.5s }', [[ORPHAN, ['orphan']], [CHECKOUT, ['POST /pay']]]],
  ['{ duration <= 5000us }', [[CHECKOUT, ['SELECT']]]],
  ['{ status = error }', [[CHECKOUT, ['POST /pay']]]],
  ['{ span:status != unset }', [[HOME, ['GET /home']], [CHECKOUT, ['POST /pay']]]],
  ['{ kind = client }', [[CHECKOUT, ['POST /pay']]]],
  ['{ span:kind = internal }', [[CHECKOUT, ['SELECT']]]],
  ['{ name = "GET /home" }', [[HOME, ['GET /home']]]],
  ['{ name =~ "GET /.*" }', [[HOME, ['GET /home', 'GET /cart']], [CHECKOUT, ['GET /checkout']]]],
  ['{ name =~ "^GET /c.*$" }', [[HOME, ['GET /cart']], [CHECKOUT, ['GET /checkout']]]],
  ['{ name =~ "GET" }', []],
  ['{ name !~ "GET .*" }', [[ORPHAN, ['orphan']], [CHECKOUT, ['POST /pay', 'SELECT']]]],
  ['{ name =~ "(?i)get /CART" }', [[HOME, ['GET /cart']]]],
  ['{ span.http.method =~ "\\\\w{3}" }', [[CHECKOUT, ['GET /checkout']]]],
  ['{ span.http.method =~ "P[A-Z]ST|G.T" && name =~ "GET /h\\\\S+" }', [[HOME, ['GET /home']]]],
  ['{ span:name =~ "(?:orph|SEL)[a-z]+" }', [[ORPHAN, ['orphan']]]],
  ['{ statusMessage = "card declined" }', [[CHECKOUT, ['POST /pay']]]],
  ['{ span:statusMessage != "x" }', [[CHECKOUT, ['POST /pay']]]],
  ['{ event.exception.type = "CardError" }', [[CHECKOUT, ['POST /pay']]]],
  ['{ event:name = "exception" }', [[CHECKOUT, ['POST /pay']]]],
  ['{ link.rel = "follows" }', [[CHECKOUT, ['SELECT']]]],
  ['{ instrumentation.lib.lang = "java" }', [[CHECKOUT, ['SELECT']]]],
  ['{ span.cached = true }', [[CHECKOUT, ['SELECT']]]],
  ['{ span.cached != false }', [[CHECKOUT, ['SELECT']]]],
  ['{ span.retry > 1.2 && span.retry = 1.5 }', [[CHECKOUT, ['SELECT']]]],
  ['{ span.ratio = 2 }', [[CHECKOUT, ['SELECT']]]],
  ['{ span.retry < -1 }', []],
  ['{ span.db.system != nil }', [[CHECKOUT, ['SELECT']]]],
  ['{ resource.region != nil }', [[ORPHAN, ['orphan']]]],
  ['{ span.http.method = nil && resource.service.name = "frontend" }', []],
  ['{ span.http.method = nil && kind = server }', [[ORPHAN, ['orphan']], [HOME, ['GET /cart']]]],
  ['{ .region = nil && name = "orphan" }', []],
  ['{ span.http.method != "GET" }', [[HOME, ['GET /home']]]],
  ['{ span.db.system = "postgresql" || resource.region = "eu" }', [[ORPHAN, ['orphan']], [CHECKOUT, ['SELECT']]]],
  ['{ (name = "GET /cart" || name = "POST /pay") && status = error }', [[CHECKOUT, ['POST /pay']]]],
  ['{ span.http.status_code = 500 } && { resource.service.name = "frontend" }', [[HOME, ['GET /home', 'GET /cart']]]],
  ['{ span.http.status_code = 500 } || { status = error }', [[HOME, ['GET /cart']], [CHECKOUT, ['POST /pay']]]],
  ['{ span.http.status_code = 500 } && { status = error }', []],
  ['{ rootServiceName = "frontend" && span.http.status_code >= 500 }', [[HOME, ['GET /cart']], [CHECKOUT, ['POST /pay']]]],
  ['{ rootName = "GET /home" }', [[HOME, ['GET /home', 'GET /cart']]]],
  ['{ trace:rootName =~ "GET /c.*" && kind = internal }', [[CHECKOUT, ['SELECT']]]],
  ['{ traceDuration > 1s }', [[HOME, ['GET /home', 'GET /cart']]]],
  ['{ trace:duration < 1s && status = error }', [[CHECKOUT, ['POST /pay']]]],
  ['{ trace:rootService = "frontend" && kind = server }', [[HOME, ['GET /home', 'GET /cart']], [CHECKOUT, ['GET /checkout']]]],
  ['{ rootServiceName != "nobody" }', [[HOME, ['GET /home', 'GET /cart']], [CHECKOUT, ['GET /checkout', 'POST /pay', 'SELECT']]]],
  ['{ rootServiceName =~ "front.*" && kind = client }', [[CHECKOUT, ['POST /pay']]]],
  ['{ rootServiceName !~ "front.*" }', []],
  ['{ trace:rootService > "a" && rootName < "GET /d" }', [[CHECKOUT, ['GET /checkout', 'POST /pay', 'SELECT']]]],
  ['{ (rootName = "GET /home" || traceDuration < 1s) && duration < 10ms }', [[CHECKOUT, ['SELECT']]]],
  ['{ resource.service.name = "nope" }', []],
];

const namesOf = (spans: readonly SpanRecord[]) => spans.map((s) => s.name);

export function describeTraceqlContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`TraceQL store contract: ${name}`, () => {
    let store: ContractStore;

    beforeAll(async () => {
      store = await makeStore();
      await store.start();
      expect(await store.writeSpans(traces())).toEqual([]);
      await store.flushForTests?.();
    });
    afterAll(async () => {
      await store?.stop();
    });

    const search = (q: string, options: { limit?: number; spss?: number } = {}) =>
      store.searchTraceql({ query: compileTraceql(q), ...WINDOW, limit: options.limit ?? 20, spansPerSpanset: options.spss ?? 3 });

    it.each(TABLE.map(([q, expected]) => [q, expected] as const))('%s', async (q, expected) => {
      const found = await search(q);
      expect(found.map((m) => [m.traceId, namesOf(m.matched)])).toEqual(expected);
      // Every found trace comes back whole.
      for (const m of found) expect(m.spans.length).toBe(traces().filter((s) => s.traceId === m.traceId).length);
    });

    it('returns at most spss matched spans per trace, earliest first, and counts all matches', async () => {
      const found = await search('{}', { spss: 1 });
      expect(found.map((m) => [m.traceId, namesOf(m.matched), m.matchedCount])).toEqual([
        [ORPHAN, ['orphan'], 1],
        [HOME, ['GET /home'], 2],
        [CHECKOUT, ['GET /checkout'], 3],
      ]);
    });

    it('returns at most limit traces, the latest first', async () => {
      expect((await search('{ }', { limit: 2 })).map((m) => m.traceId)).toEqual([ORPHAN, HOME]);
    });

    it('finds nothing outside the time window', async () => {
      const found = await store.searchTraceql({
        query: compileTraceql('{}'), startTimeMinUs: T + 3000 * MS, startTimeMaxUs: T + 3600_000_000, limit: 20, spansPerSpanset: 3,
      });
      expect(found).toEqual([]);
    });

    it('lists only the attribute names of spans a filter matches', async () => {
      expect(await store.getTraceqlTags({ ...WINDOW, limit: 100, filter: compileSpanFilter('{ resource.region = "eu" }') })).toEqual([
        { scope: 'resource', key: 'region' },
        { scope: 'resource', key: 'service.name' },
        { scope: 'span', key: 'http.status_code' },
      ]);
    });

    it('lists attribute names per scope, sorted by scope then name', async () => {
      expect(await store.getTraceqlTags({ ...WINDOW, limit: 100 })).toEqual([
        { scope: 'event', key: 'exception.type' },
        { scope: 'instrumentation', key: 'lib.lang' },
        { scope: 'link', key: 'rel' },
        { scope: 'resource', key: 'deployment.environment' },
        { scope: 'resource', key: 'region' },
        { scope: 'resource', key: 'service.name' },
        { scope: 'span', key: 'cached' },
        { scope: 'span', key: 'db.system' },
        { scope: 'span', key: 'http.method' },
        { scope: 'span', key: 'http.status_code' },
        { scope: 'span', key: 'peer.service' },
        { scope: 'span', key: 'ratio' },
        { scope: 'span', key: 'retry' },
      ]);
    });

    const values = (tag: TagRef, q?: string) =>
      store.getTraceqlTagValues(tag, { ...WINDOW, limit: 100, ...(q !== undefined && { filter: compileSpanFilter(q) }) });

    it('lists typed values of a tag, keeping types apart', async () => {
      expect(await values({ kind: 'attribute', scope: 'span', key: 'http.status_code' })).toEqual([
        { type: 'int', value: '200' },
        { type: 'int', value: '500' },
        { type: 'int', value: '502' },
        { type: 'string', value: '500' },
      ]);
      expect(await values({ kind: 'attribute', scope: 'span', key: 'retry' })).toEqual([{ type: 'float', value: '1.5' }]);
      expect(await values({ kind: 'attribute', scope: 'span', key: 'cached' })).toEqual([{ type: 'bool', value: 'true' }]);
      expect(await values({ kind: 'attribute', scope: 'unscoped', key: 'service.name' })).toEqual(
        ['cart', 'checkout', 'db', 'frontend'].map((value) => ({ type: 'string', value })),
      );
    });

    it('lists intrinsic values, status and kind as keywords', async () => {
      expect(await values({ kind: 'intrinsic', name: 'status' })).toEqual(['error', 'ok', 'unset'].map((value) => ({ type: 'keyword', value })));
      expect(await values({ kind: 'intrinsic', name: 'kind' })).toEqual(['client', 'internal', 'server'].map((value) => ({ type: 'keyword', value })));
      expect(await values({ kind: 'intrinsic', name: 'name' }, '{ resource.service.name = "frontend" }')).toEqual([
        { type: 'string', value: 'GET /checkout' },
        { type: 'string', value: 'GET /home' },
      ]);
    });

    it('narrows tag values to the spans a filter matches', async () => {
      expect(await values({ kind: 'attribute', scope: 'span', key: 'http.status_code' }, '{ resource.service.name = "cart" }')).toEqual([
        { type: 'int', value: '500' },
        { type: 'string', value: '500' },
      ]);
    });
  });
}
