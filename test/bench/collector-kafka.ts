/**
 * The collector alone into Kafka: CPU of the collector and of the broker per 100k spans, and Kafka
 * records per 100k spans — for one checkout or, interleaved, for several (before/after a change on
 * a shared machine, where only runs taken side by side compare):
 *
 *   npx tsx test/bench/collector-kafka.ts [--roots /work/main,.] [--runs 3] [--seconds 10]
 *       [--protocol http-protobuf|grpc] [--concurrency 8] [--batch 512] [--profile <dir>]
 *
 * Each run starts `meshtel collector` from the checkout (its own code and node_modules) on fresh
 * topics (3 partitions), warms it up for 2 s, then sends flat out for `--seconds` while reading
 * the collector's and the broker's CPU from /proc and the topic's end offsets (records written).
 * No ingester runs, so the broker's CPU is produce only, plus whatever else uses the shared broker
 * meanwhile: an upper bound; "net of idle" subtracts the broker's rate over 5 s just before the
 * load (the collector started, idle), a closer estimate while the neighbours' use is steady. `--profile <dir>` CPU-profiles each collector during the measured
 * load (cpu-profile-preload.ts) and leaves `<dir>/<root name>-<run>.cpuprofile`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { prepareLoadInWorker, type LoadProtocol } from './loadgen.js';
import { serverPid, sleep, table, fmt } from './pipeline-measure.js';
import { metricSum, sampleProcess, scrapeMetrics } from './target-process.js';
import { KAFKA_BROKERS } from '../support/servers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const preload = join(here, 'cpu-profile-preload.ts');

interface Options {
  readonly roots: readonly string[];
  readonly runs: number;
  readonly seconds: number;
  readonly protocol: LoadProtocol;
  readonly concurrency: number;
  readonly batch: number;
  readonly profileDir?: string;
}

interface RunFigures {
  readonly root: string;
  readonly spans: number;
  readonly spansPerSec: number;
  readonly collectorCpuS: number;
  readonly brokerCpuS?: number;
  /** The broker's CPU over the same wall time at the rate it ran just before the load (others' use). */
  readonly brokerIdleCpuS?: number;
  readonly kafkaRecords: number;
  /** Produce requests (kafkajs sendBatch calls) the collector made. */
  readonly produceRequests: number;
  readonly cpuPressure?: number;
  readonly errors: number;
}

function parseArgs(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    roots: (get('roots') ?? '.').split(',').map((r) => resolve(r.trim())),
    runs: Number(get('runs') ?? 3),
    seconds: Number(get('seconds') ?? 10),
    protocol: (get('protocol') ?? 'http-protobuf') as LoadProtocol,
    concurrency: Number(get('concurrency') ?? 8),
    batch: Number(get('batch') ?? 512),
    profileDir: get('profile') ? resolve(get('profile')!) : undefined,
  };
}

interface Collector {
  readonly child: ChildProcess;
  readonly endpoints: Record<string, string>;
  stop(): Promise<void>;
}

async function startCollector(root: string, topicPrefix: string, profileDir?: string): Promise<Collector> {
  const env: NodeJS.ProcessEnv = { ...process.env, MESHTEL_LOG_LEVEL: 'info' };
  if (profileDir) {
    env.NODE_OPTIONS = `--require tsx/cjs --require ${preload}`;
    env.MESHTEL_BENCH_CPU_PROFILE_DIR = profileDir;
  }
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx', 'services/cli.ts', 'collector', '--host', '127.0.0.1', '--admin-port', '0',
      '--otlp-grpc-port', '0', '--otlp-http-port', '0', '--zipkin-port', '0',
      '--kafka-brokers', KAFKA_BROKERS, '--kafka-topic-prefix', topicPrefix, '--kafka-partitions', '3',
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoints = await new Promise<Record<string, string>>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector in ${root} did not start; stderr:\n${stderr}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; endpoints?: Record<string, string> };
        if (entry.msg?.startsWith('meshtel collector started') && entry.endpoints) {
          clearTimeout(timer);
          resolveStart(entry.endpoints);
        }
      } catch {
        // not JSON
      }
    });
    child.once('exit', (code) => reject(new Error(`collector in ${root} exited with ${code}; stderr:\n${stderr}`)));
  });
  return {
    child,
    endpoints,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function endOffsets(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function dropTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  } finally {
    await admin.disconnect();
  }
}

/** deploy/local's pid file, else the one kafka.Kafka JVM on this machine (read only). */
function brokerPid(): number | undefined {
  const recorded = serverPid('kafka');
  if (recorded !== undefined) return recorded;
  try {
    const pids = execFileSync('pgrep', ['-f', 'kafka\\.Kafka'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    const jvms = pids.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('java'));
    return jvms.length === 1 ? Number(jvms[0]) : undefined;
  } catch {
    return undefined;
  }
}

function cpuStallMicros(): number | undefined {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function oneRun(o: Options, root: string, run: number, kafka: Kafka): Promise<RunFigures> {
  const prefix = `bench-ck-${randomBytes(4).toString('hex')}`;
  const collector = await startCollector(root, prefix, o.profileDir);
  try {
    const target = o.protocol === 'grpc' ? collector.endpoints.otlpGrpc : `http://${collector.endpoints.otlpHttp}`;
    const load = (seconds: number, seed?: number) =>
      prepareLoadInWorker({ target, protocol: o.protocol, durationMs: seconds * 1000, concurrency: o.concurrency, batchSpans: o.batch, seed });
    await (await load(2, 99)).run();
    const prepared = await load(o.seconds);
    const pid = collector.child.pid!;
    const broker = brokerPid();
    // The shared broker's background (other users, its own housekeeping), measured just before.
    const idleS = Math.min(5, o.seconds);
    const idleBefore = broker !== undefined ? await sampleProcess(broker, '') : undefined;
    const idleStarted = performance.now();
    await sleep(idleS * 1000);
    const idleAfter = broker !== undefined ? await sampleProcess(broker, '') : undefined;
    const idleRate = idleBefore && idleAfter ? (idleAfter.cpuSeconds - idleBefore.cpuSeconds) / ((performance.now() - idleStarted) / 1000) : undefined;
    const recordsBefore = await endOffsets(kafka, `${prefix}.spans`);
    const metricsUrl = `http://${collector.endpoints.admin}/metrics`;
    const produced = async () => metricSum(await scrapeMetrics(metricsUrl), 'meshtel_kafka_produce_duration_seconds_count');
    const requestsBefore = await produced();
    const before = await sampleProcess(pid, '');
    const brokerBefore = broker !== undefined ? await sampleProcess(broker, '') : undefined;
    const stallBefore = cpuStallMicros();
    const startedAt = performance.now();
    if (o.profileDir) collector.child.kill('SIGUSR2');
    const result = await prepared.run();
    if (o.profileDir) collector.child.kill('SIGUSR2');
    const after = await sampleProcess(pid, '');
    const brokerAfter = broker !== undefined ? await sampleProcess(broker, '') : undefined;
    const stallAfter = cpuStallMicros();
    const wallMs = performance.now() - startedAt;
    const recordsAfter = await endOffsets(kafka, `${prefix}.spans`);
    const requestsAfter = await produced();
    if (o.profileDir) {
      await sleep(1000);
      const file = join(o.profileDir, `${pid}.cpuprofile`);
      if (existsSync(file)) renameSync(file, join(o.profileDir, `${basename(root)}-${run}.cpuprofile`));
    }
    return {
      root,
      spans: result.spansAccepted,
      spansPerSec: result.spansPerSec,
      collectorCpuS: after.cpuSeconds - before.cpuSeconds,
      brokerCpuS: brokerBefore && brokerAfter ? brokerAfter.cpuSeconds - brokerBefore.cpuSeconds : undefined,
      brokerIdleCpuS: idleRate === undefined ? undefined : (idleRate * wallMs) / 1000,
      kafkaRecords: recordsAfter - recordsBefore,
      produceRequests: requestsAfter - requestsBefore,
      cpuPressure: stallBefore !== undefined && stallAfter !== undefined ? (stallAfter - stallBefore) / 1000 / wallMs : undefined,
      errors: result.errors + result.refusals,
    };
  } finally {
    await collector.stop();
    await dropTopics(kafka, prefix).catch(() => undefined);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The broker's CPU during the load minus its background rate just before (others' use). */
const netBroker = (f: RunFigures): number | undefined =>
  f.brokerCpuS === undefined || f.brokerIdleCpuS === undefined ? undefined : f.brokerCpuS - f.brokerIdleCpuS;

const per100k = (x: number | undefined, spans: number) => (x === undefined ? undefined : (x / spans) * 100_000);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.profileDir) mkdirSync(o.profileDir, { recursive: true });
  const kafka = new Kafka({ clientId: 'bench-collector-kafka', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const out = (s: string) => process.stdout.write(s);
  out(`collector → Kafka: ${o.protocol}, ${o.concurrency} × ${o.batch} spans, ${o.seconds} s per run, ${o.runs} runs per checkout, interleaved; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const figures: RunFigures[] = [];
  const rows: string[][] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const root of o.roots) {
      const f = await oneRun(o, root, run, kafka);
      figures.push(f);
      rows.push([
        basename(root), String(run), fmt(f.spansPerSec), fmt(per100k(f.collectorCpuS, f.spans), 2), fmt(per100k(f.brokerCpuS, f.spans), 2),
        fmt(per100k(netBroker(f), f.spans), 2),
        fmt(per100k(f.kafkaRecords, f.spans)), fmt(f.spans / Math.max(1, f.kafkaRecords), 1), fmt(per100k(f.produceRequests, f.spans)), f.cpuPressure === undefined ? '–' : `${Math.round(f.cpuPressure * 100)} %`,
        String(f.errors), loadavg()[0].toFixed(2),
      ]);
      out(`  ${rows[rows.length - 1].join('  ')}\n`);
    }
  }
  const header = ['checkout', 'run', 'spans/s', 'collector CPU s/100k', 'broker CPU s/100k', 'broker net of idle', 'records/100k spans', 'spans/record', 'produce requests/100k spans', 'CPU pressure', 'refused+errors', 'load 1m'];
  out(`\n${table(header, rows)}\n`);
  const medians = o.roots.map((root) => {
    const fs = figures.filter((f) => f.root === root);
    return [
      basename(root), 'median', fmt(median(fs.map((f) => f.spansPerSec))), fmt(median(fs.map((f) => per100k(f.collectorCpuS, f.spans)!)), 2),
      fmt(median(fs.map((f) => per100k(f.brokerCpuS, f.spans) ?? NaN)), 2), fmt(median(fs.map((f) => per100k(netBroker(f), f.spans) ?? NaN)), 2),
      fmt(median(fs.map((f) => per100k(f.kafkaRecords, f.spans)!))),
      fmt(median(fs.map((f) => f.spans / Math.max(1, f.kafkaRecords))), 1), fmt(median(fs.map((f) => per100k(f.produceRequests, f.spans)!))), '', '', '',
    ];
  });
  out(`${table(header, medians)}\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('collector-kafka.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
