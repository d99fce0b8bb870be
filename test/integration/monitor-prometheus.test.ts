/**
 * The Monitor tab's endpoints against the real Prometheus of deploy/local: span metrics derived
 * by meshtel's own deriver and pushed with its own remote-write sink, then read back through
 * /api/metrics/*. Every run uses its own service names, so runs never see each other's series.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusCode } from '../../shared/model/span.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { RemoteWriteSink } from '../../shared/metrics/remote-write/remote-write-sink.js';
import { SpanMetricsDeriver } from '../../shared/metrics/spanmetrics/span-metrics-deriver.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';
import { monitorApi, type MetricFamilyJson } from '../../services/query/monitor/monitor-api.js';
import { PROMETHEUS_URL, ensureServers } from '../support/servers.js';
import { span } from '../fixtures/spans.js';

const RUN = randomUUID().slice(0, 8);
const SHOP = `shop-${RUN}`;
const QUIET = `quiet-${RUN}`;

let app: FastifyInstance;
let sink: RemoteWriteSink;
let deriver: SpanMetricsDeriver;

/** `n` server spans of 5 ms (all in the (4 ms, 8 ms] latency bucket), `errors` of them failed. */
function observe(service: string, name: string, n: number, errors: number): void {
  deriver.observeSpans(Array.from({ length: n }, (_, i) => span({
    service, name, durationUs: 5000, status: { code: i < errors ? StatusCode.ERROR : StatusCode.UNSET },
  })));
}

beforeAll(async () => {
  await ensureServers(['prometheus']);
  const registry = new MetricsRegistry({ defaultMaxSeries: 1000 });
  deriver = new SpanMetricsDeriver(registry);
  sink = new RemoteWriteSink({ source: registry, url: `${PROMETHEUS_URL}/api/v1/write`, metrics: createMetrics(), logger: createLogger('silent') });
  // Two samples per series, a second apart, with increments in the same proportions (1 error in
  // 4 calls, then 1 more in 4 more), so rate() extrapolates every series alike.
  observe(SHOP, 'GET /cart', 4, 1);
  observe(SHOP, 'POST /pay', 4, 1);
  observe(QUIET, 'GET /', 4, 0);
  await sink.flush();
  await new Promise((r) => setTimeout(r, 1100));
  observe(SHOP, 'GET /cart', 4, 1);
  observe(SHOP, 'POST /pay', 4, 1);
  observe(QUIET, 'GET /', 4, 0);
  await sink.flush();

  app = Fastify();
  await app.register(monitorApi, { prometheusUrl: PROMETHEUS_URL });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await sink?.stop();
});

/** The family once Prometheus shows points for it (remote-written samples are visible at once, but be patient on a loaded machine). */
async function family(path: string, params: string): Promise<MetricFamilyJson> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const url = `/api/metrics/${path}?${params}&endTs=${Date.now()}&lookback=60000&step=1000&ratePer=60000`;
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
    const body = res.json<MetricFamilyJson>();
    if ((body.metrics?.length ?? 0) > 0 || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const labelsOf = (f: MetricFamilyJson) => (f.metrics ?? []).map((m) => Object.fromEntries(m.labels.map((l) => [l.name, l.value])));
const lastValue = (f: MetricFamilyJson, i = 0) => f.metrics![i].metricPoints.at(-1)!.gaugeValue.doubleValue;

describe('Jaeger Monitor endpoints over meshtel span metrics in Prometheus', () => {
  it('answers call rates per service, in Jaeger\'s MetricFamily shape with the labels the UI reads', async () => {
    const calls = await family('calls', `service=${SHOP}`);
    expect(calls).toMatchObject({ name: 'service_call_rate', type: 'GAUGE', help: 'calls/sec, grouped by service' });
    expect(labelsOf(calls)).toEqual([{ service_name: SHOP }]);
    expect(lastValue(calls)).toBeGreaterThan(0);
    const point = calls.metrics![0].metricPoints.at(-1)!;
    expect(point.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/);
  });

  it('groups by operation when asked, as service_operation_* with an `operation` label', async () => {
    const calls = await family('calls', `service=${SHOP}&groupByOperation=true`);
    expect(calls.name).toBe('service_operation_call_rate');
    expect(labelsOf(calls).sort((a, b) => a.operation!.localeCompare(b.operation!))).toEqual([
      { service_name: SHOP, operation: 'GET /cart' },
      { service_name: SHOP, operation: 'POST /pay' },
    ]);
  });

  it('answers the error rate as the errors\' share of calls', async () => {
    const errors = await family('errors', `service=${SHOP}`);
    expect(errors.name).toBe('service_error_rate');
    expect(lastValue(errors)).toBeCloseTo(0.25, 9);
  });

  it('reports a zero error rate, not nothing, for a service with calls but no errors', async () => {
    const errors = await family('errors', `service=${QUIET}`);
    expect(labelsOf(errors)).toEqual([{ service_name: QUIET }]);
    expect(errors.metrics![0].metricPoints.every((p) => p.gaugeValue.doubleValue === 0)).toBe(true);
  });

  it('answers the latency quantile in milliseconds', async () => {
    const latencies = await family('latencies', `service=${SHOP}&quantile=0.5`);
    expect(latencies).toMatchObject({ name: 'service_latencies', help: '0.50th quantile latency, grouped by service' });
    // Every span sits in the (4 ms, 8 ms] bucket: the median interpolates to its middle.
    expect(lastValue(latencies)).toBeCloseTo(6, 6);
  });

  it('filters by span kind: these are server spans, so client spans show nothing', async () => {
    const none = await app.inject({ method: 'GET', url: `/api/metrics/calls?service=${SHOP}&spanKind=client&endTs=${Date.now()}&lookback=60000&step=1000&ratePer=60000` });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ name: 'service_call_rate', type: 'GAUGE', help: 'calls/sec, grouped by service' });
  });

  it('tells the smallest step', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/metrics/minstep' });
    expect(res.json()).toEqual({ data: 1, total: 0, limit: 0, offset: 0, errors: null });
  });
});
