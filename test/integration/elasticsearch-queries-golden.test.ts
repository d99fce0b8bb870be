/**
 * The search requests the Elasticsearch readers send, whole, against golden files: each read of
 * the span and access-log readers runs against the real Elasticsearch holding the golden trace and
 * access logs, and every request the client sends is captured from its `request` diagnostic event
 * (method, path with the test's index prefix replaced by `<prefix>`, query string, parsed body).
 * A change to a query, an aggregation, a sort or the indices a read names shows in the golden
 * file's diff; `npm run golden:update` rewrites the files when it is intended.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '../../shared/model/span.js';
import { ElasticsearchAccessLogReader } from '../../shared/storage/elasticsearch/accesslog-reader.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchSpanReader } from '../../shared/storage/elasticsearch/reader.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { GOLDEN_START_US, GOLDEN_TRACE_ID, goldenAccessLogs, goldenTrace } from '../fixtures/golden-trace.js';
import { expectGolden } from '../support/golden.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { dropAccessLogPrefix } from './accesslogstore-elasticsearch-support.js';
import { uniquePrefix } from './spanstore-elasticsearch-support.js';

const prefix = uniquePrefix('golden');
const MINUTE_US = 60_000_000;
const START_MS = GOLDEN_START_US / 1000;

interface SentRequest {
  method: string;
  path: string;
  querystring: Record<string, string>;
  body: unknown;
}

const client = new Client({ node: ES_URL });
let sent: SentRequest[] = [];
client.diagnostic.on('request', (_err, result) => {
  const params = result?.meta.request.params;
  if (!params) return;
  const body = typeof params.body === 'string' && params.body !== '' ? (JSON.parse(params.body) as unknown) : null;
  sent.push({
    method: params.method,
    path: params.path.split(prefix).join('<prefix>'),
    querystring: Object.fromEntries([...new URLSearchParams(params.querystring ?? '')].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    body,
  });
});

/** Runs a read and returns its result with the requests it sent. */
async function capture<T>(read: () => Promise<T>): Promise<{ result: T; requests: SentRequest[] }> {
  sent = [];
  const result = await read();
  const requests = sent;
  sent = [];
  return { result, requests };
}

const spans = new ElasticsearchSpanReader({ client, indexPrefix: prefix, traceLookaroundMs: 3_600_000 });
const accessLogs = new ElasticsearchAccessLogReader({ client, indexPrefix: prefix });

beforeAll(async () => {
  await ensureServers(['elasticsearch']);
  const spanStore = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0, refresh: 'wait_for' });
  const accessLogStore = new ElasticsearchAccessLogStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0, refresh: 'wait_for' });
  try {
    await spanStore.start();
    await accessLogStore.start();
    expect(await spanStore.writeSpans(goldenTrace())).toEqual([]);
    expect(await accessLogStore.writeAccessLogs(goldenAccessLogs())).toEqual([]);
    await spanStore.refresh();
    await accessLogStore.refresh();
  } finally {
    await spanStore.stop();
    await accessLogStore.stop();
  }
});

afterAll(async () => {
  await dropAccessLogPrefix(client, prefix);
  await client.close();
});

describe('span reader queries (golden)', () => {
  it('getTrace without a hint searches every spans index for the trace id', async () => {
    const { result, requests } = await capture(() => spans.getTrace(GOLDEN_TRACE_ID));
    expect(result).toHaveLength(3);
    expectGolden('elasticsearch-queries/get-trace', requests);
  });

  it('getTrace with a time hint names only the days around it', async () => {
    const { result, requests } = await capture(() =>
      spans.getTrace(GOLDEN_TRACE_ID, { startTimeUs: GOLDEN_START_US, endTimeUs: GOLDEN_START_US + MINUTE_US }),
    );
    expect(result).toHaveLength(3);
    expectGolden('elasticsearch-queries/get-trace-with-hint', requests);
  });

  it('getServices and getOperations aggregate the services indices', async () => {
    const services = await capture(() => spans.getServices());
    expect(services.result).toEqual(['cart', 'frontend']);
    const operations = await capture(() => spans.getOperations({ service: 'frontend' }));
    expect(operations.result).toHaveLength(2);
    const clientOperations = await capture(() => spans.getOperations({ service: 'frontend', spanKind: SpanKind.CLIENT }));
    expect(clientOperations.result).toEqual([{ name: 'POST /cart/items', spanKind: SpanKind.CLIENT }]);
    expectGolden('elasticsearch-queries/services-and-operations', {
      getServices: services.requests,
      getOperations: operations.requests,
      getOperationsOfKind: clientOperations.requests,
    });
  });

  it('findTraces: trace ids by latest matching span, then their spans', async () => {
    const { result, requests } = await capture(() =>
      spans.findTraces({
        service: 'cart',
        operation: 'POST /cart/items',
        tags: { 'http.response.status_code': '503', 'cart.gift': 'false' },
        startTimeMinUs: GOLDEN_START_US - 10 * MINUTE_US,
        startTimeMaxUs: GOLDEN_START_US + 10 * MINUTE_US,
        durationMinUs: 1_000,
        durationMaxUs: 60_000,
        limit: 20,
      }),
    );
    expect(result.map((trace) => trace.length)).toEqual([3]);
    expectGolden('elasticsearch-queries/find-traces', requests);
  });

  it('getDependencies scans doc values of the window and a margin before it', async () => {
    const { result, requests } = await capture(() => spans.getDependencies(START_MS + 3_600_000, 2 * 3_600_000));
    expect(result).toEqual([{ parent: 'frontend', child: 'cart', callCount: 1 }]);
    expectGolden('elasticsearch-queries/get-dependencies', requests);
  });
});

describe('access-log reader queries (golden)', () => {
  const window = { startTimeMinUs: GOLDEN_START_US - 10 * MINUTE_US, startTimeMaxUs: GOLDEN_START_US + 10 * MINUTE_US };

  it('findAccessLogs with every filter, one page', async () => {
    const { result, requests } = await capture(() =>
      accessLogs.findAccessLogs({
        ...window,
        kinds: ['http'],
        sourceWorkload: 'frontend-v1',
        sourceNamespace: 'shop',
        destinationWorkload: 'cart-v2',
        destinationNamespace: 'shop',
        destinationService: 'cart',
        responseCodeClass: 5,
        responseFlag: 'UF',
        minDurationUs: 1_000,
        traceId: GOLDEN_TRACE_ID,
        reporter: 'source',
        limit: 10,
        offset: 0,
      }),
    );
    expect(result.records.map((r) => r.id)).toEqual(['6b1c0e8a27f4d3955a0c2e71b98f4d10']);
    expectGolden('elasticsearch-queries/find-accesslogs', requests);
  });

  it('findAccessLogs past the result window walks there with search_after', async () => {
    const { result, requests } = await capture(() =>
      accessLogs.findAccessLogs({ ...window, responseCode: 503, limit: 5, offset: 10_000 }),
    );
    expect(result).toEqual({ records: [], total: 2 });
    expectGolden('elasticsearch-queries/find-accesslogs-deep-page', requests);
  });

  it('getAccessLogEdges: one composite aggregation over the edge fields', async () => {
    const { result, requests } = await capture(() => accessLogs.getAccessLogEdges(START_MS + 3_600_000, 2 * 3_600_000));
    expect(result.length).toBeGreaterThan(0);
    expectGolden('elasticsearch-queries/get-accesslog-edges', requests);
  });
});
