/**
 * What the Elasticsearch span store does beyond the shared contract, on a real Elasticsearch:
 * templates, daily indices, which indices a read touches, idempotent ids, and how each kind of
 * bulk failure ends (stored, returned for dead-lettering, or the whole write rejected).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import { BulkWriteError } from '../../shared/storage/elasticsearch/bulk.js';
import { spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import type { ElasticsearchSpanStoreOptions } from '../../shared/storage/elasticsearch/options.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { type MeshtelMetrics } from '../support/metrics.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';
import { ES_URL } from '../support/servers.js';
import { setUpElasticsearchStoreTests } from './elasticsearch-store-test-setup.js';
import { dropIndexPrefix, metricValue } from './spanstore-elasticsearch-support.js';

const us = (iso: string) => Date.parse(iso) * 1000;
const HOUR_US = 3_600_000_000;
/** Noon on two consecutive UTC days, far enough from midnight that a ±1 h look-around stays in the day. */
const DAY_A_NOON = us('2025-12-31T12:00:00Z');
const DAY_B_NOON = us('2026-01-01T12:00:00Z');

const { admin, newStore, countDocs } = setUpElasticsearchStoreTests<ElasticsearchSpanStore, ElasticsearchSpanStoreOptions>({
  label: 'es',
  create: (options) => new ElasticsearchSpanStore(options),
  dropPrefix: dropIndexPrefix,
});

const bulkRequests = (metrics: MeshtelMetrics) =>
  metricValue(metrics.esBulkDuration, { signal: 'spans' }, 'meshtel_es_bulk_duration_seconds_count');

describe('index templates', () => {
  it('installs its templates at start, idempotently: a second start and a second store change nothing', async () => {
    const { store, prefix } = newStore({ replicas: 0, shards: 1 });
    expect(await store.isReady()).toBe(false);
    await store.start();
    await store.start();
    const other = newStore({ indexPrefix: prefix }).store;
    await other.start();
    expect(await store.isReady()).toBe(true);

    const { index_templates } = await admin.indices.getIndexTemplate({ name: `${prefix}-*` });
    expect(index_templates.map((t) => t.name).sort()).toEqual([`${prefix}-services`, `${prefix}-spans`]);
    const spans = index_templates.find((t) => t.name === `${prefix}-spans`)!.index_template;
    expect(spans.index_patterns).toEqual([`${prefix}-spans-*`]);
    expect(spans.template?.settings?.index?.number_of_replicas).toBe('0');

    // The template shapes the first daily index: exact keywords, tags searchable, the stored span opaque.
    await store.writeSpans([span({ traceId: traceIdOf(1), startUs: DAY_A_NOON })]);
    const mapping = await admin.indices.getMapping({ index: `${prefix}-spans-2025.12.31` });
    const props = Object.values(mapping)[0]!.mappings.properties!;
    expect(props.traceId).toEqual({ type: 'keyword' });
    expect(props.tags).toMatchObject({ type: 'keyword' });
    expect(props.span).toMatchObject({ type: 'object', enabled: false });
    expect(props.startTimeUs).toEqual({ type: 'long' });

    await store.stop();
    expect(await store.isReady()).toBe(false);
  });

  it('refuses to write before start, so no daily index is created without its mapping', async () => {
    const { store, prefix } = newStore();
    await expect(store.writeSpans([span({ startUs: DAY_A_NOON })])).rejects.toThrow(/before start/);
    expect(Object.keys(await admin.indices.get({ index: `${prefix}-*`, allow_no_indices: true }))).toEqual([]);
  });
});

describe('daily indices', () => {
  it('writes each span to the index of its UTC start day, on both sides of midnight', async () => {
    const { store, prefix } = newStore();
    await store.start();
    const before = span({ traceId: traceIdOf(1), startUs: us('2025-12-31T23:59:59.999Z') + 999 });
    const after = span({ traceId: traceIdOf(1), startUs: us('2026-01-01T00:00:00Z'), service: 'cart' });
    expect(await store.writeSpans([before, after])).toEqual([]);

    expect(await countDocs(`${prefix}-spans-2025.12.31`)).toBe(1);
    expect(await countDocs(`${prefix}-spans-2026.01.01`)).toBe(1);
    expect(await countDocs(`${prefix}-services-2025.12.31`)).toBe(1);
    expect(await countDocs(`${prefix}-services-2026.01.01`)).toBe(1);
    expect((await store.getTrace(traceIdOf(1))).map((s) => s.serviceName).sort()).toEqual(['cart', 'frontend']);
  });

  it("reads only the asked days' indices: a blocked neighbouring day does not disturb them", async () => {
    const { store, prefix } = newStore();
    await store.start();
    const a = span({ traceId: traceIdOf(1), spanId: spanIdOf(1), startUs: DAY_A_NOON });
    const aChild = span({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), service: 'cart', startUs: DAY_A_NOON + 10 });
    const b = span({ traceId: traceIdOf(2), startUs: DAY_B_NOON });
    await store.writeSpans([a, aChild, b]);
    await store.refresh();

    const dayB = `${prefix}-spans-2026.01.01`;
    await admin.indices.addBlock({ index: dayB, block: 'read' });
    try {
      const dayAWindow = { tags: {}, startTimeMinUs: DAY_A_NOON - HOUR_US, startTimeMaxUs: DAY_A_NOON + HOUR_US, limit: 10 };
      expect((await store.findTraces(dayAWindow)).map((t) => t[0]!.traceId)).toEqual([traceIdOf(1)]);
      expect(await store.getTrace(traceIdOf(1), { startTimeUs: DAY_A_NOON - 60_000_000, endTimeUs: DAY_A_NOON + 60_000_000 })).toHaveLength(2);
      expect(await store.getDependencies((DAY_A_NOON + HOUR_US) / 1000, 2 * 3600_000)).toEqual([{ parent: 'frontend', child: 'cart', callCount: 1 }]);
      expect(store.spanIndicesFor(dayAWindow.startTimeMinUs, dayAWindow.startTimeMaxUs)).toEqual([`${prefix}-spans-2025.12.31`]);

      // The block is real: a read that names day B fails.
      await expect(store.findTraces({ ...dayAWindow, startTimeMaxUs: DAY_B_NOON + HOUR_US })).rejects.toThrow(/block/);
    } finally {
      await admin.indices.putSettings({ index: dayB, settings: { 'index.blocks.read': false } });
    }
  });
});

describe('document ids', () => {
  it('keeps one document, overwritten, when the same spans are delivered twice', async () => {
    const { store, prefix } = newStore();
    await store.start();
    const spans = [1, 2, 3].map((n) => span({ traceId: traceIdOf(1), spanId: spanIdOf(n), startUs: DAY_A_NOON + n }));
    await store.writeSpans(spans);
    await store.writeSpans(spans);
    const index = `${prefix}-spans-2025.12.31`;
    expect(await countDocs(index)).toBe(3);
    const doc = await admin.get({ index, id: spanDocumentId(spans[0]!) });
    expect(doc._version).toBe(2);
  });

  it('keeps the client and server halves of a shared span id as two documents', async () => {
    const { store, prefix } = newStore();
    await store.start();
    const client = span({ traceId: traceIdOf(1), spanId: spanIdOf(7), service: 'frontend', kind: SpanKind.CLIENT, startUs: DAY_A_NOON });
    const server = span({ traceId: traceIdOf(1), spanId: spanIdOf(7), service: 'cart', kind: SpanKind.SERVER, startUs: DAY_A_NOON + 1 });
    await store.writeSpans([client, server]);
    expect(await countDocs(`${prefix}-spans-2025.12.31`)).toBe(2);
  });
});

describe('bulk failures', () => {
  it('returns a span its index cannot map as rejected and stores the rest of the batch', async () => {
    const { store, prefix, metrics } = newStore();
    await store.start();
    // A day index whose `name` is numeric (as a hand-made or foreign index might have it): the
    // template supplies every other field, and a non-numeric operation name cannot be indexed.
    await admin.indices.create({ index: `${prefix}-spans-2025.12.30`, mappings: { properties: { name: { type: 'long' } } } });
    const dayBefore = us('2025-12-30T12:00:00Z');
    const bad = span({ traceId: traceIdOf(1), spanId: spanIdOf(1), name: 'GET /cart', startUs: dayBefore });
    const numeric = span({ traceId: traceIdOf(1), spanId: spanIdOf(2), name: '42', startUs: dayBefore });
    const otherDay = span({ traceId: traceIdOf(1), spanId: spanIdOf(3), startUs: DAY_A_NOON });

    const rejected = await store.writeSpans([bad, numeric, otherDay]);

    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.span).toBe(bad);
    expect(rejected[0]!.reason).toMatch(/document_parsing_exception|mapper_parsing_exception/);
    await store.refresh();
    expect((await store.getTrace(traceIdOf(1))).map((s) => s.spanId).sort()).toEqual([spanIdOf(2), spanIdOf(3)]);
    expect(await metricValue(metrics.esBulkItems, { result: 'rejected' })).toBe(1);
    expect(await metricValue(metrics.spansWritten, { store: 'elasticsearch' })).toBe(2);
  });

  it('rejects the whole write, dead-lettering nothing, while the cluster blocks writes to the index', async () => {
    const { store, prefix } = newStore();
    await store.start();
    await store.writeSpans([span({ traceId: traceIdOf(1), startUs: DAY_A_NOON })]);
    const index = `${prefix}-spans-2025.12.31`;
    await admin.indices.addBlock({ index, block: 'write' });
    try {
      const write = store.writeSpans([span({ traceId: traceIdOf(2), startUs: DAY_A_NOON })]);
      await expect(write).rejects.toBeInstanceOf(BulkWriteError);
      await expect(write).rejects.toThrow(/cluster_block_exception/);
    } finally {
      await admin.indices.putSettings({ index, settings: { 'index.blocks.write': false } });
    }
  });

  it('retries through a connection outage and stores the spans once Elasticsearch is reachable again', async () => {
    const proxy = await tcpProxy(Number(new URL(ES_URL).port || 9200));
    try {
      const { store, prefix, metrics } = newStore({
        node: `http://127.0.0.1:${proxy.port}`,
        retryMaxAttempts: 20,
        retryInitialBackoffMs: 100,
        retryMaxBackoffMs: 200,
      });
      await store.start();
      await proxy.down();
      const write = store.writeSpans([span({ traceId: traceIdOf(1), startUs: DAY_A_NOON })]);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await proxy.up();
      expect(await write).toEqual([]);
      expect(await countDocs(`${prefix}-spans-2025.12.31`)).toBe(1);
      expect(await metricValue(metrics.esBulkFailures, { reason: 'connection' })).toBeGreaterThan(0);
    } finally {
      await proxy.down();
    }
  });

  it('rejects the write when Elasticsearch stays unreachable beyond the retries', async () => {
    const proxy = await tcpProxy(Number(new URL(ES_URL).port || 9200));
    try {
      const { store, metrics } = newStore({
        node: `http://127.0.0.1:${proxy.port}`,
        retryMaxAttempts: 3,
        retryInitialBackoffMs: 50,
        retryMaxBackoffMs: 50,
      });
      await store.start();
      await proxy.down();
      await expect(store.writeSpans([span({ startUs: DAY_A_NOON })])).rejects.toThrow(/after 3 attempts/);
      expect(await metricValue(metrics.esBulkFailures, { reason: 'connection' })).toBe(3);
    } finally {
      await proxy.down();
    }
  });
});

describe('bulk batching', () => {
  it('splits a large write into requests of at most bulkMaxSpans documents', async () => {
    const { store, prefix, metrics } = newStore({ bulkMaxSpans: 10 });
    await store.start();
    const spans = Array.from({ length: 95 }, (_, n) => span({ traceId: traceIdOf(n + 1), startUs: DAY_A_NOON + n }));
    expect(await store.writeSpans(spans)).toEqual([]);
    // 95 spans + 1 services document (one service, operation and kind) = 96 documents.
    expect(await bulkRequests(metrics)).toBe(10);
    expect(await countDocs(`${prefix}-spans-2025.12.31`)).toBe(95);
  });

  it('splits by bytes when documents are large', async () => {
    const { store, prefix, metrics } = newStore({ bulkMaxSpans: 1000, bulkMaxBytes: 20_000 });
    await store.start();
    const spans = Array.from({ length: 40 }, (_, n) => span({ traceId: traceIdOf(n + 1), startUs: DAY_A_NOON, attrs: { payload: 'x'.repeat(2000) } }));
    expect(await store.writeSpans(spans)).toEqual([]);
    // Each document holds the payload twice (tag term and stored span), ~4.5 KB: 4 per request.
    expect(await bulkRequests(metrics)).toBeGreaterThanOrEqual(9);
    expect(await countDocs(`${prefix}-spans-2025.12.31`)).toBe(40);
  });

  it('sends concurrent small writes together in one bulk request', async () => {
    const { store, metrics } = newStore({ flushIntervalMs: 200 });
    await store.start();
    const writes = [1, 2, 3, 4, 5].map((n) => store.writeSpans([span({ traceId: traceIdOf(n), startUs: DAY_A_NOON }), span({ traceId: traceIdOf(n), startUs: DAY_A_NOON })]));
    expect(await Promise.all(writes)).toEqual([[], [], [], [], []]);
    expect(await bulkRequests(metrics)).toBe(1);
  });

  it('sends queued spans when stopped instead of waiting for the flush interval', async () => {
    const { store, prefix } = newStore({ flushIntervalMs: 600_000 });
    await store.start();
    let settled: SpanRecord[] | undefined;
    const spans = [span({ traceId: traceIdOf(1), startUs: DAY_A_NOON })];
    const write = store.writeSpans(spans).then((r) => {
      settled = r.map((x) => x.span);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBeUndefined();
    await store.stop();
    await write;
    expect(settled).toEqual([]);
    expect(await countDocs(`${prefix}-spans-2025.12.31`)).toBe(1);
  });
});

/** A TCP pass-through to Elasticsearch that a test can take down (connections refused) and bring back. */
async function tcpProxy(targetPort: number): Promise<{ port: number; down(): Promise<void>; up(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = createServer((downstream) => {
        const upstream = connect(targetPort, '127.0.0.1');
        sockets.add(downstream).add(upstream);
        const drop = () => {
          downstream.destroy();
          upstream.destroy();
          sockets.delete(downstream);
          sockets.delete(upstream);
        };
        for (const sock of [downstream, upstream]) sock.on('error', drop).on('close', drop);
        downstream.pipe(upstream).pipe(downstream);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
      server = s;
    });
  const port = await listen(0);
  return {
    port,
    async down() {
      const s = server;
      server = undefined;
      if (!s) return;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      for (const sock of sockets) sock.destroy();
      sockets.clear();
      await closed;
    },
    async up() {
      await listen(port);
    },
  };
}
