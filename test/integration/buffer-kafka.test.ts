/**
 * KafkaBuffer against a real broker (deploy/local). Every buffer gets a topic prefix and consumer
 * group unique to this run, so reruns never see old records.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type PartitionMetadata } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferFullError, type ConsumedRecord } from '../../shared/buffer/buffer.js';
import { KafkaBuffer, type KafkaBufferInit } from '../../shared/buffer/kafka/kafka-buffer.js';
import { parseBrokerList } from '../../shared/buffer/kafka/kafka-options.js';
import { createMetrics } from '../support/metrics.js';
import { ensureServers, KAFKA_BROKERS } from '../support/servers.js';
import { describeBufferContract, RecordSink, testRecord, valueOf } from '../support/buffer-contract.js';
import { waitUntil } from '../support/poll.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { recordsPerTrace } from '../../services/collector/intake/trace-intake.js';
import { span } from '../fixtures/spans.js';

const brokers = parseBrokerList(String(KAFKA_BROKERS));
const runId = `it-${Date.now().toString(36)}-${process.pid}`;
let sequence = 0;
const DELIVERY_MS = 30_000;

/** A name no earlier run used: topics `<name>.spans` …, and the consumer group. */
function uniqueName(): string {
  return `${runId}-${++sequence}`;
}

function kafkaBuffer(overrides: Partial<KafkaBufferInit> = {}): KafkaBuffer {
  const name = uniqueName();
  return new KafkaBuffer({ brokers, topicPrefix: name, consumerGroup: name, redeliveryBackoffMs: 100, ...overrides });
}

/** Starts buffers and stops them all at the end of a test, whatever happened. */
async function withBuffers(run: (start: (b: KafkaBuffer) => Promise<KafkaBuffer>) => Promise<void>): Promise<void> {
  const started: KafkaBuffer[] = [];
  try {
    await run(async (b) => {
      await b.start();
      started.push(b);
      return b;
    });
  } finally {
    await Promise.all(started.map((b) => b.stop()));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

beforeAll(async () => {
  await ensureServers(['kafka']);
});

// Every buffer here creates four topics; left behind, they slow each later broker restart.
afterAll(async () => {
  const admin = new Kafka({ clientId: 'buffer-kafka-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ours = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}-`));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours });
  } finally {
    await admin.disconnect();
  }
});

describeBufferContract('kafka', () => kafkaBuffer(), { deliveryTimeoutMs: DELIVERY_MS });

describe('Kafka buffer', () => {
  it('writes plain Kafka records other clients read, and reads theirs: key, value, string headers', async () => {
    const prefix = uniqueName();
    const kafka = new Kafka({ clientId: 'buffer-kafka-test', brokers, logLevel: logLevel.NOTHING });
    await withBuffers(async (start) => {
      const buffer = await start(kafkaBuffer({ topicPrefix: prefix, consumerGroup: prefix }));
      await buffer.publish([testRecord('spans', '0af7651916cd43dd8448eb211c80319c', 'otlp-bytes', { 'meshtel-stage': 'collector' })]);

      // Another Kafka client sees exactly what was published.
      const seen: Array<{ key?: string; value?: string; stage?: string }> = [];
      const raw = kafka.consumer({ groupId: `${prefix}-raw` });
      await raw.connect();
      await raw.subscribe({ topic: `${prefix}.spans`, fromBeginning: true });
      await raw.run({
        eachMessage: async ({ message }) => {
          seen.push({ key: message.key?.toString(), value: message.value?.toString(), stage: message.headers?.['meshtel-stage']?.toString() });
        },
      });
      await waitUntil('the raw consumer', () => seen.length > 0, DELIVERY_MS);
      await raw.disconnect();
      expect(seen).toEqual([{ key: '0af7651916cd43dd8448eb211c80319c', value: 'otlp-bytes', stage: 'collector' }]);

      // And a record another client produced (bytes headers) reaches a subscriber.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: `${prefix}.accesslogs`,
        messages: [{ key: 'reviews-v1', value: Buffer.from('from-elsewhere'), headers: { origin: Buffer.from('fluent-bit') } }],
      });
      await producer.disconnect();
      const sink = new RecordSink();
      await buffer.subscribe('accesslogs', sink.handler);
      await sink.waitForValues(['from-elsewhere'], DELIVERY_MS);
      expect(sink.records[0]).toMatchObject({ topic: 'accesslogs', key: 'reviews-v1', headers: { origin: 'fluent-bit' } });
      expect(sink.records[0].position).toMatch(new RegExp(`^${prefix.replace(/[.-]/g, '\\$&')}\\.accesslogs/\\d+@0$`));
    });
  });

  it('puts every record of a key on one partition', async () => {
    await withBuffers(async (start) => {
      const buffer = await start(kafkaBuffer());
      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      const keys = Array.from({ length: 12 }, (_, i) => `trace-${i}`);
      const values: string[] = [];
      for (let call = 0; call < 5; call++) {
        await buffer.publish(keys.map((k) => testRecord('spans', k, `${k}/${call}`)));
        values.push(...keys.map((k) => `${k}/${call}`));
      }
      await sink.waitForValues(values, DELIVERY_MS);
      const partitionOf = (r: ConsumedRecord) => r.position.split('@')[0];
      const partitionsByKey = new Map<string, Set<string>>();
      for (const r of sink.records) partitionsByKey.set(r.key, (partitionsByKey.get(r.key) ?? new Set()).add(partitionOf(r)));
      for (const k of keys) expect(partitionsByKey.get(k)?.size).toBe(1);
      // Twelve keys over six partitions: more than one partition is used.
      expect(new Set(sink.records.map(partitionOf)).size).toBeGreaterThan(1);
    });
  });

  it('packs the traces of one partition into one Kafka record, on the partition every trace id maps to', async () => {
    const metrics = createMetrics();
    await withBuffers(async (start) => {
      const buffer = await start(kafkaBuffer({ metrics }));
      const traceIds = Array.from({ length: 60 }, () => randomBytes(16).toString('hex'));
      const spans = traceIds.flatMap((traceId, i) => Array.from({ length: 1 + (i % 3) }, (_, j) => span({ traceId, name: `op-${j}` })));
      const records = recordsPerTrace(spans);
      await buffer.publish(records);
      // Six partitions: at most one record each (the values are far below the packing cap).
      const produced = (await metrics.kafkaRecordsProduced.get()).values.find((v) => v.labels.topic === 'spans')?.value ?? 0;
      expect(produced).toBeGreaterThan(1);
      expect(produced).toBeLessThanOrEqual(6);
      expect((await metrics.bufferRecordsPublished.get()).values).toEqual([expect.objectContaining({ labels: { topic: 'spans' }, value: 60 })]);

      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      const stored = () => sink.records.flatMap((r) => decodeTracesProtobuf(r.value).map((s) => ({ s, position: r.position })));
      await waitUntil('every span', () => stored().length >= spans.length, DELIVERY_MS);
      expect(new Set(stored().map(({ s }) => s.spanId))).toEqual(new Set(spans.map((s) => s.spanId)));
      // Where kafkajs's own partitioner (the Java client's) would put each trace id, by itself.
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 0 }) as PartitionMetadata);
      for (const { s, position } of stored()) {
        const partition = partitioner({ topic: 'spans', partitionMetadata, message: { key: s.traceId, value: null } });
        expect(position.split('@')[0].split('/')[1]).toBe(String(partition));
        expect(buffer.partitionOf('spans', s.traceId)).toBe(partition);
      }
    });
  });

  it('coalesces concurrent publish calls into fewer produce requests, and counts what it publishes and consumes', async () => {
    const metrics = createMetrics();
    await withBuffers(async (start) => {
      const buffer = await start(kafkaBuffer({ metrics }));
      const calls = Array.from({ length: 16 }, (_, c) =>
        Array.from({ length: 50 }, (_, i) => testRecord('spans', `trace-${c}`, `c${c}-r${i}`)),
      );
      await Promise.all(calls.map((records) => buffer.publish(records)));
      const produce = await metrics.kafkaProduceDuration.get();
      const requests = produce.values.find((v) => v.metricName === 'meshtel_kafka_produce_duration_seconds_count')?.value ?? 0;
      expect(requests).toBeGreaterThanOrEqual(1);
      expect(requests).toBeLessThan(16);
      expect((await metrics.bufferRecordsPublished.get()).values).toEqual([expect.objectContaining({ labels: { topic: 'spans' }, value: 800 })]);
      expect(buffer.stats().bytesHeld).toBe(0);

      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      await sink.waitForValues(calls.flat().map(valueOf), DELIVERY_MS);
      await waitUntil('all records', () => sink.records.length >= 800, DELIVERY_MS);
      // A batch is counted once its handler returned and its offset is committed, so with several partitions consumed at
      // once the last batches' counts land just after their records reached the sink.
      const consumedOf = async () => (await metrics.bufferRecordsConsumed.get()).values.find((v) => v.labels.topic === 'spans')?.value;
      await waitUntil('the consumed count to catch up', async () => (await consumedOf()) === sink.records.length, DELIVERY_MS);
      expect(await consumedOf()).toBe(sink.records.length);
    });
  });

  it('refuses with BufferFullError while more bytes wait for Kafka than its capacity', async () => {
    await withBuffers(async (start) => {
      const buffer = await start(kafkaBuffer({ capacityBytes: 1000 }));
      const big = (v: string) => [{ topic: 'spans' as const, key: v, value: new Uint8Array(800) }];
      const first = buffer.publish(big('first'));
      await expect(buffer.publish(big('second'))).rejects.toBeInstanceOf(BufferFullError);
      await first;
      expect(buffer.stats()).toEqual({ bytesHeld: 0, capacityBytes: 1000 });
      await buffer.publish(big('third'));
    });
  });

  it('commits a batch once its handler resolved — also when stop() came mid-batch — so the group never gets it again', async () => {
    const name = uniqueName();
    const options = { topicPrefix: name, consumerGroup: name };
    await withBuffers(async (start) => {
      const first = await start(kafkaBuffer(options));
      let inHandler = false;
      const handled = new RecordSink();
      await first.subscribe('spans', async (batch) => {
        inHandler = true;
        await sleep(300);
        await handled.handler(batch);
      });
      const values = Array.from({ length: 20 }, (_, i) => `handled-${i}`);
      await first.publish(values.map((v) => testRecord('spans', 'one-trace', v)));
      await waitUntil('the handler to start', () => inHandler, DELIVERY_MS);
      await first.stop();
      expect([...handled.values()].sort()).toEqual([...values].sort());

      const second = await start(kafkaBuffer(options));
      const later = new RecordSink();
      await second.subscribe('spans', later.handler);
      await second.publish([testRecord('spans', 'one-trace', 'marker')]);
      await later.waitForValues(['marker'], DELIVERY_MS);
      expect(later.records.map(valueOf)).toEqual(['marker']);
    });
  });

  it('does not commit a batch whose handler rejected: the next member of the group gets it', async () => {
    const name = uniqueName();
    const options = { topicPrefix: name, consumerGroup: name };
    await withBuffers(async (start) => {
      const first = await start(kafkaBuffer(options));
      const failing = new RecordSink(() => true);
      await first.subscribe('spans', failing.handler);
      const values = Array.from({ length: 10 }, (_, i) => `unhandled-${i}`);
      await first.publish(values.map((v) => testRecord('spans', 'one-trace', v)));
      await waitUntil('the handler to refuse every record', () => failing.failedBatches.flat().length >= values.length, DELIVERY_MS);
      await first.stop();

      const second = await start(kafkaBuffer(options));
      const sink = new RecordSink();
      await second.subscribe('spans', sink.handler);
      await sink.waitForValues(values, DELIVERY_MS);
      expect(sink.records.map(valueOf)).toEqual(values);
    });
  });

  it('shares one consumer group between members subscribed to different topics, consuming every partition', async () => {
    const name = uniqueName();
    const options = { topicPrefix: name, consumerGroup: name };
    await withBuffers(async (start) => {
      const spansOnly = await start(kafkaBuffer(options));
      const logsOnly = await start(kafkaBuffer(options));
      const spans = new RecordSink();
      const logs = new RecordSink();
      await spansOnly.subscribe('spans', spans.handler);
      await logsOnly.subscribe('accesslogs', logs.handler);
      const keys = Array.from({ length: 24 }, (_, i) => `k${i}`);
      await spansOnly.publish([...keys.map((k) => testRecord('spans', k, `s-${k}`)), ...keys.map((k) => testRecord('accesslogs', k, `l-${k}`))]);
      await spans.waitForValues(keys.map((k) => `s-${k}`), DELIVERY_MS);
      await logs.waitForValues(keys.map((k) => `l-${k}`), DELIVERY_MS);
      expect(spans.records.every((r) => r.topic === 'spans')).toBe(true);
      expect(logs.records.every((r) => r.topic === 'accesslogs')).toBe(true);
    });
  });

  it('splits the partitions of a topic between the members of the group', async () => {
    const name = uniqueName();
    const options = { topicPrefix: name, consumerGroup: name };
    await withBuffers(async (start) => {
      const a = await start(kafkaBuffer(options));
      const b = await start(kafkaBuffer(options));
      const sinkA = new RecordSink();
      const sinkB = new RecordSink();
      await a.subscribe('spans', sinkA.handler);
      await b.subscribe('spans', sinkB.handler);
      // Wait until both members hold partitions, so the records are split and not all taken
      // by the first member before the second joined.
      const probe = Array.from({ length: 60 }, (_, i) => testRecord('spans', `trace-${i}`, `v${i}`));
      await a.publish(probe);
      await waitUntil('all 60 records', () => new Set([...sinkA.values(), ...sinkB.values()]).size === 60, DELIVERY_MS);
      const partitionsOf = (s: RecordSink) => new Set(s.records.map((r) => r.position.split('@')[0]));
      const overlap = [...partitionsOf(sinkA)].filter((p) => partitionsOf(sinkB).has(p));
      // A partition moves at most once (when b joined), so both members consumed and at most
      // the partitions handed over appear on both sides.
      expect(sinkA.records.length + sinkB.records.length).toBeGreaterThanOrEqual(60);
      expect(partitionsOf(sinkB).size).toBeGreaterThan(0);
      expect(overlap.length).toBeLessThanOrEqual(3);
    });
  });

  it('keeps its place in the group through a batch slower than the session timeout (heartbeats while handling)', async () => {
    await withBuffers(async (start) => {
      // 6 s is the broker's smallest allowed session timeout (group.min.session.timeout.ms).
      const buffer = await start(kafkaBuffer({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 }));
      const calls: string[][] = [];
      await buffer.subscribe('spans', async (batch) => {
        calls.push(batch.map(valueOf));
        if (calls.length === 1) await sleep(9000);
      });
      await buffer.publish([testRecord('spans', 'one-trace', 'slow-1'), testRecord('spans', 'one-trace', 'slow-2')]);
      await waitUntil('the slow batch', () => calls.length >= 1, DELIVERY_MS);
      await sleep(9000 + 2000);
      await buffer.publish([testRecord('spans', 'one-trace', 'next')]);
      await waitUntil('the next record', () => calls.flat().includes('next'), DELIVERY_MS);
      // Evicted mid-batch, the commit would have failed and the slow batch come again.
      expect(calls.flat().filter((v) => v.startsWith('slow'))).toEqual(['slow-1', 'slow-2']);
    });
  }, 60_000);

  it('reports consumer lag per partition while a handler keeps failing', async () => {
    const metrics = createMetrics();
    await withBuffers(async (start) => {
      const buffer = await start(kafkaBuffer({ metrics, lagPollIntervalMs: 200 }));
      await buffer.subscribe('spans', new RecordSink(() => true).handler);
      await buffer.publish(Array.from({ length: 30 }, (_, i) => testRecord('spans', `trace-${i}`, `v${i}`)));
      const totalLag = async () =>
        (await metrics.kafkaConsumerLag.get()).values.filter((v) => v.labels.topic === 'spans').reduce((sum, v) => sum + v.value, 0);
      const deadline = Date.now() + DELIVERY_MS;
      while ((await totalLag()) !== 30 && Date.now() < deadline) await sleep(100);
      expect(await totalLag()).toBe(30);
      const partitions = (await metrics.kafkaConsumerLag.get()).values.filter((v) => v.labels.topic === 'spans').map((v) => v.labels.partition);
      expect(new Set(partitions).size).toBe(6);
      expect((await metrics.bufferHandlerFailures.get()).values[0]?.value).toBeGreaterThan(0);
    });
  });
});
