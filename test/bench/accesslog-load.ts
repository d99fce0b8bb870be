/**
 * Access-log load against a fresh all-in-one (issues 4 and 5), as rows of `npm run bench`:
 *
 * - `allinone-accesslog-lines`: BENCH_CONCURRENCY POSTs in flight of BENCH_LINES_BATCH (500) Istio
 *   TEXT lines each to `/v1/accesslogs`, as Fluent Bit or Vector ship a sidecar's stdout. The
 *   lines are the fixtures' (test/fixtures/istio-lines.ts: 200s both ways, 503 UF / UH / URX, NR,
 *   DC, TCP, blackhole, passthrough) with the current time and a fresh request id on every line.
 *   Entries/s are what the answers said accepted; p50/p99 are the requests' latencies.
 * - `allinone-als`: BENCH_ALS_STREAMS (8) long-lived client streams on one HTTP/2 connection, as
 *   one Envoy keeps one per worker thread, each writing StreamAccessLogsMessages of
 *   BENCH_ALS_ENTRIES (17) HTTP entries (the first message of a stream carries the identifier)
 *   as fast as HTTP/2 flow control lets it. ALS has no answer per entry, so entries/s come from
 *   the target's meshtel_receiver_accesslogs_accepted_total{transport="als"}; p50/p99 are the
 *   per-message write-callback latency (write → handed to the HTTP/2 stream: it shows back
 *   pressure, not processing).
 *
 * Both end with a read-back through the query API: `GET /api/v1/accesslogs?limit=1` must report
 * total > 0.
 *
 * The helpers come in from run.ts as an argument, so this module imports only types from it (no
 * import cycle at load time).
 */
import * as grpc from '@grpc/grpc-js';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ALS_STREAM_GRPC_PATH } from '../../services/collector/receivers/envoy-als/envoy-als.js';
import type { MeshtelProcess } from '../support/meshtel-process.js';
import { encodeAlsMessage, istioNode, outboundEntries, timestamp, type Msg } from '../fixtures/als.js';
import {
  BLACKHOLE_LINE, CONNECTION_FAILURE_LINE, DOWNSTREAM_DISCONNECT_LINE, INBOUND_LINE, NO_HEALTHY_UPSTREAM_LINE, NO_ROUTE_LINE,
  OUTBOUND_LINE, PASSTHROUGH_TCP_LINE, RETRIES_EXHAUSTED_LINE, TCP_LINE,
} from '../fixtures/istio-lines.js';
import type { BenchSettings, LoadRow, Scenario, TargetFigures } from './run.js';
import type { MetricSeries } from './target-process.js';

/** What run.ts lends: its all-in-one harness and its row builder. */
export interface AllInOneHarness {
  withAllInOne<T>(
    settings: BenchSettings,
    label: string,
    warm: (meshtel: MeshtelProcess) => Promise<unknown>,
    prepare: (meshtel: MeshtelProcess) => Promise<() => Promise<T>>,
    inspect?: (meshtel: MeshtelProcess, load: T) => Promise<string>,
  ): Promise<{ load: T; target: TargetFigures; checks?: string }>;
  rowFrom(scenario: string, target: TargetFigures, loadAvgBefore: number, extra: Partial<LoadRow>): LoadRow;
}

const ACCEPTED = 'meshtel_receiver_accesslogs_accepted_total';
const REFUSED = 'meshtel_receiver_accesslogs_refused_total';

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 1) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return Math.floor(value);
};

/** Sum over the series of `name` whose labels include transport="…". */
function transportSum(series: MetricSeries, name: string, transport: string): number {
  let sum = 0;
  for (const [key, value] of series) {
    if (key.startsWith(`${name}{`) && key.includes(`transport="${transport}"`)) sum += value;
  }
  return sum;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface AccessLogLoad {
  readonly entriesAccepted: number;
  readonly entriesPerSec: number;
  readonly requests: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly refusals: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly note: string;
}

/** `GET /api/v1/accesslogs?limit=1` over the last hour: total must be above 0. */
async function readBackAccessLogs(meshtel: MeshtelProcess, extraQuery = ''): Promise<string> {
  const url = meshtel.url('query', `/api/v1/accesslogs?lookback=1h&limit=1${extraQuery}`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { total?: number; data?: unknown[] | null; totalIsLowerBound?: boolean };
    const total = body.total ?? 0;
    const ok = res.ok && total > 0 && (body.data?.length ?? 0) === 1;
    process.stdout.write(`  read back ${url.replace(/^http:\/\/[^/]+/, '')}: HTTP ${res.status}, total ${total}${body.totalIsLowerBound ? '+' : ''} ${ok ? '✓' : '✗'}\n`);
    return `total ${total.toLocaleString('en-US')}${body.totalIsLowerBound ? '+' : ''} ${ok ? '✓' : '✗'}`;
  } catch (err) {
    process.stdout.write(`  read back ${url}: ✗ (${err instanceof Error ? err.message : String(err)})\n`);
    return '✗';
  }
}

// ---- Istio TEXT lines over HTTP ----

/** A fixture line cut around its start time and its request id, so both can be replaced cheaply. */
interface LineTemplate {
  readonly afterTime: string;
  /** Absent for TCP lines (request id "-"). */
  readonly afterId?: string;
}

const UUID = /"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/;

function template(line: string): LineTemplate {
  const text = line.replace(/\n$/, '');
  const timeEnd = text.indexOf(']');
  if (!text.startsWith('[') || timeEnd < 0) throw new Error(`not an Istio TEXT line: ${text}`);
  const id = UUID.exec(text);
  if (!id) return { afterTime: text.slice(timeEnd) };
  return { afterTime: text.slice(timeEnd, id.index + 1), afterId: text.slice(id.index + id[0].length - 1) };
}

/** Mostly successful HTTP both ways, as a mesh's logs are, and every kind of failure the fixtures have. */
const MIX: readonly LineTemplate[] = [
  OUTBOUND_LINE, INBOUND_LINE, OUTBOUND_LINE, INBOUND_LINE, OUTBOUND_LINE, INBOUND_LINE, OUTBOUND_LINE, INBOUND_LINE,
  CONNECTION_FAILURE_LINE, TCP_LINE, NO_HEALTHY_UPSTREAM_LINE, RETRIES_EXHAUSTED_LINE, NO_ROUTE_LINE,
  DOWNSTREAM_DISCONNECT_LINE, BLACKHOLE_LINE, PASSTHROUGH_TCP_LINE,
].map(template);

/** `lines` lines ending now, a ms apart, each with a request id never sent before. */
function linesBody(lines: number, tag: string, counter: { n: number }): string {
  const end = Date.now();
  const out: string[] = new Array<string>(lines);
  for (let i = 0; i < lines; i++) {
    const t = MIX[(counter.n + i) % MIX.length];
    const time = `[${new Date(end - (lines - i)).toISOString()}`;
    out[i] = t.afterId === undefined
      ? `${time}${t.afterTime}`
      : `${time}${t.afterTime}${tag}-${(counter.n + i).toString(16).padStart(12, '0')}${t.afterId}`;
  }
  counter.n += lines;
  return `${out.join('\n')}\n`;
}

async function postLines(url: string, concurrency: number, batch: number, durationMs: number, tag: string): Promise<AccessLogLoad> {
  const counter = { n: 0 };
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let accepted = 0;
  let requests = 0;
  let refusals = 0;
  let errors = 0;
  let bytes = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const body = linesBody(batch, tag, counter);
      bytes = body.length;
      for (;;) {
        const sent = performance.now();
        requests++;
        try {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
          const text = await res.text();
          if (res.ok) {
            const answer = JSON.parse(text) as { accepted: number; rejected: number };
            latencies.push(performance.now() - sent);
            accepted += answer.accepted;
            if (answer.rejected > 0 && errorSamples.length < 5) errorSamples.push(`${answer.rejected} lines rejected: ${text.slice(0, 300)}`);
            break;
          }
          if ([429, 502, 503, 504].includes(res.status)) {
            // What a shipper does: retry the same body after Retry-After.
            refusals++;
            await sleep(Math.max(1, Number(res.headers.get('retry-after') ?? 1)) * 1000);
            if (performance.now() < deadline) continue;
            break;
          }
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`HTTP ${res.status}: ${text.slice(0, 300)}`);
        } catch (err) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? err.message : String(err));
        }
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    entriesAccepted: accepted,
    entriesPerSec: accepted / elapsedS,
    requests,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    refusals,
    errors,
    errorSamples,
    note: `${requests} requests of ${batch} Istio TEXT lines (${Math.round(bytes / 1024)} KiB), ${concurrency} in flight`,
  };
}

function linesScenario(h: AllInOneHarness): Scenario {
  const name = 'allinone-accesslog-lines';
  return {
    name,
    summary: 'Istio TEXT lines, BENCH_LINES_BATCH (500) per POST, BENCH_CONCURRENCY in flight → all-in-one /v1/accesslogs',
    byDefault: true,
    async run(settings) {
      const batch = envNumber('BENCH_LINES_BATCH', 500);
      const loadAvgBefore = loadavg()[0];
      const url = (m: MeshtelProcess) => m.url('otlpHttp', '/v1/accesslogs');
      const tag = (Date.now() & 0xffffffff).toString(16).padStart(8, '0');
      const { load, target, checks } = await h.withAllInOne(
        settings,
        name,
        (m) => postLines(url(m), settings.concurrency, batch, settings.warmupS * 1000, `${tag}-0000-4000-8000`),
        async (m) => () => postLines(url(m), settings.concurrency, batch, settings.durationS * 1000, `${tag}-0000-4000-8001`),
        (m) => readBackAccessLogs(m),
      );
      return [{ ...finishRow(h, name, target, loadAvgBefore, load, 'accesslog_lines', load.entriesAccepted), checks }];
    },
  };
}

function finishRow(h: AllInOneHarness, name: string, target: TargetFigures, loadAvgBefore: number, load: AccessLogLoad, transport: string, entries: number): LoadRow {
  const counted = transportSum(target.countersAfter, ACCEPTED, transport) - transportSum(target.countersBefore, ACCEPTED, transport);
  const refused = transportSum(target.countersAfter, REFUSED, transport) - transportSum(target.countersBefore, REFUSED, transport);
  process.stdout.write(`  load: ${load.note}\n`);
  process.stdout.write(`  target: ${counted.toLocaleString('en-US')} entries accepted, ${refused.toLocaleString('en-US')} refused (meshtel_receiver_accesslogs_*{transport="${transport}"})\n`);
  if (counted !== entries) process.stdout.write(`  note: the sender counted ${entries} entries accepted, meshtel's counter ${counted}\n`);
  process.stdout.write(load.errorSamples.map((e) => `  ! ${e}\n`).join(''));
  const row = h.rowFrom(name, { ...target, spansAccepted: entries }, loadAvgBefore, {
    p50Ms: load.p50Ms, p99Ms: load.p99Ms, refusals: load.refusals, errors: load.errors, unit: 'entries',
  });
  return { ...row, spansPerSec: load.entriesPerSec };
}

// ---- Envoy ALS over gRPC ----

interface AlsStreamMessages {
  /** The stream's first message: identifier (node, log name) and entries. */
  readonly first: Buffer;
  /** Sent round and round after the first. */
  readonly rest: readonly Buffer[];
  readonly entriesPerMessage: number;
}

/**
 * One sidecar's messages: `messages` distinct ones of `entries` entries each (the fixture's
 * outbound reviews call with its own request ids), start times spread over the last minute.
 */
export function alsStreamMessages(stream: number, messages: number, entries: number): AlsStreamMessages {
  const since = Date.now() - 60_000;
  const app = ['productpage', 'reviews', 'ratings', 'details', 'cart', 'checkout', 'payments', 'catalog'][stream % 8];
  const pod = `${app}-v1-5d8f7c9b6-s${stream.toString(36).padStart(4, '0')}`;
  const node = istioNode({ ip: `10.244.${stream % 250}.${10 + (stream % 200)}`, pod, ns: 'bench', workload: `${app}-v1`, app, version: 'v1', sa: app });
  const build = (m: number, identifier: boolean): Buffer => {
    const offset = (stream * 1_000_000) + m * entries;
    const logEntry = outboundEntries(entries, offset).map((e, i) => ({
      ...e,
      commonProperties: { ...(e.commonProperties as Msg), startTime: timestamp(new Date(since + ((offset + i) * 7) % 60_000).toISOString()) },
      request: { ...(e.request as Msg), requestId: `bench-${stream}-${offset + i}` },
    }));
    const message: Msg = { httpLogs: { logEntry } };
    if (identifier) message.identifier = { node, logName: 'http_envoy_accesslog' };
    return Buffer.from(encodeAlsMessage(message));
  };
  return { first: build(0, true), rest: Array.from({ length: messages }, (_, m) => build(m + 1, false)), entriesPerMessage: entries };
}

/**
 * `streams` client streams on one connection, each writing its messages round and round until
 * `durationMs` is over, waiting for `drain` when grpc-js says its buffer is full (HTTP/2 flow
 * control pushing back); then each half-closes and waits for the receiver's answer.
 */
export async function driveAls(target: string, all: readonly AlsStreamMessages[], durationMs: number): Promise<AccessLogLoad & { written: number; bytes: number }> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let written = 0;
  let bytes = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const perStream = (s: AlsStreamMessages) =>
    new Promise<void>((resolve) => {
      const call = client.makeClientStreamRequest(
        ALS_STREAM_GRPC_PATH, (b: Buffer) => b, (b: Buffer) => b,
        (err: grpc.ServiceError | null) => {
          if (err) {
            errors++;
            if (errorSamples.length < 5) errorSamples.push(`stream ended with ${err.code}: ${err.details}`);
          }
          resolve();
        },
      );
      const write = (b: Buffer): boolean => {
        const sent = performance.now();
        written++;
        bytes += b.length;
        return call.write(b, () => latencies.push(performance.now() - sent));
      };
      const run = async () => {
        write(s.first);
        for (let i = 0; performance.now() < deadline; i = (i + 1) % s.rest.length) {
          // Asked at each turn, not from write()'s last answer: a drain during the yield below would be missed.
          if (call.writableNeedDrain) await new Promise((r) => call.once('drain', r));
          write(s.rest[i]);
          // Let the event loop breathe (callbacks, the other streams) now and then.
          if (i % 16 === 15) await new Promise((r) => setImmediate(r));
        }
        call.end();
      };
      run().catch((err: unknown) => {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(err instanceof Error ? err.message : String(err));
        call.end();
      });
    });
  await Promise.all(all.map(perStream));
  const elapsedS = (performance.now() - started) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  const entries = written * (all[0]?.entriesPerMessage ?? 0);
  return {
    entriesAccepted: entries,
    entriesPerSec: entries / elapsedS,
    requests: written,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    refusals: 0,
    errors,
    errorSamples,
    note: '',
    written,
    bytes,
  };
}

function alsScenario(h: AllInOneHarness): Scenario {
  const name = 'allinone-als';
  return {
    name,
    summary: 'Envoy ALS: BENCH_ALS_STREAMS (8) client streams on one HTTP/2 connection, BENCH_ALS_ENTRIES (17) entries per message → all-in-one OTLP gRPC port',
    byDefault: true,
    async run(settings) {
      const streams = envNumber('BENCH_ALS_STREAMS', 8);
      const entries = envNumber('BENCH_ALS_ENTRIES', 17);
      const loadAvgBefore = loadavg()[0];
      const messages = Array.from({ length: streams }, (_, s) => alsStreamMessages(s, 64, entries));
      const size = messages[0].rest[0].length;
      const { load, target, checks } = await h.withAllInOne(
        settings,
        name,
        (m) => driveAls(m.endpoints.otlpGrpc, messages, settings.warmupS * 1000),
        async (m) => () => driveAls(m.endpoints.otlpGrpc, messages, settings.durationS * 1000),
        (m) => readBackAccessLogs(m),
      );
      // ALS answers nothing per entry: what counts is what the target's buffer took.
      const accepted = transportSum(target.countersAfter, ACCEPTED, 'als') - transportSum(target.countersBefore, ACCEPTED, 'als');
      const sent = { ...load, note: `${load.written} messages of ${entries} entries (${(size / 1024).toFixed(1)} KiB) on ${streams} streams of one connection, ${(load.bytes / 1024 / 1024).toFixed(0)} MiB; ${load.entriesAccepted} entries written; p50/p99 = write → callback` };
      const row = finishRow(h, name, target, loadAvgBefore, sent, 'als', accepted);
      return [{ ...row, spansPerSec: accepted / target.elapsedS, checks }];
    },
  };
}

export function accessLogScenarios(h: AllInOneHarness): Scenario[] {
  return [linesScenario(h), alsScenario(h)];
}
