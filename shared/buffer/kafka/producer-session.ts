/**
 * The kafkajs producer behind KafkaBuffer: idempotent, acks=all, one request in flight — and
 * replaced after any failed send.
 *
 * Why replace it: the idempotent producer numbers each partition's batches. When a send fails
 * after kafkajs's retries, kafkajs rolls its sequence numbers back, although the broker may
 * have written the batch (the answer was lost, not the request). The next, different, batch of
 * the same size would then carry the very same sequence numbers and the broker would
 * acknowledge it as a duplicate without writing it: acknowledged data silently lost. A fresh
 * producer gets a new producer id from the broker, whose sequences start over, so that can
 * never happen; the refused records are retried by their senders instead.
 */
import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { BufferRecord, BufferTopic } from '../buffer.js';
import type { Logger } from '../../telemetry/logger.js';
import { packRecords, type PackOptions } from './record-packer.js';

export interface ProducerSessionOptions {
  readonly kafka: Kafka;
  readonly physicalTopic: (topic: BufferTopic) => string;
  readonly compression: 'none' | 'gzip';
  /** How long the broker may wait for the in-sync replicas before answering (produce timeout). */
  readonly ackTimeoutMs: number;
  readonly logger: Logger;
  /** How records become Kafka records (record-packer.ts). */
  readonly packing: PackOptions;
}

/** Kafka records produced by one send, per logical topic (fewer than buffer records when packed). */
export type ProducedCounts = ReadonlyMap<BufferTopic, number>;

export class ProducerSession {
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;

  constructor(private readonly options: ProducerSessionOptions) {}

  /** Connects now rather than on the first send, so the first publish pays no handshake. */
  async connect(): Promise<void> {
    await this.connected();
  }

  /** Resolves when Kafka acknowledged every record (acks=all); rejects on any failure. */
  async send(records: readonly BufferRecord[]): Promise<ProducedCounts> {
    const producer = await this.connected();
    // Packed per topic, records in publish order per partition, so kafkajs keeps per-key order.
    const packed = packRecords(records, this.options.packing);
    const counts = new Map<BufferTopic, number>();
    for (const [topic, messages] of packed) counts.set(topic, messages.length);
    try {
      await producer.sendBatch({
        topicMessages: [...packed].map(([topic, messages]) => ({ topic: this.options.physicalTopic(topic), messages })),
        acks: -1,
        timeout: this.options.ackTimeoutMs,
        compression: this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      });
    } catch (err) {
      this.retire(producer, err);
      throw err;
    }
    return counts;
  }

  async close(): Promise<void> {
    const producer = this.producer ?? (await this.connecting?.catch(() => null)) ?? null;
    this.producer = null;
    this.connecting = null;
    await producer?.disconnect();
  }

  private connected(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= this.create().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async create(): Promise<Producer> {
    const producer = this.options.kafka.producer({
      idempotent: true,
      // kafkajs's idempotence is only safe with a single request in flight per broker.
      maxInFlightRequests: 1,
      // murmur2, like the Java client, so other Kafka clients agree on a key's partition.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Topics are created at start; a typo'd prefix must fail, not create stray topics.
      allowAutoTopicCreation: false,
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.producer = producer;
    return producer;
  }

  private retire(producer: Producer, err: unknown): void {
    if (this.producer !== producer) return;
    this.producer = null;
    this.options.logger.warn({ err }, 'Kafka send failed; the next send uses a new producer');
    producer.disconnect().catch((e: unknown) => this.options.logger.debug({ err: e }, 'disconnecting a failed producer failed'));
  }
}
