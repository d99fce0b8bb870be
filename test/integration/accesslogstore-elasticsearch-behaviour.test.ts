/**
 * What the Elasticsearch access-log store does beyond the shared contract, on a real
 * Elasticsearch: its template, daily indices, which indices a read touches, `_id` = record id,
 * refused documents, and pages beyond Elasticsearch's result window.
 */
import { describe, expect, it } from 'vitest';
import type { AccessLogQuery } from '../../shared/storage/accesslogstore.js';
import type { ElasticsearchAccessLogStoreOptions } from '../../shared/storage/elasticsearch/accesslog-options.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { accessLog } from '../fixtures/access-logs.js';
import { dropAccessLogPrefix } from './accesslogstore-elasticsearch-support.js';
import { setUpElasticsearchStoreTests } from './elasticsearch-store-test-setup.js';
import { metricValue } from './spanstore-elasticsearch-support.js';

const us = (iso: string) => Date.parse(iso) * 1000;
const HOUR_US = 3_600_000_000;
const DAY_A_NOON = us('2025-12-31T12:00:00Z');
const DAY_B_NOON = us('2026-01-01T12:00:00Z');

const { admin, newStore, countDocs } = setUpElasticsearchStoreTests<ElasticsearchAccessLogStore, ElasticsearchAccessLogStoreOptions>({
  label: 'al',
  create: (options) => new ElasticsearchAccessLogStore(options),
  dropPrefix: dropAccessLogPrefix,
});

const dayWindow = (noonUs: number, q: Partial<AccessLogQuery> = {}): AccessLogQuery => ({
  startTimeMinUs: noonUs - HOUR_US,
  startTimeMaxUs: noonUs + HOUR_US,
  limit: 100,
  offset: 0,
  ...q,
});

describe('index template', () => {
  it('installs its template at start, idempotently, mapping the queried fields by type', async () => {
    const { store, prefix } = newStore();
    expect(await store.isReady()).toBe(false);
    await store.start();
    await store.start();
    await newStore({ indexPrefix: prefix }).store.start();
    expect(await store.isReady()).toBe(true);

    const { index_templates } = await admin.indices.getIndexTemplate({ name: `${prefix}-accesslogs` });
    expect(index_templates).toHaveLength(1);
    const template = index_templates[0]!.index_template;
    expect(template.index_patterns).toEqual([`${prefix}-accesslogs-*`]);
    const props = template.template?.mappings?.properties ?? {};
    for (const field of ['sourceWorkload', 'destinationNamespace', 'destinationService', 'responseFlags', 'reporter', 'traceId', 'kind']) {
      expect(props[field]?.type, field).toBe('keyword');
    }
    expect(props.responseCode?.type).toBe('integer');
    for (const field of ['durationUs', 'startTimeUs', 'bytesSent']) expect(props[field]?.type, field).toBe('long');
  });

  it('refuses to write before start, so no daily index is created without its mapping', async () => {
    const { store, prefix } = newStore();
    await expect(store.writeAccessLogs([accessLog({ startUs: DAY_A_NOON })])).rejects.toThrow(/before start/);
    expect(Object.keys(await admin.indices.get({ index: `${prefix}-*`, allow_no_indices: true }))).toEqual([]);
  });
});

describe('daily indices', () => {
  it('writes each record to <prefix>-accesslogs-YYYY.MM.DD of its UTC start day, either side of midnight', async () => {
    const { store, prefix } = newStore();
    await store.start();
    const before = accessLog({ startTimeUnixNano: BigInt(us('2025-12-31T23:59:59.999Z')) * 1000n + 999_999n });
    const after = accessLog({ startUs: us('2026-01-01T00:00:00Z') });
    expect(await store.writeAccessLogs([before, after])).toEqual([]);
    expect(await countDocs(`${prefix}-accesslogs-2025.12.31`)).toBe(1);
    expect(await countDocs(`${prefix}-accesslogs-2026.01.01`)).toBe(1);
  });

  it("reads only the asked days' indices: a blocked neighbouring day does not disturb them", async () => {
    const { store, prefix } = newStore();
    await store.start();
    const a = accessLog({ startUs: DAY_A_NOON, requestId: 'r-a' });
    const b = accessLog({ startUs: DAY_B_NOON, requestId: 'r-b' });
    await store.writeAccessLogs([a, b]);
    await store.refresh();

    const dayB = `${prefix}-accesslogs-2026.01.01`;
    await admin.indices.addBlock({ index: dayB, block: 'read' });
    try {
      expect((await store.findAccessLogs(dayWindow(DAY_A_NOON))).records.map((r) => r.id)).toEqual([a.id]);
      expect(await store.getAccessLogEdges((DAY_A_NOON + HOUR_US) / 1000, 2 * 3600_000)).toEqual([
        { parent: 'productpage-v1', child: 'reviews', callCount: 1 },
      ]);
      expect(store.accessLogIndicesFor(DAY_A_NOON - HOUR_US, DAY_A_NOON + HOUR_US)).toEqual([`${prefix}-accesslogs-2025.12.31`]);
      // The block is real: a read that names day B fails.
      await expect(store.findAccessLogs(dayWindow(DAY_A_NOON, { startTimeMaxUs: DAY_B_NOON }))).rejects.toThrow(/block/);
    } finally {
      await admin.indices.putSettings({ index: dayB, settings: { 'index.blocks.read': false } });
    }
  });
});

describe('document ids', () => {
  it('stores a redelivered record as one document whose _id is the record id, keeping only the record in _source', async () => {
    const { store, prefix } = newStore();
    await store.start();
    const records = [1, 2, 3].map((n) => accessLog({ startUs: DAY_A_NOON + n }));
    await store.writeAccessLogs(records);
    await store.writeAccessLogs(records);
    const index = `${prefix}-accesslogs-2025.12.31`;
    expect(await countDocs(index)).toBe(3);
    const doc = await admin.get<Record<string, unknown>>({ index, id: records[0]!.id });
    expect(doc._version).toBe(2);
    expect(Object.keys(doc._source ?? {})).toEqual(['record']);
  });
});

describe('bulk failures', () => {
  it('returns a record its index cannot map as rejected and stores the rest of the batch', async () => {
    const { store, metrics } = newStore();
    await store.start();
    // 2^40 does not fit the `integer` responseCode: Elasticsearch refuses that document only.
    const bad = accessLog({ startUs: DAY_A_NOON, responseCode: 2 ** 40 });
    const good = accessLog({ startUs: DAY_A_NOON + 1 });
    const rejected = await store.writeAccessLogs([bad, good]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.record).toBe(bad);
    expect(rejected[0]!.reason).toMatch(/document_parsing_exception|mapper_parsing_exception/);
    await store.refresh();
    expect((await store.findAccessLogs(dayWindow(DAY_A_NOON))).records.map((r) => r.id)).toEqual([good.id]);
    expect(await metricValue(metrics.esBulkItems, { signal: 'accesslogs', result: 'rejected' })).toBe(1);
    expect(await metricValue(metrics.accessLogsWritten, { store: 'elasticsearch' })).toBe(1);
  });
});

describe('deep pages', () => {
  it('pages beyond the 10 000-hit result window, in the same order as the first pages', async () => {
    const { store } = newStore({ bulkMaxDocs: 5000 });
    await store.start();
    const records = Array.from({ length: 10_010 }, (_, i) => accessLog({ startUs: DAY_A_NOON + i, responseCode: i % 2 === 0 ? 200 : 503 }));
    expect(await store.writeAccessLogs(records)).toEqual([]);
    await store.refresh();
    const newestFirst = records.map((r) => r.id).reverse();

    const deep = await store.findAccessLogs(dayWindow(DAY_A_NOON, { offset: 9_998, limit: 5 }));
    expect(deep.total).toBe(10_010);
    expect(deep.records.map((r) => r.id)).toEqual(newestFirst.slice(9_998, 10_003));

    const tail = await store.findAccessLogs(dayWindow(DAY_A_NOON, { offset: 10_008, limit: 5 }));
    expect(tail.records.map((r) => r.id)).toEqual(newestFirst.slice(10_008));
    expect((await store.findAccessLogs(dayWindow(DAY_A_NOON, { offset: 20_000, limit: 5 }))).records).toEqual([]);
  });
});
