import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKEND_ERROR_MESSAGE } from '../../services/query/backend-errors.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { AccessLogReader } from '../../shared/storage/accesslogstore.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { accessLogApi, rfc3339Nano, type AccessLogEnvelope, type AccessLogJson } from '../../services/query/accesslogs/accesslog-api.js';
import { jaegerApi } from '../../services/query/jaeger/jaeger-api.js';
import { accessLog } from '../fixtures/access-logs.js';
import { span, traceIdOf } from '../fixtures/spans.js';

/** "Now" for the default windows: 2026-03-01T00:00:00Z. */
const NOW_MS = 1_772_323_200_000;
const NOW_US = NOW_MS * 1000;
const MINUTE_US = 60_000_000;
const HOUR_US = 60 * MINUTE_US;
const DAY_US = 24 * HOUR_US;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

let app: FastifyInstance;
let store: MemoryAccessLogStore;

async function serve(reader: AccessLogReader): Promise<void> {
  app = Fastify();
  await app.register(accessLogApi, { reader, defaultLimit: 3, maxLimit: 10, maxOffset: 50, nowMs: () => NOW_MS });
  await app.ready();
}

async function get(url: string): Promise<{ status: number; body: AccessLogEnvelope }> {
  const res = await app.inject({ method: 'GET', url });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return { status: res.statusCode, body: res.json<AccessLogEnvelope>() };
}

/** Ids a search answered, in order (a 200 without errors). */
async function ids(params: string): Promise<string[]> {
  const { status, body } = await get(`/api/v1/accesslogs?${params}`);
  expect(body.errors).toBeNull();
  expect(status).toBe(200);
  return (body.data ?? []).map((r) => r.id);
}

/** A 400 in the envelope; returns its message. */
async function badRequest(url: string): Promise<string> {
  const { status, body } = await get(url);
  expect(status).toBe(400);
  expect(body.data).toBeNull();
  expect(body.errors).toHaveLength(1);
  expect(body.errors?.[0]?.code).toBe(400);
  return body.errors?.[0]?.msg ?? '';
}

async function write(...records: AccessLogRecord[]): Promise<void> {
  await store.writeAccessLogs(records);
}

const idsOf = (...records: AccessLogRecord[]) => records.map((r) => r.id);

beforeEach(async () => {
  store = new MemoryAccessLogStore({ maxRecords: 10_000 });
  await serve(store);
});
afterEach(async () => {
  await app.close();
});

describe('GET /api/v1/accesslogs: time window', () => {
  it('searches the last hour by default, newest first', async () => {
    const recent = accessLog({ startUs: NOW_US - 10 * MINUTE_US });
    const older = accessLog({ startUs: NOW_US - 50 * MINUTE_US });
    const tooOld = accessLog({ startUs: NOW_US - 2 * HOUR_US });
    await write(older, tooOld, recent);
    expect(await ids('')).toEqual(idsOf(recent, older));
  });

  it('takes a lookback as a Go duration, and start/end in microseconds over it', async () => {
    const a = accessLog({ startUs: NOW_US - 2 * HOUR_US });
    const b = accessLog({ startUs: NOW_US - 5 * HOUR_US });
    await write(a, b);
    expect(await ids('lookback=3h')).toEqual(idsOf(a));
    expect(await ids('lookback=6h')).toEqual(idsOf(a, b));
    expect(await ids(`start=${NOW_US - 6 * HOUR_US}&end=${NOW_US - 3 * HOUR_US}`)).toEqual(idsOf(b));
    expect(await ids(`start=${NOW_US - 6 * HOUR_US}&lookback=1h`)).toEqual(idsOf(a, b));
    expect(await ids(`end=${NOW_US - 4 * HOUR_US}&lookback=2h`)).toEqual(idsOf(b));
  });
});

describe('GET /api/v1/accesslogs: filters', () => {
  const at = (minutesAgo: number, options: Parameters<typeof accessLog>[0] = {}) => accessLog({ startUs: NOW_US - minutesAgo * MINUTE_US, ...options });

  it('filters by source and destination workload, namespace and service', async () => {
    const a = at(1, { source: { workload: 'frontend', namespace: 'web' } });
    const b = at(2, { destination: { workload: 'ratings-v1', namespace: 'data', service: 'ratings.data.svc.cluster.local', serviceName: 'ratings' } });
    const c = at(3);
    await write(a, b, c);
    expect(await ids('sourceWorkload=frontend')).toEqual(idsOf(a));
    expect(await ids('sourceNamespace=default')).toEqual(idsOf(b, c));
    expect(await ids('destinationWorkload=ratings-v1')).toEqual(idsOf(b));
    expect(await ids('destinationNamespace=default')).toEqual(idsOf(a, c));
    expect(await ids('destinationService=ratings')).toEqual(idsOf(b));
    expect(await ids('destinationService=reviews.default.svc.cluster.local')).toEqual(idsOf(a, c));
    expect(await ids('sourceWorkload=productpage-v1&destinationService=reviews')).toEqual(idsOf(c));
  });

  it('filters by exact response code or by class like 5xx', async () => {
    const ok = at(1, { responseCode: 200 });
    const e503 = at(2, { responseCode: 503 });
    const e500 = at(3, { responseCode: 500 });
    const e404 = at(4, { responseCode: 404 });
    await write(ok, e503, e500, e404);
    expect(await ids('responseCode=503')).toEqual(idsOf(e503));
    expect(await ids('responseCode=5xx')).toEqual(idsOf(e503, e500));
    expect(await ids('responseCode=4XX')).toEqual(idsOf(e404));
    expect(await ids('responseCode=2xx')).toEqual(idsOf(ok));
  });

  it('filters by a response flag, a minimum duration, a trace id, a reporter and a kind', async () => {
    const uh = at(1, { responseFlags: ['UH'], durationUs: 500 });
    const slow = at(2, { durationUs: 2_000_000, reporter: 'destination' });
    const traced = at(3, { traceId: TRACE, responseFlags: ['URX', 'UF'] });
    const plain = at(4, { kind: 'log', body: 'hello' });
    const tcp = at(5, { kind: 'tcp' });
    await write(uh, slow, traced, plain, tcp);
    expect(await ids('responseFlags=UH')).toEqual(idsOf(uh));
    expect(await ids('responseFlags=UF')).toEqual(idsOf(traced));
    expect(await ids('minDuration=1.5s')).toEqual(idsOf(slow));
    expect(await ids('minDuration=1ms')).toEqual(idsOf(slow, traced, tcp));
    expect(await ids(`traceID=${TRACE.toUpperCase()}`)).toEqual(idsOf(traced));
    expect(await ids('reporter=destination')).toEqual(idsOf(slow));
    expect(await ids('kind=log')).toEqual(idsOf(plain));
    expect(await ids('kind=tcp&kind=log')).toEqual(idsOf(plain, tcp));
    expect(await ids('kind=http,tcp&limit=10')).toEqual(idsOf(uh, slow, traced, tcp));
    expect(await ids('')).toEqual(idsOf(uh, slow, traced)); // default page of 3, plain logs excluded
  });
});

describe('GET /api/v1/accesslogs: answer', () => {
  it('returns every field, times as RFC 3339 and Unix nanoseconds, durations in µs and ms', async () => {
    const record = accessLog({
      startTimeUnixNano: BigInt(NOW_US - MINUTE_US) * 1000n + 7n,
      durationUs: 1500,
      requestId: 'req-1',
      traceId: TRACE,
      spanId: '00f067aa0ba902b7',
      responseCode: 503,
      responseFlags: ['UH'],
      upstreamCluster: 'outbound|9080||reviews.default.svc.cluster.local',
      mtls: true,
      bytesSent: 12,
      attributes: { 'custom.tag': 'x' },
    });
    await write(record);
    const { body } = await get('/api/v1/accesslogs');
    const { startTimeUnixNano, ...rest } = record;
    const expected: AccessLogJson = {
      ...rest,
      startTime: '2026-02-28T23:59:00.000000007Z',
      startTimeUnixNano: startTimeUnixNano.toString(),
      durationMs: 1.5,
    };
    expect(body).toEqual({ data: [expected], total: 1, limit: 3, offset: 0, errors: null });
  });

  it('pages with limit and offset and reports the total of matches', async () => {
    const records = [1, 2, 3, 4, 5].map((m) => accessLog({ startUs: NOW_US - m * MINUTE_US }));
    await write(...records);
    const all = idsOf(...records);
    let res = await get('/api/v1/accesslogs?limit=2&offset=1');
    expect(res.body).toMatchObject({ total: 5, limit: 2, offset: 1 });
    expect(res.body.data?.map((r) => r.id)).toEqual(all.slice(1, 3));
    res = await get('/api/v1/accesslogs?offset=3');
    expect(res.body).toMatchObject({ total: 5, limit: 3, offset: 3 });
    expect(res.body.data?.map((r) => r.id)).toEqual(all.slice(3));
    res = await get('/api/v1/accesslogs?limit=0');
    expect(res.body.limit).toBe(3);
  });

  it('answers an empty result with an empty list', async () => {
    expect((await get('/api/v1/accesslogs')).body).toEqual({ data: [], total: 0, limit: 3, offset: 0, errors: null });
  });

  it('answers 500 in the envelope when the store fails', async () => {
    await app.close();
    const failing: AccessLogReader = {
      findAccessLogs: () => Promise.reject(new Error('elasticsearch down')),
      getAccessLogEdges: () => Promise.resolve([]),
    };
    await serve(failing);
    const { status, body } = await get('/api/v1/accesslogs');
    expect(status).toBe(500);
    // The store's own text stays in the log.
    expect(body.errors?.[0]).toEqual({ code: 500, msg: BACKEND_ERROR_MESSAGE });
  });
});

describe('GET /api/v1/accesslogs: bad parameters', () => {
  it.each([
    ['start=yesterday', 'start'],
    [`start=${NOW_US}&end=${NOW_US - 1}`, 'start'],
    ['end=1.5', 'end'],
    ['lookback=1d', 'lookback'],
    ['lookback=-1h', 'lookback'],
    ['limit=11', 'limit'],
    ['limit=-1', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=51', 'offset'],
    ['responseCode=5x', 'responseCode'],
    ['responseCode=6xx', 'responseCode'],
    ['responseCode=server-error', 'responseCode'],
    ['responseFlags=UH,URX', 'responseFlags'],
    ['minDuration=5', 'minDuration'],
    ['minDuration=-1s', 'minDuration'],
    ['traceID=not-hex', 'traceID'],
    ['reporter=sidecar', 'reporter'],
    ['kind=udp', 'kind'],
    ['protocol=udp', 'protocol'],
    // A misspelled filter would otherwise return everything.
    ['destinationSevice=reviews', 'destinationSevice'],
    ['limit=5&trace=abc', 'trace'],
  ])('refuses %s with a 400 naming %s', async (params, name) => {
    expect(await badRequest(`/api/v1/accesslogs?${params}`)).toContain(`'${name}'`);
  });
});

describe('GET /api/traces/:traceID/accesslogs', () => {
  it("lists a trace's access logs, both sidecars of each hop, newest first", async () => {
    const out = accessLog({ traceId: TRACE, startUs: NOW_US - 2 * DAY_US, reporter: 'source' });
    const inb = accessLog({ traceId: TRACE, startUs: NOW_US - 2 * DAY_US + 100, reporter: 'destination' });
    const other = accessLog({ traceId: traceIdOf(9), startUs: NOW_US - 2 * DAY_US });
    await write(out, inb, other);
    const { status, body } = await get(`/api/traces/${TRACE}/accesslogs`);
    expect(status).toBe(200);
    expect(body.data?.map((r) => r.id)).toEqual(idsOf(inb, out));
    expect(body).toMatchObject({ total: 2, limit: 10, offset: 0, errors: null });
  });

  it('looks around a start/end hint (µs or ms) and within the last 7 days without one', async () => {
    const startUs = NOW_US - 30 * DAY_US;
    const old = accessLog({ traceId: TRACE, startUs });
    await write(old);
    expect((await get(`/api/traces/${TRACE}/accesslogs`)).body.data).toEqual([]);
    expect((await get(`/api/traces/${TRACE}/accesslogs?start=${startUs}&end=${startUs + 1000}`)).body.data?.map((r) => r.id)).toEqual(idsOf(old));
    expect((await get(`/api/traces/${TRACE}/accesslogs?start=${startUs / 1000}`)).body.data?.map((r) => r.id)).toEqual(idsOf(old));
  });

  it('refuses a malformed trace id with a 400', async () => {
    expect(await badRequest('/api/traces/xyz/accesslogs')).toContain(`'traceID'`);
  });
});

describe('mounted beside the Jaeger API', () => {
  it('keeps its routes and leaves /api/traces/:traceID to Jaeger', async () => {
    await app.close();
    app = Fastify();
    const spans = new MemorySpanStore({ maxSpans: 100, maxBytes: 1e7 });
    await spans.writeSpans([span({ traceId: TRACE, startUs: NOW_US - MINUTE_US })]);
    await app.register(jaegerApi, { reader: spans, defaultLimit: 3, maxLimit: 10, nowMs: () => NOW_MS });
    await app.register(accessLogApi, { reader: store, defaultLimit: 3, maxLimit: 10, nowMs: () => NOW_MS });
    await app.ready();
    await write(accessLog({ traceId: TRACE, startUs: NOW_US - MINUTE_US }));

    expect((await get('/api/v1/accesslogs')).body.data).toHaveLength(1);
    expect((await get(`/api/traces/${TRACE}/accesslogs`)).body.data).toHaveLength(1);
    const trace = await app.inject({ method: 'GET', url: `/api/traces/${TRACE}` });
    expect(trace.statusCode).toBe(200);
    expect(trace.json<{ data: Array<{ traceID: string }> }>().data[0]?.traceID).toBe(TRACE);
    // A bad parameter still gets this API's message, not Jaeger's.
    expect(await badRequest('/api/v1/accesslogs?responseCode=abc')).toContain(`'responseCode'`);
  });
});

describe('rfc3339Nano', () => {
  it('prints nine fraction digits in UTC, also before 1970', () => {
    expect(rfc3339Nano(1_767_225_600_000_000_001n)).toBe('2026-01-01T00:00:00.000000001Z');
    expect(rfc3339Nano(0n)).toBe('1970-01-01T00:00:00.000000000Z');
    expect(rfc3339Nano(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });
});
