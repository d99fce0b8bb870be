/**
 * Dependency roll-ups on both span stores (memory; Elasticsearch with a unique index prefix):
 * rolling up is idempotent, /api/dependencies over roll-ups plus the live ends equals the all-live
 * computation over a multi-hour window, late spans within the lateness are counted, and the days
 * are summed from their hours.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import type { DependencyRangeReader } from '../../shared/storage/dependency-range.js';
import { ElasticsearchRollupStore } from '../../shared/storage/elasticsearch/rollup-store.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { MemoryRollupStore } from '../../shared/storage/memory/memory-rollup-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { withDependencyRollups } from '../../shared/storage/rollup-dependencies.js';
import type { RollupStore } from '../../shared/storage/rollupstore.js';
import type { DependencyLink, SpanStore } from '../../shared/storage/spanstore.js';
import { RollupJob } from '../../services/jobs/rollup-job.js';
import { span, spanIdOf, traceIdOf } from '../fixtures/spans.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { deleteIndexTemplateIfPresent, dropIndexPrefix, uniquePrefix } from './spanstore-elasticsearch-support.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const LATENESS = 10 * MIN;
/** The current hour's start: spans land in today's (or yesterday's) indices. */
const H = Math.floor(Date.now() / HOUR) * HOUR;

interface Setup {
  spans: SpanStore & DependencyRangeReader;
  rollups: RollupStore;
  /** Makes written spans searchable (Elasticsearch refresh). */
  flush(): Promise<void>;
  /** Every stored roll-up document (ES) or window (memory), for the idempotency comparison. */
  snapshot(): Promise<unknown>;
  close(): Promise<void>;
}

let nextTrace = 1;

/**
 * One call chain per trace: frontend (server) → frontend client → checkout (server) → payment
 * (client, then server), all within a minute of `startMs`, so each trace adds frontend→checkout
 * and checkout→payment once.
 */
function chain(startMs: number, services: readonly string[] = ['frontend', 'checkout', 'payment']): SpanRecord[] {
  const traceId = traceIdOf(0x5000 + nextTrace++);
  const out: SpanRecord[] = [];
  let parent = '';
  let n = 0;
  for (const [i, service] of services.entries()) {
    const server = spanIdOf(0x10000 + nextTrace * 16 + n++);
    out.push(span({ traceId, spanId: server, parentSpanId: parent, service, kind: SpanKind.SERVER, startUs: (startMs + i * 1000) * 1000 }));
    if (i < services.length - 1) {
      const client = spanIdOf(0x10000 + nextTrace * 16 + n++);
      out.push(span({ traceId, spanId: client, parentSpanId: server, service, kind: SpanKind.CLIENT, startUs: (startMs + i * 1000 + 100) * 1000 }));
      parent = client;
    }
  }
  return out;
}

/** Six hours of traffic, different per hour, with children exactly on hour boundaries and parents in the previous hour. */
function traffic(): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (let k = 6; k >= 0; k--) {
    const hour = H - k * HOUR;
    for (let i = 0; i <= k; i++) spans.push(...chain(hour + 7 * MIN + i * 3 * MIN));
    spans.push(...chain(hour + 20 * MIN, ['frontend', 'search']));
  }
  // A child starting on the exact microsecond an hour begins, its parent 2 minutes earlier.
  const traceId = traceIdOf(0x4fff);
  const parent = span({ traceId, spanId: spanIdOf(0x4ff1), service: 'gateway', kind: SpanKind.CLIENT, startUs: (H - 3 * HOUR - 2 * MIN) * 1000 });
  spans.push(parent, span({ traceId, spanId: spanIdOf(0x4ff2), parentSpanId: parent.spanId, service: 'frontend', startUs: (H - 3 * HOUR) * 1000 }));
  return spans;
}

const sorted = (links: readonly DependencyLink[]) =>
  [...links].map((l) => ({ ...l })).sort((a, b) => `${a.parent}/${a.child}`.localeCompare(`${b.parent}/${b.child}`));

function describeRollups(name: string, make: () => Promise<Setup>): void {
  describe(`dependency roll-ups on the ${name} store`, () => {
    let s: Setup;
    beforeAll(async () => {
      s = await make();
      await s.spans.writeSpans(traffic());
      await s.flush();
    });
    afterAll(async () => s?.close());

    const job = (nowMs: number) => new RollupJob({ source: s.spans, store: s.rollups, latenessMs: LATENESS, backfillMs: 8 * HOUR, nowMs: () => nowMs });

    it('rolls up each closed hour, and rolling up again gives the same stored documents', async () => {
      const now = H + 30 * MIN;
      const first = await job(now).run();
      expect(first).toMatchObject({ job: 'rollup', hours: 8, finalHours: 8, skippedHours: 0, dryRun: false });
      const before = await s.snapshot();
      await job(now).run({ fromMs: H - 8 * HOUR, toMs: H });
      expect(await s.snapshot()).toEqual(before);
      // A scheduled run leaves final hours alone.
      expect(await job(now + MIN).run()).toMatchObject({ hours: 0, skippedHours: 8 });
    });

    it('answers /api/dependencies over roll-ups plus the live ends exactly as the all-live computation', async () => {
      const reader = withDependencyRollups(s.spans, s.rollups);
      const windows: Array<[number, number]> = [
        [H + 25 * MIN, 6 * HOUR + 13 * MIN], // odd ends, six whole hours rolled up
        [H, 3 * HOUR], // aligned on hours
        [H - 2 * HOUR - 1, 40 * MIN], // inside one hour: all live
      ];
      for (const [endMs, lookbackMs] of windows) {
        const live = sorted(await s.spans.getDependencies(endMs, lookbackMs));
        expect(live.length).toBeGreaterThan(0);
        expect(sorted(await reader.getDependencies(endMs, lookbackMs))).toEqual(live);
      }
    });

    it('counts a late span by rolling its hour up again until the lateness has passed', async () => {
      // An hour closed 5 minutes ago is not final yet…
      const now = H + HOUR + 5 * MIN;
      const r1 = await job(now).run();
      expect(r1.hours).toBe(1);
      expect(r1.finalHours).toBe(0);
      // …so a span arriving late into it is picked up by the next run, 15 minutes after the close.
      await s.spans.writeSpans(chain(H + 40 * MIN, ['frontend', 'late-service']));
      await s.flush();
      const reader = withDependencyRollups(s.spans, s.rollups);
      const r2 = await job(H + HOUR + 15 * MIN).run();
      expect(r2).toMatchObject({ hours: 1, finalHours: 1 });
      const rolled = await s.rollups.readEdges([{ kind: 'dependency', granularity: 'hour', startMs: H }]);
      expect(rolled).toContainEqual({ parent: 'frontend', child: 'late-service', callCount: 1 });
      expect(sorted(await reader.getDependencies(H + HOUR + 20 * MIN, 9 * HOUR))).toEqual(sorted(await s.spans.getDependencies(H + HOUR + 20 * MIN, 9 * HOUR)));
    });

    it('reads a final roll-up instead of the spans (a span later than the lateness is not counted)', async () => {
      await s.spans.writeSpans(chain(H - 4 * HOUR + 30 * MIN, ['frontend', 'too-late']));
      await s.flush();
      const reader = withDependencyRollups(s.spans, s.rollups);
      const live = await s.spans.getDependencies(H, 6 * HOUR);
      const rolled = await reader.getDependencies(H, 6 * HOUR);
      expect(live).toContainEqual({ parent: 'frontend', child: 'too-late', callCount: 1 });
      expect(rolled.find((l) => l.child === 'too-late')).toBeUndefined();
    });

    it('replaces a window whole: an edge missing from a rewrite is gone', async () => {
      const w = { kind: 'dependency', granularity: 'hour', startMs: H - 60 * HOUR } as const;
      await s.rollups.writeWindow(w, [{ parent: 'a', child: 'b', callCount: 2 }, { parent: 'a', child: 'c', callCount: 1 }], { computedAtMs: H, final: false });
      await s.rollups.writeWindow(w, [{ parent: 'a', child: 'b', callCount: 3 }], { computedAtMs: H + 1, final: true });
      expect(await s.rollups.readEdges([w])).toEqual([{ parent: 'a', child: 'b', callCount: 3 }]);
      expect(await s.rollups.listWindows('dependency', 'hour', w.startMs, w.startMs + 1)).toEqual([{ ...w, computedAtMs: H + 1, final: true, edgeCount: 1 }]);
    });

    it('sums a closed day from its 24 hours', async () => {
      const dayStart = Math.floor(H / (24 * HOUR)) * 24 * HOUR - 24 * HOUR; // yesterday
      const now = dayStart + 24 * HOUR + 20 * MIN;
      const result = await job(now).run({ fromMs: dayStart, toMs: dayStart + 24 * HOUR });
      expect(result.days).toBe(1);
      const [day] = await s.rollups.listWindows('dependency', 'day', dayStart, dayStart + 1);
      expect(day).toMatchObject({ startMs: dayStart, final: true });
      const hours = await s.rollups.listWindows('dependency', 'hour', dayStart, dayStart + 24 * HOUR);
      expect(hours).toHaveLength(24);
      expect(sorted(await s.rollups.readEdges([day!]))).toEqual(sorted(await s.rollups.readEdges(hours)));
    });
  });
}

describeRollups('memory', async () => {
  const spans = new MemorySpanStore({ maxSpans: 100_000, maxBytes: 256 * 1024 * 1024 });
  const rollups = new MemoryRollupStore();
  return {
    spans,
    rollups,
    flush: async () => {},
    snapshot: async () => {
      const hours = await rollups.listWindows('dependency', 'hour', 0, Number.MAX_SAFE_INTEGER);
      return { hours, edges: await Promise.all(hours.map(async (w) => sorted(await rollups.readEdges([w])))) };
    },
    close: async () => {},
  };
});

describeRollups('elasticsearch', async () => {
  await ensureServers(['elasticsearch']);
  const prefix = uniquePrefix('rollup');
  const admin = new Client({ node: ES_URL });
  const spans = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0 });
  const rollups = new ElasticsearchRollupStore({ client: admin, indexPrefix: prefix });
  await spans.start();
  await rollups.start();
  return {
    spans,
    rollups,
    flush: () => spans.refresh(),
    snapshot: async () => {
      const res = await admin.search({ index: `${prefix}-dependencies-*`, size: 10_000, sort: [{ window: 'asc' }], query: { match_all: {} } });
      return res.hits.hits.map((h) => ({ id: h._id, source: h._source })).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    },
    close: async () => {
      await spans.stop();
      await dropIndexPrefix(admin, prefix);
      await deleteIndexTemplateIfPresent(admin, `${prefix}-dependencies`);
      await admin.close();
    },
  };
});
