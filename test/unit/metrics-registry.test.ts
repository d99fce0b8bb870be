import { describe, expect, it } from 'vitest';
import { MetricsRegistry, OVERFLOW_LABELS } from '../../shared/metrics/registry.js';
import { familyOf } from '../support/derived-metrics.js';

describe('derived-metrics registry', () => {
  it('keeps counters cumulative per label set and drops empty label values', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const calls = registry.counter({ name: 'calls_total', help: 'h', labelNames: ['service', 'code'] });
    calls.inc({ service: 'a', code: '200' });
    calls.inc({ service: 'a', code: '200' }, 2);
    calls.inc({ service: 'b', code: '' });
    calls.inc({ service: 'b' }, -5); // never decreases
    const f = familyOf(registry, 'calls_total');
    expect(f.type).toBe('counter');
    expect(f.series).toEqual([
      { labels: { service: 'a', code: '200' }, value: 3 },
      { labels: { service: 'b' }, value: 1 },
    ]);
  });

  it('counts histogram observations into cumulative buckets, sum and count', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
    const latency = registry.histogram({ name: 'latency', help: 'h', labelNames: ['s'], buckets: [1, 5, 10] });
    for (const v of [0.5, 1, 3, 7, 50]) latency.observe({ s: 'x' }, v);
    const f = familyOf(registry, 'latency');
    expect(f.type).toBe('histogram');
    if (f.type !== 'histogram') return;
    expect(f.series[0]).toMatchObject({ bounds: [1, 5, 10], bucketCounts: [2, 3, 4], sum: 61.5, count: 5 });
  });

  it('folds label sets beyond the series limit into one overflow series and reports each fold', () => {
    const folded: string[] = [];
    const registry = new MetricsRegistry({ defaultMaxSeries: 3, onOverflow: (m) => folded.push(m) });
    const requests = registry.counter({ name: 'requests_total', help: 'h', labelNames: ['path'] });
    for (let i = 0; i < 1000; i++) requests.inc({ path: `/item/${i}` });
    const f = familyOf(registry, 'requests_total');
    expect(f.series).toHaveLength(4);
    expect(f.series.find((s) => s.labels === OVERFLOW_LABELS || s.labels.meshtel_overflow === 'true')).toMatchObject({ value: 997 });
    expect(folded).toHaveLength(997);
    // an existing series keeps counting normally
    requests.inc({ path: '/item/0' });
    expect(familyOf(registry, 'requests_total').series[0]).toMatchObject({ labels: { path: '/item/0' }, value: 2 });
  });

  it('updates a series through its handle exactly as through its labels', () => {
    const viaLabels = new MetricsRegistry({ defaultMaxSeries: 10 });
    const viaHandles = new MetricsRegistry({ defaultMaxSeries: 10 });
    const families = (r: MetricsRegistry) => ({
      calls: r.counter({ name: 'calls_total', help: 'h', labelNames: ['service', 'route'] }),
      latency: r.histogram({ name: 'latency', help: 'h', labelNames: ['service', 'route'], buckets: [1, 5, 10] }),
    });
    const a = families(viaLabels);
    const b = families(viaHandles);
    const labels = { service: 'cart', route: '' };
    const calls = b.calls.series(labels);
    const latency = b.latency.series(labels);
    expect(calls.overflow).toBe(false);
    for (const v of [0.5, 3, 7, 70]) {
      a.calls.inc(labels);
      a.latency.observe(labels, v);
      calls.inc();
      latency.observe(v);
    }
    a.calls.inc(labels, 2);
    calls.inc(2);
    a.calls.inc(labels, -1);
    calls.inc(-1);
    // A second look-up of the same labels is the same series.
    b.calls.series({ service: 'cart' }).inc();
    a.calls.inc({ service: 'cart' });
    expect(viaHandles.snapshot().families).toEqual(viaLabels.snapshot().families);
    expect(familyOf(viaHandles, 'calls_total').series).toEqual([{ labels: { service: 'cart' }, value: 7 }]);
  });

  it('counts every update through an overflow handle as a fold', () => {
    const folded: string[] = [];
    const registry = new MetricsRegistry({ defaultMaxSeries: 1, onOverflow: (m) => folded.push(m) });
    const requests = registry.counter({ name: 'requests_total', help: 'h', labelNames: ['path'] });
    const latency = registry.histogram({ name: 'latency', help: 'h', labelNames: ['path'], buckets: [1] });
    expect(requests.series({ path: '/a' }).overflow).toBe(false);
    expect(latency.series({ path: '/a' }).overflow).toBe(false);
    expect(folded).toEqual([]);
    const over = requests.series({ path: '/b' });
    const overLatency = latency.series({ path: '/b' });
    expect(over.overflow).toBe(true);
    expect(folded).toEqual([]);
    over.inc();
    over.inc(3);
    overLatency.observe(0.5);
    expect(folded).toEqual(['requests_total', 'requests_total', 'latency']);
    expect(familyOf(registry, 'requests_total').series).toEqual([
      { labels: { path: '/a' }, value: 0 },
      { labels: OVERFLOW_LABELS, value: 4 },
    ]);
  });

  it('refuses invalid metric and label names', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 10 });
    expect(() => registry.counter({ name: 'bad-name', help: 'h', labelNames: [] })).toThrow(/invalid metric name/);
    expect(() => registry.counter({ name: 'ok', help: 'h', labelNames: ['__reserved'] })).toThrow(/invalid label name/);
  });

  it('keeps the timestamp of imported points', () => {
    const registry = new MetricsRegistry({ defaultMaxSeries: 10 });
    registry.gauge({ name: 'queue_depth', help: 'h', labelNames: ['job'] }).set({ job: 'api' }, 7, 1_700_000_000_000);
    expect(familyOf(registry, 'queue_depth').series).toEqual([{ labels: { job: 'api' }, value: 7, timestampMs: 1_700_000_000_000 }]);
  });
});
