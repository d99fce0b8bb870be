/**
 * TelemetryBuffer on Kafka: the collector publishes, the ingesters (one consumer group)
 * subscribe. See shared/buffer/buffer.ts for the contract; how this class keeps it:
 *
 * - Acknowledged means durable: publish() resolves only when the broker answered acks=all for
 *   every record of the call (idempotent producer, see producer-session.ts).
 * - Refusal is bounded: a call not acknowledged within publishTimeoutMs is refused with
 *   BufferUnavailableError; too many bytes waiting for Kafka → BufferFullError.
 * - Ordered per key: a key goes to one partition (murmur2, as Kafka's Java client and kafkajs
 *   pick it), packable records of one partition travel packed in publish order
 *   (record-packer.ts), and one produce request is in flight at a time (produce-batcher.ts).
 *   The partition counts that packing needs are read from the broker at start and refreshed by
 *   every readiness probe and after a failed send.
 * - At-least-once: offsets are committed only after the handler resolved (topic-consumer.ts).
 */
import { Kafka, type ITopicMetadata } from 'kafkajs';
import type { BatchHandler, BufferRecord, BufferStats, BufferTopic, TelemetryBuffer } from '../buffer.js';
import { BufferUnavailableError } from '../buffer.js';
import type { Component } from '../../model/component.js';
import { createLogger, type Logger } from '../../telemetry/logger.js';
import type { BufferMetrics } from '../buffer-metrics.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { AdminSession } from './admin-session.js';
import { ensureTopics } from './ensure-topics.js';
import { kafkaBufferOptionsSchema, TopicNames, type KafkaBufferOptions, type ResolvedKafkaBufferOptions } from './kafka-options.js';
import { kafkajsLogCreator, kafkajsLogLevel } from './kafkajs-logger.js';
import { LagMonitor } from './lag-monitor.js';
import { partitionOfKey } from './murmur2.js';
import { ProduceBatcher } from './produce-batcher.js';
import { ProducerSession } from './producer-session.js';
import { TopicConsumer } from './topic-consumer.js';

export interface KafkaBufferInit extends KafkaBufferOptions {
  readonly logger?: Logger;
  readonly metrics?: BufferMetrics & KafkaMetrics;
}

type State = 'new' | 'starting' | 'started' | 'stopping' | 'stopped';

export class KafkaBuffer implements TelemetryBuffer, Component {
  readonly name = 'kafka-buffer';
  private readonly options: ResolvedKafkaBufferOptions;
  private readonly logger: Logger;
  private readonly metrics?: BufferMetrics & KafkaMetrics;
  private readonly topics: TopicNames;
  /** Producer and admin: short, bounded retries, since every publish has a deadline. */
  private readonly producerClient: Kafka;
  /** Consumers: kafkajs's patient defaults, since a consumer should ride out an outage. */
  private readonly consumerClient: Kafka;
  private readonly admin: AdminSession;
  private readonly producer: ProducerSession;
  private readonly batcher: ProduceBatcher;
  private readonly consumers = new Map<BufferTopic, TopicConsumer>();
  private readonly lag: LagMonitor;
  /** Partitions per topic as the broker last said; packing waits for it (record-packer.ts). */
  private readonly partitionCounts = new Map<BufferTopic, number>();
  private partitionRefresh: Promise<void> | null = null;
  private state: State = 'new';
  private ready: { value: boolean; at: number } | null = null;
  private readyProbe: Promise<boolean> | null = null;

  constructor(init: KafkaBufferInit) {
    const { logger, metrics, ...options } = init;
    this.options = kafkaBufferOptionsSchema.parse(options);
    const rootLogger = logger ?? createLogger('silent');
    this.logger = rootLogger.child({ component: 'kafka-buffer' });
    this.metrics = metrics;
    this.topics = new TopicNames(this.options.topicPrefix);
    const o = this.options;

    const common = {
      clientId: o.clientId,
      brokers: [...o.brokers],
      logLevel: kafkajsLogLevel(rootLogger),
      logCreator: kafkajsLogCreator(rootLogger),
      ...(o.ssl !== undefined ? { ssl: o.ssl } : {}),
      ...(o.sasl !== undefined ? { sasl: o.sasl } : {}),
    };
    this.producerClient = new Kafka({
      ...common,
      connectionTimeout: Math.min(1000, o.publishTimeoutMs),
      // One attempt may use the whole publish deadline; retries back off from 100 ms to at
      // most 1 s, so a failed send settles (and the producer is replaced) soon after the
      // caller was refused instead of kafkajs retrying for half a minute by default.
      requestTimeout: o.publishTimeoutMs,
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 5 },
    });
    this.consumerClient = new Kafka(common);

    this.admin = new AdminSession(this.producerClient);
    this.producer = new ProducerSession({
      kafka: this.producerClient,
      physicalTopic: (t) => this.topics.physical(t),
      compression: o.compression,
      ackTimeoutMs: o.publishTimeoutMs,
      logger: this.logger,
      packing: { partitionsOf: (t) => this.partitionCounts.get(t), maxRecordBytes: o.maxPackedRecordBytes },
    });
    this.batcher = new ProduceBatcher({
      send: (records) => this.send(records),
      publishTimeoutMs: o.publishTimeoutMs,
      capacityBytes: o.capacityBytes,
      maxBatchBytes: o.maxBatchBytes,
      onRefused: (reason) => this.metrics?.kafkaProduceErrors.inc({ reason }),
      onBytesChanged: (bytes) => this.metrics?.bufferBytes.set(bytes),
    });
    this.lag = new LagMonitor({
      admin: this.admin,
      groupId: o.consumerGroup,
      topics: () => new Map([...this.consumers.keys()].map((t) => [this.topics.physical(t), t])),
      gauge: metrics?.kafkaConsumerLag ?? noGauge,
      intervalMs: metrics ? o.lagPollIntervalMs : 0,
      timeoutMs: Math.max(o.readyTimeoutMs, 5000),
      logger: this.logger,
    });
  }

  /** Creates the topics when absent and connects the producer; fails when Kafka is unreachable. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`KafkaBuffer cannot start from state ${this.state}`);
    this.state = 'starting';
    const o = this.options;
    try {
      await this.admin.use(
        (admin) => ensureTopics(admin, { topics: this.topics.all(), partitions: o.partitions, replicationFactor: o.replicationFactor }, this.logger),
        Math.max(30_000, o.publishTimeoutMs),
      );
      await this.producer.connect();
      await this.refreshPartitionCounts();
    } catch (err) {
      this.state = 'new';
      await this.producer.close().catch(() => undefined);
      await this.admin.close().catch(() => undefined);
      throw new BufferUnavailableError(`Kafka at ${o.brokers.join(',')} is not usable: ${errorMessage(err)}`);
    }
    if (this.state !== 'starting') {
      // stop() was called while starting; it found nothing running, so release what we took.
      await this.producer.close().catch(() => undefined);
      await this.admin.close().catch(() => undefined);
      throw new BufferUnavailableError('the Kafka buffer was stopped while starting');
    }
    this.metrics?.bufferCapacityBytes.set(o.capacityBytes);
    this.state = 'started';
    this.logger.info({ brokers: o.brokers, topicPrefix: o.topicPrefix }, 'Kafka buffer started');
  }

  async publish(records: readonly BufferRecord[]): Promise<void> {
    if (this.state !== 'started') {
      this.metrics?.kafkaProduceErrors.inc({ reason: 'stopped' });
      throw new BufferUnavailableError(`the Kafka buffer is ${this.state === 'new' ? 'not started' : this.state}`);
    }
    await this.batcher.publish(records);
    if (this.metrics) {
      for (const [topic, n] of countByTopic(records)) this.metrics.bufferRecordsPublished.inc({ topic }, n);
    }
  }

  async subscribe(topic: BufferTopic, handler: BatchHandler): Promise<void> {
    if (this.state !== 'started') throw new Error(`cannot subscribe: the Kafka buffer is ${this.state}`);
    if (this.consumers.has(topic)) throw new Error(`already subscribed to ${topic}; one subscription per topic per process`);
    const o = this.options;
    const consumer = new TopicConsumer({
      kafka: this.consumerClient,
      groupId: o.consumerGroup,
      topic,
      physicalTopic: this.topics.physical(topic),
      handler,
      logger: this.logger,
      metrics: this.metrics,
      fetchMaxWaitMs: o.fetchMaxWaitMs,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently,
      sessionTimeoutMs: o.sessionTimeoutMs,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      redeliveryBackoffMs: o.redeliveryBackoffMs,
      redeliveryBackoffMaxMs: o.redeliveryBackoffMaxMs,
    });
    this.consumers.set(topic, consumer);
    try {
      await consumer.start();
    } catch (err) {
      this.consumers.delete(topic);
      throw err;
    }
    this.lag.start();
  }

  /** The partition `key` maps to (Kafka's murmur2), once the topic's partition count is known. */
  partitionOf(topic: BufferTopic, key: string): number | undefined {
    const partitions = this.partitionCounts.get(topic);
    return partitions === undefined ? undefined : partitionOfKey(key, partitions);
  }

  /** True when the broker answers and every partition of our topics has a leader (cached ~1 s). */
  async isReady(): Promise<boolean> {
    if (this.state !== 'started') return false;
    if (this.ready && Date.now() - this.ready.at < this.options.readyCacheMs) return this.ready.value;
    this.readyProbe ??= this.probe().finally(() => {
      this.readyProbe = null;
    });
    return this.readyProbe;
  }

  stats(): BufferStats {
    return { bytesHeld: this.batcher.bytesInFlight, capacityBytes: this.options.capacityBytes };
  }

  /** Refuses new publishes, waits for those in flight, lets consumers commit, then disconnects. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasStarted = this.state === 'started';
    this.state = 'stopping';
    this.batcher.close();
    if (wasStarted) {
      // Every publish() call settles within publishTimeoutMs; a send still running after that
      // only serves callers already refused, and closing the producer ends it.
      await Promise.race([this.batcher.whenIdle(), delay(this.options.publishTimeoutMs)]);
      await Promise.all([...this.consumers.values()].map((c) => c.stop()));
      await this.lag.stop();
    }
    this.consumers.clear();
    await this.producer.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the Kafka producer failed'));
    await this.admin.close().catch((err: unknown) => this.logger.debug({ err }, 'closing the Kafka admin client failed'));
    this.state = 'stopped';
    this.logger.info('Kafka buffer stopped');
  }

  private async send(records: readonly BufferRecord[]): Promise<void> {
    const endTimer = this.metrics?.kafkaProduceDuration.startTimer();
    let produced;
    try {
      produced = await this.producer.send(records);
    } catch (err) {
      // Partitions may have been added meanwhile; the next sends should pack by the new count.
      // One reading at a time: while Kafka is down, sends fail in quick succession.
      this.partitionRefresh ??= this.refreshPartitionCounts()
        .catch((e: unknown) => this.logger.debug({ err: e }, 'reading partition counts failed'))
        .finally(() => {
          this.partitionRefresh = null;
        });
      throw err;
    }
    endTimer?.();
    if (this.metrics) for (const [topic, n] of produced) this.metrics.kafkaRecordsProduced.inc({ topic }, n);
  }

  private async refreshPartitionCounts(): Promise<void> {
    await this.readTopicMetadata(Math.max(this.options.readyTimeoutMs, 5000));
  }

  /** Our topics' metadata from the broker; every reading also updates the partition counts. */
  private async readTopicMetadata(timeoutMs: number): Promise<ITopicMetadata[]> {
    const { topics } = await this.admin.use((admin) => admin.fetchTopicMetadata({ topics: this.topics.all() }), timeoutMs);
    for (const t of topics) {
      const topic = this.topics.logical(t.name);
      if (topic === undefined) continue;
      if (t.partitions.length > 0) this.partitionCounts.set(topic, t.partitions.length);
      else this.partitionCounts.delete(topic);
    }
    return topics;
  }

  private async probe(): Promise<boolean> {
    let value = false;
    try {
      const topics = await this.readTopicMetadata(this.options.readyTimeoutMs);
      value = topics.length > 0 && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    } catch (err) {
      this.logger.debug({ err }, 'Kafka readiness probe failed');
    }
    this.ready = { value, at: Date.now() };
    return value;
  }
}

function countByTopic(records: readonly BufferRecord[]): Map<BufferTopic, number> {
  const counts = new Map<BufferTopic, number>();
  for (const r of records) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
  return counts;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Stands in for the lag gauge when no metrics are wired; the monitor is then never started. */
const noGauge = { set: () => undefined } as unknown as NonNullable<(BufferMetrics & KafkaMetrics)['kafkaConsumerLag']>;
