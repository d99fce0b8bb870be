/**
 * RemoteWriteSink against a real Prometheus 2.42 (--web.enable-remote-write-receiver): exact
 * values and label sets through /api/v1/query, and delivery across a Prometheus stop/start.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { RemoteWriteSink } from '../../shared/metrics/remote-write/remote-write-sink.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';
import { PROMETHEUS_URL, ensureServers, isServerReady, startServer, stopServer } from '../support/servers.js';
import { waitUntil } from '../support/poll.js';
import { metricValueByName } from '../support/self-metrics.js';

const WRITE_URL = `${PROMETHEUS_URL}/api/v1/write`;
const RUN = randomUUID().slice(0, 8);

interface VectorResult { metric: Record<string, string>; value: [number, string] }
interface MatrixResult { metric: Record<string, string>; values: Array<[number, string]> }

async function query<T>(promql: string): Promise<T[]> {
  const res = await fetch(`${PROMETHEUS_URL}/api/v1/query?query=${encodeURIComponent(promql)}&time=${Date.now() / 1000}`);
  const body = (await res.json()) as { status: string; data: { result: T[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
}



const sinks: RemoteWriteSink[] = [];

beforeAll(async () => {
  await ensureServers(['prometheus']);
});

afterAll(async () => {
  for (const s of sinks) await s.stop().catch(() => undefined);
  // A fault test may have stopped it; everyone else on the machine expects it up.
  if (!(await isServerReady('prometheus'))) await startServer('prometheus');
});

describe('remote-write into Prometheus 2.42', () => {
  it('lands counters and histogram buckets with exact values and the full label set (series, external and instance labels)', async () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const requests = registry.counter({ name: 'meshtel_rwtest_requests_total', help: 'h', labelNames: ['run', 'svc', 'code'] });
    const latency = registry.histogram({ name: 'meshtel_rwtest_latency_seconds', help: 'h', labelNames: ['run', 'svc'], buckets: [0.1, 1] });
    requests.inc({ run: RUN, svc: 'reviews', code: '200' }, 7);
    requests.inc({ run: RUN, svc: 'reviews', code: '503' }, 2);
    for (const v of [0.05, 0.5, 2]) latency.observe({ run: RUN, svc: 'reviews' }, v);
    const metrics = createMetrics();
    const sink = new RemoteWriteSink({
      source: registry, url: WRITE_URL, metrics, logger: createLogger('silent'),
      externalLabels: { cluster: 'itest' }, instanceLabel: { name: 'meshtel_instance', value: `it-${RUN}` },
    });
    sinks.push(sink);
    await sink.flush();
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_sent_total')).toBe(2 + 3 + 2);

    const counters = await query<VectorResult>(`meshtel_rwtest_requests_total{run="${RUN}"}`);
    expect(counters.map((r) => ({ labels: r.metric, value: r.value[1] })).sort((a, b) => a.labels.code!.localeCompare(b.labels.code!))).toEqual([
      { labels: { __name__: 'meshtel_rwtest_requests_total', cluster: 'itest', code: '200', meshtel_instance: `it-${RUN}`, run: RUN, svc: 'reviews' }, value: '7' },
      { labels: { __name__: 'meshtel_rwtest_requests_total', cluster: 'itest', code: '503', meshtel_instance: `it-${RUN}`, run: RUN, svc: 'reviews' }, value: '2' },
    ]);
    const buckets = await query<VectorResult>(`meshtel_rwtest_latency_seconds_bucket{run="${RUN}"}`);
    expect(Object.fromEntries(buckets.map((r) => [r.metric.le, r.value[1]]))).toEqual({ '0.1': '1', '1': '2', '+Inf': '3' });
    expect((await query<VectorResult>(`meshtel_rwtest_latency_seconds_sum{run="${RUN}"}`))[0]!.value[1]).toBe('2.55');
    expect((await query<VectorResult>(`meshtel_rwtest_latency_seconds_count{run="${RUN}"}`))[0]!.value[1]).toBe('3');
    const p50 = await query<VectorResult>(`histogram_quantile(0.5, meshtel_rwtest_latency_seconds_bucket{run="${RUN}"})`);
    expect(Number(p50[0]!.value[1])).toBeCloseTo(0.1 + (0.9 * 0.5) / 1, 6); // rank 1.5 of 3: halfway through the (0.1, 1] bucket
  });

  it('delivers, in order and without rejections, the samples queued while Prometheus was stopped', async () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const ticks = registry.counter({ name: 'meshtel_rwtest_ticks_total', help: 'h', labelNames: ['run'] });
    const metrics = createMetrics();
    const sink = new RemoteWriteSink({
      source: registry, url: WRITE_URL, metrics, logger: createLogger('silent'),
      flushIntervalMs: 250, retry: { initialBackoffMs: 50, maxBackoffMs: 500 }, timeoutMs: 2000,
    });
    sinks.push(sink);
    const tick = setInterval(() => ticks.inc({ run: RUN }), 100);
    try {
      await sink.start();
      await waitUntil('first samples in Prometheus', async () => (await query(`meshtel_rwtest_ticks_total{run="${RUN}"}`)).length === 1, 10_000);

      const downAt = Date.now();
      await stopServer('prometheus');
      await new Promise((r) => setTimeout(r, 1500));
      expect(sink.queuedSamples).toBeGreaterThan(0);
      expect(await sink.isReady()).toBe(false);
      await startServer('prometheus');
      const upAt = Date.now();
      await waitUntil('the queue to drain', () => sink.queuedSamples === 0, 30_000);
      await waitUntil('a send after the restart', () => sink.isReady(), 30_000);
      await sink.flush();

      const [series] = await query<MatrixResult>(`meshtel_rwtest_ticks_total{run="${RUN}"}[15m]`);
      const samples = series!.values.map(([t, v]) => ({ ms: Math.round(t * 1000), value: Number(v) }));
      // Samples taken while Prometheus was down are there.
      expect(samples.filter((s) => s.ms > downAt + 200 && s.ms < upAt).length).toBeGreaterThan(2);
      for (let i = 1; i < samples.length; i++) {
        expect(samples[i]!.ms).toBeGreaterThan(samples[i - 1]!.ms);
        expect(samples[i]!.value).toBeGreaterThanOrEqual(samples[i - 1]!.value);
      }
      expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_dropped_total')).toBe(0);
      const sent = await metricValueByName(metrics, 'meshtel_remote_write_samples_sent_total');
      expect(sent).toBe(samples.length);
    } finally {
      clearInterval(tick);
    }
  }, 240_000);
});
