/**
 * KafkaBuffer's configuration: a schema with defaults, validated when the buffer is constructed.
 * The process settings (MESHTEL_KAFKA_*) refer to these fields for their defaults.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';
import type { BufferTopic } from '../buffer.js';

export const BUFFER_TOPICS: readonly BufferTopic[] = ['spans', 'accesslogs', 'metrics', 'dlq'];

const positiveInt = z.number().int().min(1);

const DEFAULT_BROKERS: readonly string[] = ['127.0.0.1:9092'];

/**
 * The broker list written as text, "host:port, host:port" (MESHTEL_KAFKA_BROKERS); read it with
 * {@link parseBrokerList}. Its default is the buffer's own default `brokers`.
 */
export const brokerListText = z
  .string()
  .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'a comma-separated list of host:port')
  .default(DEFAULT_BROKERS.join(','));

export const kafkaBufferOptionsSchema = z.object({
  brokers: z.array(z.string().regex(/^[^\s,:]+:\d{1,5}$/, 'host:port')).min(1).default(() => [...DEFAULT_BROKERS]),
  clientId: z.string().min(1).default('meshtel'),
  /** Kafka topic names allow only these characters; the longest suffix is ".accesslogs". */
  topicPrefix: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, ".", "_" or "-" (at most 200)').default('meshtel'),
  partitions: positiveInt.default(6),
  replicationFactor: positiveInt.default(1),
  compression: z.enum(['none', 'gzip']).default('none'),
  consumerGroup: z.string().min(1).default('meshtel-ingester'),
  /** Longest a publish() waits for Kafka before refusing with BufferUnavailableError. */
  publishTimeoutMs: positiveInt.default(5000),
  /** Most record bytes waiting for acknowledgement; beyond it publish() refuses with BufferFullError. */
  capacityBytes: positiveInt.default(64 * 1024 * 1024),
  /**
   * Most record bytes coalesced into one produce request. Below the broker's default
   * message.max.bytes (1 MiB) per partition batch even when every record lands on one partition.
   * A single publish() larger than this still goes out, alone.
   */
  maxBatchBytes: positiveInt.default(768 * 1024),
  /**
   * Largest value of a Kafka record that packs several buffer records of one partition
   * (record-packer.ts). Big enough that a 512-span export request becomes about one record per
   * partition, small enough that several fit one produce request (maxBatchBytes) and that a record
   * dead-lettered whole (a store refused one of its spans) carries few other traces with it.
   */
  maxPackedRecordBytes: positiveInt.default(256 * 1024),
  /** How long readiness answers are reused, so /readyz polling does not become broker load. */
  readyCacheMs: z.number().int().min(0).default(1000),
  /** Longest wait for the broker in a readiness probe. */
  readyTimeoutMs: positiveInt.default(1000),
  /** How often consumer lag is read from the broker while subscribed; 0 disables it. */
  lagPollIntervalMs: z.number().int().min(0).default(5000),
  /** Backoff before a batch whose handler rejected is delivered again: doubles up to the max. */
  redeliveryBackoffMs: positiveInt.default(250),
  redeliveryBackoffMaxMs: positiveInt.default(10_000),
  /** Longest a fetch waits on the broker for new records; bounds consumption latency and stop(). */
  fetchMaxWaitMs: positiveInt.default(500),
  /**
   * Partitions of one topic handled at once by this process (order is kept per partition); more
   * overlaps decoding with the store's writes.
   */
  partitionsConsumedConcurrently: positiveInt.default(3),
  /**
   * How long the group waits for a silent member before handing its partitions to others.
   * Shorter than kafkajs's 30 s: after a broker restart the group waits this long for the
   * members it knew before (which rejoin under new ids), so it bounds how soon consumption
   * resumes. Handlers may run longer: heartbeats continue while they run.
   */
  sessionTimeoutMs: positiveInt.default(10_000),
  heartbeatIntervalMs: positiveInt.default(3000),
  /** TLS to the brokers (kafkajs `ssl`); see kafka-security.ts. */
  ssl: z.custom<true | ConnectionOptions>((v) => v === true || (typeof v === 'object' && v !== null)).optional(),
  /** SASL authentication (kafkajs `sasl`). */
  sasl: z.custom<SASLOptions>((v) => typeof v === 'object' && v !== null && 'mechanism' in v).optional(),
});

export type KafkaBufferOptions = z.input<typeof kafkaBufferOptionsSchema>;
export type ResolvedKafkaBufferOptions = z.output<typeof kafkaBufferOptionsSchema>;

/** Parses "host:port, host:port" (the MESHTEL_KAFKA_BROKERS format). */
export function parseBrokerList(list: string): string[] {
  return list
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

/** Logical topic ↔ Kafka topic name (`<prefix>.<topic>`). */
export class TopicNames {
  private readonly byPhysical = new Map<string, BufferTopic>();

  constructor(private readonly prefix: string) {
    for (const t of BUFFER_TOPICS) this.byPhysical.set(this.physical(t), t);
  }

  physical(topic: BufferTopic): string {
    return `${this.prefix}.${topic}`;
  }

  /** The logical topic of a Kafka topic name, or undefined for a topic that is not ours. */
  logical(physical: string): BufferTopic | undefined {
    return this.byPhysical.get(physical);
  }

  all(): string[] {
    return BUFFER_TOPICS.map((t) => this.physical(t));
  }
}
