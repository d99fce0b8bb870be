/**
 * KafkaBuffer throughput against a real broker: 8 concurrent publishers, 100 records of 1 KiB
 * per publish() call, for a few seconds; then one subscriber consumes everything back.
 *
 *   npx tsx test/bench/kafka-buffer.ts [seconds] [--gzip]
 *
 * Brokers come from MESHTEL_KAFKA_BROKERS (default 127.0.0.1:9092); topics get a fresh prefix
 * per run, so runs never see each other's records.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { BufferRecord } from '../../shared/buffer/buffer.js';
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { parseBrokerList } from '../../shared/buffer/kafka/kafka-options.js';
import { createMetrics } from '../support/metrics.js';

export interface KafkaBenchOptions {
  readonly brokers: readonly string[];
  readonly seconds: number;
  readonly publishers: number;
  readonly recordsPerPublish: number;
  readonly recordBytes: number;
  readonly compression: 'none' | 'gzip';
}

export interface KafkaBenchResult {
  readonly recordsPublished: number;
  readonly publishRecordsPerSecond: number;
  readonly publishMiBPerSecond: number;
  readonly publishLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly produceRequests: number;
  readonly consumeRecordsPerSecond: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchKafkaBuffer(o: KafkaBenchOptions): Promise<KafkaBenchResult> {
  const id = `bench-${Date.now()}-${process.pid}`;
  const metrics = createMetrics();
  const buffer = new KafkaBuffer({ brokers: [...o.brokers], topicPrefix: id, consumerGroup: id, compression: o.compression, metrics });
  await buffer.start();
  // Distinct random payloads so gzip gets no free ride; a pool keeps generation off the clock.
  const pool = Array.from({ length: 1000 }, () => randomBytes(o.recordBytes));
  const keys = Array.from({ length: 7919 }, () => randomBytes(16).toString('hex'));
  const makeBatch = (n: number): BufferRecord[] =>
    Array.from({ length: o.recordsPerPublish }, (_, i) => ({
      topic: 'spans' as const,
      key: keys[(n * o.recordsPerPublish + i) % keys.length],
      value: pool[(n * o.recordsPerPublish + i) % pool.length],
    }));

  const latencies: number[] = [];
  let published = 0;
  const deadline = performance.now() + o.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.publishers }, async (_, p) => {
      for (let n = p; performance.now() < deadline; n += o.publishers) {
        const batch = makeBatch(n);
        const t0 = performance.now();
        await buffer.publish(batch);
        latencies.push(performance.now() - t0);
        published += batch.length;
      }
    }),
  );
  const publishSeconds = (performance.now() - started) / 1000;
  const produceRequests = (await metrics.kafkaProduceDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;

  let consumed = 0;
  const consumeStart = performance.now();
  await buffer.subscribe('spans', async (batch) => {
    consumed += batch.length;
  });
  while (consumed < published) await new Promise((r) => setTimeout(r, 20));
  const consumeSeconds = (performance.now() - consumeStart) / 1000;
  await buffer.stop();

  latencies.sort((a, b) => a - b);
  return {
    recordsPublished: published,
    publishRecordsPerSecond: Math.round(published / publishSeconds),
    publishMiBPerSecond: Number(((published * o.recordBytes) / publishSeconds / 1024 / 1024).toFixed(1)),
    publishLatencyMs: {
      p50: Number(percentile(latencies, 50).toFixed(1)),
      p99: Number(percentile(latencies, 99).toFixed(1)),
      max: Number(percentile(latencies, 100).toFixed(1)),
    },
    produceRequests,
    consumeRecordsPerSecond: Math.round(published / consumeSeconds),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10);
  const options: KafkaBenchOptions = {
    brokers: parseBrokerList(process.env.MESHTEL_KAFKA_BROKERS ?? '127.0.0.1:9092'),
    seconds,
    publishers: 8,
    recordsPerPublish: 100,
    recordBytes: 1024,
    compression: process.argv.includes('--gzip') ? 'gzip' : 'none',
  };
  const result = await benchKafkaBuffer(options);
  process.stdout.write(
    [
      `KafkaBuffer, ${options.publishers} publishers × ${options.recordsPerPublish} records of ${options.recordBytes} B per publish, compression ${options.compression}, ${seconds} s`,
      `  publish: ${result.publishRecordsPerSecond} records/s (${result.publishMiBPerSecond} MiB/s), ${result.recordsPublished} records in ${result.produceRequests} produce requests`,
      `  publish() latency: p50 ${result.publishLatencyMs.p50} ms, p99 ${result.publishLatencyMs.p99} ms, max ${result.publishLatencyMs.max} ms`,
      `  consume (group join included): ${result.consumeRecordsPerSecond} records/s`,
    ].join('\n') + '\n',
  );
}
