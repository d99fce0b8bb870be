/**
 * Multi-tenancy through the APIs, on the memory stores (all-in-one) and on Elasticsearch: two
 * tenants send spans and access logs with X-Scope-OrgID through the real receivers, an
 * in-process buffer and the ingesters, and each reads back through the query API only its own
 * data — even a span the other tenant wrote under its trace id, claiming its tenant attribute.
 */
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../services/collector/collector.js';
import { AccessLogIngester } from '../../services/ingester/access-log-ingester.js';
import { SpanIngester } from '../../services/ingester/span-ingester.js';
import { QueryService } from '../../services/query/query-service.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import type { Component } from '../../shared/model/component.js';
import { TENANT_ATTRIBUTE } from '../../shared/model/tenant.js';
import { buildListenerSecurity } from '../../shared/security/listener-security.js';
import type { AccessLogStore } from '../../shared/storage/accesslogstore.js';
import { ElasticsearchAccessLogStore } from '../../shared/storage/elasticsearch/accesslog-store.js';
import { ElasticsearchSpanStore } from '../../shared/storage/elasticsearch/store.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { MemorySpanStore } from '../../shared/storage/memory/memory-span-store.js';
import type { SpanStore } from '../../shared/storage/spanstore.js';
import { createMetrics } from '../support/metrics.js';
import { INBOUND_LINE, OUTBOUND_LINE } from '../fixtures/istio-lines.js';
import { ES_URL, ensureServers } from '../support/servers.js';
import { dropAccessLogPrefix } from './accesslogstore-elasticsearch-support.js';
import { exportWith, sdkSpans, testConfig } from '../support/receivers-harness.js';
import { dropIndexPrefix, uniquePrefix } from './spanstore-elasticsearch-support.js';
import { Client } from '@elastic/elasticsearch';

const logger = pino({ level: 'silent' });
const NO_FILES = { tlsCertFile: '', tlsKeyFile: '', tlsClientCaFile: '', authTokensFile: '', authBasicFile: '' };
const AUG_21_US = Date.parse('2026-08-21T00:00:00Z') * 1000;
const ACCESSLOG_WINDOW = `start=${AUG_21_US}&end=${AUG_21_US + 86_400_000_000}`;

interface Stores {
  readonly spans: SpanStore;
  readonly accessLogs: AccessLogStore;
  cleanup(): Promise<void>;
}

/** The pipeline all-in-one wires, on the given stores, with multi-tenancy on. */
async function startPipeline(stores: Stores) {
  const metrics = createMetrics();
  const receiver = buildListenerSecurity('receiver', { ...NO_FILES, tenancy: true }, { logger });
  const querySecurity = buildListenerSecurity('query', { ...NO_FILES, tenancy: true }, { logger });
  const buffer = new InProcessBuffer({ capacityBytes: 64 * 1024 * 1024, metrics, logger });
  const components: Component[] = [
    { name: 'span-store', start: () => stores.spans.start(), stop: () => stores.spans.stop() },
    { name: 'accesslog-store', start: () => stores.accessLogs.start(), stop: () => stores.accessLogs.stop() },
    { name: 'buffer', start: () => buffer.start(), stop: () => buffer.stop() },
    new SpanIngester({ buffer, writer: stores.spans, metrics, logger }),
    new AccessLogIngester({ buffer, writer: stores.accessLogs, metrics, logger }),
  ];
  const query = new QueryService({
    host: '127.0.0.1', port: 0, reader: stores.spans, accessLogReader: stores.accessLogs, defaultLimit: 20, maxLimit: 100, logger, security: querySecurity,
  });
  const collector = new Collector({ config: testConfig, buffer, metrics, logger, security: receiver });
  components.push(query, collector);
  for (const c of components) await c.start();
  const a = collector.addresses();
  return {
    httpUrl: `http://127.0.0.1:${a.otlpHttp.port}`,
    grpcTarget: `127.0.0.1:${a.otlpGrpc.port}`,
    queryUrl: `http://127.0.0.1:${query.port}`,
    async stop() {
      for (const c of components.reverse()) await c.stop();
      await stores.cleanup();
    },
  };
}

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

async function api<T = unknown>(p: Pipeline, path: string, tenant?: string): Promise<{ status: number; body: { data: T; errors: unknown } }> {
  const res = await fetch(`${p.queryUrl}${path}`, { headers: tenant ? { 'x-scope-orgid': tenant } : {} });
  return { status: res.status, body: (await res.json()) as { data: T; errors: unknown } };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An OTLP/JSON export of one span in trace `traceId`, whose resource claims to be `claimedTenant`'s. */
function forgedExport(traceId: string, claimedTenant: string): string {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [
        { key: 'service.name', value: { stringValue: 'intruder' } },
        { key: TENANT_ATTRIBUTE, value: { stringValue: claimedTenant } },
      ] },
      scopeSpans: [{ spans: [{ traceId, spanId: '00000000000000aa', name: 'sneak in', kind: 2, startTimeUnixNano: String(nowNs), endTimeUnixNano: String(nowNs + 1000n) }] }],
    }],
  });
}

const backends: Array<[string, () => Promise<Stores>]> = [
  ['memory', async () => ({
    spans: new MemorySpanStore({ maxSpans: 10_000, maxBytes: 64 * 1024 * 1024 }),
    accessLogs: new MemoryAccessLogStore({ maxRecords: 10_000 }),
    cleanup: async () => {},
  })],
  ['elasticsearch', async () => {
    await ensureServers(['elasticsearch']);
    const prefix = uniquePrefix('tenancy');
    const common = { node: ES_URL, indexPrefix: prefix, flushIntervalMs: 0, refresh: 'wait_for' as const, logger };
    return {
      spans: new ElasticsearchSpanStore(common),
      accessLogs: new ElasticsearchAccessLogStore(common),
      cleanup: async () => {
        const admin = new Client({ node: ES_URL });
        await dropIndexPrefix(admin, prefix);
        await dropAccessLogPrefix(admin, prefix);
        await admin.close();
      },
    };
  }],
];

describe.each(backends)('multi-tenancy on the %s stores', (_name, makeStores) => {
  let p: Pipeline;
  let acmeTraceId: string;
  let globexTraceId: string;

  beforeAll(async () => {
    p = await startPipeline(await makeStores());

    // acme: OTLP/HTTP with the header, and two Istio access-log lines.
    const acmeSpans = sdkSpans('acme-frontend');
    acmeTraceId = acmeSpans[0]!.spanContext().traceId;
    const http = new OtlpProtoExporter({ url: `${p.httpUrl}/v1/traces`, headers: { 'x-scope-orgid': 'acme' } });
    expect((await exportWith(http, acmeSpans)).code).toBe(0);
    await http.shutdown();
    const lines = await fetch(`${p.httpUrl}/v1/accesslogs`, {
      method: 'POST', headers: { 'content-type': 'text/plain', 'x-scope-orgid': 'acme' }, body: `${OUTBOUND_LINE}\n${INBOUND_LINE}`,
    });
    expect(lines.status).toBe(200);

    // globex: OTLP/gRPC with the metadata entry, plus a span under acme's trace id claiming to be acme's.
    const globexSpans = sdkSpans('globex-api');
    globexTraceId = globexSpans[0]!.spanContext().traceId;
    const md = new grpc.Metadata();
    md.set('x-scope-orgid', 'globex');
    const grpcExporter = new OtlpGrpcExporter({ url: `http://${p.grpcTarget}`, metadata: md });
    expect((await exportWith(grpcExporter, globexSpans)).code).toBe(0);
    await grpcExporter.shutdown();
    const forged = await fetch(`${p.httpUrl}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-scope-orgid': 'globex' }, body: forgedExport(acmeTraceId, 'acme'),
    });
    expect(forged.status).toBe(200);

    const services = async (tenant: string) => (await api<string[]>(p, '/api/services', tenant)).body.data ?? [];
    await until('both tenants\' spans to be stored', async () =>
      (await services('acme')).includes('acme-frontend') && (await services('globex')).includes('intruder') && (await services('globex')).includes('globex-api'));
    // Each store makes a write visible on its own schedule: wait for every trace the tests read.
    const found = async (traceId: string, tenant: string) => (await api(p, `/api/traces/${traceId}`, tenant)).status === 200;
    await until('the traces to be readable', async () =>
      (await found(acmeTraceId, 'acme')) && (await found(acmeTraceId, 'globex')) && (await found(globexTraceId, 'globex')));
    await until('acme\'s access logs to be stored', async () =>
      ((await api<unknown[]>(p, `/api/v1/accesslogs?${ACCESSLOG_WINDOW}`, 'acme')).body.data ?? []).length === 2);
  });

  afterAll(() => p?.stop());

  it('lists only the tenant\'s own services and operations', async () => {
    expect((await api(p, '/api/services', 'acme')).body.data).toEqual(['acme-frontend']);
    expect((await api(p, '/api/services', 'globex')).body.data).toEqual(['globex-api', 'intruder']);
    expect((await api(p, '/api/services/acme-frontend/operations', 'globex')).body.data).toEqual([]);
    expect((await api(p, '/api/services/acme-frontend/operations', 'acme')).body.data).toEqual(['GET /cart', 'SELECT carts']);
    expect((await api(p, '/api/services', 'initech')).body.data).toEqual([]);
  });

  it('shows a trace only to its tenant, without the other tenant\'s span written under the same id', async () => {
    type Trace = { spans: Array<{ operationName: string }>; processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }> };
    const acme = await api<Trace[]>(p, `/api/traces/${acmeTraceId}`, 'acme');
    expect(acme.status).toBe(200);
    expect(acme.body.data[0]!.spans.map((s) => s.operationName).sort()).toEqual(['GET /cart', 'SELECT carts']);
    // globex sees its own span under that id, stamped as globex's whatever it claimed.
    const globex = await api<Trace[]>(p, `/api/traces/${acmeTraceId}`, 'globex');
    expect(globex.body.data[0]!.spans.map((s) => s.operationName)).toEqual(['sneak in']);
    const tenantTags = Object.values(globex.body.data[0]!.processes).flatMap((proc) => proc.tags.filter((t) => t.key === TENANT_ATTRIBUTE).map((t) => t.value));
    expect(tenantTags).toEqual(['globex']);
    expect((await api(p, `/api/traces/${globexTraceId}`, 'acme')).status).toBe(404);
  });

  it('finds traces only among the tenant\'s spans', async () => {
    const search = (service: string, tenant: string) => api<unknown[]>(p, `/api/traces?service=${service}&lookback=1h`, tenant);
    expect((await search('acme-frontend', 'acme')).body.data).toHaveLength(1);
    expect((await search('acme-frontend', 'globex')).body.data).toEqual([]);
    expect((await search('globex-api', 'acme')).body.data).toEqual([]);
  });

  it('serves access logs and their dependency edges only to their tenant', async () => {
    expect((await api<unknown[]>(p, `/api/v1/accesslogs?${ACCESSLOG_WINDOW}`, 'globex')).body.data).toEqual([]);
    const endTs = Date.parse('2026-08-22T00:00:00Z');
    const deps = (tenant: string) => api<Array<{ parent: string; child: string }>>(p, `/api/dependencies?endTs=${endTs}&lookback=86400000`, tenant);
    // The lines carry no peer metadata, so the caller is 'unknown'; the callee is the reviews service.
    expect((await deps('acme')).body.data.map((d) => d.child)).toEqual(['reviews']);
    expect((await deps('globex')).body.data).toEqual([]);
  });

  it('refuses reads and writes without a valid tenant', async () => {
    expect((await api(p, '/api/services')).status).toBe(401);
    expect((await api(p, '/api/services', 'no spaces allowed')).status).toBe(401);
    const write = await fetch(`${p.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
    expect(write.status).toBe(401);
    const exporter = new OtlpGrpcExporter({ url: `http://${p.grpcTarget}` });
    const result = await exportWith(exporter, sdkSpans('no-tenant'));
    await exporter.shutdown();
    expect(result.code).toBe(1);
    expect(String(result.error?.message)).toMatch(/UNAUTHENTICATED|x-scope-orgid/i);
  });
});
