/**
 * Tempo API latency over spans stored in Elasticsearch: TraceQL searches and trace by id, through
 * the Tempo plugin (fastify inject, so parsing, the store's request and the answer's encoding are
 * all timed) on an ElasticsearchSpanStore.
 *
 *   npx tsx test/bench/traceql-es.ts [--spans 200000] [--runs 30]
 *
 * Needs Elasticsearch at MESHTEL_ES_URL (default http://127.0.0.1:9200), e.g. from deploy/local.
 * Loads `--spans` Envoy-like spans (traces of 4: a frontend root and three calls, ~2% of calls
 * answering 503) with plain bulk requests into a throw-away index prefix, then times each request
 * `--runs` times after 3 untimed ones and prints p50/p99. Loading runs at the cluster's bulk rate
 * (~10k spans/s on the shared 2-core box), so 1M spans take minutes and ~3 GB of disk; the default
 * stays at 200k. The prefix is deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import Fastify from 'fastify';
import { SpanKind, StatusCode, type KeyValue, type Resource, type SpanRecord } from '../../shared/model/span.js';
import { encodeSpanDocument, spanDocumentId } from '../../shared/storage/elasticsearch/document.js';
import { dailyIndex } from '../../shared/storage/elasticsearch/indices.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { tempoApi } from '../../services/query/tempo/tempo-api.js';

const { values } = parseArgs({ options: { spans: { type: 'string', default: '200000' }, runs: { type: 'string', default: '30' } } });
const totalSpans = Number(values.spans);
const runs = Number(values.runs);
const node = process.env.MESHTEL_ES_URL ?? 'http://127.0.0.1:9200';
const BULK_SPANS = 2000;

const str = (key: string, value: string): KeyValue => ({ key, value: { type: 'string', value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { type: 'int', value: BigInt(value) } });
const services = ['frontend', 'cart', 'checkout', 'payments', 'shipping', 'reviews', 'ratings', 'details'];
const resources: Resource[] = services.map((service, i) => ({
  attributes: [str('service.name', service), str('k8s.namespace.name', 'shop'), str('k8s.pod.name', `${service}-7d9f8c6b5-${i}x2kq`), str('host.name', `node-${i % 3}`)],
  droppedAttributesCount: 0,
  schemaUrl: '',
}));
const scope = { name: 'envoy', version: '1.31.2', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

/** Trace number `t`: a frontend root and three calls to other services, spread over the last 30 minutes. */
function traceOf(t: number, nowNs: bigint): SpanRecord[] {
  const traceId = randomBytes(16).toString('hex');
  const rootId = randomBytes(8).toString('hex');
  const start = nowNs - BigInt(t % 1800) * 1_000_000_000n - BigInt(t % 997) * 1_000_000n;
  const spans: SpanRecord[] = [];
  for (let i = 0; i < 4; i++) {
    const service = i === 0 ? 0 : 1 + ((t + i) % (services.length - 1));
    const status = i > 0 && (t * 4 + i) % 50 === 0 ? 503 : 200;
    const durationMs = i === 0 ? 20 + (t % 300) : 1 + ((t * 7 + i) % 150);
    const spanStart = start + BigInt(i) * 1_000_000n;
    spans.push({
      traceId,
      spanId: i === 0 ? rootId : randomBytes(8).toString('hex'),
      parentSpanId: i === 0 ? '' : rootId,
      traceState: '',
      flags: 1,
      name: `${services[service]}.shop.svc.cluster.local:9080/*`,
      kind: i === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
      startTimeUnixNano: spanStart,
      endTimeUnixNano: spanStart + BigInt(durationMs) * 1_000_000n,
      attributes: [
        str('http.method', t % 7 === 0 ? 'POST' : 'GET'),
        str('http.url', `http://${services[service]}:9080/api/v1/items/${t % 977}`),
        int('http.status_code', status),
        str('upstream_cluster', `outbound|9080||${services[service]}.shop.svc.cluster.local`),
        str('guid:x-request-id', randomBytes(16).toString('hex')),
        int('response_size', 1500 + (t % 300)),
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
    });
  }
  return spans;
}

async function load(admin: Client, prefix: string, nowNs: bigint): Promise<{ seconds: number; sampleTraceId: string }> {
  const started = performance.now();
  let t = 0;
  let sampleTraceId = '';
  const send = async () => {
    while (t * 4 < totalSpans) {
      const spans: SpanRecord[] = [];
      while (spans.length < BULK_SPANS && t * 4 < totalSpans) spans.push(...traceOf(t++, nowNs));
      sampleTraceId ||= spans[0]!.traceId;
      const operations = spans.flatMap((s) => {
        const doc = encodeSpanDocument(s);
        return [{ index: { _index: dailyIndex(prefix, 'spans', doc.startTime), _id: spanDocumentId(s) } }, doc];
      });
      const res = await admin.bulk({ operations, filter_path: ['errors'] });
      if (res.errors) throw new Error('bulk had item errors');
    }
  };
  await Promise.all([send(), send()]);
  await admin.indices.refresh({ index: `${prefix}-*` });
  return { seconds: (performance.now() - started) / 1000, sampleTraceId };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const prefix = `mt-bench-tql-${randomBytes(3).toString('hex')}`;
  const admin = new Client({ node });
  const store = new ElasticsearchSpanStore({ node, indexPrefix: prefix });
  const app = Fastify();
  try {
    await store.start();
    const nowMs = Date.now();
    const { seconds, sampleTraceId } = await load(admin, prefix, BigInt(nowMs) * 1_000_000n);
    const stored = (await admin.count({ index: `${prefix}-spans-*` })).count;
    await app.register(tempoApi, { reader: store });
    await app.ready();
    const window = `start=${Math.floor(nowMs / 1000) - 3600}&end=${Math.ceil(nowMs / 1000)}`;
    const requests: [string, string, Record<string, string>][] = [
      ['{ resource.service.name = "cart" && span.http.status_code >= 500 }', `/api/search?q=${encodeURIComponent('{ resource.service.name = "cart" && span.http.status_code >= 500 }')}&${window}`, {}],
      ['{ duration > 100ms }', `/api/search?q=${encodeURIComponent('{ duration > 100ms }')}&${window}`, {}],
      ['{ rootServiceName = "frontend" && status = error }', `/api/search?q=${encodeURIComponent('{ rootServiceName = "frontend" && status = error }')}&${window}`, {}],
      ['trace by id (v2, protobuf)', `/api/v2/traces/${sampleTraceId}`, { accept: 'application/protobuf' }],
    ];
    console.log(`elasticsearch ${node}: ${stored} spans stored (${totalSpans / 4} traces of 4), loaded in ${seconds.toFixed(1)} s; ${runs} timed runs each after 3 untimed`);
    for (const [label, url, headers] of requests) {
      const times: number[] = [];
      let found = 0;
      for (let i = 0; i < runs + 3; i++) {
        const started = performance.now();
        const res = await app.inject({ method: 'GET', url, headers });
        const ms = performance.now() - started;
        if (res.statusCode !== 200) throw new Error(`${label}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
        if (i >= 3) times.push(ms);
        found = url.startsWith('/api/search') ? (res.json<{ traces: unknown[] }>().traces.length) : res.rawPayload.length;
      }
      times.sort((a, b) => a - b);
      const what = url.startsWith('/api/search') ? `${found} traces (limit 20)` : `${found} bytes`;
      console.log(`  ${label.padEnd(66)} p50 ${percentile(times, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(times, 99).toFixed(1).padStart(7)} ms  ${what}`);
    }
  } finally {
    await app.close();
    await store.stop();
    const names = Object.keys(await admin.indices.get({ index: `${prefix}-*`, allow_no_indices: true, ignore_unavailable: true }));
    if (names.length > 0) await admin.indices.delete({ index: names });
    for (const name of [`${prefix}-spans`, `${prefix}-services`]) await admin.indices.deleteIndexTemplate({ name }).catch(() => undefined);
    await admin.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
