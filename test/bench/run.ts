/**
 * `npm run bench`: end-to-end throughput of meshtel under realistic OTLP load, printed as a table.
 * Benchmarks print figures; they never pass or fail on them (timed tests are flaky on shared
 * machines, and a number is more useful than a red mark).
 *
 * Each load scenario starts its own `meshtel all-in-one` process (so peak RSS is that scenario's
 * own), warms it up briefly, drives it with the load generator from a worker thread, waits until
 * the in-process buffer has drained into the store, and reads the target's CPU time and memory
 * from /proc. Then it reads a few of the sent traces back through the Jaeger API.
 *
 * Settings (environment):
 *   BENCH_SCENARIOS     comma list; default: every scenario marked default (see `scenarios` below)
 *   BENCH_DURATION_S    seconds of load per scenario (default 20)
 *   BENCH_WARMUP_S      seconds of unmeasured load first, so the JIT has settled (default 2)
 *   BENCH_CONCURRENCY   requests in flight (default 8)
 *   BENCH_BATCH         spans per request (default 512)
 *   BENCH_MESHTEL_ARGS  extra flags for the all-in-one process, space-separated
 *   BENCH_NODE_OPTIONS  extra node flags for the all-in-one process only (NODE_OPTIONS), e.g. --max-semi-space-size=32
 *   BENCH_PROFILE=1     CPU-profile the target during the measured load and print its hot spots
 *   BENCH_TELEMETRYGEN  path of the telemetrygen binary (default: PATH, then $GOPATH/bin or ~/go/bin)
 *   BENCH_TELEMETRYGEN_DURATION_S  telemetrygen's --duration (default 10)
 *   BENCH_TELEMETRYGEN_WORKERS     telemetrygen's --workers (default: cores − 1, at most 4)
 *   BENCH_JSON          write every figure as JSON to this file too
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { accessLogScenarios } from './accesslog-load.js';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { formatProfileSummary, summarizeProfileFile, type ProfileSummary } from './cpu-profile-summary.js';
import { prepareLoadInWorker, runLoadInWorker, type LoadProtocol, type LoadResult } from './loadgen.js';
import { peersScenarios } from './peers/peers.js';
import { pipelineScenarios } from './pipeline.js';
import { ensureServers } from '../support/servers.js';
import { metricSum, sampleProcess, scrapeMetrics, type MetricSeries, type ProcessSample } from './target-process.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchSettings {
  readonly durationS: number;
  readonly warmupS: number;
  readonly concurrency: number;
  readonly batchSpans: number;
  readonly meshtelArgs: readonly string[];
  readonly profile: boolean;
  readonly telemetrygen?: string;
  readonly telemetrygenDurationS: number;
  readonly telemetrygenWorkers: number;
}

/** One line of the results table: a load on one target, as the target experienced it. */
export interface LoadRow {
  readonly scenario: string;
  /** What spansAccepted, spansPerSec and the per-100k figures count: spans unless said otherwise. */
  readonly unit?: 'spans' | 'entries';
  readonly spansAccepted: number;
  readonly spansPerSec: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** Target process CPU (all threads) per 100k accepted spans, buffer drain included. */
  readonly cpuSecondsPer100k: number;
  /** The same the other way round: comparable with "100k spans/s on one core". */
  readonly spansPerCpuSecond: number;
  /** Average cores the target used while under load. */
  readonly targetCores: number;
  /**
   * Seconds the buffer took to drain into the store after the load stopped. Well above 0 means
   * the ingester lagged and spans/s accepted is more than the pipeline sustains end to end.
   */
  readonly drainS: number;
  readonly peakRssMb: number;
  readonly refusals?: number;
  readonly errors?: number;
  readonly loadAvgBefore: number;
  readonly loadAvgAfter: number;
  readonly checks?: string;
  readonly load?: LoadResult;
  readonly profile?: ProfileSummary;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** Run when BENCH_SCENARIOS is not set. */
  readonly byDefault: boolean;
  /** Why it cannot run here, or undefined when it can. */
  unavailable?(settings: BenchSettings): string | undefined;
  run(settings: BenchSettings): Promise<LoadRow[]>;
}

// ---- the target: one all-in-one process per scenario ----

export interface TargetFigures {
  readonly spansAccepted: number;
  readonly spansRefused: number;
  readonly cpuSeconds: number;
  /** Measured load only: what spans/s are counted over. */
  readonly elapsedS: number;
  /** Measured load plus the buffer's drain: what the target's CPU time was spent in. */
  readonly busyS: number;
  readonly peakRssBytes: number;
  readonly before: ProcessSample;
  readonly after: ProcessSample;
  /** The target's /metrics at the start of the measured load and after the drain. */
  readonly countersBefore: MetricSeries;
  readonly countersAfter: MetricSeries;
  readonly profile?: ProfileSummary;
}

const ACCEPTED = 'meshtel_receiver_spans_accepted_total';
const REFUSED = 'meshtel_receiver_spans_refused_total';

/**
 * Starts all-in-one, warms it with `warm`, lets `prepare` get the load ready (e.g. build its
 * requests), measures the target while the load runs, waits for the buffer to drain, then hands
 * the process to `inspect` (read-backs) before stopping it.
 */
async function withAllInOne<T>(
  settings: BenchSettings,
  label: string,
  warm: (meshtel: MeshtelProcess) => Promise<unknown>,
  prepare: (meshtel: MeshtelProcess) => Promise<() => Promise<T>>,
  inspect?: (meshtel: MeshtelProcess, load: T) => Promise<string>,
): Promise<{ load: T; target: TargetFigures; checks?: string }> {
  const profileDir = settings.profile ? mkdtempSync(join(tmpdir(), 'meshtel-bench-prof-')) : undefined;
  // BENCH_NODE_OPTIONS reaches the target only, so trying a node flag does not change the bench.
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', process.env.BENCH_NODE_OPTIONS ?? ''];
  const env: Record<string, string> = profileDir
    ? {
        NODE_OPTIONS: [...nodeOptions, '--require tsx/cjs', `--require ${join(repoRoot, 'test/bench/cpu-profile-preload.ts')}`].join(' ').trim(),
        MESHTEL_BENCH_CPU_PROFILE_DIR: profileDir,
      }
    : process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: nodeOptions.join(' ').trim() } : {};
  const meshtel = await startMeshtel('all-in-one', [...settings.meshtelArgs], env);
  const pid = meshtel.child.pid!;
  const metricsUrl = meshtel.url('admin', '/metrics');
  try {
    await eventually(async () => ((await fetch(meshtel.url('admin', '/readyz'))).ok ? true : undefined), 15_000);
    if (settings.warmupS > 0) {
      await warm(meshtel);
      await waitForDrain(metricsUrl);
    }

    const drive = await prepare(meshtel);
    const before = await sampleProcess(pid, metricsUrl);
    const countersBefore = await scrapeMetrics(metricsUrl);
    if (profileDir) process.kill(pid, 'SIGUSR2');
    const started = performance.now();
    const load = await drive();
    const elapsedS = (performance.now() - started) / 1000;
    // The ingester's work for these spans counts too: wait until all of it is in the store.
    await waitForDrain(metricsUrl);
    const busyS = (performance.now() - started) / 1000;
    const after = await sampleProcess(pid, metricsUrl);
    const countersAfter = await scrapeMetrics(metricsUrl);

    let profile: ProfileSummary | undefined;
    if (profileDir) {
      process.kill(pid, 'SIGUSR2');
      const file = await eventually(async () => readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile')), 30_000, 200);
      process.stdout.write(`  cpu profile of ${label}: ${join(profileDir, file)}\n`);
      profile = summarizeProfileFile(join(profileDir, file), 15);
    }
    const checks = inspect ? await inspect(meshtel, load) : undefined;
    return {
      load,
      checks,
      target: {
        spansAccepted: metricSum(countersAfter, ACCEPTED) - metricSum(countersBefore, ACCEPTED),
        spansRefused: metricSum(countersAfter, REFUSED) - metricSum(countersBefore, REFUSED),
        cpuSeconds: after.cpuSeconds - before.cpuSeconds,
        elapsedS,
        busyS,
        peakRssBytes: after.peakRssBytes ?? Math.max(before.rssBytes, after.rssBytes),
        before,
        after,
        countersBefore,
        countersAfter,
        profile,
      },
    };
  } finally {
    await meshtel.stop();
  }
}

/** Resolves once the in-process buffer holds nothing (every accepted span is in the store). */
async function waitForDrain(metricsUrl: string): Promise<void> {
  await eventually(async () => (metricSum(await scrapeMetrics(metricsUrl), 'meshtel_buffer_bytes') === 0 ? true : undefined), 60_000, 100);
}

function rowFrom(scenario: string, target: TargetFigures, loadAvgBefore: number, extra: Partial<LoadRow>): LoadRow {
  const accepted = target.spansAccepted;
  return {
    scenario,
    spansAccepted: accepted,
    spansPerSec: accepted / target.elapsedS,
    cpuSecondsPer100k: accepted > 0 ? (target.cpuSeconds / accepted) * 100_000 : Number.NaN,
    spansPerCpuSecond: target.cpuSeconds > 0 ? accepted / target.cpuSeconds : Number.NaN,
    targetCores: target.cpuSeconds / target.busyS,
    drainS: target.busyS - target.elapsedS,
    peakRssMb: target.peakRssBytes / (1024 * 1024),
    loadAvgBefore,
    loadAvgAfter: loadavg()[0],
    profile: target.profile,
    ...extra,
  };
}

// ---- scenarios ----

/** The load generator against all-in-one over one protocol. */
function allInOneLoadgen(name: string, protocol: LoadProtocol): Scenario {
  return {
    name,
    summary: `load generator → all-in-one over ${protocol === 'grpc' ? 'OTLP/gRPC' : 'OTLP/HTTP protobuf'}`,
    byDefault: true,
    async run(settings) {
      const loadAvgBefore = loadavg()[0];
      const targetOf = (m: MeshtelProcess) => (protocol === 'grpc' ? m.endpoints.otlpGrpc : m.url('otlpHttp'));
      const options = (m: MeshtelProcess, seconds: number) => ({
        target: targetOf(m), protocol, durationMs: seconds * 1000, concurrency: settings.concurrency, batchSpans: settings.batchSpans,
      });
      const { load, target, checks } = await withAllInOne(
        settings,
        name,
        (m) => runLoadInWorker({ ...options(m, settings.warmupS), seed: 99 }),
        async (m) => {
          const prepared = await prepareLoadInWorker(options(m, settings.durationS));
          return () => prepared.run();
        },
        (m, result) => readBack(m, result),
      );
      if (load.spansAccepted !== target.spansAccepted) {
        process.stdout.write(`  note: the generator counted ${load.spansAccepted} spans accepted, meshtel's counter ${target.spansAccepted}\n`);
      }
      return [
        {
          ...rowFrom(name, target, loadAvgBefore, { p50Ms: load.p50Ms, p99Ms: load.p99Ms, refusals: load.refusals, errors: load.errors, checks, load }),
          // The generator's own count and clock: what a sender saw accepted.
          spansAccepted: load.spansAccepted,
          spansPerSec: load.spansPerSec,
        },
      ];
    },
  };
}

/** Reads the last sent traces back through the Jaeger API: each must be there, complete. */
async function readBack(meshtel: MeshtelProcess, load: LoadResult): Promise<string> {
  const marks: string[] = [];
  for (const { traceId, spanCount } of load.sampleTraces) {
    let mark = '✗';
    let why = '';
    try {
      const res = await fetch(meshtel.url('query', `/api/traces/${traceId}`), { signal: AbortSignal.timeout(10_000) });
      if (res.ok) {
        const body = (await res.json()) as { data?: Array<{ traceID?: string; spans?: unknown[] }> };
        const found = body.data?.[0]?.spans?.length ?? 0;
        if (body.data?.[0]?.traceID === traceId && found === spanCount) mark = '✓';
        else why = ` (${found} of ${spanCount} spans)`;
      } else {
        why = ` (HTTP ${res.status})`;
      }
    } catch (err) {
      why = ` (${err instanceof Error ? err.message : String(err)})`;
    }
    process.stdout.write(`  read back /api/traces/${traceId}: ${mark}${why}\n`);
    marks.push(mark);
  }
  const ok = marks.filter((m) => m === '✓').length;
  return `${ok}/${marks.length} ${ok === marks.length && marks.length > 0 ? '✓' : '✗'}`;
}

function findTelemetrygen(settings: BenchSettings): string | undefined {
  const candidates = [
    ...(settings.telemetrygen ? [settings.telemetrygen] : []),
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'telemetrygen')),
    join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin', 'telemetrygen'),
  ];
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there; try the next place
    }
  }
  return undefined;
}

/**
 * OpenTelemetry's own load client (Go SDK batch exporter, 2-span traces with few attributes), as
 * an independent check of the figures. It does not say what was accepted, so meshtel's counter
 * does. It makes every span through the SDK, so on a small machine it may be the bottleneck:
 * compare the target's cores with the load generator rows before reading its spans/s.
 */
const telemetrygenScenario: Scenario = {
  name: 'allinone-telemetrygen',
  summary: 'telemetrygen traces (OTel Go SDK over OTLP/gRPC) → all-in-one',
  byDefault: true,
  unavailable: (settings) =>
    findTelemetrygen(settings) ? undefined
      : 'telemetrygen not found (GOFLAGS=-mod=mod go install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@latest)',
  async run(settings) {
    const binary = findTelemetrygen(settings)!;
    const loadAvgBefore = loadavg()[0];
    const telemetrygen = (m: MeshtelProcess, seconds: number) =>
      runCommand(binary, [
        'traces', '--otlp-insecure', '--otlp-endpoint', m.endpoints.otlpGrpc,
        '--duration', `${seconds}s`, '--rate', '0', '--workers', String(settings.telemetrygenWorkers), '--allow-export-failures',
        // Export batches the size of the load generator's requests (telemetrygen's default is 100).
        '--batch-size', String(settings.batchSpans),
      ], (seconds + 60) * 1000, false);
    const { target } = await withAllInOne(
      settings,
      'allinone-telemetrygen',
      (m) => telemetrygen(m, settings.warmupS),
      async (m) => () => telemetrygen(m, settings.telemetrygenDurationS),
    );
    return [rowFrom('allinone-telemetrygen', target, loadAvgBefore, { refusals: target.spansRefused, checks: 'n/a' })];
  },
};

/** A benchmark script of its own, run as a child process with its output shown as it comes. */
function scriptScenario(name: string, script: string, args: string[], summary: string, byDefault: boolean, before?: () => Promise<void>): Scenario {
  return {
    name,
    summary,
    byDefault,
    unavailable: () => (existsSync(join(repoRoot, script)) ? undefined : `${script} is missing`),
    async run() {
      await before?.();
      await runCommand(process.execPath, ['--import', 'tsx', script, ...args], 300_000, true);
      return [];
    },
  };
}

/** Runs a command to its end (killed past `timeoutMs`); shows its output indented when `show`. */
function runCommand(file: string, args: string[], timeoutMs: number, show: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const keep = (line: string) => {
      if (show) process.stdout.write(`  ${line}\n`);
      tail.push(line);
      if (tail.length > 20) tail.shift();
    };
    createInterface({ input: child.stdout! }).on('line', keep);
    createInterface({ input: child.stderr! }).on('line', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${file} ${args.join(' ')} ended with ${signal ?? code}:\n${tail.join('\n')}`));
    });
  });
}

/**
 * Every scenario, in the order they run (whatever the order in BENCH_SCENARIOS). Later issues add
 * theirs here; the distributed pipeline's (collector → Kafka → ingester → Elasticsearch, driven by
 * the same load generator against the collector) live in pipeline.ts.
 */
export const scenarios: readonly Scenario[] = [
  allInOneLoadgen('allinone-http', 'http-protobuf'),
  allInOneLoadgen('allinone-grpc', 'grpc'),
  telemetrygenScenario,
  // Envoy access logs (issues 4 and 5): Istio TEXT lines over HTTP and ALS over gRPC; see accesslog-load.ts.
  ...accessLogScenarios({ withAllInOne, rowFrom }),
  scriptScenario('codec', 'test/bench/codec.ts', [], 'codec micro-benchmark (decode, validate, per-trace encode) in one thread', true),
  scriptScenario('collector-workers', 'test/bench/collector-workers.ts', [], 'collector → Kafka with 1 and 2 worker processes (--workers), interleaved runs and medians (needs deploy/local Kafka)', false,
    () => ensureServers(['kafka'])),
  scriptScenario('kafka-buffer', 'test/bench/kafka-buffer.ts', ['5'], 'KafkaBuffer publish/consume against a real broker (needs deploy/local Kafka)', false),
  scriptScenario('es-bulk', 'test/bench/es-bulk.ts', [], 'Elasticsearch bulk writes of span documents (needs deploy/local Elasticsearch)', false),
  scriptScenario('graph-es', 'test/bench/graph-es.ts', [], 'mesh graph over 1h / 24h / 7d of a generated 50-service mesh in Elasticsearch (needs deploy/local Elasticsearch)', false,
    () => ensureServers(['elasticsearch'])),
  scriptScenario('traceql-es', 'test/bench/traceql-es.ts', [], 'Tempo API TraceQL search and trace-by-id latency over spans in Elasticsearch (needs deploy/local Elasticsearch)', false),
  scriptScenario('als-decode', 'test/bench/als.ts', [], 'Envoy ALS micro-benchmark: wire decode, records, OTLP encode per entry, and a gRPC receiver in process', false),
  scriptScenario('derive-istio', 'test/bench/derive-istio.ts', [], 'Istio standard metrics derived from access-log records (IstioMetricsDeriver → MetricsRegistry)', false),
  scriptScenario('derive-spans', 'test/bench/derive-spans.ts', [], 'span-metrics and service-graph derivation over 100k mesh spans', false),
  scriptScenario('remote-write', 'test/bench/remote-write.ts', [], 'Prometheus remote-write: snapshot, encode + snappy, send (needs deploy/local Prometheus)', false,
    () => ensureServers(['prometheus'])),
  scriptScenario('memstore', 'test/bench/memstore.ts', [], 'the memory span store alone: 500k spans held (heap, external, write cost), trace by id, Jaeger and TraceQL search latency', false),
  scriptScenario('allinone-memory', 'test/bench/allinone-memory.ts', [], 'all-in-one filled past its 500k-span bound: peak and steady RSS, V8 heap, external bytes', false),
  scriptScenario('rollup-dependencies', 'test/bench/rollup.ts', [], '/api/dependencies over 1 h … 30 days, live and over roll-ups, memory and Elasticsearch; roll-up cost', false),
  // The distributed pipeline (collector → Kafka → ingester → Elasticsearch), only when named; see pipeline.ts.
  ...pipelineScenarios,
  // meshtel beside Jaeger and the OpenTelemetry Collector under the same load (issue 13), only when named; see peers/.
  ...peersScenarios,
];

// ---- output ----

function formatTable(rows: readonly LoadRow[]): string {
  const n = (x: number | undefined, digits = 0) =>
    x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const header = ['scenario', 'spans/s accepted', 'p50 ms', 'p99 ms', 'CPU s/100k spans', 'spans/CPU-s', 'target cores', 'drain s', 'peak RSS MB', 'refused', 'errors', 'load 1m', 'read-back'];
  const body = rows.map((r) => [
    r.unit === 'entries' ? `${r.scenario} (entries)` : r.scenario, n(r.spansPerSec), n(r.p50Ms, 1), n(r.p99Ms, 1), n(r.cpuSecondsPer100k, 2), n(r.spansPerCpuSecond), n(r.targetCores, 2),
    n(r.drainS, 1), n(r.peakRssMb), n(r.refusals), n(r.errors), `${r.loadAvgBefore.toFixed(1)}→${r.loadAvgAfter.toFixed(1)}`, r.checks ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 || i === widths.length - 1 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

function settingsFromEnv(): BenchSettings {
  const num = (name: string, fallback: number): number => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not "${raw}"`);
    return value;
  };
  return {
    durationS: num('BENCH_DURATION_S', 20),
    warmupS: num('BENCH_WARMUP_S', 2),
    concurrency: Math.max(1, num('BENCH_CONCURRENCY', 8)),
    batchSpans: Math.max(1, num('BENCH_BATCH', 512)),
    meshtelArgs: (process.env.BENCH_MESHTEL_ARGS ?? '').split(/\s+/).filter(Boolean),
    profile: process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === 'true',
    telemetrygen: process.env.BENCH_TELEMETRYGEN || undefined,
    telemetrygenDurationS: num('BENCH_TELEMETRYGEN_DURATION_S', 10),
    // Each worker makes spans as fast as it can and the SDK drops what its queue cannot hold, so
    // workers beyond the spare cores only starve the exporter and the target: on 2 cores, 4
    // workers got 13k spans/s accepted where 1 worker got 35k (5 s runs, load average ~4).
    telemetrygenWorkers: Math.max(1, num('BENCH_TELEMETRYGEN_WORKERS', Math.min(4, cpus().length - 1))),
  };
}

function describeMachine(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '') commit += ' + uncommitted changes';
  } catch {
    // not a git checkout: the commit is just unknown
  }
  const [one, five, fifteen] = loadavg();
  return `meshtel ${commit}; node ${process.version}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; load average ${one.toFixed(2)} ${five.toFixed(2)} ${fifteen.toFixed(2)}`;
}

async function main(): Promise<number> {
  const settings = settingsFromEnv();
  const wanted = (process.env.BENCH_SCENARIOS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((w) => !scenarios.some((s) => s.name === w));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown scenario(s) ${unknown.join(', ')}; scenarios are:\n${scenarios.map((s) => `  ${s.name.padEnd(22)} ${s.summary}${s.byDefault ? '' : ' (only when named)'}`).join('\n')}\n`);
    return 2;
  }
  const selected = wanted.length > 0 ? scenarios.filter((s) => wanted.includes(s.name)) : scenarios.filter((s) => s.byDefault);

  process.stdout.write(`${describeMachine()}\n`);
  process.stdout.write(
    `load: ${settings.durationS} s per scenario after ${settings.warmupS} s warm-up, ${settings.concurrency} requests in flight, ` +
      `${settings.batchSpans} spans per request; target to report against: 100,000 spans/s on one core\n\n`,
  );

  const rows: LoadRow[] = [];
  const failures: string[] = [];
  for (const scenario of selected) {
    const reason = scenario.unavailable?.(settings);
    if (reason) {
      process.stdout.write(`— ${scenario.name}: skipped, ${reason}\n\n`);
      continue;
    }
    process.stdout.write(`— ${scenario.name}: ${scenario.summary}\n`);
    try {
      const produced = await scenario.run(settings);
      for (const row of produced) {
        if (row.load) {
          const l = row.load;
          // Busy near 100% would mean the generator, not the target, set the pace.
          process.stdout.write(
            `  generator: ${l.requests} requests of ${l.spansPerRequest} spans (${Math.round(l.requestBytes / 1024)} KiB), ` +
              `busy ${(l.generatorBusy * 100).toFixed(0)}% of its thread; ${l.retries} retries, ${l.spansNotDelivered} spans not delivered\n`,
          );
          process.stdout.write(l.errorSamples.map((e) => `  ! ${e}\n`).join(''));
        }
        if (row.profile) process.stdout.write(`${formatProfileSummary(row.profile).replace(/^/gm, '  ')}\n`);
      }
      rows.push(...produced);
    } catch (err) {
      failures.push(scenario.name);
      process.stdout.write(`  failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.stdout.write('\n');
  }

  if (rows.length > 0) {
    process.stdout.write(`${formatTable(rows)}\n`);
    process.stdout.write(
      '\nspans/s accepted: by the sender, over the measured duration. CPU s/100k spans and target cores: the all-in-one ' +
        'process, every thread, from the start of the load until its buffer drained into the store (drain s: how long that ' +
        'took after the load stopped). Peak RSS: VmHWM of ' +
        'that process (its whole life, warm-up included). p50/p99: accepted requests, send to full answer.\n',
    );
  }
  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, `${JSON.stringify({ machine: describeMachine(), settings, rows }, null, 2)}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

// Run only as the entry point, so a later bench can import `scenarios` and the helpers.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
