/**
 * The mesh graph on Elasticsearch: how long /api/v1/graph's computation (one composite
 * aggregation over the window's span and access-log indices, then the build) takes over 1 h, 24 h
 * and 7 days of a generated 50-service mesh.
 *
 *   npx tsx test/bench/graph-es.ts [--services 50] [--calls-per-hour 1500] [--days 7] [--runs 7]
 *
 * Needs Elasticsearch at MESHTEL_ES_URL (default http://127.0.0.1:9200), e.g. from deploy/local.
 * Traffic: each service calls 2–3 others (a layered mesh, ~120 edges), every call logged by both
 * sidecars with one x-request-id, every 4th also traced (client span); 2 % fail with 503 UF. It is
 * spread evenly over the days, written through the stores (so the graph fields are the real ones)
 * into a throw-away index prefix that is deleted afterwards. Prints per window: documents in it,
 * edges, wall time p50 / p99 over the runs and Elasticsearch's own `took` (summed per graph).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { buildGraph } from '../../shared/graph/build.js';
import type { AccessLogRecord, Workload } from '../../shared/model/access-log.js';
import { SpanKind, type KeyValue, type Resource, type SpanRecord } from '../../shared/model/span.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchGraphReader } from '../../shared/storage/elasticsearch/graph-reader.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '50' },
    'calls-per-hour': { type: 'string', default: '1500' },
    days: { type: 'string', default: '7' },
    runs: { type: 'string', default: '7' },
  },
});
const serviceCount = Number(values.services);
const callsPerHour = Number(values['calls-per-hour']);
const days = Number(values.days);
const runs = Number(values.runs);
const node = process.env.MESHTEL_ES_URL ?? 'http://127.0.0.1:9200';
const prefix = `bench-graph-${randomBytes(4).toString('hex')}`;
const NS = 'mesh';
const HOUR_US = 3600 * 1_000_000;

const services = Array.from({ length: serviceCount }, (_, i) => `svc${String(i).padStart(2, '0')}`);
/** Layered: service i calls 2–3 services with higher indices (a DAG, like a real call tree). */
const edges: [number, number][] = [];
for (let i = 0; i < serviceCount; i++) {
  for (const step of [1, 3, 7].slice(0, i % 2 === 0 ? 3 : 2)) if (i + step < serviceCount) edges.push([i, i + step]);
}
const workload = (i: number): Workload => ({ workload: `${services[i]}-v1`, namespace: NS, app: services[i], canonicalService: services[i], canonicalRevision: 'v1' });
const str = (key: string, value: string): KeyValue => ({ key, value: { type: 'string', value } });
const resources: Resource[] = services.map((s) => ({ attributes: [str('service.name', `${s}.${NS}`)], droppedAttributesCount: 0, schemaUrl: '' }));
const scope = { name: 'envoy', version: '1.31', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

function* traffic(startUs: number, endUs: number): Generator<{ records: AccessLogRecord[]; spans: SpanRecord[] }> {
  const hours = Math.round((endUs - startUs) / HOUR_US);
  let n = 0;
  for (let h = 0; h < hours; h++) {
    const records: AccessLogRecord[] = [];
    const spans: SpanRecord[] = [];
    for (let c = 0; c < callsPerHour; c++, n++) {
      const [from, to] = edges[n % edges.length]!;
      const t = startUs + h * HOUR_US + Math.floor((c / callsPerHour) * HOUR_US);
      const failed = n % 50 === 0;
      const ms = 2 + (n % 97);
      const rid = `r${n}`;
      const base = {
        kind: 'http' as const, input: 'als' as const, startTimeUnixNano: BigInt(t) * 1000n, durationUs: ms * 1000, method: 'GET', path: '/',
        requestId: rid, responseCode: failed ? 503 : 200, responseFlags: failed ? ['UF'] : [], attributes: {},
        upstreamCluster: `outbound|8080||${services[to]}.${NS}.svc.cluster.local`,
      };
      records.push({ ...base, id: `${rid}s`, reporter: 'source', source: workload(from), destination: failed ? {} : workload(to) });
      if (!failed) {
        records.push({ ...base, id: `${rid}d`, reporter: 'destination', upstreamCluster: 'inbound|8080||', mtls: true, source: workload(from), destination: workload(to) });
      }
      if (n % 4 === 0) {
        spans.push({
          traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), parentSpanId: '', traceState: '', flags: 1,
          name: `${services[to]}.${NS}.svc.cluster.local:8080/*`, kind: SpanKind.CLIENT,
          startTimeUnixNano: BigInt(t) * 1000n, endTimeUnixNano: BigInt(t + ms * 1000) * 1000n,
          attributes: [str('upstream_cluster', base.upstreamCluster), str('guid:x-request-id', rid), str('http.status_code', String(base.responseCode))],
          droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0,
          status: { code: 0, message: '' }, resource: resources[from]!, scope, serviceName: `${services[from]}.${NS}`,
        });
      }
    }
    yield { records, spans };
  }
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

async function main(): Promise<void> {
  const admin = new Client({ node });
  const spanStore = new ElasticsearchSpanStore({ node, indexPrefix: prefix, flushIntervalMs: 0 });
  const logStore = new ElasticsearchAccessLogStore({ node, indexPrefix: prefix, flushIntervalMs: 0 });
  try {
    await spanStore.start();
    await logStore.start();
    const endUs = Math.floor(Date.now() / 3_600_000) * HOUR_US;
    const startUs = endUs - days * 24 * HOUR_US;
    const loadStart = performance.now();
    let docs = 0;
    for (const { records, spans } of traffic(startUs, endUs)) {
      await Promise.all([logStore.writeAccessLogs(records), spanStore.writeSpans(spans)]);
      docs += records.length + spans.length;
    }
    await spanStore.refresh();
    await logStore.refresh();
    const loadS = (performance.now() - loadStart) / 1000;
    console.log(`generated ${services.length} services, ${edges.length} edges, ${docs} documents over ${days} days in ${loadS.toFixed(1)} s`);

    // Elasticsearch's own time per search, summed over the searches of one graph.
    let took = 0;
    const client = new Client({ node });
    client.diagnostic.on('response', (_err, result) => {
      const body = result?.body as { took?: number } | undefined;
      if (typeof body?.took === 'number') took += body.took;
    });
    const reader = new ElasticsearchGraphReader({ client, indexPrefix: prefix });
    console.log('window  docs       edges  wall p50 ms  wall p99 ms  ES took p50 ms');
    for (const [label, hours] of [['1h', 1], ['24h', 24], ['7d', 24 * 7]] as const) {
      if (hours > days * 24) continue;
      const query = { startUs: endUs - hours * HOUR_US, endUs, level: 'service' as const };
      const walls: number[] = [];
      const tooks: number[] = [];
      let edgeCount = 0;
      for (let r = 0; r < runs; r++) {
        took = 0;
        const t0 = performance.now();
        const graph = buildGraph(await reader.getEdgePartials(query), hours * 3600);
        walls.push(performance.now() - t0);
        tooks.push(took);
        edgeCount = graph.edges.length;
      }
      walls.sort((a, b) => a - b);
      tooks.sort((a, b) => a - b);
      const windowDocs = Math.round((docs * hours) / (days * 24));
      console.log(
        `${label.padEnd(7)} ${String(windowDocs).padEnd(10)} ${String(edgeCount).padEnd(6)} ${quantile(walls, 0.5).toFixed(0).padStart(11)}  ${quantile(walls, 0.99).toFixed(0).padStart(11)}  ${quantile(tooks, 0.5).toFixed(0).padStart(14)}`,
      );
    }
    await client.close();
  } finally {
    await spanStore.stop();
    await logStore.stop();
    await admin.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
    for (const signal of ['spans', 'services', 'accesslogs']) {
      await admin.indices.deleteIndexTemplate({ name: `${prefix}-${signal}` }).catch(() => undefined);
    }
    await admin.close();
  }
}

await main();
