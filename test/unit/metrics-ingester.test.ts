import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { MetricsRegistry } from '../../shared/metrics/registry.js';
import { createMetrics } from '../support/metrics.js';
import { DLQ_HEADERS } from '../../services/ingester/dead-letter.js';
import { MetricsIngester } from '../../services/ingester/metrics-ingester.js';
import { sdkMeter, summaryBytes, toProtobuf } from '../fixtures/otlp-metrics.js';

let buffer: InProcessBuffer | undefined;
afterEach(async () => {
  await buffer?.stop();
  buffer = undefined;
});

async function start() {
  const metrics = createMetrics();
  buffer = new InProcessBuffer({ capacityBytes: 1 << 20, retryBackoffMs: 10, metrics });
  const registry = new MetricsRegistry({ defaultMaxSeries: 100 });
  const ingester = new MetricsIngester({ buffer, registry, logger: pino({ level: 'silent' }), metrics, progressLogIntervalMs: 60_000 });
  await ingester.start();
  return { buffer, registry, ingester };
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MetricsIngester', () => {
  it('imports buffered OTLP metrics records into the registry', async () => {
    const h = await start();
    const sdk = sdkMeter('delta');
    const counter = sdk.meter.createCounter('orders');
    counter.add(2);
    await h.buffer.publish([{ topic: 'metrics', key: 'shop/checkout|checkout-7d9f-abc', value: toProtobuf(await sdk.collect()) }]);
    counter.add(3);
    await h.buffer.publish([
      { topic: 'metrics', key: 'shop/checkout|checkout-7d9f-abc', value: toProtobuf(await sdk.collect()) },
      { topic: 'metrics', key: 'legacy|', value: summaryBytes() },
    ]);
    const value = () => h.registry.snapshot().families.find((f) => f.name === 'orders_total')?.series[0];
    await until(() => (value() as { value?: number } | undefined)?.value === 5 && h.registry.snapshot().families.some((f) => f.name === 'rpc_latency_seconds'));
    expect(value()).toMatchObject({ labels: { job: 'shop/checkout', instance: 'checkout-7d9f-abc' }, value: 5 });
    expect(h.ingester.importStats().pointsImported).toBe(3);
  });

  it('dead-letters an undecodable record and still imports the rest of the batch', async () => {
    const h = await start();
    await h.buffer.publish([
      { topic: 'metrics', key: 'bad', value: new Uint8Array([0x0a, 0x05, 0x01]) },
      { topic: 'metrics', key: 'legacy|', value: summaryBytes() },
    ]);
    // The in-process buffer keeps dead letters in a ring rather than delivering them.
    await until(() => h.buffer.deadLetters().length === 1);
    const letter = h.buffer.deadLetters()[0]!;
    expect(letter.key).toBe('bad');
    expect(letter.headers?.[DLQ_HEADERS.stage]).toBe('decode');
    expect(letter.headers?.[DLQ_HEADERS.error]).toMatch(/invalid OTLP metrics protobuf/);
    expect(h.registry.snapshot().families.map((f) => f.name)).toContain('rpc_latency_seconds');
  });
});
