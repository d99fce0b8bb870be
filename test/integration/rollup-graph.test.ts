/**
 * Mesh-graph roll-ups on both stores (memory; Elasticsearch with a unique index prefix): the
 * roll-up job stores per-hour (and per-day) graph edge partials idempotently, /api/v1/graph over
 * roll-ups plus the live ends answers exactly as the all-live graph over a multi-hour window (both
 * levels, with and without a namespace), and a report arriving within the lateness is counted.
 * Traffic is the bookinfo mesh fixture replayed at fixed offsets from the current UTC hour, each
 * replay with its own request and trace ids and none straddling an hour boundary.
 */
import { Client } from '@elastic/elasticsearch';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_THRESHOLDS, type EdgePartial, type GraphLevel } from '../../shared/graph/model.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { SpanRecord } from '../../shared/model/span.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchGraphReader } from '../../shared/storage/elasticsearch/graph-reader.js';
import { ElasticsearchRollupStore } from '../../shared/storage/elasticsearch/rollup-store.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import type { GraphReader } from '../../shared/storage/graphstore.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemoryGraphReader } from '../../shared/storage/memory/memory-graph-reader.js';
import { MemoryRollupStore } from '../../shared/storage/memory/memory-rollup-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import type { DependencyRangeReader } from '../../shared/storage/dependency-range.js';
import { withGraphRollups } from '../../shared/storage/rollup-graph.js';
import type { RollupStore, RollupWindow } from '../../shared/storage/rollupstore.js';
import type { SpanStore } from '../../shared/storage/spanstore.js';
import { RollupJob } from '../../services/jobs/rollup-job.js';
import { graphApi } from '../../services/query/graph/graph-api.js';
import { bookinfoMesh } from '../fixtures/bookinfo-mesh.js';
import { meshRecords } from '../support/graph-contract.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { dropAccessLogPrefix } from './accesslogstore-elasticsearch-support.js';
import { uniquePrefix } from './spanstore-elasticsearch-support.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const LATENESS = 10 * MIN;
/** The current hour's start: reports land in today's (or yesterday's) indices. */
const H = Math.floor(Date.now() / HOUR) * HOUR;
const NAMING = 'APP_LABEL_AND_NAMESPACE' as const;

interface Setup {
  spans: SpanStore & DependencyRangeReader;
  writeAccessLogs(records: readonly AccessLogRecord[]): Promise<void>;
  graph: GraphReader;
  rollups: RollupStore;
  /** Makes written reports searchable (Elasticsearch refresh). */
  flush(): Promise<void>;
  /** Every stored graph roll-up document (ES) or window with its partials (memory). */
  snapshot(): Promise<unknown>;
  close(): Promise<void>;
}

let nextCopy = 1;

/** One replay of the bookinfo fixture (a few seconds of traffic) starting at `startMs`. */
function replay(startMs: number): { spans: SpanRecord[]; records: AccessLogRecord[] } {
  return meshRecords(bookinfoMesh(startMs * 1000, NAMING, nextCopy++));
}

/** Seven hours of traffic, more replays the more recent the hour, plus some in the open hour. */
function traffic(): { spans: SpanRecord[]; records: AccessLogRecord[] } {
  const all = { spans: [] as SpanRecord[], records: [] as AccessLogRecord[] };
  for (let k = 6; k >= 0; k--) {
    for (let i = 0; i < 7 - k; i++) {
      const r = replay(H - k * HOUR + 5 * MIN + i * 7 * MIN);
      all.spans.push(...r.spans);
      all.records.push(...r.records);
    }
  }
  return all;
}

async function write(s: Setup, t: { spans: SpanRecord[]; records: AccessLogRecord[] }): Promise<void> {
  await s.spans.writeSpans(t.spans);
  await s.writeAccessLogs(t.records);
  await s.flush();
}

const byEdge = (partials: readonly EdgePartial[]) => [...partials].sort((a, b) => `${a.source}/${a.target}`.localeCompare(`${b.source}/${b.target}`));

function describeGraphRollups(name: string, make: () => Promise<Setup>): void {
  describe(`mesh graph roll-ups on the ${name} store`, () => {
    let s: Setup;
    let app: FastifyInstance;
    let liveApp: FastifyInstance;
    beforeAll(async () => {
      s = await make();
      await write(s, traffic());
      app = Fastify();
      await app.register(graphApi, { reader: withGraphRollups(s.graph, s.rollups), health: DEFAULT_HEALTH_THRESHOLDS });
      liveApp = Fastify();
      await liveApp.register(graphApi, { reader: s.graph, health: DEFAULT_HEALTH_THRESHOLDS });
    });
    afterAll(async () => {
      await app?.close();
      await liveApp?.close();
      await s?.close();
    });

    const job = (nowMs: number) =>
      new RollupJob({ source: s.spans, graph: s.graph, store: s.rollups, latenessMs: LATENESS, backfillMs: 8 * HOUR, nowMs: () => nowMs });
    const graphVia = async (target: FastifyInstance, query: Record<string, string>) => {
      const res = await target.inject({ method: 'GET', url: '/api/v1/graph', query });
      expect(res.statusCode).toBe(200);
      return res.json();
    };

    it('rolls up each closed hour at both levels, and rolling up again gives the same stored documents', async () => {
      const now = H + 30 * MIN;
      const first = await job(now).run();
      expect(first.graph).toMatchObject({ hours: 8, finalHours: 8, skippedHours: 0 });
      expect(first.graph!.edges).toBeGreaterThan(0);
      const hour: RollupWindow = { kind: 'graph', granularity: 'hour', startMs: H - HOUR };
      for (const level of ['service', 'workload'] as const) {
        const live = await s.graph.getEdgePartials({ startUs: hour.startMs * 1000, endUs: (hour.startMs + HOUR) * 1000 - 1, level });
        expect(live.length).toBeGreaterThan(0);
        expect(byEdge(await s.rollups.readGraphPartials([hour], level))).toEqual(byEdge(live));
      }
      const before = await s.snapshot();
      await job(now).run({ fromMs: H - 8 * HOUR, toMs: H });
      expect(await s.snapshot()).toEqual(before);
      expect((await job(now + MIN).run()).graph).toMatchObject({ hours: 0, skippedHours: 8 });
    });

    it('answers /api/v1/graph over roll-ups plus the live ends exactly as the all-live graph', async () => {
      const windows: Array<[number, number]> = [
        [H - 6 * HOUR - 13 * MIN, H + 25 * MIN], // odd ends, six whole hours rolled up
        [H - 3 * HOUR, H], // aligned on hours
        [H - 2 * HOUR - 40 * MIN, H - 2 * HOUR - 1], // inside one hour: all live
      ];
      const variants: Array<{ level: GraphLevel; namespace?: string }> = [
        { level: 'service' },
        { level: 'workload' },
        { level: 'service', namespace: 'istio-system' },
        { level: 'workload', namespace: 'bookinfo' },
      ];
      for (const [fromMs, toMs] of windows) {
        for (const v of variants) {
          const query = { start: String(fromMs * 1000), end: String(toMs * 1000), level: v.level, ...(v.namespace && { namespace: v.namespace }) };
          const live = await graphVia(liveApp, query);
          expect(live.edges.length).toBeGreaterThan(0);
          expect(await graphVia(app, query)).toEqual(live);
        }
      }
    });

    it('counts a late report by rolling its hour up again until the lateness has passed', async () => {
      // The current hour, closed 5 minutes ago: not final yet…
      const r1 = await job(H + HOUR + 5 * MIN).run();
      expect(r1.graph).toMatchObject({ hours: 1, finalHours: 0 });
      const w: RollupWindow = { kind: 'graph', granularity: 'hour', startMs: H };
      const requestsOf = async () => (await s.rollups.readGraphPartials([w], 'service')).reduce((n, p) => n + p.requests, 0);
      const before = await requestsOf();
      // …so a replay arriving late into it is counted by the next run, 15 minutes after the close.
      await write(s, replay(H + 40 * MIN));
      const r2 = await job(H + HOUR + 15 * MIN).run();
      expect(r2.graph).toMatchObject({ hours: 1, finalHours: 1 });
      const live = await s.graph.getEdgePartials({ startUs: H * 1000, endUs: (H + HOUR) * 1000 - 1, level: 'service' });
      expect(await requestsOf()).toBe(live.reduce((n, p) => n + p.requests, 0));
      expect(await requestsOf()).toBeGreaterThan(before);
      const query = { start: String((H - 5 * HOUR) * 1000), end: String((H + HOUR + 20 * MIN) * 1000), level: 'service' };
      expect(await graphVia(app, query)).toEqual(await graphVia(liveApp, query));
    });

    it('reads a final roll-up instead of the reports (a report later than the lateness is not counted)', async () => {
      await write(s, replay(H - 4 * HOUR + 50 * MIN));
      const query = { startUs: (H - 6 * HOUR) * 1000, endUs: H * 1000 - 1, level: 'service' as const };
      const total = (partials: readonly EdgePartial[]) => partials.reduce((n, p) => n + p.requests, 0);
      const live = total(await s.graph.getEdgePartials(query));
      const rolled = total(await withGraphRollups(s.graph, s.rollups).getEdgePartials(query));
      expect(rolled).toBeGreaterThan(0);
      expect(live).toBeGreaterThan(rolled);
    });

    it('sums a closed day from its 24 hours at both levels', async () => {
      const dayStart = Math.floor(H / (24 * HOUR)) * 24 * HOUR - 24 * HOUR; // yesterday
      const result = await job(dayStart + 24 * HOUR + 20 * MIN).run({ fromMs: dayStart, toMs: dayStart + 24 * HOUR });
      expect(result.graph!.days).toBe(1);
      const [day] = await s.rollups.listWindows('graph', 'day', dayStart, dayStart + 1);
      expect(day).toMatchObject({ startMs: dayStart, final: true });
      const hours = await s.rollups.listWindows('graph', 'hour', dayStart, dayStart + 24 * HOUR);
      expect(hours).toHaveLength(24);
      for (const level of ['service', 'workload'] as const) {
        expect(byEdge(await s.rollups.readGraphPartials([day!], level))).toEqual(byEdge(await s.rollups.readGraphPartials(hours, level)));
      }
    });

    it('replaces a graph window whole and keeps it apart from the dependency roll-up', async () => {
      const w: RollupWindow = { kind: 'graph', granularity: 'hour', startMs: H - 60 * HOUR };
      const [edge] = await s.graph.getEdgePartials({ startUs: (H - 7 * HOUR) * 1000, endUs: H * 1000, level: 'service' });
      const other = { ...edge!, target: 'elsewhere' };
      await s.rollups.writeGraphWindow(w, [{ level: 'service', partial: edge! }, { level: 'service', partial: other }], { computedAtMs: H, final: false });
      await s.rollups.writeGraphWindow(w, [{ level: 'workload', partial: edge! }], { computedAtMs: H + 1, final: true });
      expect(await s.rollups.readGraphPartials([w], 'service')).toEqual([]);
      expect(await s.rollups.readGraphPartials([w], 'workload')).toEqual([edge]);
      expect(await s.rollups.listWindows('graph', 'hour', w.startMs, w.startMs + 1)).toEqual([{ ...w, computedAtMs: H + 1, final: true, edgeCount: 1 }]);
      expect(await s.rollups.listWindows('dependency', 'hour', w.startMs, w.startMs + 1)).toEqual([]);
      expect(await s.rollups.readEdges([{ ...w, kind: 'dependency' }])).toEqual([]);
    });
  });
}

describeGraphRollups('memory', async () => {
  const spans = new MemorySpanStore({ maxSpans: 100_000, maxBytes: 256 * 1024 * 1024 });
  const accessLogs = new MemoryAccessLogStore({ maxRecords: 100_000 });
  const rollups = new MemoryRollupStore();
  return {
    spans,
    writeAccessLogs: async (r) => void (await accessLogs.writeAccessLogs(r)),
    graph: new MemoryGraphReader({ spans, accessLogs, naming: NAMING }),
    rollups,
    flush: async () => {},
    snapshot: async () => {
      const windows = await rollups.listWindows('graph', 'hour', 0, Number.MAX_SAFE_INTEGER);
      const levels = ['service', 'workload'] as const;
      return Promise.all(windows.map(async (w) => ({ w, partials: await Promise.all(levels.map(async (l) => byEdge(await rollups.readGraphPartials([w], l)))) })));
    },
    close: async () => {},
  };
});

describeGraphRollups('elasticsearch', async () => {
  await ensureServers(['elasticsearch']);
  const prefix = uniquePrefix('graphroll');
  const admin = new Client({ node: ES_URL });
  const settings = { node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0, meshServiceNaming: NAMING };
  const spans = new ElasticsearchSpanStore(settings);
  const accessLogs = new ElasticsearchAccessLogStore(settings);
  const rollups = new ElasticsearchRollupStore({ client: admin, indexPrefix: prefix });
  await spans.start();
  await accessLogs.start();
  await rollups.start();
  return {
    spans,
    writeAccessLogs: async (r) => void expect(await accessLogs.writeAccessLogs(r)).toEqual([]),
    graph: new ElasticsearchGraphReader({ client: admin, indexPrefix: prefix }),
    rollups,
    flush: async () => {
      await spans.refresh();
      await accessLogs.refresh();
    },
    snapshot: async () => {
      const res = await admin.search({ index: `${prefix}-dependencies-*`, size: 10_000, query: { term: { kind: 'graph' } } });
      return res.hits.hits.map((h) => ({ id: h._id, source: h._source })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    },
    close: async () => {
      await spans.stop();
      await accessLogs.stop();
      // Every index of the prefix, and the span, service, roll-up and access-log templates.
      await dropAccessLogPrefix(admin, prefix);
      await admin.close();
    },
  };
});

describe('graph roll-ups in a roll-up index created before them (Elasticsearch)', () => {
  it('maps the graph fields onto existing roll-up indices at start, so graph edges written there are read back', async () => {
    await ensureServers(['elasticsearch']);
    const prefix = uniquePrefix('graphroll-old');
    const admin = new Client({ node: ES_URL });
    const hourMs = Date.UTC(2026, 0, 5, 10);
    try {
      // The roll-up index as the dependency-only version made it: no `level` field.
      await admin.indices.create({
        index: `${prefix}-dependencies-2026.01.05`,
        mappings: { dynamic: false, properties: { docType: { type: 'keyword' }, kind: { type: 'keyword' }, window: { type: 'keyword' }, parent: { type: 'keyword' }, child: { type: 'keyword' } } },
      });
      const rollups = new ElasticsearchRollupStore({ client: admin, indexPrefix: prefix });
      await rollups.start();
      const spans = new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024 });
      await spans.writeSpans(replay(hourMs + MIN).spans);
      const reader = new MemoryGraphReader({ spans, accessLogs: new MemoryAccessLogStore({ maxRecords: 10 }), naming: NAMING });
      const [partial] = await reader.getEdgePartials({ startUs: hourMs * 1000, endUs: (hourMs + HOUR) * 1000 - 1, level: 'service' });
      expect(partial).toBeDefined();
      const w: RollupWindow = { kind: 'graph', granularity: 'hour', startMs: hourMs };
      await rollups.writeGraphWindow(w, [{ level: 'service', partial: partial! }], { computedAtMs: hourMs + HOUR, final: true });
      expect(await rollups.readGraphPartials([w], 'service')).toEqual([partial]);
    } finally {
      await dropAccessLogPrefix(admin, prefix);
      await admin.close();
    }
  });
});

