/** Monitor endpoints without a Prometheus (501, as Jaeger) and their parameter checks; PromQL shapes. */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_DISABLED, monitorApi } from '../../services/query/monitor/monitor-api.js';
import { parseMetricsQuery } from '../../services/query/monitor/params.js';
import { callsQuery, errorsQuery, latenciesQuery, promqlDuration } from '../../services/query/monitor/promql.js';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await app.register(monitorApi, { prometheusUrl: '' });
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

async function errorOf(url: string): Promise<{ status: number; code?: number; msg?: string }> {
  const res = await app.inject({ method: 'GET', url });
  const body = res.json<{ data: null; errors: { code: number; msg: string }[] }>();
  expect(body.data).toBeNull();
  return { status: res.statusCode, ...body.errors[0] };
}

describe('Monitor endpoints without MESHTEL_PROMETHEUS_URL', () => {
  it.each(['calls?service=a', 'errors?service=a', 'latencies?service=a&quantile=0.95', 'minstep'])('answers /api/metrics/%s with 501 and Jaeger\'s message', async (path) => {
    expect(await errorOf(`/api/metrics/${path}`)).toEqual({ status: 501, code: 501, msg: METRICS_DISABLED });
  });

  it('checks parameters first: 400 naming the parameter, as Jaeger', async () => {
    expect(await errorOf('/api/metrics/calls')).toEqual({ status: 400, code: 400, msg: "unable to parse param 'service': please provide at least one service name" });
    expect((await errorOf('/api/metrics/calls?service=a&spanKind=sideways')).msg).toBe("unable to parse param 'spanKind': unsupported span kind: 'sideways'");
    expect((await errorOf('/api/metrics/latencies?service=a')).msg).toMatch(/^unable to parse param 'quantile': /);
    expect((await errorOf('/api/metrics/calls?service=a&endTs=soon')).msg).toMatch(/^unable to parse param 'endTs': /);
    expect((await errorOf('/api/metrics/calls?service=a&groupByOperation=maybe')).msg).toMatch(/^unable to parse param 'groupByOperation': /);
  });
});

describe('Monitor endpoints with an unreachable Prometheus', () => {
  it('answers 500 in the envelope, saying which Prometheus failed', async () => {
    const down = Fastify();
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    await down.register(monitorApi, { prometheusUrl: 'http://127.0.0.1:1' });
    try {
      const res = await down.inject({ method: 'GET', url: '/api/metrics/calls?service=a' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ data: null, errors: [{ code: 500, msg: expect.stringMatching(/^failed executing metrics query: Prometheus at http:\/\/127\.0\.0\.1:1 not reachable/) }] });
    } finally {
      await down.close();
    }
  });
});

describe('Monitor PromQL', () => {
  const q = parseMetricsQuery({ service: ['cart', 'a.b'], spanKind: ['server', 'client'], groupByOperation: 'true', ratePer: '90000' }, 0);

  it('applies Jaeger\'s defaults: server spans, the last hour, 5 s steps, 10 min rates', () => {
    expect(parseMetricsQuery({ service: 'x' }, 1_000_000)).toEqual({
      services: ['x'], spanKinds: ['SPAN_KIND_SERVER'], groupByOperation: false, endMs: 1_000_000, lookbackMs: 3_600_000, stepMs: 5_000, ratePerMs: 600_000,
    });
  });

  it('matches services literally and kinds by their span-metrics label values', () => {
    expect(callsQuery(q)).toBe(
      'sum(rate(traces_spanmetrics_calls_total{service=~"cart|a\\\\.b", span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CLIENT"}[90s])) by (service,span_name)',
    );
    expect(errorsQuery(q)).toContain('status_code="STATUS_CODE_ERROR"');
    expect(latenciesQuery(q, 0.95)).toMatch(/^histogram_quantile\(0\.95, sum\(rate\(traces_spanmetrics_latency_bucket\{.*\}\[90s\]\)\) by \(service,span_name,le\)\) \* 1000$/);
  });

  it('writes ranges PromQL reads in one unit', () => {
    expect([600_000, 1500, 1000].map(promqlDuration)).toEqual(['600s', '1500ms', '1s']);
  });
});
