/**
 * The MetricsSink contract (shared/metrics/sink.ts), run against every implementation: the
 * exposition endpoint (scraped), remote-write into our own decoding receiver, and remote-write
 * into the real Prometheus. Each run builds a fresh registry whose every series carries a
 * `contract_run` label with a value unique to the test, so runs sharing one Prometheus never see
 * each other's samples.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRegistry, type MetricsSource } from '../../shared/metrics/registry.js';
import type { MetricsSink } from '../../shared/metrics/sink.js';
import { waitUntil } from './poll.js';

/** One sample as the destination holds it. `timestampMs` is absent when the destination has none (a scrape). */
export interface ObservedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs?: number;
}

export interface SinkUnderTest {
  readonly sink: MetricsSink;
  /**
   * The samples the destination holds for series labelled `contract_run="<run>"`, in the order
   * it holds them: for a push sink every sample received (arrival or timestamp order), for a pull
   * sink what one scrape returns now. Rejects when the destination cannot be read.
   */
  observe(run: string): Promise<ObservedSample[]>;
  /** Releases what the harness itself holds (a receiver); the suite stops the sink. */
  close(): Promise<void>;
}

export interface MetricsSinkContractOptions {
  /** push: the sink sends on its own schedule and at stop; pull: a reader scrapes it. */
  readonly delivery: 'push' | 'pull';
  /** A sink over `source`, not started. */
  readonly make: (source: MetricsSource) => Promise<SinkUnderTest>;
  /** How long a delivery may take before the test fails (generous: shared, loaded servers). */
  readonly deliveryTimeoutMs?: number;
}

const RUN_LABEL = 'contract_run';

function seriesKey(s: ObservedSample): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',');
  return `${s.name}{${labels}}`;
}

/** The destination's newest value per series, as `name{labels} → value`, sorted for comparison. */
function latestBySeries(samples: readonly ObservedSample[]): Array<[string, number]> {
  const latest = new Map<string, number>();
  for (const s of samples) latest.set(seriesKey(s), s.value);
  return [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function sample(name: string, labels: Record<string, string>, value: number): [string, number] {
  return [seriesKey({ name, labels, value }), value];
}

function sorted(entries: Array<[string, number]>): Array<[string, number]> {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function describeMetricsSinkContract(name: string, options: MetricsSinkContractOptions): void {
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 20_000;
  const open: SinkUnderTest[] = [];
  const stopped = new Set<MetricsSink>();

  async function setUp() {
    const run = randomUUID().slice(0, 12);
    const registry = new MetricsRegistry({ defaultMaxSeries: 10_000 });
    const under = await options.make(registry);
    open.push(under);
    return { run, registry, under };
  }

  async function stop(under: SinkUnderTest): Promise<void> {
    stopped.add(under.sink);
    await under.sink.stop();
  }

  /** Polls the destination until `done` holds for the run's samples; returns those samples. */
  async function observeUntil(under: SinkUnderTest, run: string, what: string, done: (samples: ObservedSample[]) => boolean) {
    let last: ObservedSample[] = [];
    await waitUntil(
      what,
      async () => {
        last = await under.observe(run);
        return done(last);
      },
      deliveryTimeoutMs,
      100,
    );
    return last;
  }

  describe(`MetricsSink contract: ${name}`, () => {
    afterEach(async () => {
      for (const under of open.splice(0)) {
        if (!stopped.has(under.sink)) await under.sink.stop().catch(() => undefined);
        await under.close();
      }
      stopped.clear();
    });

    it('delivers every series of a snapshot — counters, gauges, histogram buckets, summaries — with labels intact and exact values', async () => {
      const { run, registry, under } = await setUp();
      const r = { [RUN_LABEL]: run };
      const requests = registry.counter({ name: 'meshtel_sinkcontract_requests_total', help: 'Requests.', labelNames: [RUN_LABEL, 'svc', 'code', 'path', 'empty'] });
      const ratio = registry.gauge({ name: 'meshtel_sinkcontract_ratio', help: 'A ratio.', labelNames: [RUN_LABEL, 'svc'] });
      const latency = registry.histogram({ name: 'meshtel_sinkcontract_latency_seconds', help: 'Latency.', labelNames: [RUN_LABEL, 'svc'], buckets: [0.1, 1] });
      const sizes = registry.summary({ name: 'meshtel_sinkcontract_size_bytes', help: 'Sizes.', labelNames: [RUN_LABEL] });
      // Label values a careless encoder would mangle: quotes, backslash, newline, non-ASCII; and
      // an empty value, which Prometheus treats as an absent label.
      const awkward = 'say "hi"\\ to\nZürich ✓';
      requests.inc({ ...r, svc: 'reviews', code: '200', path: awkward, empty: '' }, 7);
      requests.inc({ ...r, svc: 'reviews', code: '503', path: '/', empty: '' }, 2);
      ratio.set({ ...r, svc: 'reviews' }, 0.1 + 0.2);
      ratio.set({ ...r, svc: 'ratings' }, -2.5);
      for (const v of [0.05, 0.5, 2]) latency.observe({ ...r, svc: 'reviews' }, v);
      sizes.set({ ...r }, { quantiles: [{ quantile: 0.5, value: 512 }, { quantile: 0.99, value: 4096.5 }], sum: 10_240.25, count: 12 });

      const expected = sorted([
        sample('meshtel_sinkcontract_requests_total', { ...r, svc: 'reviews', code: '200', path: awkward }, 7),
        sample('meshtel_sinkcontract_requests_total', { ...r, svc: 'reviews', code: '503', path: '/' }, 2),
        sample('meshtel_sinkcontract_ratio', { ...r, svc: 'reviews' }, 0.30000000000000004),
        sample('meshtel_sinkcontract_ratio', { ...r, svc: 'ratings' }, -2.5),
        sample('meshtel_sinkcontract_latency_seconds_bucket', { ...r, svc: 'reviews', le: '0.1' }, 1),
        sample('meshtel_sinkcontract_latency_seconds_bucket', { ...r, svc: 'reviews', le: '1' }, 2),
        sample('meshtel_sinkcontract_latency_seconds_bucket', { ...r, svc: 'reviews', le: '+Inf' }, 3),
        sample('meshtel_sinkcontract_latency_seconds_sum', { ...r, svc: 'reviews' }, 0.05 + 0.5 + 2),
        sample('meshtel_sinkcontract_latency_seconds_count', { ...r, svc: 'reviews' }, 3),
        sample('meshtel_sinkcontract_size_bytes', { ...r, quantile: '0.5' }, 512),
        sample('meshtel_sinkcontract_size_bytes', { ...r, quantile: '0.99' }, 4096.5),
        sample('meshtel_sinkcontract_size_bytes_sum', { ...r }, 10_240.25),
        sample('meshtel_sinkcontract_size_bytes_count', { ...r }, 12),
      ]);

      await under.sink.start();
      const seen = await observeUntil(under, run, 'all 13 samples', (s) => latestBySeries(s).length >= expected.length);
      expect(latestBySeries(seen)).toEqual(expected);
    });

    it('delivers every one of many series, more than one remote-write batch holds', async () => {
      const { run, registry, under } = await setUp();
      const calls = registry.counter({ name: 'meshtel_sinkcontract_calls_total', help: 'Calls.', labelNames: [RUN_LABEL, 'pod'] });
      const pods = Array.from({ length: 600 }, (_, i) => `pod-${i}`);
      pods.forEach((pod, i) => calls.inc({ [RUN_LABEL]: run, pod }, i + 1));

      await under.sink.start();
      const seen = await observeUntil(under, run, '600 series', (s) => latestBySeries(s).length >= pods.length);
      expect(latestBySeries(seen)).toEqual(sorted(pods.map((pod, i) => sample('meshtel_sinkcontract_calls_total', { [RUN_LABEL]: run, pod }, i + 1))));
    });

    it("keeps a series' values in the order the source produced them, ending at the latest", async () => {
      const { run, registry, under } = await setUp();
      const ticks = registry.counter({ name: 'meshtel_sinkcontract_ticks_total', help: 'Ticks.', labelNames: [RUN_LABEL] });
      const labels = { [RUN_LABEL]: run };
      await under.sink.start();
      const history: ObservedSample[] = [];
      let total = 0;
      for (const step of [1, 2, 4]) {
        ticks.inc(labels, step);
        total += step;
        const seen = await observeUntil(under, run, `the value ${total}`, (s) => s.at(-1)?.value === total);
        // A pull destination shows one value per read, a push destination its whole history.
        if (options.delivery === 'pull') history.push(...seen);
        else history.splice(0, history.length, ...seen);
      }
      const values = history.map((s) => s.value);
      expect(values.at(-1)).toBe(7);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(new Set(values)).toEqual(new Set([1, 3, 7]));
      const stamps = history.flatMap((s) => (s.timestampMs === undefined ? [] : [s.timestampMs]));
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    });

    it('delivers an imported point with its own timestamp', async () => {
      const { run, registry, under } = await setUp();
      const imported = registry.counter({ name: 'meshtel_sinkcontract_imported_total', help: 'Imported.', labelNames: [RUN_LABEL], dynamicLabels: true });
      // Recent enough for any receiver's accepted window, and on a whole millisecond.
      const measuredAtMs = Math.floor(Date.now() / 1000) * 1000 - 30_000;
      imported.set({ [RUN_LABEL]: run }, 42, measuredAtMs);

      await under.sink.start();
      const seen = await observeUntil(under, run, 'the imported point', (s) => s.length > 0);
      expect(seen.map((s) => ({ name: s.name, value: s.value, timestampMs: s.timestampMs }))).toEqual([
        { name: 'meshtel_sinkcontract_imported_total', value: 42, timestampMs: measuredAtMs },
      ]);
    });

    it('is ready once started with a working destination', async () => {
      const { run, registry, under } = await setUp();
      registry.gauge({ name: 'meshtel_sinkcontract_up', help: 'Up.', labelNames: [RUN_LABEL] }).set({ [RUN_LABEL]: run }, 1);
      await under.sink.start();
      await observeUntil(under, run, 'the first sample', (s) => s.length > 0);
      expect(await under.sink.isReady()).toBe(true);
    });

    if (options.delivery === 'push') {
      it('stop() delivers what the source held when it was called, before the next flush was due', async () => {
        const { run, registry, under } = await setUp();
        const late = registry.counter({ name: 'meshtel_sinkcontract_late_total', help: 'Late.', labelNames: [RUN_LABEL, 'n'] });
        await under.sink.start();
        for (let n = 0; n < 50; n++) late.inc({ [RUN_LABEL]: run, n: String(n) }, n + 1);
        await stop(under);
        // Read once, no polling: stop() has resolved, so everything must already be there.
        const seen = await under.observe(run);
        expect(latestBySeries(seen)).toEqual(
          sorted(Array.from({ length: 50 }, (_, n) => sample('meshtel_sinkcontract_late_total', { [RUN_LABEL]: run, n: String(n) }, n + 1))),
        );
      });
    } else {
      it('stop() has nothing pending — the last read before it shows the latest values — and then serves no more', async () => {
        const { run, registry, under } = await setUp();
        const late = registry.counter({ name: 'meshtel_sinkcontract_late_total', help: 'Late.', labelNames: [RUN_LABEL] });
        await under.sink.start();
        late.inc({ [RUN_LABEL]: run }, 5);
        expect((await under.observe(run)).map((s) => s.value)).toEqual([5]);
        await stop(under);
        await expect(under.observe(run)).rejects.toThrow();
        expect(await under.sink.isReady()).toBe(false);
      });
    }
  });
}
