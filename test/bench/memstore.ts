/**
 * The memory span store alone: fills a MemorySpanStore with `--spans` spans (default 500k, the
 * all-in-one default bound) of the load generator's workload in batches of 512, then prints what
 * holding them costs (V8 heap used after a full GC, external / array-buffer bytes, the store's own
 * estimate), what writing them cost, and the latency of reads: trace by id (random held traces),
 * Jaeger searches (by service; by service and tag; by a tag alone, which reads every span's
 * attributes) and a TraceQL search that matches nothing (so it decodes every trace in the window),
 * each the median / p99 of `--reads` runs (trace by id 4×, the last two searches ÷5).
 *
 * Unlike the load generator's sends, every span here gets random trace, span and parent ids and a
 * random request id, as real traffic has: that is incompressible data, so the store's compressed
 * chunks show the ratio real spans get rather than the generator's (its 16 requests repeat).
 *
 * `--root` (repeatable) runs the store of another checkout, so two versions compare in one run:
 * each root runs in its own process (a clean heap), roots alternating run by run (`--runs`).
 *
 *   npx tsx test/bench/memstore.ts [--spans 500000] [--reads 20] [--runs 1] [--root /work/main --root .]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SpanRecord } from '../../shared/model/span.js';
import type { SpanStore } from '../../shared/storage/spanstore.js';
import { compileTraceql } from '../../shared/traceql/compile.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { buildRequestPool } from './otlp-workload.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const MB = 1024 * 1024;

interface Figures {
  root: string;
  spans: number;
  writeUsPerSpan: number;
  writeCpuUsPerSpan: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  storeEstimateMb: number;
  reads: Record<string, { p50Ms: number; p99Ms: number; found: number }>;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The workload's spans, again and again, with fresh random ids and request ids and later timestamps each round. */
function* batches(total: number): Generator<SpanRecord[]> {
  const pool = buildRequestPool({ spansPerRequest: 512, poolSize: 16, seed: 7 });
  const requests = pool.templates.map((t) => decodeTracesProtobuf(t.bytes));
  const baseNanos = BigInt(Date.now() - 3_600_000) * 1_000_000n;
  let written = 0;
  for (let round = 0; written < total; round++) {
    const request = requests[round % requests.length];
    const traceIds = new Map<string, string>();
    const spanIds = new Map<string, string>();
    const idOf = (map: Map<string, string>, id: string, bytes: number) => {
      if (id === '') return id;
      let fresh = map.get(id);
      if (fresh === undefined) map.set(id, (fresh = hex(bytes)));
      return fresh;
    };
    const shift = baseNanos + BigInt(round) * 5_000_000n;
    const batch = request.slice(0, Math.min(request.length, total - written)).map((s) => ({
      ...s,
      traceId: idOf(traceIds, s.traceId, 16),
      spanId: idOf(spanIds, s.spanId, 8),
      parentSpanId: idOf(spanIds, s.parentSpanId, 8),
      startTimeUnixNano: s.startTimeUnixNano + shift,
      endTimeUnixNano: s.endTimeUnixNano + shift,
      attributes: s.attributes.map((a) => (a.key === 'guid:x-request-id' ? { key: a.key, value: { type: 'string' as const, value: crypto.randomUUID() } } : a)),
      links: s.links.map((l) => ({ ...l, traceId: hex(16), spanId: hex(8) })),
    }));
    written += batch.length;
    yield batch;
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))];
}

async function timed(runs: number, read: (i: number) => Promise<number>): Promise<{ p50Ms: number; p99Ms: number; found: number }> {
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    found += await read(i);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: percentile(times, 0.5), p99Ms: percentile(times, 0.99), found: found / runs };
}

/** One root, in this process. */
async function measure(root: string, spans: number, reads: number): Promise<Figures> {
  const { MemorySpanStore } = (await import(join(root, 'shared/storage/memory/memory-span-store.ts'))) as {
    MemorySpanStore: new (options: { maxSpans: number; maxBytes: number }) => SpanStore & { stats(): { bytes: number }; compressed?: () => Promise<void> };
  };
  const store = new MemorySpanStore({ maxSpans: spans, maxBytes: 4 * 1024 * MB });
  const sampled: string[] = [];
  let writeMs = 0;
  let n = 0;
  let lastTraceId = '';
  let cpuUs = 0;
  for (const batch of batches(spans)) {
    for (const s of batch) if (n++ % 997 === 0) sampled.push(s.traceId);
    lastTraceId = batch[batch.length - 1].traceId;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await store.writeSpans(batch);
    writeMs += performance.now() - started;
    const used = process.cpuUsage(cpu);
    cpuUs += used.user + used.system;
  }
  // Compression off the writing thread (where a store does it) counts too: every thread's CPU
  // time during the writes and until it is done. Pool work that overlaps the making of the next
  // batch is missed, so this is a lower bound.
  const cpuBefore = process.cpuUsage();
  await store.compressed?.();
  const tail = process.cpuUsage(cpuBefore);
  cpuUs += tail.user + tail.system;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const mem = process.memoryUsage();
  const all = { startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER };
  const lastGuid = (await store.getTrace(lastTraceId))[0].attributes.find((a) => a.key === 'guid:x-request-id');
  const figures: Figures = {
    root,
    spans,
    writeUsPerSpan: (writeMs * 1000) / spans,
    writeCpuUsPerSpan: cpuUs / spans,
    heapUsedMb: mem.heapUsed / MB,
    externalMb: mem.external / MB,
    arrayBuffersMb: mem.arrayBuffers / MB,
    storeEstimateMb: store.stats().bytes / MB,
    reads: {},
  };
  figures.reads['trace by id'] = await timed(reads * 4, async (i) => (await store.getTrace(sampled[(i * 7919) % sampled.length])).length);
  figures.reads['search service, limit 20'] = await timed(reads, async () =>
    (await store.findTraces({ ...all, service: 'checkout', tags: {}, limit: 20 })).length);
  figures.reads['search service + tag, limit 20'] = await timed(reads, async () =>
    (await store.findTraces({ ...all, service: 'frontend', tags: { 'http.route': '/product/{id}' }, limit: 20 })).length);
  figures.reads['search tag alone (one request id)'] = await timed(Math.max(3, reads / 5), async () =>
    (await store.findTraces({ ...all, tags: { 'guid:x-request-id': lastGuid?.value.type === 'string' ? lastGuid.value.value : '' }, limit: 20 })).length);
  const traceql = compileTraceql('{ span.http.route = "/product/{id}" && status = error }');
  figures.reads['TraceQL search, limit 20'] = await timed(Math.max(3, reads / 5), async () =>
    (await store.searchTraceql!({ ...all, query: traceql, limit: 20, spansPerSpanset: 3 })).length);
  return figures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '500000' },
      reads: { type: 'string', default: '20' },
      runs: { type: 'string', default: '1' },
      root: { type: 'string', multiple: true },
      child: { type: 'boolean', default: false },
    },
  });
  const spans = Number(values.spans);
  const reads = Number(values.reads);
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await measure(resolve(values.root?.[0] ?? repoRoot), spans, reads))}\n`);
    return;
  }
  const roots = (values.root ?? [repoRoot]).map((r) => resolve(r));
  const results: Figures[] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    for (const root of roots) {
      const before = loadavg()[0];
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--root', root, '--spans', String(spans), '--reads', String(reads)],
        { cwd: repoRoot, encoding: 'utf8', maxBuffer: 16 * MB, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (child.status !== 0) throw new Error(`bench child for ${root} ended with ${child.status ?? child.signal}`);
      const f = JSON.parse(child.stdout.trim().split('\n').pop()!) as Figures;
      results.push(f);
      const n = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
      process.stdout.write(
        `${root}: ${n(f.spans)} spans; write ${n(f.writeUsPerSpan, 2)} µs/span on its thread (${n(f.writeCpuUsPerSpan, 2)} µs CPU, every thread); heap used ${n(f.heapUsedMb)} MB, external ${n(f.externalMb)} MB ` +
          `(array buffers ${n(f.arrayBuffersMb)}), store's estimate ${n(f.storeEstimateMb)} MB; load ${before.toFixed(2)}→${loadavg()[0].toFixed(2)}\n` +
          Object.entries(f.reads).map(([name, r]) => `    ${name.padEnd(36)} p50 ${n(r.p50Ms, 2).padStart(8)} ms  p99 ${n(r.p99Ms, 2).padStart(8)} ms  (${n(r.found, 1)} found)`).join('\n') + '\n',
      );
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
