/**
 * The raw Elasticsearch bulk rate for the documents the pipeline benchmark writes: the load
 * generator's requests (same templates, same seed), decoded and turned into span documents with
 * the ingester's own encoder (the same text, graph observation included), ids and daily indices,
 * then bulk-loaded with no pipeline in front.
 * The pipeline's stored spans/s over this rate is the pipeline's overhead as a ratio.
 *
 *   npx tsx test/bench/pipeline-raw-bulk.ts [--spans 100000] [--batch 2000] [--concurrency 2]
 *
 * Two figures, as in es-bulk.ts (whose Envoy-like documents are smaller):
 *  - raw: pre-serialized NDJSON POSTed to /_bulk, nothing else timed — what the cluster takes;
 *  - store: ElasticsearchSpanStore.writeSpans on decoded spans — the ingester's write path
 *    (encoding, bulk, per-item checks) without Kafka and decoding.
 * Writes into a throw-away index prefix and deletes it (indices and templates) afterwards.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { observationOfSpan } from '../../shared/graph/observation.js';
import { DEFAULT_MESH_SERVICE_NAMING } from '../../shared/istio/service-naming.js';
import { encodeSpanDocumentJson } from '../../shared/storage/elasticsearch/document.js';
import { dailyIndex } from '../../shared/storage/elasticsearch/indices.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { dropIndexPrefix } from '../integration/spanstore-elasticsearch-support.js';
import { buildRequestPool, stampRequest } from './otlp-workload.js';
import { openUsageWindow } from './pipeline-measure.js';

export interface RawBulkOptions {
  readonly esUrl: string;
  /** Spans per timed run. */
  readonly spans: number;
  /** Documents per bulk request: the ingester's --es-bulk-max-spans. */
  readonly batchSpans: number;
  /** Bulk requests in flight: the ingester's --es-bulk-concurrency. */
  readonly concurrency: number;
  /** The load generator's request size and seed, so the documents are the ones it sends. */
  readonly requestSpans: number;
  readonly seed: number;
  /** Also time ElasticsearchSpanStore.writeSpans (default true). */
  readonly store?: boolean;
}

export interface RawBulkResult {
  readonly spans: number;
  readonly rawSpansPerSec: number;
  readonly storeSpansPerSec?: number;
  readonly bytesPerDocument: number;
  readonly stored: number;
  /**
   * Elasticsearch's CPU per 100k documents during the raw run (undefined when its process is not
   * found): unlike spans/s it hardly moves with the machine's other load, so it compares with the
   * pipeline's Elasticsearch CPU per 100k spans even when the two runs met different neighbours.
   */
  readonly esCpuSecondsPer100k?: number;
  /** Share of the raw run in which something on the machine waited for a core (PSI). */
  readonly cpuPressure?: number;
}

/** Fresh spans from the load generator's templates: new ids per copy, times near now. */
function spanSource(requestSpans: number, seed: number): (n: number) => SpanRecord[] {
  const { templates } = buildRequestPool({ spansPerRequest: requestSpans, poolSize: 16, seed });
  const nonce = randomBytes(4);
  let sequence = 0;
  let next = 0;
  return (n) => {
    const spans: SpanRecord[] = [];
    while (spans.length < n) {
      const template = templates[next];
      next = (next + 1) % templates.length;
      const stamp = Buffer.allocUnsafe(8);
      nonce.copy(stamp, 0);
      stamp.writeUInt32BE(++sequence >>> 0, 4);
      // Templates count time from 0, one second apart (see otlp-workload.ts): land them in the last minute.
      const body = stampRequest(template, stamp, BigInt(Date.now() - (templates.length + 2) * 1000) * 1_000_000n);
      spans.push(...decodeTracesProtobuf(body));
    }
    return spans.slice(0, n);
  };
}

/** NDJSON bulk bodies of `batch` documents each, built off the clock, as the ingester would build them. */
function bulkBodies(spans: readonly SpanRecord[], prefix: string, batch: number): { bodies: string[]; bytesPerDocument: number } {
  const bodies: string[] = [];
  let sourceBytes = 0;
  for (let i = 0; i < spans.length; i += batch) {
    let body = '';
    for (const span of spans.slice(i, i + batch)) {
      const doc = encodeSpanDocumentJson(span, observationOfSpan(span, DEFAULT_MESH_SERVICE_NAMING));
      sourceBytes += Buffer.byteLength(doc.json);
      body += `${JSON.stringify({ index: { _index: dailyIndex(prefix, 'spans', doc.startTimeMs), _id: doc.id } })}\n${doc.json}\n`;
    }
    bodies.push(body);
  }
  return { bodies, bytesPerDocument: spans.length > 0 ? sourceBytes / spans.length : 0 };
}

/** POSTs the bodies, `concurrency` at once; resolves with the seconds it took. */
async function postBodies(esUrl: string, bodies: readonly string[], concurrency: number): Promise<number> {
  let cursor = 0;
  const started = performance.now();
  const sender = async () => {
    while (cursor < bodies.length) {
      const body = bodies[cursor++];
      const res = await fetch(`${esUrl}/_bulk?filter_path=errors,items.*.error.reason`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      const answer = (await res.json()) as { errors?: boolean; items?: Array<Record<string, { error?: { reason?: string } }>> };
      if (!res.ok || answer.errors) {
        const reason = answer.items?.map((item) => Object.values(item)[0]?.error?.reason).find(Boolean);
        throw new Error(`raw bulk failed: HTTP ${res.status} ${reason ?? ''}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return (performance.now() - started) / 1000;
}

/** writeSpans fed like an ingester's consumers (more callers than bulk slots, so the store's own queue sets the pace). */
async function storeRun(store: ElasticsearchSpanStore, spans: readonly SpanRecord[], batch: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const feed = async () => {
    while (next < spans.length) {
      const chunk = spans.slice(next, next + batch);
      next += batch;
      const rejected = await store.writeSpans(chunk);
      if (rejected.length > 0) throw new Error(`store rejected a span: ${rejected[0].reason}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency * 2 }, feed));
  return (performance.now() - started) / 1000;
}

export async function rawBulkOfWorkload(o: RawBulkOptions): Promise<RawBulkResult> {
  const prefix = `mt-bench-raw-${randomBytes(3).toString('hex')}`;
  const nextSpans = spanSource(o.requestSpans, o.seed);
  // The store installs the same index templates as an ingester; the raw runs write its indices too.
  const store = new ElasticsearchSpanStore({ node: o.esUrl, indexPrefix: prefix, bulkMaxSpans: o.batchSpans, bulkConcurrency: o.concurrency });
  const admin = new Client({ node: o.esUrl });
  try {
    await store.start();
    // Untimed warm-up: index creation, the JVM's JIT on this mapping.
    await postBodies(o.esUrl, bulkBodies(nextSpans(Math.min(10_000, o.spans)), prefix, o.batchSpans).bodies, o.concurrency);

    const raw = bulkBodies(nextSpans(o.spans), prefix, o.batchSpans);
    const window = await openUsageWindow([]);
    const rawSeconds = await postBodies(o.esUrl, raw.bodies, o.concurrency);
    const esUsage = (await window.close()).find((u) => u.name === 'elasticsearch');
    raw.bodies.length = 0; // let the ~200 MB of NDJSON go before the next run builds its spans

    let storeSeconds: number | undefined;
    if (o.store !== false) storeSeconds = await storeRun(store, nextSpans(o.spans), o.batchSpans, o.concurrency);

    await admin.indices.refresh({ index: `${prefix}-spans-*` });
    const stored = (await admin.count({ index: `${prefix}-spans-*` })).count;
    return {
      spans: o.spans,
      rawSpansPerSec: o.spans / rawSeconds,
      storeSpansPerSec: storeSeconds === undefined ? undefined : o.spans / storeSeconds,
      bytesPerDocument: raw.bytesPerDocument,
      stored,
      esCpuSecondsPer100k: esUsage ? (esUsage.cpuSeconds / o.spans) * 100_000 : undefined,
      cpuPressure: window.cpuPressure(),
    };
  } finally {
    await store.stop();
    await dropIndexPrefix(admin, prefix).catch(() => undefined);
    await admin.close();
  }
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      spans: { type: 'string', default: '100000' },
      batch: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '2' },
      'request-spans': { type: 'string', default: '512' },
    },
  });
  const esUrl = process.env.MESHTEL_ES_URL ?? 'http://127.0.0.1:9200';
  const r = await rawBulkOfWorkload({
    esUrl,
    spans: Number(values.spans),
    batchSpans: Number(values.batch),
    concurrency: Number(values.concurrency),
    requestSpans: Number(values['request-spans']),
    seed: 7,
  });
  const n = (x: number | undefined) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
  process.stdout.write(
    `elasticsearch ${esUrl}: ${n(r.spans)} load-generator spans per run, ~${n(r.bytesPerDocument)} bytes/document, batch ${values.batch}, ${values.concurrency} in flight\n` +
      `  raw /_bulk (pre-serialized)          : ${n(r.rawSpansPerSec)} spans/s\n` +
      `  store.writeSpans (encoding included) : ${n(r.storeSpansPerSec)} spans/s (${n(r.stored)} stored in all)\n` +
      `  Elasticsearch CPU during the raw run : ${r.esCpuSecondsPer100k === undefined ? '–' : r.esCpuSecondsPer100k.toFixed(2)} s per 100k documents` +
      `${r.cpuPressure === undefined ? '' : `; CPU pressure ${(r.cpuPressure * 100).toFixed(0)}%`}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  cli().catch((err: unknown) => {
    process.stderr.write(`pipeline-raw-bulk: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
