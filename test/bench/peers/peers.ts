/**
 * `BENCH_SCENARIOS=peers npm run bench`: meshtel beside Jaeger v1.75.0 and the OpenTelemetry
 * Collector v0.165.0 under the same load, in the same run (issue 13: "compare with a peer in the
 * same run where the issue names one").
 *
 * Rows (BENCH_PEERS_ROWS picks; default all):
 *   edge-http, edge-grpc    meshtel all-in-one (memory store) | Jaeger all-in-one (memory store)
 *                           | otelcol otlp → batch → nop
 *   kafka-http, kafka-grpc  meshtel collector | Jaeger otlp → kafka | otelcol otlp → kafka, all
 *                           acks=all before answering, on deploy/local's Kafka
 * Each target runs BENCH_PEERS_RUNS times (default 3), a fresh process per run, the order rotated
 * from run to run; the table shows medians. The load is the `allinone-http/grpc` scenarios'
 * (loadgen.ts, BENCH_CONCURRENCY × BENCH_BATCH), BENCH_DURATION_S (10 here unless set) after
 * BENCH_WARMUP_S of warm-up.
 *
 * Per run: spans/s accepted (the generator's count), the target's CPU (/proc, every thread) from
 * the start of the load until it went idle (so work queued behind the answer — meshtel's buffer,
 * the peers' batch processor — is counted), peak RSS (VmHWM), and for Kafka rows the broker's
 * CPU over the same window.
 *
 * The peers are built once from the Go module proxy into a cache outside git (build.ts);
 * BENCH_PEERS=jaeger,otelcol picks them, and a peer whose build fails is skipped with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { startMeshtel, type MeshtelProcess } from '../../support/meshtel-process.js';
import { ensureServers, KAFKA_BROKERS } from '../../support/servers.js';
import { prepareLoadInWorker, runLoadInWorker, type LoadOptions, type LoadProtocol, type LoadResult } from '../loadgen.js';
import { cpuStallMicros, fmt, serverPid, sleep, table } from '../pipeline-measure.js';
import type { BenchSettings, LoadRow, Scenario } from '../run.js';
import { metricSum, sampleProcess, scrapeMetrics, type ProcessSample } from '../target-process.js';
import { buildPeer, JAEGER_VERSION, OTELCOL_VERSION, type PeerName } from './build.js';
import { jaegerAllInOne, jaegerKafka, otelcolEdge, otelcolKafka, type KafkaTarget, type Listen } from './configs.js';

type RowKind = 'edge-http' | 'edge-grpc' | 'kafka-http' | 'kafka-grpc';
const ROW_KINDS: readonly RowKind[] = ['edge-http', 'edge-grpc', 'kafka-http', 'kafka-grpc'];
type TargetName = 'meshtel' | PeerName;

interface PeersSettings {
  readonly runs: number;
  readonly durationS: number;
  readonly rows: readonly RowKind[];
  readonly peers: readonly PeerName[];
}

function peersSettings(settings: BenchSettings): PeersSettings {
  const list = (name: string, known: readonly string[]): string[] => {
    const raw = (process.env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = raw.filter((r) => !known.includes(r));
    if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return raw.length > 0 ? raw : [...known];
  };
  const runs = Number(process.env.BENCH_PEERS_RUNS ?? 3);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_PEERS_RUNS must be a positive integer, not "${process.env.BENCH_PEERS_RUNS}"`);
  return {
    runs,
    // Nine fresh processes per row: 10 s of load each keeps the whole scenario near twelve minutes.
    durationS: process.env.BENCH_DURATION_S ? settings.durationS : 10,
    rows: list('BENCH_PEERS_ROWS', ROW_KINDS) as RowKind[],
    peers: list('BENCH_PEERS', ['jaeger', 'otelcol']) as PeerName[],
  };
}

// ---- targets: one process each, fresh per run ----

interface Target {
  readonly name: TargetName;
  readonly pid: number;
  /** http://host:port of the OTLP/HTTP receiver. */
  readonly otlpHttp: string;
  /** host:port of the OTLP/gRPC receiver. */
  readonly otlpGrpc: string;
  /** Waits for work the target still owes after its answers (meshtel's buffer drain). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

interface RunContext {
  readonly kind: RowKind;
  readonly settings: BenchSettings;
  readonly binaries: ReadonlyMap<PeerName, string>;
  /** Kafka rows: topics of this run start with it; deleted after the run. */
  readonly topicPrefix: string;
  readonly workDir: string;
  readonly durationS: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Peer processes still running: killed if the bench exits early, so none outlives it. */
const livePeers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of livePeers) child.kill('SIGKILL');
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

async function startMeshtelTarget(ctx: RunContext): Promise<Target> {
  const kafka = ctx.kind.startsWith('kafka');
  const extra = (process.env[kafka ? 'BENCH_COLLECTOR_ARGS' : 'BENCH_MESHTEL_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  const meshtel: MeshtelProcess = kafka
    ? await startMeshtel('collector', ['--kafka-brokers', KAFKA_BROKERS, '--kafka-topic-prefix', ctx.topicPrefix, '--kafka-partitions', '3', ...extra])
    : await startMeshtel('all-in-one', extra);
  try {
    await waitUntil(async () => (await fetch(meshtel.url('admin', '/readyz'), { signal: AbortSignal.timeout(3000) })).ok, 60_000, `meshtel ${kafka ? 'collector' : 'all-in-one'} ready`);
  } catch (err) {
    await meshtel.stop();
    throw err;
  }
  const metricsUrl = meshtel.url('admin', '/metrics');
  return {
    name: 'meshtel',
    pid: meshtel.child.pid!,
    otlpHttp: meshtel.url('otlpHttp'),
    otlpGrpc: meshtel.endpoints.otlpGrpc,
    // All-in-one answers once spans are in its in-process buffer: its ingester's work counts too.
    settle: () => (kafka ? Promise.resolve() : waitUntil(async () => metricSum(await scrapeMetrics(metricsUrl), 'meshtel_buffer_bytes') === 0, 120_000, 'buffer drained')),
    stop: async () => {
      await meshtel.stop();
    },
  };
}

async function startPeerTarget(name: PeerName, ctx: RunContext): Promise<Target> {
  const listen: Listen = { grpc: `127.0.0.1:${await freePort()}`, http: `127.0.0.1:${await freePort()}` };
  const kafka: KafkaTarget = { brokers: [KAFKA_BROKERS], topic: `${ctx.topicPrefix}.${name}-spans` };
  const config = ctx.kind.startsWith('kafka')
    ? (name === 'jaeger' ? jaegerKafka(listen, kafka) : otelcolKafka(listen, kafka))
    : (name === 'jaeger' ? jaegerAllInOne(listen) : otelcolEdge(listen));
  const configPath = join(ctx.workDir, `${name}-${ctx.kind}.yaml`);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  const logPath = join(ctx.workDir, `${name}-${ctx.kind}.log`);
  const logFd = openSync(logPath, 'a');
  const child = spawn(ctx.binaries.get(name)!, ['--config', configPath], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  livePeers.add(child);
  child.once('exit', () => livePeers.delete(child));
  const logTail = () => readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n');
  const otlpHttp = `http://${listen.http}`;
  try {
    // Ready when the HTTP receiver takes an (empty) export request.
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${logTail()}`);
      const res = await fetch(`${otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(0), signal: AbortSignal.timeout(3000) });
      return res.ok;
    }, 60_000, `${name} ready`, () => child.exitCode !== null);
  } catch (err) {
    await stopChild(child);
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logTail()}`);
  }
  return { name, pid: child.pid!, otlpHttp, otlpGrpc: listen.grpc, settle: () => Promise.resolve(), stop: () => stopChild(child) };
}

/** Polls until `probe` is true; a probe that throws counts as not yet, unless `fatal` says to give up. */
async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string, fatal?: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
      if (fatal?.()) throw err;
    }
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await sleep(100);
  }
}

/**
 * Waits until the process has gone quiet: under 5 % of a core over half a second. The peers'
 * batch processors and meshtel's ingester finish work after the last answer; that is their cost too.
 */
async function waitIdle(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let previous = await sampleProcess(pid, '');
  for (;;) {
    await sleep(500);
    const now = await sampleProcess(pid, '');
    if (now.cpuSeconds - previous.cpuSeconds < 0.025 || performance.now() > deadline) return;
    previous = now;
  }
}

// ---- the Kafka broker ----

/** The broker's pid: deploy/local's pid file where this checkout has one, else the JVM running kafka.Kafka. */
function kafkaPid(): number | undefined {
  const recorded = serverPid('kafka');
  if (recorded !== undefined) return recorded;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The JVM itself, not a shell that launched it with the same words in its arguments.
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('java') && argv.includes('kafka.Kafka')) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

async function sampleBroker(pid: number | undefined): Promise<ProcessSample | undefined> {
  if (pid === undefined) return undefined;
  return sampleProcess(pid, '').catch(() => undefined);
}

async function withKafkaAdmin<T>(use: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'meshtel-bench-peers', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The peers get their topic made beforehand, with the partitions meshtel's collector makes (3). */
async function createPeerTopic(topic: string): Promise<void> {
  await withKafkaAdmin((admin) => admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }));
}

/** Records in the topics of a prefix (the sum of their partitions' end offsets): keyed by trace id for every target here, one per trace for meshtel, one per resource, scope and trace for the peers. */
async function kafkaRecords(prefix: string): Promise<number> {
  return withKafkaAdmin(async (admin) => {
    let sum = 0;
    for (const topic of (await admin.listTopics()).filter((t) => t.startsWith(prefix))) {
      for (const p of await admin.fetchTopicOffsets(topic)) sum += Number(p.high);
    }
    return sum;
  });
}

async function dropTopics(prefix: string): Promise<void> {
  await withKafkaAdmin(async (admin) => {
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  });
}

// ---- one run ----

interface RunFigures {
  readonly target: TargetName;
  readonly run: number;
  readonly spansAccepted: number;
  readonly spansPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly refusals: number;
  readonly errors: number;
  readonly cpuSeconds: number;
  readonly cpuSecondsPer100k: number;
  /** From the start of the load until the target was idle. */
  readonly busyS: number;
  readonly elapsedS: number;
  readonly peakRssMb: number;
  readonly brokerCpuSecondsPer100k?: number;
  /** Kafka rows: records in the run's topics afterwards, warm-up included (a check that the spans went there). */
  readonly kafkaRecords?: number;
  /**
   * Share of the window in which some task on the machine waited for a core (Linux PSI); high
   * means the figures are the neighbours' as much as the target's. Undefined without PSI.
   */
  readonly cpuPressure?: number;
  readonly errorSamples: readonly string[];
}

const protocolOf = (kind: RowKind): LoadProtocol => (kind.endsWith('grpc') ? 'grpc' : 'http-protobuf');

async function measureRun(name: TargetName, run: number, ctx: RunContext): Promise<RunFigures> {
  const kafka = ctx.kind.startsWith('kafka');
  if (kafka && name !== 'meshtel') await createPeerTopic(`${ctx.topicPrefix}.${name}-spans`);
  const target = name === 'meshtel' ? await startMeshtelTarget(ctx) : await startPeerTarget(name, ctx);
  try {
    const protocol = protocolOf(ctx.kind);
    const options = (seconds: number): LoadOptions => ({
      target: protocol === 'grpc' ? target.otlpGrpc : target.otlpHttp,
      protocol,
      durationMs: seconds * 1000,
      concurrency: ctx.settings.concurrency,
      batchSpans: ctx.settings.batchSpans,
    });
    if (ctx.settings.warmupS > 0) {
      await runLoadInWorker({ ...options(ctx.settings.warmupS), seed: 99 });
      await target.settle();
      await waitIdle(target.pid);
    }
    const prepared = await prepareLoadInWorker(options(ctx.durationS));
    const broker = kafka ? kafkaPid() : undefined;
    const [before, brokerBefore] = await Promise.all([sampleProcess(target.pid, ''), sampleBroker(broker)]);
    const stallBefore = cpuStallMicros();
    const started = performance.now();
    const load: LoadResult = await prepared.run();
    const elapsedS = (performance.now() - started) / 1000;
    await target.settle();
    await waitIdle(target.pid);
    const busyS = (performance.now() - started) / 1000;
    const [after, brokerAfter] = await Promise.all([sampleProcess(target.pid, ''), sampleBroker(broker)]);
    const stallAfter = cpuStallMicros();
    const records = kafka ? await kafkaRecords(ctx.topicPrefix).catch(() => undefined) : undefined;
    const accepted = load.spansAccepted;
    const per100k = (cpu: number) => (accepted > 0 ? (cpu / accepted) * 100_000 : Number.NaN);
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    return {
      target: name,
      run,
      spansAccepted: accepted,
      spansPerSec: load.spansPerSec,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      refusals: load.refusals,
      errors: load.errors,
      cpuSeconds,
      cpuSecondsPer100k: per100k(cpuSeconds),
      busyS,
      elapsedS,
      peakRssMb: (after.peakRssBytes ?? after.rssBytes) / (1024 * 1024),
      brokerCpuSecondsPer100k: brokerBefore && brokerAfter ? per100k(brokerAfter.cpuSeconds - brokerBefore.cpuSeconds) : undefined,
      kafkaRecords: records,
      cpuPressure: stallBefore !== undefined && stallAfter !== undefined ? (stallAfter - stallBefore) / 1e6 / busyS : undefined,
      errorSamples: load.errorSamples,
    };
  } finally {
    await target.stop();
  }
}

// ---- the scenario ----

export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const TARGET_LABELS: Record<RowKind, Record<TargetName, string>> = {
  'edge-http': { meshtel: 'meshtel all-in-one (memory)', jaeger: `Jaeger ${JAEGER_VERSION} all-in-one (memory)`, otelcol: `otelcol ${OTELCOL_VERSION} otlp→batch→nop` },
  'edge-grpc': { meshtel: 'meshtel all-in-one (memory)', jaeger: `Jaeger ${JAEGER_VERSION} all-in-one (memory)`, otelcol: `otelcol ${OTELCOL_VERSION} otlp→batch→nop` },
  'kafka-http': { meshtel: 'meshtel collector → Kafka', jaeger: `Jaeger ${JAEGER_VERSION} otlp→kafka`, otelcol: `otelcol ${OTELCOL_VERSION} otlp→kafka` },
  'kafka-grpc': { meshtel: 'meshtel collector → Kafka', jaeger: `Jaeger ${JAEGER_VERSION} otlp→kafka`, otelcol: `otelcol ${OTELCOL_VERSION} otlp→kafka` },
};

export interface PeerMedians {
  readonly row: RowKind;
  readonly target: TargetName;
  readonly label: string;
  readonly spansPerSec: number;
  readonly cpuSecondsPer100k: number;
  readonly peakRssMb: number;
  readonly brokerCpuSecondsPer100k?: number;
  readonly cpuPressure?: number;
  readonly runs: readonly RunFigures[];
}

/** meshtel ÷ the best peer: spans/s against the fastest, CPU, RSS and broker CPU against the lowest. */
export function versusBestPeer(meshtel: PeerMedians, peers: readonly PeerMedians[]): string {
  if (peers.length === 0) return '– (no peer ran)';
  const ratio = (mine: number | undefined, theirs: Array<number | undefined>, pick: (xs: number[]) => number) => {
    const xs = theirs.filter((x): x is number => x !== undefined && !Number.isNaN(x));
    const best = xs.length > 0 ? pick(xs) : 0;
    return mine === undefined || Number.isNaN(mine) || best <= 0 ? undefined : mine / best;
  };
  const parts = [
    ['spans/s', ratio(meshtel.spansPerSec, peers.map((p) => p.spansPerSec), (xs) => Math.max(...xs))],
    ['CPU', ratio(meshtel.cpuSecondsPer100k, peers.map((p) => p.cpuSecondsPer100k), (xs) => Math.min(...xs))],
    ['RSS', ratio(meshtel.peakRssMb, peers.map((p) => p.peakRssMb), (xs) => Math.min(...xs))],
    ['broker', ratio(meshtel.brokerCpuSecondsPer100k, peers.map((p) => p.brokerCpuSecondsPer100k), (xs) => Math.min(...xs))],
  ] as const;
  return parts.filter(([, r]) => r !== undefined).map(([what, r]) => `${what} ${r!.toFixed(2)}×`).join(', ');
}

export function formatPeersTable(medians: readonly PeerMedians[]): string {
  const rows: string[][] = [];
  for (const kind of ROW_KINDS) {
    const group = medians.filter((m) => m.row === kind);
    const meshtel = group.find((m) => m.target === 'meshtel');
    const peers = group.filter((m) => m.target !== 'meshtel');
    for (const m of group) {
      rows.push([
        `${kind}: ${m.label}`, fmt(m.spansPerSec), fmt(m.cpuSecondsPer100k, 2), fmt(m.peakRssMb),
        kind.startsWith('kafka') ? fmt(m.brokerCpuSecondsPer100k, 2) : '–',
        m.cpuPressure === undefined ? '–' : `${(m.cpuPressure * 100).toFixed(0)} %`,
        m === meshtel ? versusBestPeer(m, peers) : '',
      ]);
    }
  }
  return table(['row: target', 'spans/s accepted', 'CPU s/100k spans', 'peak RSS MB', 'broker CPU s/100k', 'CPU pressure', 'meshtel ÷ best peer'], rows, '');
}

async function runPeers(settings: BenchSettings): Promise<LoadRow[]> {
  const ps = peersSettings(settings);
  const loadAvgBefore = loadavg()[0];
  const startedAt = performance.now();
  const binaries = new Map<PeerName, string>();
  for (const peer of ps.peers) {
    const outcome = await buildPeer(peer, (line) => process.stdout.write(`  ${line}\n`));
    if (outcome.ok) binaries.set(peer, outcome.path);
    else process.stdout.write(`  peers: skipping ${peer}: its build failed: ${outcome.reason}\n`);
  }
  let rows = ps.rows;
  if (rows.some((r) => r.startsWith('kafka'))) {
    try {
      await ensureServers(['kafka']);
    } catch (err) {
      process.stdout.write(`  peers: skipping the Kafka rows: Kafka is not available (${err instanceof Error ? err.message : String(err)})\n`);
      rows = rows.filter((r) => !r.startsWith('kafka'));
    }
  }
  const targets: TargetName[] = ['meshtel', ...ps.peers.filter((p) => binaries.has(p))];
  const id = randomBytes(4).toString('hex');
  const workDir = mkdtempSync(join(tmpdir(), 'meshtel-bench-peers-'));
  process.stdout.write(
    `  ${rows.length} rows × ${targets.length} targets × ${ps.runs} runs, ${ps.durationS} s of load after ${settings.warmupS} s warm-up each; ` +
      `topics meshtel-peers-${id}-*; configs and peer logs in ${workDir}\n`,
  );
  const medians: PeerMedians[] = [];
  try {
    for (const kind of rows) {
      const runs: RunFigures[] = [];
      for (let run = 0; run < ps.runs; run++) {
        // Rotate the order so no target always runs first (cold page cache, neighbours' load).
        const order = targets.map((_, i) => targets[(i + run) % targets.length]);
        for (const name of order) {
          const topicPrefix = `meshtel-peers-${id}-${kind}-${run}-${name}`;
          const ctx: RunContext = { kind, settings, binaries, topicPrefix, workDir, durationS: ps.durationS };
          try {
            const r = await measureRun(name, run, ctx);
            runs.push(r);
            process.stdout.write(
              `  ${kind} run ${run + 1}/${ps.runs} ${name.padEnd(7)} ${fmt(r.spansPerSec).padStart(7)} spans/s, CPU ${fmt(r.cpuSecondsPer100k, 2)} s/100k ` +
                `(${fmt(r.cpuSeconds, 1)} s over ${fmt(r.busyS, 1)} s), peak RSS ${fmt(r.peakRssMb)} MB` +
                `${r.brokerCpuSecondsPer100k === undefined ? '' : `, broker ${fmt(r.brokerCpuSecondsPer100k, 2)} s/100k`}` +
                `${r.kafkaRecords === undefined ? '' : `, ${fmt(r.kafkaRecords)} Kafka records`}; ` +
                `p50/p99 ${fmt(r.p50Ms, 1)}/${fmt(r.p99Ms, 1)} ms, ${r.refusals} refused, ${r.errors} errors; load ${loadavg()[0].toFixed(2)}` +
                `${r.cpuPressure === undefined ? '' : `, CPU pressure ${(r.cpuPressure * 100).toFixed(0)} %`}\n`,
            );
            for (const e of r.errorSamples) process.stdout.write(`    ! ${e}\n`);
          } catch (err) {
            process.stdout.write(`  ${kind} run ${run + 1}/${ps.runs} ${name}: failed: ${err instanceof Error ? err.message : String(err)}\n`);
          } finally {
            if (kind.startsWith('kafka')) {
              await dropTopics(topicPrefix).catch((err: unknown) => process.stdout.write(`  peers: could not delete the topics ${topicPrefix}*: ${String(err)}\n`));
            }
          }
        }
      }
      for (const name of targets) {
        const mine = runs.filter((r) => r.target === name);
        if (mine.length === 0) continue;
        const brokers = mine.map((r) => r.brokerCpuSecondsPer100k).filter((x): x is number => x !== undefined);
        const pressures = mine.map((r) => r.cpuPressure).filter((x): x is number => x !== undefined);
        medians.push({
          row: kind,
          target: name,
          label: TARGET_LABELS[kind][name],
          spansPerSec: median(mine.map((r) => r.spansPerSec)),
          cpuSecondsPer100k: median(mine.map((r) => r.cpuSecondsPer100k)),
          peakRssMb: median(mine.map((r) => r.peakRssMb)),
          brokerCpuSecondsPer100k: brokers.length > 0 ? median(brokers) : undefined,
          cpuPressure: pressures.length > 0 ? median(pressures) : undefined,
          runs: mine,
        });
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    // A second sweep: a delete that timed out on a busy broker leaves a topic behind otherwise.
    if (rows.some((r) => r.startsWith('kafka'))) {
      await dropTopics(`meshtel-peers-${id}`).catch((err: unknown) => process.stdout.write(`  peers: could not delete the topics meshtel-peers-${id}*: ${String(err)}\n`));
    }
  }
  process.stdout.write(
    `\n  medians of ${ps.runs} runs; load average ${loadAvgBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end; ` +
      `the whole scenario took ${fmt((performance.now() - startedAt) / 60_000, 1)} min\n\n`,
  );
  process.stdout.write(`${formatPeersTable(medians).replace(/^/gm, '  ')}\n`);
  return medians.map((m) => toLoadRow(m, loadAvgBefore));
}

/** A median row in the bench's common shape (summary table, BENCH_JSON), the runs riding along. */
function toLoadRow(m: PeerMedians, loadAvgBefore: number): LoadRow & { readonly peers: PeerMedians } {
  const med = (pick: (r: RunFigures) => number) => median(m.runs.map(pick));
  return {
    scenario: `peers ${m.row}: ${m.label}`,
    spansAccepted: med((r) => r.spansAccepted),
    spansPerSec: m.spansPerSec,
    p50Ms: med((r) => r.p50Ms),
    p99Ms: med((r) => r.p99Ms),
    cpuSecondsPer100k: m.cpuSecondsPer100k,
    spansPerCpuSecond: 100_000 / m.cpuSecondsPer100k,
    targetCores: med((r) => r.cpuSeconds / r.busyS),
    drainS: med((r) => r.busyS - r.elapsedS),
    peakRssMb: m.peakRssMb,
    refusals: m.runs.reduce((s, r) => s + r.refusals, 0),
    errors: m.runs.reduce((s, r) => s + r.errors, 0),
    loadAvgBefore,
    loadAvgAfter: loadavg()[0],
    checks: `median of ${m.runs.length}`,
    peers: m,
  };
}

export const peersScenarios: readonly Scenario[] = [
  {
    name: 'peers',
    summary: `meshtel beside Jaeger ${JAEGER_VERSION} and the OTel Collector ${OTELCOL_VERSION}: all-in-one and collector → Kafka, HTTP and gRPC (builds the peers once)`,
    byDefault: false,
    unavailable: () => (process.platform === 'linux' ? undefined : 'needs Linux (/proc) to read the targets\' CPU'),
    run: runPeers,
  },
];
