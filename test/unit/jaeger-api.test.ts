import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKEND_ERROR_MESSAGE } from '../../services/query/backend-errors.js';
import type { JaegerTrace } from '../../services/query/jaeger/model.js';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import type { SpanReader } from '../../shared/storage/spanstore.js';
import { jaegerApi } from '../../services/query/jaeger/jaeger-api.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';

/** "Now" for the API's default windows: 2026-03-01T00:00:00Z. */
const NOW_MS = 1_772_323_200_000;
const NOW_US = NOW_MS * 1000;
const MINUTE_US = 60_000_000;
const HOUR_US = 60 * MINUTE_US;
const DAY_US = 24 * HOUR_US;

interface Envelope<T = unknown> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: { code?: number; msg: string; traceID?: string }[] | null;
}

let app: FastifyInstance;
let store: MemorySpanStore;

async function serve(reader: SpanReader): Promise<void> {
  app = Fastify();
  await app.register(jaegerApi, { reader, defaultLimit: 3, maxLimit: 10, nowMs: () => NOW_MS });
  await app.ready();
}

async function get<T = unknown>(url: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await app.inject({ method: 'GET', url });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return { status: res.statusCode, body: res.json<Envelope<T>>() };
}

async function write(...spans: SpanRecord[]): Promise<void> {
  await store.writeSpans(spans);
}

/** The trace ids (Jaeger form) a search answered, in order. */
async function search(params: string): Promise<string[]> {
  const { status, body } = await get<JaegerTrace[]>(`/api/traces?${params}`);
  expect(body.errors).toBeNull();
  expect(status).toBe(200);
  return body.data.map((t) => t.traceID);
}

/** A 400 in Jaeger's envelope, returning its message. */
async function badRequest(url: string): Promise<string> {
  const { status, body } = await get(url);
  expect(status).toBe(400);
  expect(body.data).toBeNull();
  expect(body.errors).toHaveLength(1);
  expect(body.errors?.[0].code).toBe(400);
  return body.errors?.[0].msg ?? '';
}

const t = (n: number) => traceIdOf(n).slice(16); // Jaeger prints 64-bit ids as 16 characters

beforeEach(async () => {
  store = new MemorySpanStore({ maxSpans: 10_000, maxBytes: 1e9 });
  await serve(store);
});
afterEach(async () => {
  await app.close();
});

describe('GET /api/services and operations', () => {
  beforeEach(async () => {
    await write(
      span({ traceId: traceIdOf(1), service: 'frontend', name: 'GET /', kind: SpanKind.SERVER, startUs: NOW_US }),
      span({ traceId: traceIdOf(1), service: 'frontend', name: 'GET /', kind: SpanKind.CLIENT, startUs: NOW_US }),
      span({ traceId: traceIdOf(1), service: 'frontend', name: 'render', kind: SpanKind.INTERNAL, startUs: NOW_US }),
      span({ traceId: traceIdOf(1), service: 'my svc', name: 'x', kind: SpanKind.UNSPECIFIED, startUs: NOW_US }),
    );
  });

  it('lists services in the envelope with total set', async () => {
    expect(await get('/api/services')).toEqual({
      status: 200,
      body: { data: ['frontend', 'my svc'], total: 2, limit: 0, offset: 0, errors: null },
    });
  });

  it('lists unique operation names of a path-escaped service', async () => {
    expect((await get('/api/services/frontend/operations')).body).toEqual({
      data: ['GET /', 'render'], total: 2, limit: 0, offset: 0, errors: null,
    });
    expect((await get('/api/services/my%20svc/operations')).body.data).toEqual(['x']);
    expect((await get('/api/services/unknown/operations')).body.data).toEqual([]);
  });

  it('lists operations with their kinds, filtered by spanKind', async () => {
    expect((await get('/api/operations?service=frontend')).body).toEqual({
      data: [
        { name: 'GET /', spanKind: 'server' },
        { name: 'GET /', spanKind: 'client' },
        { name: 'render', spanKind: 'internal' },
      ],
      total: 3, limit: 0, offset: 0, errors: null,
    });
    expect((await get('/api/operations?service=frontend&spanKind=client')).body.data).toEqual([{ name: 'GET /', spanKind: 'client' }]);
    expect((await get('/api/operations?service=my%20svc')).body.data).toEqual([{ name: 'x', spanKind: '' }]);
  });

  it('reads spanKind=unspecified as no kind filter, as Jaeger', async () => {
    const all = (await get('/api/operations?service=frontend')).body.data;
    expect((await get('/api/operations?service=frontend&spanKind=unspecified')).body).toMatchObject({ data: all, errors: null });
  });

  it('refuses operations without a service or with an unknown spanKind', async () => {
    expect(await badRequest('/api/operations')).toBe(`parameter 'service' is required`);
    expect(await badRequest('/api/operations?service=frontend&spanKind=sideways')).toMatch(/^unable to parse param 'spanKind'/);
  });
});

describe('GET /api/traces (search)', () => {
  it('finds traces by service and returns them whole, with one process per service', async () => {
    await write(
      span({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'frontend', kind: SpanKind.CLIENT, startUs: NOW_US - MINUTE_US }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', startUs: NOW_US - MINUTE_US + 5 }),
      span({ traceId: traceIdOf(2), service: 'cart', startUs: NOW_US - MINUTE_US }),
    );
    const { body } = await get<JaegerTrace[]>('/api/traces?service=frontend');
    expect(body).toMatchObject({ total: 0, limit: 0, offset: 0, errors: null });
    expect(body.data).toHaveLength(1);
    expect(body.data[0].spans.map((s) => `${s.spanID}@${body.data[0].processes[s.processID].serviceName}`)).toEqual([
      `${spanIdOf(1)}@frontend`,
      `${spanIdOf(2)}@cart`,
    ]);
  });

  it('filters by operation', async () => {
    await write(
      span({ traceId: traceIdOf(1), name: 'GET /a', startUs: NOW_US - MINUTE_US }),
      span({ traceId: traceIdOf(2), name: 'GET /b', startUs: NOW_US - MINUTE_US }),
    );
    expect(await search('service=frontend&operation=GET%20%2Fb')).toEqual([t(2)]);
  });

  const places: [string, (tags: Record<string, string>) => Parameters<typeof span>[0]][] = [
    ['span attributes', (a) => ({ attrs: a })],
    ['resource attributes', (a) => ({ resourceAttrs: a })],
    ['scope attributes', (a) => ({ scope: { name: 'lib', attrs: a } })],
    ['event attributes', (a) => ({ events: [{ name: 'log', attrs: a }] })],
    ['link attributes', (a) => ({ links: [{ traceId: traceIdOf(99), spanId: spanIdOf(99), attrs: a }] })],
  ];
  for (const [place, build] of places) {
    it(`finds a tag held in ${place}, given as tags JSON or as tag=key:value`, async () => {
      await write(
        span({ traceId: traceIdOf(1), startUs: NOW_US - MINUTE_US, ...build({ 'db.system': 'redis' }) }),
        span({ traceId: traceIdOf(2), startUs: NOW_US - MINUTE_US, ...build({ 'db.system': 'mysql' }) }),
      );
      expect(await search(`tags=${encodeURIComponent('{"db.system":"redis"}')}`)).toEqual([t(1)]);
      expect(await search('tag=db.system:redis')).toEqual([t(1)]);
    });
  }

  it('combines repeated tag and tags parameters, splitting tag at the first colon', async () => {
    await write(
      span({ traceId: traceIdOf(1), startUs: NOW_US - MINUTE_US, attrs: { 'http.url': 'http://x:80/a', error: true, code: 500 } }),
      span({ traceId: traceIdOf(2), startUs: NOW_US - MINUTE_US, attrs: { 'http.url': 'http://x:80/a', error: false, code: 500 } }),
    );
    expect(await search(`tag=${encodeURIComponent('http.url:http://x:80/a')}&tag=error:true`)).toEqual([t(1)]);
    expect(await search(`tags=${encodeURIComponent('{"error":"true"}')}&tags=${encodeURIComponent('{"code":"500"}')}`)).toEqual([t(1)]);
    // tags JSON overrides tag for the same key (Jaeger applies tag first).
    expect(await search(`tag=error:false&tags=${encodeURIComponent('{"error":"true"}')}`)).toEqual([t(1)]);
    // Numbers and booleans in tags JSON mean their text.
    expect(await search(`tags=${encodeURIComponent('{"error":true,"code":500}')}`)).toEqual([t(1)]);
  });

  it('searches the last two days up to now by default', async () => {
    await write(
      span({ traceId: traceIdOf(1), startUs: NOW_US - DAY_US }),
      span({ traceId: traceIdOf(2), startUs: NOW_US - 3 * DAY_US }),
      span({ traceId: traceIdOf(3), startUs: NOW_US + MINUTE_US }),
    );
    expect(await search('service=frontend')).toEqual([t(1)]);
  });

  it('searches between start and end (µs), both inclusive; lookback is ignored', async () => {
    await write(
      span({ traceId: traceIdOf(1), startUs: NOW_US - 3 * DAY_US }),
      span({ traceId: traceIdOf(2), startUs: NOW_US - 2 * HOUR_US }),
      span({ traceId: traceIdOf(3), startUs: NOW_US - HOUR_US }),
      span({ traceId: traceIdOf(4), startUs: NOW_US - HOUR_US + 1 }),
    );
    expect(await search(`start=${NOW_US - 3 * DAY_US}&end=${NOW_US - HOUR_US}&lookback=1h`)).toEqual([t(3), t(2), t(1)]);
    expect(await search(`start=${NOW_US - 2 * HOUR_US}&end=${NOW_US - 2 * HOUR_US}`)).toEqual([t(2)]);
    expect(await search(`end=${NOW_US - 2 * DAY_US}&start=${NOW_US - 4 * DAY_US}`)).toEqual([t(1)]);
  });

  it('keeps span durations within minDuration and maxDuration (Go durations, inclusive)', async () => {
    const at = NOW_US - MINUTE_US;
    await write(
      span({ traceId: traceIdOf(1), startUs: at + 1, durationUs: 1499 }),
      span({ traceId: traceIdOf(2), startUs: at + 2, durationUs: 1500 }),
      span({ traceId: traceIdOf(3), startUs: at + 3, durationUs: 2_000_000 }),
      span({ traceId: traceIdOf(4), startUs: at + 4, durationUs: 2_000_001 }),
    );
    expect(await search('minDuration=1.5ms&maxDuration=2s')).toEqual([t(3), t(2)]);
    expect(await search('minDuration=1500us')).toEqual([t(4), t(3), t(2)]);
    expect(await search(`maxDuration=${encodeURIComponent('1499µs')}`)).toEqual([t(1)]);
    expect(await search('minDuration=1m')).toEqual([]);
  });

  it('answers at most limit traces, the most recent first, defaulting to the configured limit', async () => {
    await write(...[1, 2, 3, 4, 5].map((n) => span({ traceId: traceIdOf(n), startUs: NOW_US - HOUR_US + n })));
    expect(await search('limit=2')).toEqual([t(5), t(4)]);
    expect(await search('')).toEqual([t(5), t(4), t(3)]);
    expect(await search('limit=0')).toEqual([t(5), t(4), t(3)]);
    expect(await search('limit=10')).toEqual([t(5), t(4), t(3), t(2), t(1)]);
  });

  it('serves a limit above the maximum as the maximum instead of refusing it, as Jaeger', async () => {
    await write(...Array.from({ length: 12 }, (_, i) => span({ traceId: traceIdOf(i + 1), startUs: NOW_US - HOUR_US + i })));
    expect(await search('limit=50')).toHaveLength(10);
  });

  it('answers an empty list, not an error, when nothing matches', async () => {
    expect(await get('/api/traces?service=nobody')).toEqual({
      status: 200,
      body: { data: [], total: 0, limit: 0, offset: 0, errors: null },
    });
  });

  it('fetches the given traceIDs instead of searching, reporting missing ones in errors', async () => {
    await write(
      span({ traceId: traceIdOf(1), startUs: NOW_US - 10 * DAY_US }),
      span({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', startUs: NOW_US }),
    );
    const { status, body } = await get<JaegerTrace[]>(
      `/api/traces?traceID=1&traceID=4BF92F3577B34DA6A3CE929D0E0E4736&traceID=abc&service=nobody`,
    );
    expect(status).toBe(200);
    expect(body.data.map((tr) => tr.traceID)).toEqual([t(1), '4bf92f3577b34da6a3ce929d0e0e4736']);
    expect(body.errors).toEqual([{ msg: 'trace not found', traceID: '0000000000000abc' }]);
  });

  it('rewrites Zipkin shared span ids unless raw=true', async () => {
    await write(
      span({ traceId: traceIdOf(1), spanId: spanIdOf(5), service: 'frontend', kind: SpanKind.CLIENT, startUs: NOW_US - MINUTE_US }),
      span({ traceId: traceIdOf(1), spanId: spanIdOf(5), service: 'cart', kind: SpanKind.SERVER, startUs: NOW_US - MINUTE_US + 1 }),
    );
    const ids = async (q: string) => (await get<JaegerTrace[]>(`/api/traces?${q}`)).body.data[0].spans.map((s) => s.spanID);
    expect(await ids('service=cart')).toEqual([spanIdOf(5), spanIdOf(6)]);
    expect(await ids('service=cart&raw=true')).toEqual([spanIdOf(5), spanIdOf(5)]);
  });

  it.each([
    ['minDuration=abc', `unable to parse param 'minDuration': time: invalid duration "abc"`],
    ['maxDuration=10', `unable to parse param 'maxDuration': time: missing unit in duration "10"`],
    ['minDuration=2s&maxDuration=1s', `'maxDuration' should be greater than 'minDuration'`],
    ['limit=abc', `unable to parse param 'limit': "abc" is not an integer`],
    ['limit=1.5', `unable to parse param 'limit': "1.5" is not an integer`],
    ['limit=-1', `unable to parse param 'limit': must not be negative, got -1`],
    ['start=yesterday', `unable to parse param 'start': "yesterday" is not an integer`],
    ['end=1e15', `unable to parse param 'end': "1e15" is not an integer`],
    ['start=20&end=10', `'start' (20) must not be after 'end' (10)`],
    ['tag=error', `malformed 'tag' parameter, expecting key:value, received: error`],
    ['tags=%7Bbad', /^malformed 'tags' parameter, cannot unmarshal JSON: /],
    ['tags=%5B%22a%22%5D', /^malformed 'tags' parameter, cannot unmarshal JSON: expected an object/],
    ['tags=%7B%22a%22%3A%7B%7D%7D', /^malformed 'tags' parameter, cannot unmarshal JSON: value of "a"/],
    ['traceID=xyz', /^cannot parse traceID param: invalid trace id "xyz": not hexadecimal/],
    ['traceID=' + 'a'.repeat(33), /^cannot parse traceID param: .*longer than 32/],
    ['raw=maybe', `unable to parse param 'raw': "maybe" is not a boolean`],
  ])('refuses %s with a 400 naming the parameter', async (params, message) => {
    const msg = await badRequest(`/api/traces?${params}`);
    if (typeof message === 'string') expect(msg).toBe(message);
    else expect(msg).toMatch(message);
  });
});

describe('GET /api/traces/:traceID', () => {
  it('answers the trace as a one-element list', async () => {
    await write(span({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: spanIdOf(1), name: 'root', startUs: NOW_US }));
    const { status, body } = await get<JaegerTrace[]>('/api/traces/4bf92f3577b34da6a3ce929d0e0e4736');
    expect(status).toBe(200);
    expect(body).toMatchObject({ total: 0, limit: 0, offset: 0, errors: null });
    expect(body.data).toHaveLength(1);
    expect(body.data[0].spans.map((s) => s.operationName)).toEqual(['root']);
  });

  it('accepts a short id for a 64-bit trace', async () => {
    await write(span({ traceId: traceIdOf('a3ce929d0e0e4736'), startUs: NOW_US }));
    const { body } = await get<JaegerTrace[]>('/api/traces/A3CE929D0E0E4736');
    expect(body.data[0].traceID).toBe('a3ce929d0e0e4736');
  });

  it('answers 404 "trace not found" in the envelope for an unknown trace', async () => {
    expect(await get('/api/traces/abc')).toEqual({
      status: 404,
      body: { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'trace not found' }] },
    });
  });

  it('refuses a malformed trace id with 400', async () => {
    expect(await badRequest('/api/traces/not-hex')).toMatch(/^cannot parse traceID param/);
  });

  it('passes start/end as a µs hint, reading values below 1e14 as milliseconds (Grafana)', async () => {
    const hints: unknown[] = [];
    const spy: SpanReader = {
      getTrace: async (id, hint) => {
        hints.push(hint);
        return store.getTrace(id);
      },
      getServices: () => store.getServices(),
      getOperations: (q) => store.getOperations(q),
      findTraces: (q) => store.findTraces(q),
      getDependencies: (e, l) => store.getDependencies(e, l),
    };
    await app.close();
    await serve(spy);
    await get(`/api/traces/abc?start=${NOW_MS - 1000}&end=${NOW_MS}`);
    await get(`/api/traces/abc?start=${NOW_US - 1000}&end=${NOW_US}`);
    await get('/api/traces/abc');
    expect(hints).toEqual([
      { startTimeUs: (NOW_MS - 1000) * 1000, endTimeUs: NOW_US },
      { startTimeUs: NOW_US - 1000, endTimeUs: NOW_US },
      {},
    ]);
    expect(await badRequest('/api/traces/abc?start=soon')).toBe(`unable to parse param 'start': "soon" is not an integer`);
  });
});

describe('GET /api/dependencies', () => {
  beforeEach(async () => {
    const edge = (trace: number, parent: string, child: string, startUs: number) => [
      span({ traceId: traceIdOf(trace), spanId: spanIdOf(1), service: parent, kind: SpanKind.CLIENT, startUs }),
      span({ traceId: traceIdOf(trace), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: child, startUs }),
    ];
    await write(
      ...edge(1, 'frontend', 'cart', NOW_US - HOUR_US),
      ...edge(2, 'frontend', 'cart', NOW_US - 2 * HOUR_US),
      ...edge(3, 'cart', 'db', NOW_US - 2 * HOUR_US),
      ...edge(4, 'frontend', 'auth', NOW_US - 2 * DAY_US),
    );
  });

  it('answers the last 24 hours up to now by default', async () => {
    expect((await get('/api/dependencies')).body).toEqual({
      data: [
        { parent: 'cart', child: 'db', callCount: 1 },
        { parent: 'frontend', child: 'cart', callCount: 2 },
      ],
      total: 0, limit: 0, offset: 0, errors: null,
    });
  });

  it('uses endTs and lookback in milliseconds', async () => {
    const endTs = NOW_MS - 90 * 60_000;
    expect((await get(`/api/dependencies?endTs=${endTs}&lookback=${60 * 60_000}`)).body.data).toEqual([
      { parent: 'cart', child: 'db', callCount: 1 },
      { parent: 'frontend', child: 'cart', callCount: 1 },
    ]);
    expect((await get(`/api/dependencies?lookback=${3 * 24 * 3600_000}`)).body.data).toContainEqual({ parent: 'frontend', child: 'auth', callCount: 1 });
  });

  it('keeps only edges touching the given service', async () => {
    expect((await get('/api/dependencies?service=db')).body.data).toEqual([{ parent: 'cart', child: 'db', callCount: 1 }]);
  });

  it('refuses malformed endTs and lookback', async () => {
    expect(await badRequest('/api/dependencies?endTs=now')).toBe(`unable to parse param 'endTs': "now" is not an integer`);
    expect(await badRequest('/api/dependencies?lookback=-5')).toBe(`unable to parse param 'lookback': must not be negative, got -5`);
  });
});

describe('errors outside the parameters', () => {
  it('answers unknown /api routes with 404 in the envelope', async () => {
    const { status, body } = await get('/api/nothing/here?x=1');
    expect(status).toBe(404);
    expect(body).toEqual({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'GET /api/nothing/here not found' }] });
  });

  it('answers a failing store with 500 in the envelope', async () => {
    const broken: SpanReader = {
      getTrace: async () => [],
      getServices: async () => {
        throw new Error('elasticsearch unreachable');
      },
      getOperations: async () => [],
      findTraces: async () => [],
      getDependencies: async () => [],
    };
    await app.close();
    app = Fastify({ logger: false });
    await app.register(jaegerApi, { reader: broken, defaultLimit: 3, maxLimit: 10 });
    const { status, body } = await get('/api/services');
    expect(status).toBe(500);
    // The store's own text stays in the log.
    expect(body.errors).toEqual([{ code: 500, msg: BACKEND_ERROR_MESSAGE }]);
  });

  it('never passes a backend 4xx (e.g. too_long_http_line_exception) or its text to the client', async () => {
    const backend400 = Object.assign(new Error('too_long_http_line_exception: An HTTP line is larger than 4096 bytes.'), { statusCode: 400 });
    const broken: SpanReader = {
      getTrace: async () => [],
      getServices: async () => {
        throw backend400;
      },
      getOperations: async () => [],
      findTraces: async () => [],
      getDependencies: async () => [],
    };
    await app.close();
    app = Fastify({ logger: false });
    await app.register(jaegerApi, { reader: broken, defaultLimit: 3, maxLimit: 10 });
    const { status, body } = await get('/api/services');
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('too_long_http_line');
    expect(body.errors).toEqual([{ code: 500, msg: BACKEND_ERROR_MESSAGE }]);
  });
});
