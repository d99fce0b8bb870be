import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry, type MetricsSource } from '../../shared/metrics/registry.js';
import { RemoteWriteSink, type RemoteWriteSinkOptions } from '../../shared/metrics/remote-write/remote-write-sink.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { createMetrics } from '../support/metrics.js';
import { startRemoteWriteReceiver, type RemoteWriteReceiver } from '../support/remote-write-receiver.js';
import { seriesText } from '../support/remote-write-wire.js';
import { waitUntil } from '../support/poll.js';
import { metricValueByName } from '../support/self-metrics.js';

const receivers: RemoteWriteReceiver[] = [];
const sinks: RemoteWriteSink[] = [];

async function startReceiver(script: number[] = []): Promise<RemoteWriteReceiver> {
  const r = await startRemoteWriteReceiver(script);
  receivers.push(r);
  return r;
}

afterEach(async () => {
  for (const s of sinks.splice(0)) await s.stop().catch(() => undefined);
  for (const r of receivers.splice(0)) await r.app.close();
});

/** A registry whose snapshot time the test sets, so consecutive flushes get distinct timestamps. */
function clockedSource(registry: MetricsRegistry): MetricsSource & { now: number } {
  const source = {
    now: 1_700_000_000_000,
    snapshot: () => ({ ...registry.snapshot(), timestampMs: source.now }),
  };
  return source;
}

function makeSink(url: string, source: MetricsSource, extra: Partial<RemoteWriteSinkOptions> = {}) {
  const metrics = createMetrics();
  const sink = new RemoteWriteSink({
    source, url, metrics, logger: createLogger('silent'),
    flushIntervalMs: 60_000, retry: { initialBackoffMs: 5, maxBackoffMs: 20 }, stopTimeoutMs: 500,
    ...extra,
  });
  sinks.push(sink);
  return { sink, metrics };
}


function allSamples(r: RemoteWriteReceiver): string[] {
  return r.requests.flatMap((q) => q.series.flatMap((s) => s.samples.map((p) => `${seriesText(s)} ${p.value}@${p.timestamp}`)));
}

describe('RemoteWriteSink', () => {
  it('sends the required headers, auth, and cumulative counter values with external and instance labels', async () => {
    const r = await startReceiver();
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const calls = registry.counter({ name: 'calls_total', help: 'h', labelNames: ['svc'] });
    const source = clockedSource(registry);
    const { sink, metrics } = makeSink(r.url, source, {
      externalLabels: { cluster: 'c1' }, instanceLabel: { name: 'meshtel_instance', value: 'i-1' },
      basicAuth: { username: 'u', password: 'p' },
    });
    calls.inc({ svc: 'a' }, 2);
    await sink.flush();
    calls.inc({ svc: 'a' }, 3);
    source.now += 10_000;
    await sink.flush();

    const h = r.requests[0]!.headers;
    expect(h['content-encoding']).toBe('snappy');
    expect(h['content-type']).toBe('application/x-protobuf');
    expect(h['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(h['user-agent']).toMatch(/^meshtel\/\d+\.\d+\.\d+/);
    expect(h.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(allSamples(r)).toEqual([
      '__name__=calls_total,cluster=c1,meshtel_instance=i-1,svc=a 2@1700000000000',
      '__name__=calls_total,cluster=c1,meshtel_instance=i-1,svc=a 5@1700000010000',
    ]);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_sent_total')).toBe(2);
    expect(await sink.isReady()).toBe(true);
  });

  it('sends a bearer token when configured', async () => {
    const r = await startReceiver();
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    registry.gauge({ name: 'g', help: 'h', labelNames: [] }).set({}, 1);
    const { sink } = makeSink(r.url, clockedSource(registry), { bearerToken: 'sekret' });
    await sink.flush();
    expect(r.requests[0]!.headers.authorization).toBe('Bearer sekret');
  });

  it('retries a 5xx and then delivers the same batch once, counting the failure by status', async () => {
    const r = await startReceiver([500, 503]);
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    registry.counter({ name: 'c_total', help: 'h', labelNames: [] }).inc({}, 4);
    const { sink, metrics } = makeSink(r.url, clockedSource(registry));
    await sink.flush();
    expect(r.requests).toHaveLength(3);
    expect(r.requests.map((q) => q.series.map(seriesText))).toEqual([['__name__=c_total'], ['__name__=c_total'], ['__name__=c_total']]);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_failures_total', { status: '500' })).toBe(1);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_failures_total', { status: '503' })).toBe(1);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_sent_total')).toBe(1);
    expect(await sink.isReady()).toBe(true);
  });

  it('retries a 429', async () => {
    const r = await startReceiver([429]);
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    registry.counter({ name: 'c_total', help: 'h', labelNames: [] }).inc({});
    const { sink, metrics } = makeSink(r.url, clockedSource(registry));
    await sink.flush();
    expect(r.requests).toHaveLength(2);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_sent_total')).toBe(1);
  });

  it('drops a batch refused with 400 without retrying it, counts it, and reports not ready', async () => {
    const r = await startReceiver([400]);
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const c = registry.counter({ name: 'c_total', help: 'h', labelNames: ['k'] });
    c.inc({ k: 'a' });
    c.inc({ k: 'b' });
    const { sink, metrics } = makeSink(r.url, clockedSource(registry));
    await sink.flush();
    expect(r.requests).toHaveLength(1);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_dropped_total', { reason: 'rejected' })).toBe(2);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_sent_total')).toBe(0);
    expect(await sink.isReady()).toBe(false);
  });

  it('retries when the receiver is unreachable and delivers once it listens', async () => {
    const r = await startReceiver();
    const port = new URL(r.url).port;
    await r.app.close();
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    registry.counter({ name: 'c_total', help: 'h', labelNames: [] }).inc({}, 9);
    const { sink, metrics } = makeSink(r.url, clockedSource(registry));
    const flushing = sink.flush();
    // Wait for the first failed attempt (not a fixed time: a loaded machine may take longer).
    await waitUntil('a failed send', async () => (await metricValueByName(metrics, 'meshtel_remote_write_failures_total', { status: 'network' })) > 0);
    expect(await sink.isReady()).toBe(false);
    const again = await startReceiverOn(Number(port));
    await flushing;
    expect(allSamples(again)).toEqual(['__name__=c_total 9@1700000000000']);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_failures_total', { status: 'network' })).toBeGreaterThan(0);
    expect(await sink.isReady()).toBe(true);
  });

  it('splits the queue into batches of maxSamplesPerSend, each series in timestamp order', async () => {
    const r = await startReceiver([503, 503, 503, 503, 503, 503]);
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const c = registry.counter({ name: 'c_total', help: 'h', labelNames: ['k'] });
    const source = clockedSource(registry);
    const { sink } = makeSink(r.url, source, { maxSamplesPerSend: 3 });
    // Three snapshots queued while nothing is delivered (the collect calls do not send).
    for (let i = 1; i <= 3; i++) {
      c.inc({ k: 'a' });
      c.inc({ k: 'b' });
      sink.collect();
      source.now += 1000;
    }
    expect(sink.queuedSamples).toBe(6);
    await sink.flush(); // one more snapshot (8 samples) and delivery
    const delivered = r.requests.filter((_, i) => i >= 6); // the first six answers were 503
    expect(delivered.map((q) => q.series.reduce((n, s) => n + s.samples.length, 0))).toEqual([3, 3, 2]);
    const a = delivered.flatMap((q) => q.series.filter((s) => seriesText(s).endsWith('k=a')).flatMap((s) => s.samples));
    expect(a.map((p) => [p.value, p.timestamp - 1_700_000_000_000])).toEqual([[1, 0], [2, 1000], [3, 2000], [3, 3000]]);
    expect(sink.queuedSamples).toBe(0);
  });

  it('bounds the queue: beyond queueMaxSamples the oldest samples are dropped and counted', async () => {
    const r = await startReceiver();
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const c = registry.counter({ name: 'c_total', help: 'h', labelNames: ['k'] });
    for (const k of ['a', 'b', 'c']) c.inc({ k });
    const source = clockedSource(registry);
    const { sink, metrics } = makeSink(r.url, source, { queueMaxSamples: 4 });
    sink.collect();
    source.now += 1000;
    sink.collect();
    expect(sink.queuedSamples).toBe(4);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_queue_samples')).toBe(4);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_dropped_total', { reason: 'queue_full' })).toBe(2);
    await sink.flush(); // same snapshot time: nothing new queued, the four are delivered
    // The two oldest (a and b of the first snapshot) are gone; c's first sample survived.
    expect(allSamples(r).sort()).toEqual([
      '__name__=c_total,k=a 1@1700000001000',
      '__name__=c_total,k=b 1@1700000001000',
      '__name__=c_total,k=c 1@1700000000000',
      '__name__=c_total,k=c 1@1700000001000',
    ]);
  });

  it('never sends a series a timestamp at or before one already sent: unchanged imported points are not resent, older ones are dropped', async () => {
    const r = await startReceiver();
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const imported = registry.counter({ name: 'otlp_total', help: 'h', labelNames: [] });
    const source = clockedSource(registry);
    const { sink, metrics } = makeSink(r.url, source);
    imported.set({}, 10, 5000);
    await sink.flush();
    source.now += 1000;
    await sink.flush(); // same point again
    imported.set({}, 11, 4000); // older than what was sent
    source.now += 1000;
    await sink.flush();
    imported.set({}, 12, 6000);
    await sink.flush();
    expect(allSamples(r)).toEqual(['__name__=otlp_total 10@5000', '__name__=otlp_total 12@6000']);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_dropped_total', { reason: 'out_of_order' })).toBe(1);
  });

  it('keeps one last-sent timestamp per series even when the source builds fresh label objects every snapshot', async () => {
    const r = await startReceiver();
    let point = { value: 1, ts: 5000 };
    const source: MetricsSource = {
      snapshot: () => ({
        timestampMs: 0,
        families: [{ name: 'imp_total', help: '', type: 'counter', series: [{ labels: { k: 'v' }, value: point.value, timestampMs: point.ts }] }],
      }),
    };
    const { sink, metrics } = makeSink(r.url, source);
    await sink.flush();
    point = { value: 2, ts: 4000 };
    await sink.flush();
    point = { value: 3, ts: 7000 };
    await sink.flush();
    expect(allSamples(r)).toEqual(['__name__=imp_total,k=v 1@5000', '__name__=imp_total,k=v 3@7000']);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_dropped_total', { reason: 'out_of_order' })).toBe(1);
  });

  it('sends the overflow series of several families (which share one label object) under their own names', async () => {
    const r = await startReceiver();
    const registry = new MetricsRegistry({ defaultMaxSeries: 1 });
    const a = registry.counter({ name: 'a_total', help: 'h', labelNames: ['k'] });
    const b = registry.histogram({ name: 'b_seconds', help: 'h', labelNames: ['k'], buckets: [1] });
    for (const k of ['x', 'y']) {
      a.inc({ k });
      b.observe({ k }, 0.5);
    }
    const { sink } = makeSink(r.url, clockedSource(registry));
    await sink.flush();
    expect(allSamples(r).filter((s) => s.includes('meshtel_overflow')).map((s) => s.split(' ')[0]).sort()).toEqual([
      '__name__=a_total,meshtel_overflow=true',
      '__name__=b_seconds_bucket,le=+Inf,meshtel_overflow=true',
      '__name__=b_seconds_bucket,le=1,meshtel_overflow=true',
      '__name__=b_seconds_count,meshtel_overflow=true',
      '__name__=b_seconds_sum,meshtel_overflow=true',
    ]);
  });

  it('stop() makes a final flush, and gives up within stopTimeoutMs on a receiver that keeps failing', async () => {
    const ok = await startReceiver();
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    registry.counter({ name: 'c_total', help: 'h', labelNames: [] }).inc({}, 3);
    const { sink: good } = makeSink(ok.url, clockedSource(registry));
    await good.start();
    await good.stop();
    expect(allSamples(ok)).toEqual(['__name__=c_total 3@1700000000000']);

    const failing = await startReceiver(new Array<number>(10_000).fill(503));
    const { sink: bad, metrics } = makeSink(failing.url, clockedSource(registry), { stopTimeoutMs: 200 });
    await bad.start();
    const t0 = Date.now();
    await bad.stop();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_samples_dropped_total', { reason: 'shutdown' })).toBe(1);
    expect(await metricValueByName(metrics, 'meshtel_remote_write_queue_samples')).toBe(0);
  });
});

async function startReceiverOn(port: number): Promise<RemoteWriteReceiver> {
  const r = await startRemoteWriteReceiver([], port);
  receivers.push(r);
  return r;
}
