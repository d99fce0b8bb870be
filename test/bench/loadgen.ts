/**
 * OTLP trace load generator: realistic export requests over OTLP/HTTP (protobuf) or OTLP/gRPC,
 * N requests in flight, for a fixed time; reports spans/s accepted and request latency.
 *
 *   npx tsx test/bench/loadgen.ts --target http://127.0.0.1:4318 --protocol http-protobuf \
 *     --duration 20s --concurrency 8 --batch 512
 *   npx tsx test/bench/loadgen.ts --target 127.0.0.1:4317 --protocol grpc --duration 20s
 *
 * As a library: `runLoad(options)` in this thread, or `runLoadInWorker(options)` in a worker
 * thread so the caller's own work (sampling the target, printing) never delays a send or a
 * latency reading. The target can be any OTLP receiver — all-in-one, a collector, or another
 * vendor's — since only standard OTLP goes on the wire.
 *
 * It behaves like an SDK exporter where that matters for the figures: a refusal (HTTP 429/503,
 * gRPC UNAVAILABLE, or RESOURCE_EXHAUSTED carrying RetryInfo) is retried with the same request
 * after the server's hint or an exponential back-off; anything else is an error and not retried.
 */
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { buildRequestPool, stampRequest, traceIdsOf, type RequestPool, type RequestTemplate } from './otlp-workload.js';

export type LoadProtocol = 'http-protobuf' | 'grpc';

export interface LoadOptions {
  /** `http://host:port` (path defaults to /v1/traces) for HTTP; `host:port` or `http://host:port` for gRPC. */
  readonly target: string;
  readonly protocol: LoadProtocol;
  readonly durationMs: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Spans per export request. */
  readonly batchSpans: number;
  /**
   * gRPC only: HTTP/2 connections the in-flight requests are spread over (default 1, as one
   * exporter has; HTTP always uses up to `concurrency` keep-alive connections).
   */
  readonly grpcConnections?: number;
  /** Distinct pre-encoded requests to cycle through (default 16). */
  readonly poolSize?: number;
  /** First back-off after a refusal without a server hint (default 1000 ms, the OTel SDKs' initial interval). */
  readonly retryInitialMs?: number;
  /** Longest back-off (default 5000 ms, as the OTel JS exporters). */
  readonly retryMaxMs?: number;
  /** Per-attempt timeout (default 10 s, the OTLP exporters' default). */
  readonly requestTimeoutMs?: number;
  /** How many trace ids of late accepted requests to return for checking (default 6). */
  readonly sampleTraces?: number;
  readonly seed?: number;
}

export interface LoadResult {
  readonly protocol: LoadProtocol;
  readonly target: string;
  /** From the first send until the last in-flight request finished (which may pass the duration). */
  readonly elapsedS: number;
  readonly spansPerRequest: number;
  readonly requestBytes: number;
  readonly spansAccepted: number;
  readonly spansPerSec: number;
  /** Spans the server took the request for but named as rejected in a partial success. */
  readonly spansRejected: number;
  /** Spans of requests given up on: a non-retryable error, or the duration ended during a back-off. */
  readonly spansNotDelivered: number;
  /** Attempts sent, retries included. */
  readonly requests: number;
  readonly requestsAccepted: number;
  /** Attempts answered with a retryable refusal; each was retried unless the run had ended. */
  readonly refusals: number;
  readonly retries: number;
  readonly errors: number;
  /** The first few distinct error messages, to say what went wrong. */
  readonly errorSamples: readonly string[];
  /** Latency of accepted attempts (send → full response), ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Share of the generator thread's time spent busy; near 1 means the generator itself limits the rate. */
  readonly generatorBusy: number;
  /** Trace ids (with their span counts) from the last accepted requests, for read-back checks. */
  readonly sampleTraces: ReadonlyArray<{ readonly traceId: string; readonly spanCount: number }>;
}

type SendOutcome =
  | { readonly kind: 'accepted'; readonly rejectedSpans: number }
  | { readonly kind: 'refused'; readonly retryAfterMs?: number; readonly detail: string }
  | { readonly kind: 'error'; readonly detail: string };

interface Sender {
  send(body: Buffer, timeoutMs: number): Promise<SendOutcome>;
  close(): void;
}

// ---- protobuf bits of the responses (tiny readers; see otlp-workload.ts for why not meshtel's) ----

function readVarint(b: Uint8Array, pos: number): [value: number, next: number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (pos >= b.length) return [v, pos];
    const c = b[pos++];
    v += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return [v, pos];
    shift += 7;
  }
}

/** Iterates the top-level fields of a message: [field number, wire type, value start, value end or varint value]. */
function* fieldsOf(b: Uint8Array): Generator<[number, number, number, number]> {
  let pos = 0;
  while (pos < b.length) {
    const [tag, p] = readVarint(b, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const [v, next] = readVarint(b, p);
      yield [field, wire, p, v];
      pos = next;
    } else if (wire === 2) {
      const [len, start] = readVarint(b, p);
      yield [field, wire, start, start + len];
      pos = start + len;
    } else if (wire === 1) {
      pos = p + 8;
    } else if (wire === 5) {
      pos = p + 4;
    } else {
      return;
    }
  }
}

/** ExportTraceServiceResponse.partial_success.rejected_spans (0 when absent). */
export function rejectedSpansOf(response: Uint8Array): number {
  for (const [f, w, start, end] of fieldsOf(response)) {
    if (f === 1 && w === 2) {
      for (const [pf, pw, , value] of fieldsOf(response.subarray(start, end))) {
        if (pf === 1 && pw === 0) return value;
      }
    }
  }
  return 0;
}

/** google.rpc.Status bytes → [message, RetryInfo delay in ms if any]. */
function readStatus(bytes: Uint8Array): { message: string; retryDelayMs?: number } {
  let message = '';
  let retryDelayMs: number | undefined;
  for (const [f, w, start, end] of fieldsOf(bytes)) {
    if (f === 2 && w === 2) message = Buffer.from(bytes.subarray(start, end)).toString('utf8');
    if (f === 3 && w === 2) {
      const any = bytes.subarray(start, end);
      let typeUrl = '';
      let value: Uint8Array | undefined;
      for (const [af, aw, as, ae] of fieldsOf(any)) {
        if (af === 1 && aw === 2) typeUrl = Buffer.from(any.subarray(as, ae)).toString('utf8');
        if (af === 2 && aw === 2) value = any.subarray(as, ae);
      }
      if (typeUrl.endsWith('google.rpc.RetryInfo') && value) {
        for (const [rf, rw, rs, re] of fieldsOf(value)) {
          if (rf !== 1 || rw !== 2) continue;
          let seconds = 0;
          let nanos = 0;
          for (const [df, dw, , dv] of fieldsOf(value.subarray(rs, re))) {
            if (df === 1 && dw === 0) seconds = dv;
            if (df === 2 && dw === 0) nanos = dv;
          }
          retryDelayMs = seconds * 1000 + nanos / 1e6;
        }
      }
    }
  }
  return { message, retryDelayMs };
}

// ---- senders ----

function httpSender(target: string, concurrency: number): Sender {
  const url = new URL(target.includes('://') ? target : `http://${target}`);
  const path = url.pathname === '/' || url.pathname === '' ? '/v1/traces' : url.pathname;
  // One keep-alive connection per in-flight request, as an exporter's HTTP client keeps a pool.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  return {
    send(body, timeoutMs) {
      return new Promise<SendOutcome>((resolve) => {
        const req = http.request(
          {
            agent, method: 'POST', host: url.hostname, port: url.port || 80, path,
            headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (err) => resolve({ kind: 'error', detail: `response: ${err.message}` }));
            res.on('end', () => {
              const payload = Buffer.concat(chunks);
              const status = res.statusCode ?? 0;
              if (status === 200) {
                resolve({ kind: 'accepted', rejectedSpans: rejectedSpansOf(payload) });
                return;
              }
              const text = describeHttpBody(res.headers['content-type'], payload);
              // OTLP/HTTP spec, "Retryable Response Codes": 429, 502, 503, 504.
              if (status === 429 || status === 502 || status === 503 || status === 504) {
                const retryAfter = Number(res.headers['retry-after']);
                resolve({ kind: 'refused', retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined, detail: `HTTP ${status}: ${text}` });
              } else {
                resolve({ kind: 'error', detail: `HTTP ${status}: ${text}` });
              }
            });
          },
        );
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', (err) => resolve({ kind: 'error', detail: err.message }));
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function describeHttpBody(contentType: string | undefined, payload: Buffer): string {
  if (contentType?.includes('protobuf')) return readStatus(payload).message || `${payload.length} bytes`;
  return payload.toString('utf8').slice(0, 300);
}

function grpcSender(target: string, connections: number): Sender {
  const address = target.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  // A local subchannel pool per client gives each its own HTTP/2 connection, as separate
  // exporters (sidecars, SDKs in different pods) would have; clients sharing the global pool
  // would share one connection.
  const clients = Array.from({ length: connections }, () => new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': -1,
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
    'grpc.use_local_subchannel_pool': 1,
  }));
  let next = 0;
  const passthrough = (b: Buffer): Buffer => b;
  return {
    send(body, timeoutMs) {
      const client = clients[next];
      next = (next + 1) % clients.length;
      return new Promise<SendOutcome>((resolve) => {
        client.makeUnaryRequest<Buffer, Buffer>(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          passthrough, passthrough, body, new grpc.Metadata(), { deadline: Date.now() + timeoutMs },
          (err, response) => {
            if (!err) {
              resolve({ kind: 'accepted', rejectedSpans: response ? rejectedSpansOf(response) : 0 });
              return;
            }
            const details = err.metadata?.get('grpc-status-details-bin')[0];
            const retryDelayMs = Buffer.isBuffer(details) ? readStatus(details).retryDelayMs : undefined;
            const detail = `${grpc.status[err.code] ?? err.code}: ${err.details}`;
            // OTLP/gRPC spec: UNAVAILABLE is retryable; RESOURCE_EXHAUSTED only when RetryInfo says when.
            if (err.code === grpc.status.UNAVAILABLE || (err.code === grpc.status.RESOURCE_EXHAUSTED && retryDelayMs !== undefined)) {
              resolve({ kind: 'refused', retryAfterMs: retryDelayMs, detail });
            } else {
              resolve({ kind: 'error', detail });
            }
          },
        );
      });
    },
    close() {
      for (const client of clients) client.close();
    },
  };
}

// ---- the run ----

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The requests `runLoad` sends for these options (deterministic for a seed). */
export function requestPoolFor(options: LoadOptions): RequestPool {
  return buildRequestPool({ spansPerRequest: options.batchSpans, poolSize: options.poolSize ?? 16, seed: options.seed ?? 7 });
}

/** Runs the load in this thread. `pool` may be passed to reuse pre-built requests across runs. */
export async function runLoad(options: LoadOptions, pool?: RequestPool): Promise<LoadResult> {
  const retryInitialMs = options.retryInitialMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const templates = (pool ?? requestPoolFor(options)).templates;
  const sender = options.protocol === 'grpc'
    ? grpcSender(options.target, Math.max(1, Math.min(options.grpcConnections ?? 1, options.concurrency)))
    : httpSender(options.target, options.concurrency);

  // 4 random bytes per run + a 4-byte sequence per send: unique ids across sends and across runs
  // against the same long-lived target.
  const nonce = randomBytes(4);
  let sequence = 0;
  let nextTemplate = 0;
  // Templates hold times relative to 0, one second apart; land them in the recent past.
  const templateSpanMs = (templates.length + 2) * 1000;

  let spansAccepted = 0;
  let spansRejected = 0;
  let spansNotDelivered = 0;
  let requests = 0;
  let requestsAccepted = 0;
  let refusals = 0;
  let retries = 0;
  let errors = 0;
  const errorSamples = new Set<string>();
  let latencies = new Float64Array(4096);
  let latencyCount = 0;
  const recentAccepted: Array<{ template: RequestTemplate; body: Buffer }> = [];

  const recordLatency = (ms: number) => {
    if (latencyCount === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[latencyCount++] = ms;
  };
  const noteError = (detail: string) => {
    if (errorSamples.size < 5) errorSamples.add(detail);
  };

  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  const deadline = start + options.durationMs;

  const worker = async () => {
    while (performance.now() < deadline) {
      const template = templates[nextTemplate];
      nextTemplate = (nextTemplate + 1) % templates.length;
      const stamp = Buffer.allocUnsafe(8);
      nonce.copy(stamp, 0);
      stamp.writeUInt32BE(++sequence >>> 0, 4);
      const body = stampRequest(template, stamp, BigInt(Date.now() - templateSpanMs) * 1_000_000n);

      for (let attempt = 0; ; attempt++) {
        requests++;
        const sentAt = performance.now();
        const outcome = await sender.send(body, timeoutMs);
        if (outcome.kind === 'accepted') {
          recordLatency(performance.now() - sentAt);
          requestsAccepted++;
          spansAccepted += template.spanCount - outcome.rejectedSpans;
          spansRejected += outcome.rejectedSpans;
          recentAccepted.push({ template, body });
          if (recentAccepted.length > 4) recentAccepted.shift();
          break;
        }
        if (outcome.kind === 'error') {
          errors++;
          noteError(outcome.detail);
          spansNotDelivered += template.spanCount;
          break;
        }
        refusals++;
        noteError(`refused: ${outcome.detail}`);
        // The server's hint wins; otherwise exponential back-off with jitter, as SDK exporters do.
        const backoff = outcome.retryAfterMs ?? Math.min(retryMaxMs, retryInitialMs * 1.5 ** attempt) * (0.8 + Math.random() * 0.4);
        if (performance.now() + backoff >= deadline) {
          spansNotDelivered += template.spanCount;
          break;
        }
        retries++;
        await sleep(backoff);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    sender.close();
  }
  const elapsedS = (performance.now() - start) / 1000;
  const generatorBusy = performance.eventLoopUtilization(elu0).utilization;

  const sorted = latencies.subarray(0, latencyCount).sort();
  const perRequest = Math.max(1, Math.ceil((options.sampleTraces ?? 6) / Math.max(1, recentAccepted.length)));
  const sampleTraces = recentAccepted
    .flatMap(({ template, body }) => traceIdsOf(template, body).slice(-perRequest))
    .slice(-(options.sampleTraces ?? 6));
  return {
    protocol: options.protocol,
    target: options.target,
    elapsedS,
    spansPerRequest: templates[0].spanCount,
    requestBytes: Math.round(templates.reduce((s, t) => s + t.bytes.length, 0) / templates.length),
    spansAccepted,
    spansPerSec: spansAccepted / elapsedS,
    spansRejected,
    spansNotDelivered,
    requests,
    requestsAccepted,
    refusals,
    retries,
    errors,
    errorSamples: [...errorSamples],
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: latencyCount > 0 ? sorted[latencyCount - 1] : 0,
    generatorBusy,
    sampleTraces,
  };
}

const WORKER_KIND = 'meshtel-loadgen';

type WorkerMessage = { readonly type: 'ready' } | { readonly type: 'result'; readonly result: LoadResult } | { readonly type: 'failed'; readonly message: string };

/** A load generator in a worker thread, its requests built, waiting for `run()`. */
export interface PreparedLoad {
  /** Starts sending; resolves with the figures once the duration is over. */
  run(): Promise<LoadResult>;
  /** Ends the worker without running (when the caller gives up before `run()`). */
  cancel(): Promise<void>;
}

/**
 * Starts a worker thread (loading this same module) and resolves once it has built its
 * requests, so a caller can take "before" readings right before `run()` — building 16 requests
 * takes about a second, which is not load.
 */
export function prepareLoadInWorker(options: LoadOptions): Promise<PreparedLoad> {
  const data = { workerData: { kind: WORKER_KIND, options } };
  // Run from source, the worker needs tsx too, and on Node 20 a worker does not get the
  // parent's tsx hooks (not even with `--import tsx` in its execArgv): register them first.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
          `.then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); });`,
        { eval: true, ...data },
      )
    : new Worker(new URL(import.meta.url), data);
  let onResult: ((result: LoadResult) => void) | undefined;
  let onFailure: ((err: Error) => void) | undefined;
  return new Promise((resolvePrepared, rejectPrepared) => {
    let prepared = false;
    const fail = (err: Error) => (prepared ? onFailure?.(err) : rejectPrepared(err));
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') {
        prepared = true;
        resolvePrepared({
          run: () =>
            new Promise<LoadResult>((resolve, reject) => {
              onResult = resolve;
              onFailure = reject;
              worker.postMessage('start');
            }),
          cancel: async () => {
            await worker.terminate();
          },
        });
      } else if (message.type === 'result') {
        onResult?.(message.result);
        void worker.terminate();
      } else {
        fail(new Error(`load generator failed: ${message.message}`));
      }
    });
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`load generator worker exited with ${code} before reporting`)));
  });
}

/** Runs the load in a worker thread of this process (see prepareLoadInWorker). */
export async function runLoadInWorker(options: LoadOptions): Promise<LoadResult> {
  return (await prepareLoadInWorker(options)).run();
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === WORKER_KIND) {
  const { options } = workerData as { options: LoadOptions };
  const port = parentPort!;
  const pool = requestPoolFor(options);
  port.once('message', () => {
    runLoad(options, pool).then(
      (result) => port.postMessage({ type: 'result', result } satisfies WorkerMessage),
      (err: unknown) => port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage),
    );
  });
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);
}

// ---- formatting and CLI ----

/** "20s", "500ms", "2m" or a bare number of seconds → milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}" (use e.g. 20s, 500ms, 2m)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function formatLoadResult(r: LoadResult): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `${r.protocol} → ${r.target}: ${r.spansPerRequest} spans/request (${n(r.requestBytes)} bytes), ${r.elapsedS.toFixed(1)} s`,
    `  accepted   ${n(r.spansAccepted)} spans = ${n(r.spansPerSec)} spans/s  (${n(r.requestsAccepted)} requests)`,
    `  latency    p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  max ${r.maxMs.toFixed(1)} ms`,
    `  attempts   ${n(r.requests)}  refusals ${n(r.refusals)}  retries ${n(r.retries)}  errors ${n(r.errors)}  ` +
      `partially rejected spans ${n(r.spansRejected)}  not delivered ${n(r.spansNotDelivered)}`,
    `  generator  busy ${(r.generatorBusy * 100).toFixed(0)}% of its thread`,
    ...r.errorSamples.map((e) => `  ! ${e}`),
  ].join('\n');
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'http://127.0.0.1:4318' },
      protocol: { type: 'string', default: 'http-protobuf' },
      duration: { type: 'string', default: '20s' },
      concurrency: { type: 'string', default: '8' },
      batch: { type: 'string', default: '512' },
      pool: { type: 'string', default: '16' },
      connections: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npx tsx test/bench/loadgen.ts [--target URL] [--protocol http-protobuf|grpc] [--duration 20s]\n' +
        '         [--concurrency 8] [--batch 512] [--pool 16] [--connections 1 (gRPC)] [--json]\n',
    );
    return;
  }
  if (values.protocol !== 'http-protobuf' && values.protocol !== 'grpc') {
    throw new Error(`--protocol must be http-protobuf or grpc, not "${values.protocol}"`);
  }
  const result = await runLoad({
    target: values.target,
    protocol: values.protocol,
    durationMs: parseDurationMs(values.duration),
    concurrency: Number(values.concurrency),
    batchSpans: Number(values.batch),
    poolSize: Number(values.pool),
    grpcConnections: Number(values.connections),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatLoadResult(result)}\n`);
}

if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((err: unknown) => {
    process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
