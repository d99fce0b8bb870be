/**
 * Elasticsearch bulk write rate for realistic span documents, without the rest of the pipeline.
 *
 *   npx tsx test/bench/es-bulk.ts [--spans 100000] [--batch 2000] [--concurrency 2] [--rounds 2]
 *
 * Needs Elasticsearch at MESHTEL_ES_URL (default http://127.0.0.1:9200), e.g. from deploy/local.
 * Prints two figures: the span store's writeSpans (encoding + bulk + per-item checks), fed in
 * ingester-sized batches, and plain client.bulk of documents already serialized (what the
 * cluster itself takes). Writes into a throw-away index prefix and deletes it afterwards.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { SpanKind, StatusCode, type KeyValue, type Resource, type SpanRecord } from '../../shared/model/span.js';
import { encodeSpanDocument, spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import { dailyIndex } from '../../shared/storage/elasticsearch/indices.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';

const { values } = parseArgs({
  options: {
    spans: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
  },
});
const totalSpans = Number(values.spans);
const batchSize = Number(values.batch);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const node = process.env.MESHTEL_ES_URL ?? 'http://127.0.0.1:9200';
const admin = new Client({ node });

const str = (key: string, value: string): KeyValue => ({ key, value: { type: 'string', value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { type: 'int', value: BigInt(value) } });

const services = ['productpage', 'reviews', 'ratings', 'details', 'cart', 'checkout', 'payments', 'shipping'];
const resources: Resource[] = services.map((service, i) => ({
  attributes: [
    str('service.name', service),
    str('k8s.namespace.name', 'shop'),
    str('k8s.pod.name', `${service}-v1-7d9f8c6b5-${i}x2kq`),
    str('istio.canonical_service', service),
    str('istio.mesh_id', 'cluster.local'),
    str('host.name', `node-${i % 3}`),
  ],
  droppedAttributesCount: 0,
  schemaUrl: '',
}));
const scope = { name: 'envoy', version: '1.31.2', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/** An Envoy-like server or client span: ~15 attributes, ids random, starting "now". */
function envoySpan(n: number, nowNs: bigint): SpanRecord {
  const service = n % services.length;
  const server = n % 2 === 0;
  const status = n % 50 === 0 ? 503 : 200;
  const start = nowNs - BigInt(n % 1000) * 1_000_000n;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: randomBytes(8).toString('hex'),
    traceState: '',
    flags: 1,
    name: `${services[(service + 1) % services.length]}.shop.svc.cluster.local:9080/*`,
    kind: server ? SpanKind.SERVER : SpanKind.CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(200_000 + (n % 5000) * 1000),
    attributes: [
      str('node_id', `sidecar~10.1.${service}.${n % 250}~${services[service]}-v1.shop~shop.svc.cluster.local`),
      str('zone', 'europe-west1-b'),
      str('guid:x-request-id', randomBytes(16).toString('hex')),
      str('http.url', `http://${services[(service + 1) % services.length]}:9080/api/v1/items/${n % 977}`),
      str('http.method', n % 7 === 0 ? 'POST' : 'GET'),
      str('downstream_cluster', '-'),
      str('user_agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'),
      str('http.protocol', 'HTTP/1.1'),
      str('peer.address', `10.1.${service}.${n % 250}`),
      int('request_size', 0),
      int('response_size', 1500 + (n % 300)),
      str('response_flags', '-'),
      int('http.status_code', status),
      str('upstream_cluster', `outbound|9080||${services[(service + 1) % services.length]}.shop.svc.cluster.local`),
      str('istio.namespace', 'shop'),
      str('component', 'proxy'),
    ],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: status >= 500 ? StatusCode.ERROR : StatusCode.UNSET, message: '' },
    resource: resources[service]!,
    scope,
    serviceName: services[service]!,
  };
}

/** Plain client.bulk of already-serialized documents (serialization untimed), `concurrency` requests at once. */
async function rawBulk(spans: readonly SpanRecord[], prefix: string): Promise<{ seconds: number; bytesPerDoc: number }> {
  const docs = spans.map((s) => {
    const doc = encodeSpanDocument(s);
    return { action: JSON.stringify({ index: { _index: dailyIndex(prefix, 'spans', doc.startTime), _id: spanDocumentId(s) } }), source: JSON.stringify(doc) };
  });
  const bytesPerDoc = docs.reduce((sum, d) => sum + Buffer.byteLength(d.source), 0) / docs.length;
  const started = performance.now();
  let cursor = 0;
  const send = async () => {
    while (cursor < docs.length) {
      const chunk = docs.slice(cursor, cursor + batchSize);
      cursor += batchSize;
      const res = await admin.bulk({ operations: chunk.flatMap((d) => [d.action, d.source]), filter_path: ['errors'] });
      if (res.errors) throw new Error('raw bulk had item errors');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, send));
  return { seconds: (performance.now() - started) / 1000, bytesPerDoc };
}

/** The store's writeSpans, fed like an ingester: several consumers hand over batches at once. */
async function storeRun(store: ElasticsearchSpanStore, spans: readonly SpanRecord[]): Promise<number> {
  const started = performance.now();
  let next = 0;
  const feed = async () => {
    while (next < spans.length) {
      const batch = spans.slice(next, next + batchSize);
      next += batchSize;
      const rejected = await store.writeSpans(batch);
      if (rejected.length > 0) throw new Error(`rejected: ${rejected[0]!.reason}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency * 2 }, feed));
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const prefix = `mt-bench-${randomBytes(3).toString('hex')}`;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const fresh = (n: number) => Array.from({ length: n }, (_, i) => envoySpan(i, nowNs));
  const store = new ElasticsearchSpanStore({ node, indexPrefix: prefix, bulkMaxSpans: batchSize, bulkConcurrency: concurrency });
  // Only for its templates: the raw runs write `<prefix>-raw-spans-*` with the same mapping.
  const rawStore = new ElasticsearchSpanStore({ node, indexPrefix: `${prefix}-raw` });
  try {
    await store.start();
    await rawStore.start();
    // Untimed warm-up (JVM JIT, index creation); then the two ways alternate, best of each kept,
    // because on a small shared machine whichever runs later tends to run faster.
    await rawBulk(fresh(20_000), `${prefix}-raw`);
    let bestRaw = Infinity;
    let bestStore = Infinity;
    let bytesPerDoc = 0;
    for (let round = 0; round < rounds; round++) {
      const raw = await rawBulk(fresh(totalSpans), `${prefix}-raw`);
      bestRaw = Math.min(bestRaw, raw.seconds);
      bytesPerDoc = raw.bytesPerDoc;
      bestStore = Math.min(bestStore, await storeRun(store, fresh(totalSpans)));
    }

    await admin.indices.refresh({ index: `${prefix}-*` });
    const stored = (await admin.count({ index: `${prefix}-spans-*` })).count;
    console.log(
      `elasticsearch ${node}: ${totalSpans} Envoy-like spans per run, ~${Math.round(bytesPerDoc)} bytes/document, ` +
        `batch ${batchSize}, concurrency ${concurrency}, best of ${rounds}`,
    );
    console.log(`  store.writeSpans (encoding included) : ${Math.round(totalSpans / bestStore)} spans/s (${stored} stored in all)`);
    console.log(`  raw client.bulk (pre-serialized)     : ${Math.round(totalSpans / bestRaw)} spans/s`);
  } finally {
    await store.stop();
    await rawStore.stop();
    const names = Object.keys(await admin.indices.get({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true }));
    if (names.length > 0) await admin.indices.delete({ index: names });
    for (const name of [`${prefix}-spans`, `${prefix}-services`, `${prefix}-raw-spans`, `${prefix}-raw-services`]) {
      await admin.indices.deleteIndexTemplate({ name }).catch(() => undefined);
    }
    await admin.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
