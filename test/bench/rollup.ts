/**
 * `/api/dependencies` and the mesh graph (`/api/v1/graph`'s partials, service level) over 1 h, 24 h,
 * 7 days and 30 days, live and over roll-ups, on a generated
 * 50-service mesh — on the memory store and on deploy/local's Elasticsearch (own index prefix,
 * dropped afterwards) — and the roll-up's own cost. Prints figures; asserts nothing about time
 * (it does check that both answers are equal, and says so in the table).
 *
 *   npx tsx test/bench/rollup.ts        (or BENCH_SCENARIOS=rollup-dependencies npm run bench)
 *
 * Settings (environment): BENCH_ROLLUP_SPANS (100000), BENCH_ROLLUP_DAYS (7),
 * BENCH_ROLLUP_STORES (memory,elasticsearch), BENCH_ROLLUP_REPEAT (3: the median is printed),
 * BENCH_ROLLUP_GRAPH (1: roll up and time the mesh graph too; 0: dependencies only).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from '@elastic/elasticsearch';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import type { EdgePartial } from '../../shared/graph/model.js';
import { DEFAULT_MESH_SERVICE_NAMING } from '../../shared/istio/service-naming.js';
import type { DependencyRangeReader } from '../../shared/storage/dependency-range.js';
import { ElasticsearchGraphReader } from '../../shared/storage/elasticsearch/graph-reader.js';
import type { GraphReader } from '../../shared/storage/graphstore.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemoryGraphReader } from '../../shared/storage/memory/memory-graph-reader.js';
import { withGraphRollups } from '../../shared/storage/rollup-graph.js';
import { ElasticsearchRollupStore } from '../../shared/storage/elasticsearch/rollup-store.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { MemoryRollupStore } from '../../shared/storage/memory/memory-rollup-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import { withDependencyRollups } from '../../shared/storage/rollup-dependencies.js';
import type { RollupStore } from '../../shared/storage/rollupstore.js';
import type { DependencyLink, SpanStore } from '../../shared/storage/spanstore.js';
import { RollupJob } from '../../services/jobs/rollup-job.js';
import { span } from '../fixtures/spans.js';
import { deleteIndexTemplateIfPresent, dropIndexPrefix, uniquePrefix } from '../integration/spanstore-elasticsearch-support.js';
import { ensureServers, ES_URL } from '../support/servers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SPANS = Number(process.env.BENCH_ROLLUP_SPANS ?? 100_000);
// 7 by default so the run fits `npm run bench`'s 5 minutes per script; the README's figures use 30.
const DAYS = Number(process.env.BENCH_ROLLUP_DAYS ?? 7);
const STORES = (process.env.BENCH_ROLLUP_STORES ?? 'memory,elasticsearch').split(',');
const REPEAT = Number(process.env.BENCH_ROLLUP_REPEAT ?? 3);
const GRAPH = process.env.BENCH_ROLLUP_GRAPH !== '0';
const SERVICES = Array.from({ length: 50 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

/** Deterministic PRNG (mulberry32), so every run generates the same mesh. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: bigint, digits: number) => n.toString(16).padStart(digits, '0');

/** Traces of 2–4 calls (a client span in the caller, a server span in the callee) spread over the days up to `nowMs`. */
function* mesh(nowMs: number): Generator<SpanRecord[]> {
  const rnd = prng(42);
  let made = 0;
  let trace = 0n;
  let id = 0n;
  while (made < SPANS) {
    const traceId = hex(++trace, 32);
    const startMs = nowMs - Math.floor(rnd() * DAYS * DAY);
    let service = SERVICES[Math.floor(rnd() * 10)]!; // a few front doors
    const rootId = hex(++id, 16);
    const spans = [span({ traceId, spanId: rootId, service, kind: SpanKind.SERVER, startUs: startMs * 1000 })];
    let parent = rootId;
    const calls = 2 + Math.floor(rnd() * 3);
    for (let c = 0; c < calls; c++) {
      const callee = SERVICES[Math.floor(rnd() * SERVICES.length)]!;
      const client = hex(++id, 16);
      const server = hex(++id, 16);
      const at = (startMs + c * 5) * 1000;
      // peer.service names the callee for the mesh graph (dependency links come from the parent ids).
      spans.push(span({ traceId, spanId: client, parentSpanId: parent, service, kind: SpanKind.CLIENT, startUs: at + 1000, attrs: { 'peer.service': callee } }));
      spans.push(span({ traceId, spanId: server, parentSpanId: client, service: callee, kind: SpanKind.SERVER, startUs: at + 2000 }));
      parent = server;
      service = callee;
    }
    made += spans.length;
    yield spans;
  }
}

const graphKey = (partials: readonly EdgePartial[]) =>
  JSON.stringify([...partials].map((p) => [p.source, p.target, p.requests, p.errors, p.latencyTraces]).sort());
const key = (links: readonly DependencyLink[]) => JSON.stringify([...links].map((l) => [l.parent, l.child, l.callCount]).sort());

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let value!: T;
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    value = await f();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), value };
}

async function benchStore(
  name: string,
  spans: SpanStore & DependencyRangeReader,
  rollups: RollupStore,
  flush: () => Promise<void>,
  graph?: GraphReader,
): Promise<void> {
  const nowMs = Math.floor(Date.now() / HOUR) * HOUR + 30 * 60_000;
  let written = 0;
  const tWrite = performance.now();
  let batch: SpanRecord[] = [];
  for (const trace of mesh(nowMs)) {
    batch.push(...trace);
    if (batch.length >= 5000) {
      await spans.writeSpans(batch);
      written += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await spans.writeSpans(batch);
  written += batch.length;
  await flush();
  const loadS = (performance.now() - tWrite) / 1000;

  const job = new RollupJob({ source: spans, ...(graph && { graph }), store: rollups, latenessMs: 10 * 60_000, backfillMs: (DAYS + 1) * DAY, nowMs: () => nowMs });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await job.run();
  const rollupS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(
    `\n${name}: ${written.toLocaleString('en')} spans over ${DAYS} days (loaded in ${loadS.toFixed(1)} s); ` +
      `roll-up of ${result.hours} hours + ${result.days} days${result.graph ? ' (dependencies and graph at two levels)' : ''}: ${rollupS.toFixed(1)} s wall, ${cpuS.toFixed(2)} s meshtel CPU ` +
      `(${((cpuS * 1e6) / written).toFixed(2)} CPU s per 1M spans${name === 'elasticsearch' ? ', Elasticsearch\'s own CPU not included' : ''})\n\n`,
  );
  const reader = withDependencyRollups(spans, rollups);
  process.stdout.write('| window | live ms | over roll-ups ms | speed-up | edges | equal |\n|---|--:|--:|--:|--:|---|\n');
  for (const [label, lookbackMs] of [['1 h', HOUR], ['24 h', DAY], ['7 days', 7 * DAY], [`${DAYS} days`, DAYS * DAY]] as const) {
    const live = await timed(() => spans.getDependencies(nowMs, lookbackMs));
    const rolled = await timed(() => reader.getDependencies(nowMs, lookbackMs));
    process.stdout.write(
      `| ${label} | ${live.ms.toFixed(1)} | ${rolled.ms.toFixed(1)} | ${(live.ms / rolled.ms).toFixed(1)}× | ${live.value.length} | ${key(live.value) === key(rolled.value) ? '✓' : '✗'} |\n`,
    );
  }
  if (!graph) return;
  const graphReader = withGraphRollups(graph, rollups);
  process.stdout.write('\nmesh graph, service level:\n\n| window | live ms | over roll-ups ms | speed-up | edges | equal |\n|---|--:|--:|--:|--:|---|\n');
  for (const [label, lookbackMs] of [['1 h', HOUR], ['24 h', DAY], ['7 days', 7 * DAY], [`${DAYS} days`, DAYS * DAY]] as const) {
    const query = { startUs: (nowMs - lookbackMs) * 1000, endUs: nowMs * 1000, level: 'service' as const };
    const live = await timed(() => graph.getEdgePartials(query));
    const rolled = await timed(() => graphReader.getEdgePartials(query));
    process.stdout.write(
      `| ${label} | ${live.ms.toFixed(1)} | ${rolled.ms.toFixed(1)} | ${(live.ms / rolled.ms).toFixed(1)}× | ${live.value.length} | ${graphKey(live.value) === graphKey(rolled.value) ? '✓' : '✗'} |\n`,
    );
  }
}

async function main(): Promise<void> {
  process.stdout.write(`rollup bench: ${SPANS.toLocaleString('en')} spans, ${SERVICES.length} services, ${DAYS} days; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  if (STORES.includes('memory')) {
    const store = new MemorySpanStore({ maxSpans: SPANS * 2, maxBytes: 4 * 1024 * 1024 * 1024 });
    const graph = GRAPH ? new MemoryGraphReader({ spans: store, accessLogs: new MemoryAccessLogStore({ maxRecords: 1 }), naming: DEFAULT_MESH_SERVICE_NAMING }) : undefined;
    await benchStore('memory', store, new MemoryRollupStore(), async () => {}, graph);
  }
  if (STORES.includes('elasticsearch')) {
    await ensureServers(['elasticsearch']);
    const prefix = uniquePrefix('rollup-bench');
    const admin = new Client({ node: ES_URL });
    const store = new ElasticsearchSpanStore({ node: ES_URL, indexPrefix: prefix });
    const rollups = new ElasticsearchRollupStore({ client: admin, indexPrefix: prefix });
    try {
      await store.start();
      await rollups.start();
      const graph = GRAPH ? new ElasticsearchGraphReader({ client: admin, indexPrefix: prefix }) : undefined;
      await benchStore('elasticsearch', store, rollups, () => store.refresh(), graph);
    } finally {
      await store.stop();
      await dropIndexPrefix(admin, prefix);
      await deleteIndexTemplateIfPresent(admin, `${prefix}-dependencies`);
      await admin.close();
    }
  }
  process.stdout.write(`\nload average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

await main();
