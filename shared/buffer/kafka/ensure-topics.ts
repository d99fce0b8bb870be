/**
 * Creates meshtel's topics when they are absent. Idempotent, so every collector and ingester
 * can run it at start: existing topics (whatever their partition count) are left alone.
 *
 * Creating up front, with waitForLeaders, also avoids a kafkajs quirk on KRaft brokers: the
 * first produce to an auto-created topic can fail before the partition has a leader
 * (tulios/kafkajs#1563).
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../telemetry/logger.js';

/** Largest record batch the topics meshtel creates accept (topic config max.message.bytes). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024 + 64 * 1024;

export interface TopicLayout {
  readonly topics: readonly string[];
  readonly partitions: number;
  readonly replicationFactor: number;
}

export async function ensureTopics(admin: Admin, layout: TopicLayout, logger: Logger): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = layout.topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  // createTopics answers false (not an error) when another process created them meanwhile.
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: layout.partitions,
      replicationFactor: layout.replicationFactor,
      // One record holds one or more traces of one export request (packed up to 256 KiB, a single
      // trace may be larger), which the receivers allow up to the decompressed body limit (16 MiB
      // by default); the broker's default of 1 MiB would refuse a big trace forever with an error
      // the sender can only retry.
      configEntries: [{ name: 'max.message.bytes', value: String(MAX_RECORD_BYTES) }],
    })),
  });
  logger.info({ topics: missing, partitions: layout.partitions, replicationFactor: layout.replicationFactor }, 'created Kafka topics');
}
