/**
 * KafkaBuffer while the broker is down: publishes are refused, quickly and retryably, and work
 * again once it is back; a subscriber rides the outage out. Stops and restarts the real broker,
 * so it lives in its own file; afterAll always brings Kafka back for the files after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { KafkaBuffer } from '../../shared/buffer/kafka/kafka-buffer.js';
import { parseBrokerList } from '../../shared/buffer/kafka/kafka-options.js';
import { createMetrics } from '../support/metrics.js';
import { ensureServers, KAFKA_BROKERS, startServer, stopServer } from '../support/servers.js';
import { RecordSink, testRecord } from '../support/buffer-contract.js';
import { waitUntil } from '../support/poll.js';

const brokers = parseBrokerList(String(KAFKA_BROKERS));
const PUBLISH_TIMEOUT_MS = 3000;
/** Timers and the event loop on a busy 2-core machine; the bound itself is the timeout. */
const SLACK_MS = 1500;

beforeAll(async () => {
  await ensureServers(['kafka']);
});

afterAll(async () => {
  await startServer('kafka');
});

async function timedRefusal(promise: Promise<void>): Promise<{ err: unknown; ms: number }> {
  const t0 = Date.now();
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, ms: Date.now() - t0 };
}

describe('Kafka buffer when Kafka is down', () => {
  it('refuses publishes within the publish timeout, then publishes and delivers again once Kafka is back', async () => {
    const name = `fault-${Date.now().toString(36)}-${process.pid}`;
    const metrics = createMetrics();
    const producer = new KafkaBuffer({ brokers, topicPrefix: name, consumerGroup: name, publishTimeoutMs: PUBLISH_TIMEOUT_MS, metrics });
    const consumer = new KafkaBuffer({ brokers, topicPrefix: name, consumerGroup: name });
    const sink = new RecordSink();
    try {
      await producer.start();
      await consumer.start();
      await consumer.subscribe('spans', sink.handler);
      await producer.publish([testRecord('spans', 'trace-1', 'before')]);
      await sink.waitForValues(['before'], 30_000);

      await stopServer('kafka');

      // One call, and a burst of concurrent ones: each is refused within the bound.
      const single = await timedRefusal(producer.publish([testRecord('spans', 'trace-1', 'during-1')]));
      expect(single.err).toBeInstanceOf(BufferUnavailableError);
      expect((single.err as BufferUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect(single.ms).toBeLessThan(PUBLISH_TIMEOUT_MS + SLACK_MS);
      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) => timedRefusal(producer.publish([testRecord('spans', `trace-${i}`, `during-burst-${i}`)]))),
      );
      for (const { err, ms } of burst) {
        expect(err).toBeInstanceOf(BufferUnavailableError);
        expect(ms).toBeLessThan(PUBLISH_TIMEOUT_MS + SLACK_MS);
      }
      await new Promise((r) => setTimeout(r, 1100)); // past the readiness cache
      expect(await producer.isReady()).toBe(false);
      const refused = (await metrics.kafkaProduceErrors.get()).values.reduce((sum, v) => sum + v.value, 0);
      expect(refused).toBeGreaterThanOrEqual(9);

      await startServer('kafka');

      // Each attempt is bounded; the broker needs a few seconds to lead its partitions again.
      const deadline = Date.now() + 90_000;
      let published = false;
      while (!published && Date.now() < deadline) {
        published = await producer.publish([testRecord('spans', 'trace-1', 'after')]).then(
          () => true,
          () => false,
        );
      }
      expect(published).toBe(true);
      let ready = false;
      for (let i = 0; i < 20 && !ready; i++) {
        ready = await producer.isReady();
        if (!ready) await new Promise((r) => setTimeout(r, 500));
      }
      expect(ready).toBe(true);
      await waitUntil('in-flight bytes to drain', () => producer.stats().bytesHeld === 0, 30_000);

      // The subscriber that lived through the outage gets what was published after it.
      await sink.waitForValues(['before', 'after'], 90_000);
    } finally {
      await producer.stop();
      await consumer.stop();
    }
  }, 300_000);
});
