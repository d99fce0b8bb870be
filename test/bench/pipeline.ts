/**
 * The distributed pipeline's benchmarks (issue 3): `meshtel collector`, `ingester` and `query` as
 * separate processes (test/support/pipeline.ts) on the real Kafka and Elasticsearch of
 * deploy/local, measured end to end. Scenarios of `npm run bench`, run only when named in
 * BENCH_SCENARIOS because they need those servers:
 *
 *   pipeline-throughput  load generator → collector for a fixed time; spans/s *into
 *                        Elasticsearch* (the ingester's stored count, and the drain after the
 *                        load stops), CPU per 100k spans and peak RSS per role; then the raw
 *                        Elasticsearch bulk rate for the same documents and the pipeline/raw ratio
 *   pipeline-latency     small traced requests at a fixed rate; export (200 answer) → stored →
 *                        queryable, p50/p99
 *   pipeline-catchup     ingester stopped, a backlog built in Kafka, a fresh ingester started:
 *                        its catch-up rate until the backlog is stored and the lag is 0
 *
 * Settings (environment), beside run.ts's BENCH_WARMUP_S, BENCH_CONCURRENCY and BENCH_BATCH, which
 * these scenarios use too. The load generator runs flat out, and the collector takes spans into
 * Kafka several times faster than one ingester stores them on this 2-core machine, so every second
 * of load costs several seconds of drain: the defaults keep each scenario within ~3 minutes.
 *   BENCH_PIPELINE_DURATION_S  seconds of load for pipeline-throughput (default 10)
 *   BENCH_BACKLOG_S         seconds of load while the ingester is down (default 10; the issue's
 *                           "1-minute backlog" is 60, which takes several minutes to catch up here)
 *   BENCH_LATENCY_S         seconds of latency probes (default 20)
 *   BENCH_LATENCY_RATE      export requests per second (default 20)
 *   BENCH_LATENCY_SPANS     spans per request (default 10: one or two traces)
 *   BENCH_LATENCY_POLL_MS   how often pending traces are looked for (default 100)
 *   BENCH_LATENCY_VIA       es (one batched search per poll, default) | query (/api/traces/{id} per trace)
 *   BENCH_RAW_SPANS         documents per raw bulk run (default 50000; 0 skips the raw comparison)
 *   BENCH_DRAIN_TIMEOUT_S   longest wait for the stored count to catch up (default 150)
 *   BENCH_COLLECTOR_ARGS, BENCH_INGESTER_ARGS, BENCH_QUERY_ARGS   extra flags per role
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { MeshtelProcess } from '../support/meshtel-process.js';
import { startPipeline, type Pipeline } from '../support/pipeline.js';
import { ensureServers, ES_URL, KAFKA_BROKERS } from '../support/servers.js';
import { prepareLoadInWorker, runLoadInWorker, type LoadOptions, type LoadResult } from './loadgen.js';
import { measureExportToQueryable, type Percentiles } from './pipeline-latency.js';
import {
  ACCEPTED, STORED, counter, countSpanDocuments, describeBulks, fmt, ingesterCounters, openUsageWindow, refreshSettings, sleep, table, usageTable, waitForCount, waitReady,
  type ProcessUsage,
} from './pipeline-measure.js';
import { rawBulkOfWorkload, type RawBulkResult } from './pipeline-raw-bulk.js';
import { elasticsearchSpanStoreSettings } from '../../shared/storage/elasticsearch/options.js';
import type { BenchSettings, LoadRow, Scenario } from './run.js';

interface PipelineSettings {
  readonly durationS: number;
  readonly backlogS: number;
  readonly latencyS: number;
  readonly latencyRate: number;
  readonly latencySpans: number;
  readonly latencyPollMs: number;
  readonly latencyVia: 'es' | 'query';
  readonly rawSpans: number;
  readonly drainTimeoutS: number;
  readonly roleArgs: Record<'collector' | 'ingester' | 'query', readonly string[]>;
}

function pipelineSettingsFromEnv(): PipelineSettings {
  const num = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not "${raw}"`);
    return value;
  };
  const args = (name: string) => (process.env[name] ?? '').split(/\s+/).filter(Boolean);
  const via = process.env.BENCH_LATENCY_VIA ?? 'es';
  if (via !== 'es' && via !== 'query') throw new Error(`BENCH_LATENCY_VIA must be es or query, not "${via}"`);
  return {
    durationS: num('BENCH_PIPELINE_DURATION_S', 10),
    backlogS: num('BENCH_BACKLOG_S', 10),
    latencyS: num('BENCH_LATENCY_S', 20),
    latencyRate: Math.max(0.1, num('BENCH_LATENCY_RATE', 20)),
    latencySpans: Math.max(1, num('BENCH_LATENCY_SPANS', 10)),
    latencyPollMs: Math.max(10, num('BENCH_LATENCY_POLL_MS', 100)),
    latencyVia: via,
    rawSpans: num('BENCH_RAW_SPANS', 50_000),
    drainTimeoutS: num('BENCH_DRAIN_TIMEOUT_S', 150),
    roleArgs: { collector: args('BENCH_COLLECTOR_ARGS'), ingester: args('BENCH_INGESTER_ARGS'), query: args('BENCH_QUERY_ARGS') },
  };
}

/** The value of `--flag v` in a role's extra flags, else the role's default. */
function flagValue(args: readonly string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : fallback;
}

const write = (text: string) => process.stdout.write(text);
const indexPrefixOf = (p: Pipeline) => `meshtel-${p.id}`;
const rolesOf = (p: Pipeline): Array<readonly [string, MeshtelProcess]> => [['collector', p.collector], ['ingester', p.ingester], ['query', p.query]];
const storedOf = (p: Pipeline) => () => counter(p.ingester, STORED);

/** Starts the three roles on fresh topics and indices, runs `body`, and always stops and cleans up. */
async function withPipeline<T>(ps: PipelineSettings, body: (p: Pipeline) => Promise<T>): Promise<T> {
  await ensureServers(['kafka', 'elasticsearch']);
  const startedAt = performance.now();
  const p = await startPipeline(ps.roleArgs);
  try {
    await waitReady([p.ingester, p.collector, p.query]);
    write(`  pipeline ${p.id}: collector, ingester, query ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (Kafka topics with 3 partitions)\n`);
    return await body(p);
  } finally {
    await p.stop();
  }
}

function loadOptions(p: Pipeline, settings: BenchSettings, seconds: number, seed?: number): LoadOptions {
  return {
    target: p.collector.url('otlpHttp'),
    protocol: 'http-protobuf',
    durationMs: seconds * 1000,
    concurrency: settings.concurrency,
    batchSpans: settings.batchSpans,
    seed,
  };
}

/** Warms every role (JIT, index creation, consumer fetch sessions) and waits until that load is stored. */
async function warmUp(p: Pipeline, settings: BenchSettings, ps: PipelineSettings): Promise<void> {
  if (settings.warmupS <= 0) return;
  await runLoadInWorker(loadOptions(p, settings, settings.warmupS, 99));
  const accepted = await counter(p.collector, ACCEPTED);
  const progress = await waitForCount(storedOf(p), accepted, ps.drainTimeoutS * 1000);
  if (!progress.reached) throw new Error(`warm-up: ${progress.last} of ${accepted} spans stored after ${ps.drainTimeoutS} s`);
}

/** The last sent traces fetched through the query role's Jaeger API: each must be there, complete. */
async function readBack(query: MeshtelProcess, sample: ReadonlyArray<{ traceId: string; spanCount: number }>): Promise<string> {
  let ok = 0;
  for (const { traceId, spanCount } of sample) {
    try {
      const res = await fetch(query.url('query', `/api/traces/${traceId}`), { signal: AbortSignal.timeout(10_000) });
      const body = res.ok ? ((await res.json()) as { data?: Array<{ traceID?: string; spans?: unknown[] }>; }) : undefined;
      const found = body?.data?.[0]?.traceID === traceId ? (body.data[0].spans?.length ?? 0) : 0;
      if (found === spanCount) ok++;
      else write(`  read back /api/traces/${traceId}: ✗ (${res.ok ? `${found} of ${spanCount} spans` : `HTTP ${res.status}`})\n`);
    } catch (err) {
      write(`  read back /api/traces/${traceId}: ✗ (${err instanceof Error ? err.message : String(err)})\n`);
    }
  }
  return `${ok}/${sample.length} ${ok === sample.length && sample.length > 0 ? '✓' : '✗'}`;
}

/** Every span the collector acknowledged is in Elasticsearch, once. */
async function storedCheck(p: Pipeline): Promise<{ text: string; documents: number; accepted: number }> {
  const [documents, accepted] = await Promise.all([countSpanDocuments(indexPrefixOf(p)), counter(p.collector, ACCEPTED)]);
  const mark = documents === accepted ? '✓' : '✗';
  return { text: `ES ${fmt(documents)} docs = ${fmt(accepted)} accepted ${mark}`, documents, accepted };
}

function noteDisturbance(servers: readonly string[]): void {
  if (servers.length > 0) {
    write(`  ! ${servers.join(' and ')} restarted during the run (another session's fault test?): the figures are disturbed, run again\n`);
  }
}

/** The meshtel roles' share of a window, in the shape of the all-in-one rows of run.ts's table. */
function roleTotals(usage: readonly ProcessUsage[]): { cpuSeconds: number; peakRssMb: number } {
  const roles = usage.filter((u) => !u.shared);
  return {
    cpuSeconds: roles.reduce((s, u) => s + u.cpuSeconds, 0),
    peakRssMb: roles.reduce((s, u) => s + (u.peakRssBytes ?? u.rssBytes), 0) / (1024 * 1024),
  };
}

function loadRow(
  scenario: string,
  load: { spansAccepted: number; spansPerSec: number; p50Ms?: number; p99Ms?: number; refusals?: number; errors?: number },
  usage: readonly ProcessUsage[],
  spansThrough: number,
  busyS: number,
  drainS: number,
  loadAvgBefore: number,
  checks: string,
): LoadRow {
  const { cpuSeconds, peakRssMb } = roleTotals(usage);
  return {
    scenario,
    spansAccepted: load.spansAccepted,
    spansPerSec: load.spansPerSec,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    cpuSecondsPer100k: spansThrough > 0 ? (cpuSeconds / spansThrough) * 100_000 : Number.NaN,
    spansPerCpuSecond: cpuSeconds > 0 ? spansThrough / cpuSeconds : Number.NaN,
    targetCores: cpuSeconds / busyS,
    drainS,
    peakRssMb,
    refusals: load.refusals,
    errors: load.errors,
    loadAvgBefore,
    loadAvgAfter: loadavg()[0],
    checks,
  };
}

function describeLoad(l: LoadResult): string {
  return (
    `  generator: ${fmt(l.requests)} requests of ${l.spansPerRequest} spans (${Math.round(l.requestBytes / 1024)} KiB) over ${l.elapsedS.toFixed(1)} s, ` +
    `busy ${(l.generatorBusy * 100).toFixed(0)}% of its thread; ${l.refusals} refusals, ${l.retries} retries, ${l.errors} errors, ` +
    `${l.spansNotDelivered} spans not delivered\n${l.errorSamples.map((e) => `  ! ${e}\n`).join('')}`
  );
}

// ---- pipeline-throughput ----

export interface ThroughputFigures {
  readonly spansAccepted: number;
  readonly acceptedPerSec: number;
  readonly loadS: number;
  readonly drainS: number;
  readonly drained: boolean;
  readonly storedPerSecUnderLoad: number;
  readonly storedPerSecDraining?: number;
  /** Accepted spans over (load + drain): what the pipeline sustained into Elasticsearch. */
  readonly storedPerSecEndToEnd: number;
  readonly usage: readonly ProcessUsage[];
  /** Share of the window in which something on the machine waited for a core (PSI). */
  readonly cpuPressure?: number;
  readonly raw?: RawBulkResult;
  readonly ratioToRaw?: number;
}

async function runThroughput(settings: BenchSettings): Promise<LoadRow[]> {
  const ps = pipelineSettingsFromEnv();
  const loadAvgBefore = loadavg()[0];
  let row: LoadRow | undefined;
  let figures: ThroughputFigures | undefined;
  await withPipeline(ps, async (p) => {
    await warmUp(p, settings, ps);
    const prepared = await prepareLoadInWorker(loadOptions(p, settings, ps.durationS));
    const acceptedBefore = await counter(p.collector, ACCEPTED);
    const storedBefore = await counter(p.ingester, STORED);
    const bulksBefore = await ingesterCounters(p.ingester);
    const window = await openUsageWindow(rolesOf(p));
    const started = performance.now();
    const load = await prepared.run();
    const loadEnded = performance.now();
    const storedUnderLoad = (await counter(p.ingester, STORED)) - storedBefore;
    const accepted = (await counter(p.collector, ACCEPTED)) - acceptedBefore;
    // Drained when the ingester has stored every span the collector acknowledged.
    const progress = await waitForCount(async () => (await counter(p.ingester, STORED)) - storedBefore, accepted, ps.drainTimeoutS * 1000);
    const usage = await window.close();
    const bulksAfter = await ingesterCounters(p.ingester);
    const loadS = (loadEnded - started) / 1000;
    const drainS = (progress.lastAt - loadEnded) / 1000;
    const busyS = loadS + drainS;
    noteDisturbance(window.disturbed());
    write(describeLoad(load));
    if (!progress.reached) write(`  ! not drained: ${fmt(progress.last)} of ${fmt(accepted)} spans stored ${ps.drainTimeoutS} s after the load stopped\n`);

    const stored = await storedCheck(p);
    const checks = `${stored.text}; read-back ${await readBack(p.query, load.sampleTraces)}`;
    figures = {
      spansAccepted: accepted,
      acceptedPerSec: accepted / loadS,
      loadS,
      drainS,
      drained: progress.reached,
      storedPerSecUnderLoad: storedUnderLoad / loadS,
      // Below a few seconds the drain is mostly the last bulk's round trip, not a rate.
      storedPerSecDraining: drainS >= 3 ? (progress.last - storedUnderLoad) / drainS : undefined,
      storedPerSecEndToEnd: progress.last / busyS,
      usage,
      cpuPressure: window.cpuPressure(),
    };
    write(
      `  collector accepted ${fmt(accepted)} spans in ${loadS.toFixed(1)} s = ${fmt(figures.acceptedPerSec)} spans/s ` +
        `(request p50 ${fmt(load.p50Ms, 1)} ms, p99 ${fmt(load.p99Ms, 1)} ms)\n` +
        `  into Elasticsearch: ${fmt(figures.storedPerSecUnderLoad)} spans/s while loaded; drain ${drainS.toFixed(1)} s after the load stopped` +
        `${figures.storedPerSecDraining === undefined ? '' : ` at ${fmt(figures.storedPerSecDraining)} spans/s`}; ` +
        `sustained end to end ${fmt(figures.storedPerSecEndToEnd)} spans/s (accepted ÷ (load + drain))\n` +
        `  ${checks}\n` +
        `  CPU and memory from the start of the load until drained (${busyS.toFixed(1)} s), per ${fmt(progress.last)} spans stored:\n` +
        `${usageTable(usage, progress.last, busyS, window.cpuPressure())}\n` +
        `  ${describeBulks(bulksBefore, bulksAfter, busyS)}\n`,
    );
    row = loadRow('pipeline-throughput', load, usage, progress.last, busyS, drainS, loadAvgBefore, checks);
  });

  // With the pipeline stopped, so nothing else competes for the cluster or the cores.
  if (figures && ps.rawSpans > 0) {
    const defaults = elasticsearchSpanStoreSettings.parse({});
    const batch = flagValue(ps.roleArgs.ingester, '--es-bulk-max-spans', defaults.bulkMaxSpans);
    const concurrency = flagValue(ps.roleArgs.ingester, '--es-bulk-concurrency', defaults.bulkConcurrency);
    const raw = await rawBulkOfWorkload({ esUrl: ES_URL, spans: ps.rawSpans, batchSpans: batch, concurrency, requestSpans: settings.batchSpans, seed: 7 });
    const ratio = figures.storedPerSecEndToEnd / raw.rawSpansPerSec;
    const es = figures.usage.find((u) => u.name === 'elasticsearch');
    const esPer100k = es ? (es.cpuSeconds / figures.spansAccepted) * 100_000 : undefined;
    const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(0)}%`);
    figures = { ...figures, raw, ratioToRaw: ratio };
    write(
      `  raw Elasticsearch bulk of the same documents (${fmt(raw.spans)} load-generator spans, ~${fmt(raw.bytesPerDocument)} bytes/document, ` +
        `batch ${batch}, ${concurrency} in flight, the pipeline stopped): ${fmt(raw.rawSpansPerSec)} spans/s pre-serialized; ` +
        `${fmt(raw.storeSpansPerSec)} spans/s through ElasticsearchSpanStore.writeSpans\n` +
        `  pipeline/raw: ${ratio.toFixed(2)} (sustained ${fmt(figures.storedPerSecEndToEnd)} ÷ raw ${fmt(raw.rawSpansPerSec)})` +
        `${figures.storedPerSecDraining === undefined ? '' : `; ingester alone while draining/raw: ${(figures.storedPerSecDraining / raw.rawSpansPerSec).toFixed(2)}`}\n` +
        // Wall-clock rates of two runs a minute apart move with the neighbours' load; CPU per document much less.
        `  Elasticsearch CPU per 100k documents: ${esPer100k === undefined ? '–' : esPer100k.toFixed(2)} s in the pipeline, ` +
        `${raw.esCpuSecondsPer100k === undefined ? '–' : raw.esCpuSecondsPer100k.toFixed(2)} s raw; CPU pressure ` +
        `${pct(figures.cpuPressure)} during the pipeline run, ${pct(raw.cpuPressure)} during the raw run\n`,
    );
  }
  // The scenario's own figures ride along into BENCH_JSON beside the table's columns.
  const withFigures: LoadRow & { readonly pipeline?: ThroughputFigures } | undefined = row && { ...row, pipeline: figures };
  return withFigures ? [withFigures] : [];
}

// ---- pipeline-latency ----

async function runLatency(settings: BenchSettings): Promise<LoadRow[]> {
  const ps = pipelineSettingsFromEnv();
  const loadAvgBefore = loadavg()[0];
  let row: LoadRow | undefined;
  await withPipeline(ps, async (p) => {
    const window = await openUsageWindow(rolesOf(p));
    const started = performance.now();
    const r = await measureExportToQueryable({
      collectorUrl: p.collector.url('otlpHttp'),
      queryUrl: p.query.url('query'),
      esUrl: ES_URL,
      indexPrefix: indexPrefixOf(p),
      storedSpans: storedOf(p),
      requestsPerSec: ps.latencyRate,
      spansPerRequest: ps.latencySpans,
      durationMs: ps.latencyS * 1000,
      warmupMs: settings.warmupS * 1000,
      pollMs: ps.latencyPollMs,
      via: ps.latencyVia,
      settleMs: 30_000,
      seed: 7,
    });
    const busyS = (performance.now() - started) / 1000;
    const usage = await window.close();
    noteDisturbance(window.disturbed());
    const refresh = await refreshSettings(indexPrefixOf(p));
    const stored = await storedCheck(p);
    const readBackMarks = await readBack(p.query, r.sampleTraces);

    const ms = (x: Percentiles) => [fmt(x.count), fmt(x.p50), fmt(x.p90), fmt(x.p99), fmt(x.max)];
    write(
      `  sent ${fmt(r.requestsSent)} requests of ${ps.latencySpans} spans at ${ps.latencyRate}/s for ${ps.latencyS} s ` +
        `(the first ${settings.warmupS} s not measured); ${r.errors} errors${r.errorSamples.map((e) => `\n  ! ${e}`).join('')}\n` +
        `  Elasticsearch refresh interval: ${refresh}\n` +
        `  watched via ${ps.latencyVia === 'es' ? 'Elasticsearch search (one terms aggregation per poll)' : "the query role's /api/traces/{id}"}, ` +
        `every ${ps.latencyPollMs} ms (${fmt(r.polls)} polls): resolution ≈ one poll\n` +
        `${table(['delay, ms', 'n', 'p50', 'p90', 'p99', 'max'], [
          ['export request (send → 200)', ...ms(r.requestMs)],
          ['200 → stored in Elasticsearch', ...ms(r.storedMs)],
          ['200 → queryable', ...ms(r.queryableMs)],
        ])}\n` +
        `  ${r.tracesIncomplete > 0 ? `! ${r.tracesIncomplete} of ${r.tracesMeasured} traces never complete within 30 s; ` : ''}` +
        `${stored.text}; read-back ${readBackMarks}\n` +
        `  stored → queryable is Elasticsearch's refresh: documents become searchable at the shard's next refresh, ` +
        `so with a 1 s interval that step alone averages ~0.5 s and reaches ~1 s\n` +
        `${usageTable(usage, r.spansAccepted, busyS, window.cpuPressure())}\n`,
    );
    const latencyRow: LoadRow & { readonly latency: object } = {
      ...loadRow(
        'pipeline-latency',
        { spansAccepted: r.spansAccepted, spansPerSec: r.spansAccepted / busyS, p50Ms: r.requestMs.p50, p99Ms: r.requestMs.p99, errors: r.errors },
        usage, r.spansAccepted, busyS, 0, loadAvgBefore,
        `queryable p50 ${fmt(r.queryableMs.p50)} p99 ${fmt(r.queryableMs.p99)} ms; ${stored.text}; read-back ${readBackMarks}`,
      ),
      latency: { ...r, refreshInterval: refresh, via: ps.latencyVia, requestsPerSec: ps.latencyRate, usage, cpuPressure: window.cpuPressure() },
    };
    row = latencyRow;
  });
  return row ? [row] : [];
}

// ---- pipeline-catchup ----

/** Records not yet committed by the group on the topic (high watermark − committed offset, all partitions). */
async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [committed, ends] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
  const committedBy = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  let lag = 0;
  for (const end of ends) {
    const c = committedBy.get(end.partition) ?? -1;
    // -1: nothing committed yet, so everything from the log start is still to do.
    lag += Number(end.high) - (c >= 0 ? c : Number(end.low));
  }
  return lag;
}

async function runCatchup(settings: BenchSettings): Promise<LoadRow[]> {
  const ps = pipelineSettingsFromEnv();
  const loadAvgBefore = loadavg()[0];
  let row: LoadRow | undefined;
  await withPipeline(ps, async (p) => {
    // The first ingester creates the group's offsets and warms the indices, then leaves.
    await warmUp(p, settings, ps);
    const code = await p.ingester.stop('SIGTERM');
    write(`  ingester stopped with SIGTERM (exit ${code}); building the backlog for ${ps.backlogS} s\n`);

    const prepared = await prepareLoadInWorker(loadOptions(p, settings, ps.backlogS));
    const acceptedBefore = await counter(p.collector, ACCEPTED);
    const backlogWindow = await openUsageWindow([['collector', p.collector]]);
    const backlogStarted = performance.now();
    const load = await prepared.run();
    const backlogS = (performance.now() - backlogStarted) / 1000;
    const backlogUsage = await backlogWindow.close();
    const backlog = (await counter(p.collector, ACCEPTED)) - acceptedBefore;
    write(describeLoad(load));

    const admin = new Kafka({ clientId: 'meshtel-bench', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const topic = `${indexPrefixOf(p)}.spans`;
      const groupId = `meshtel-${p.id}`;
      const lagBefore = await consumerLag(admin, groupId, topic);
      write(
        `  backlog: ${fmt(backlog)} spans (${fmt(lagBefore)} Kafka records) accepted in ${backlogS.toFixed(1)} s = ` +
          `${fmt(backlog / backlogS)} spans/s into Kafka with no ingester\n`,
      );

      const spawnedAt = performance.now();
      p.ingester = await p.startIngester();
      const startedAt = performance.now();
      const window = await openUsageWindow([['ingester', p.ingester]]);
      const bulksBefore = await ingesterCounters(p.ingester);
      // The lag from the broker, once a second, beside the stored count: the group is caught up
      // when its commits reach the end of every partition, which is what lag 0 means to an operator.
      let lagZeroAt: number | undefined;
      let watching = true;
      const lagWatch = (async () => {
        while (watching && lagZeroAt === undefined) {
          try {
            if ((await consumerLag(admin, groupId, topic)) === 0) lagZeroAt = performance.now();
          } catch {
            // the broker busy: the next reading decides
          }
          if (lagZeroAt === undefined) await sleep(1000);
        }
      })();
      const progress = await waitForCount(storedOf(p), backlog, ps.drainTimeoutS * 1000);
      const usage = await window.close();
      const bulksAfter = await ingesterCounters(p.ingester);
      // The lag falls to 0 with the last commit, just after the last bulk succeeded.
      const lagDeadline = performance.now() + 15_000;
      while (lagZeroAt === undefined && performance.now() < lagDeadline) await sleep(200);
      watching = false;
      await lagWatch;
      noteDisturbance([...backlogWindow.disturbed(), ...window.disturbed()]);
      if (!progress.reached) write(`  ! not caught up: ${fmt(progress.last)} of ${fmt(backlog)} spans stored after ${ps.drainTimeoutS} s\n`);

      const stored = await storedCheck(p);
      const catchupS = (progress.lastAt - spawnedAt) / 1000;
      const consumingS = progress.firstProgressAt === undefined ? Number.NaN : (progress.lastAt - progress.firstProgressAt) / 1000;
      const firstS = progress.firstProgressAt === undefined ? Number.NaN : (progress.firstProgressAt - spawnedAt) / 1000;
      write(
        `  fresh ingester: started in ${((startedAt - spawnedAt) / 1000).toFixed(1)} s, first spans stored after ${firstS.toFixed(1)} s, ` +
          `backlog stored after ${catchupS.toFixed(1)} s; Kafka lag 0 after ${lagZeroAt === undefined ? '– (not seen)' : `${((lagZeroAt - spawnedAt) / 1000).toFixed(1)} s`}\n` +
          `  catch-up rate: ${fmt(progress.last / catchupS)} spans/s from the ingester's start, ${fmt(progress.last / consumingS)} spans/s once consuming ` +
          `(${(catchupS / backlogS).toFixed(1)}× the time the backlog took to build)\n` +
          `  ${stored.text}\n` +
          `  while building the backlog (${backlogS.toFixed(1)} s, ${fmt(backlog)} spans):\n${usageTable(backlogUsage, backlog, backlogS, backlogWindow.cpuPressure())}\n` +
          `  while catching up (from the ingester's start, ${((progress.lastAt - startedAt) / 1000).toFixed(1)} s, ${fmt(progress.last)} spans):\n` +
          `${usageTable(usage, progress.last, (progress.lastAt - startedAt) / 1000, window.cpuPressure())}\n` +
          `  ${describeBulks(bulksBefore, bulksAfter, (progress.lastAt - startedAt) / 1000)}\n`,
      );
      const combined = [...backlogUsage.filter((u) => !u.shared), ...usage.filter((u) => !u.shared)];
      const catchupRow: LoadRow & { readonly catchup: object } = {
        ...loadRow('pipeline-catchup', load, combined, progress.last, backlogS + catchupS, catchupS, loadAvgBefore, `${stored.text}; caught up at ${fmt(progress.last / catchupS)} spans/s`),
        catchup: {
          backlogSpans: backlog,
          backlogRecords: lagBefore,
          backlogS,
          catchupS,
          firstStoredS: firstS,
          lagZeroS: lagZeroAt === undefined ? undefined : (lagZeroAt - spawnedAt) / 1000,
          spansPerSecFromStart: progress.last / catchupS,
          spansPerSecConsuming: progress.last / consumingS,
          usage: [...backlogUsage, ...usage],
          cpuPressure: window.cpuPressure(),
        },
      };
      row = catchupRow;
    } finally {
      await admin.disconnect();
    }
  });
  return row ? [row] : [];
}

export const pipelineScenarios: readonly Scenario[] = [
  {
    name: 'pipeline-throughput',
    summary: 'load generator → collector → Kafka → ingester → Elasticsearch: spans/s stored, CPU and RSS per role, vs raw bulk (needs deploy/local Kafka + Elasticsearch)',
    byDefault: false,
    run: runThroughput,
  },
  {
    name: 'pipeline-latency',
    summary: 'export → queryable delay p50/p99 through the distributed pipeline at a fixed low rate (needs deploy/local Kafka + Elasticsearch)',
    byDefault: false,
    run: runLatency,
  },
  {
    name: 'pipeline-catchup',
    summary: 'ingester catch-up rate after a backlog built while it was stopped (needs deploy/local Kafka + Elasticsearch)',
    byDefault: false,
    run: runCatchup,
  },
];
