/**
 * Answers of the query APIs over the memory stores for the fixed golden trace and access logs,
 * whole, against golden files: the Jaeger API (services, operations, a trace by id, a search,
 * dependencies, a missing trace) and the access-log API. A change to what a client receives shows
 * in the diff; `npm run golden:update` rewrites the files when it is intended.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLogApi } from '../../services/query/accesslogs/accesslog-api.js';
import { jaegerApi } from '../../services/query/jaeger/jaeger-api.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { GOLDEN_START_US, GOLDEN_TRACE_ID, goldenAccessLogs, goldenTrace } from '../fixtures/golden-trace.js';
import { expectGolden } from '../support/golden.js';

/** The APIs' clock: an hour after the fixture started, so default windows include it. */
const NOW_MS = GOLDEN_START_US / 1000 + 3_600_000;
const WINDOW = `start=${GOLDEN_START_US - 60_000_000}&end=${GOLDEN_START_US + 60_000_000}`;

let app: FastifyInstance;

beforeAll(async () => {
  const spans = new MemorySpanStore({ maxSpans: 1000, maxBytes: 16 * 1024 * 1024 });
  await spans.writeSpans(goldenTrace());
  const accessLogs = new MemoryAccessLogStore({ maxRecords: 1000 });
  await accessLogs.writeAccessLogs(goldenAccessLogs());
  app = Fastify();
  await app.register(accessLogApi, { reader: accessLogs, defaultLimit: 20, maxLimit: 100, maxOffset: 1000, nowMs: () => NOW_MS });
  await app.register(jaegerApi, { reader: spans, defaultLimit: 20, maxLimit: 100, nowMs: () => NOW_MS });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

/** Status and parsed body of a GET (the body re-serialized by the golden helper, key order kept). */
async function answer(url: string): Promise<{ status: number; body: unknown }> {
  const res = await app.inject({ method: 'GET', url });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return { status: res.statusCode, body: res.json<unknown>() };
}

describe('Jaeger API answers (golden)', () => {
  const cases: Array<[string, string]> = [
    ['services', '/api/services'],
    ['service-operations', '/api/services/frontend/operations'],
    ['operations', '/api/operations?service=frontend'],
    ['trace', `/api/traces/${GOLDEN_TRACE_ID}`],
    ['trace-missing', '/api/traces/0000000000000000000000000000beef'],
    ['search', `/api/traces?service=frontend&${WINDOW}&limit=5`],
    ['search-by-tag', `/api/traces?service=cart&tags=${encodeURIComponent('{"http.response.status_code":"503"}')}&${WINDOW}`],
    ['dependencies', `/api/dependencies?endTs=${NOW_MS}&lookback=${2 * 3_600_000}`],
  ];
  for (const [name, url] of cases) {
    it(`${name}: ${url.split('?')[0]}`, async () => {
      expectGolden(`jaeger-api/${name}`, await answer(url));
    });
  }
});

describe('access-log API answers (golden)', () => {
  it('search: /api/v1/accesslogs', async () => {
    expectGolden('accesslog-api/search', await answer(`/api/v1/accesslogs?${WINDOW}`));
  });
});
