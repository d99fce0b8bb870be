/**
 * all-in-one as a Jaeger UI backend: spans in over OTLP/HTTP, read back through api_v3, and the
 * Monitor tab's call and error rates from the span metrics all-in-one remote-writes into the real
 * Prometheus and reads back from it (MESHTEL_REMOTE_WRITE_URL + MESHTEL_PROMETHEUS_URL).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startMeshtel, type MeshtelProcess } from '../support/meshtel-process.js';
import { ensureServers, PROMETHEUS_URL } from '../support/servers.js';

const RUN = randomBytes(4).toString('hex');
const SERVICE = `monitor-e2e-${RUN}`;
const TRACE_ID = `${RUN}${'0'.repeat(23)}1`;
let meshtel: MeshtelProcess;

/** `n` server spans of SERVICE ending now, the first `errors` of them failed. */
function otlpSpans(n: number, errors: number, traceId: (i: number) => string): string {
  const endNs = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: n }, (_, i) => ({
    traceId: traceId(i),
    spanId: randomBytes(8).toString('hex'),
    name: 'GET /items',
    kind: 2,
    startTimeUnixNano: String(endNs - 3_000_000n),
    endTimeUnixNano: String(endNs),
    status: { code: i < errors ? 2 : 0 },
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] }, scopeSpans: [{ spans }] }] });
}

async function post(body: string): Promise<void> {
  const res = await fetch(meshtel.url('otlpHttp', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  await ensureServers(['prometheus']);
  meshtel = await startMeshtel('all-in-one', [
    '--remote-write-url', `${PROMETHEUS_URL}/api/v1/write`,
    '--remote-write-flush-interval-ms', '500',
    '--prometheus-url', PROMETHEUS_URL,
  ]);
  // Two rounds more than a flush apart, so each counter has two samples for rate().
  await post(otlpSpans(4, 1, (i) => (i === 0 ? TRACE_ID : randomBytes(16).toString('hex'))));
  await new Promise((r) => setTimeout(r, 1500));
  await post(otlpSpans(4, 1, () => randomBytes(16).toString('hex')));
}, 120_000);

afterAll(async () => {
  await meshtel?.stop();
});

describe('all-in-one for the Jaeger UI', () => {
  it('answers api_v3 trace by id and services', async () => {
    const body = await eventually(async () => {
      const res = await fetch(meshtel.url('query', `/api/v3/traces/${TRACE_ID}`));
      return res.status === 200 ? ((await res.json()) as { result: { resourceSpans: { scopeSpans: { spans: { traceId: string; status: { code?: number } }[] }[] }[] } }) : undefined;
    }, 30_000);
    const spans = body.result.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    expect(spans.map((s) => [s.traceId, s.status.code])).toEqual([[TRACE_ID, 2]]);
    const services = (await (await fetch(meshtel.url('query', '/api/v3/services'))).json()) as { services: string[] };
    expect(services.services).toContain(SERVICE);
  });

  it('shows call and error rates in the Monitor tab from Prometheus', async () => {
    const params = () => `service=${SERVICE}&endTs=${Date.now()}&lookback=120000&step=1000&ratePer=60000`;
    type Family = { name: string; metrics?: { labels: { name: string; value: string }[]; metricPoints: { gaugeValue: { doubleValue: number } }[] }[] };
    const get = async (path: string) => (await (await fetch(meshtel.url('query', `/api/metrics/${path}?${params()}`))).json()) as Family;
    // Both rounds in Prometheus: the error share is exactly 1 in 4.
    const errors = await eventually(async () => {
      const f = await get('errors');
      const last = f.metrics?.[0]?.metricPoints.at(-1)?.gaugeValue.doubleValue;
      return last !== undefined && Math.abs(last - 0.25) < 1e-9 ? f : undefined;
    }, 60_000, 500);
    expect(errors.metrics![0].labels).toEqual([{ name: 'service_name', value: SERVICE }]);
    const calls = await get('calls');
    expect(calls.name).toBe('service_call_rate');
    expect(calls.metrics![0].metricPoints.at(-1)!.gaugeValue.doubleValue).toBeGreaterThan(0);
  });
});
