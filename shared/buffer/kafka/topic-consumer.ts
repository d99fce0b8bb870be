/**
 * One subscription: a kafkajs consumer of one topic, member of the ingesters' consumer group.
 *
 * At-least-once, as the TelemetryBuffer contract asks: a batch's offsets are committed only
 * after its handler resolved. When the handler rejects, nothing is resolved or committed;
 * after a backoff (heartbeating meanwhile) the batch handler returns and kafkajs fetches the
 * same offsets again, so the handler sees the same records, in the same order, again. If the
 * process dies or the partition moves to another ingester first, the new owner starts from the
 * last committed offset and gets them too.
 */
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { BatchHandler, BufferTopic, ConsumedRecord } from '../buffer.js';
import type { Logger } from '../../telemetry/logger.js';
import type { BufferMetrics } from '../buffer-metrics.js';
import { subscriptionAwareAssigner } from './subscription-assigner.js';

export interface TopicConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: BufferTopic;
  readonly physicalTopic: string;
  readonly handler: BatchHandler;
  readonly logger: Logger;
  readonly metrics?: BufferMetrics;
  readonly fetchMaxWaitMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly redeliveryBackoffMs: number;
  readonly redeliveryBackoffMaxMs: number;
}

/** Longest pause between our own restarts of a consumer kafkajs gave up on. */
const MAX_RESTART_DELAY_MS = 30_000;

export class TopicConsumer {
  private consumer: Consumer | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelayMs = 1000;
  /** Consecutive handler failures per partition, for the redelivery backoff. */
  private readonly failures = new Map<number, number>();
  private readonly logger: Logger;

  constructor(private readonly options: TopicConsumerOptions) {
    this.logger = options.logger.child({ topic: options.physicalTopic, group: options.groupId });
  }

  /** Resolves once the consumer joined the group and got its first assignment. */
  async start(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      partitionAssigners: [subscriptionAwareAssigner],
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts by itself after retriable errors; after others it stays down.
      if (!payload.restart && consumer === this.consumer) this.scheduleRestart(payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.logger.info({ memberId: payload.memberId, partitions: payload.memberAssignment[this.options.physicalTopic] ?? [] }, 'joined the consumer group');
    });
    this.consumer = consumer;
    try {
      await consumer.connect();
      // A new group starts at the earliest offset: records published before the first
      // ingester joined were acknowledged to their senders, so they must be consumed.
      await consumer.subscribe({ topics: [this.options.physicalTopic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.onBatch(payload),
      });
    } catch (err) {
      if (this.consumer === consumer) this.consumer = null;
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    // stop() may have been called while a restart was joining the group.
    if (this.stopping) await this.stop();
  }

  /** Lets the in-flight batch finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect();
  }

  private scheduleRestart(error: Error): void {
    if (this.stopping || this.restartTimer) return;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
    this.logger.error({ err: error, restartInMs: delayMs }, 'Kafka consumer stopped after an error; restarting it');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restart().catch((err: unknown) => this.scheduleRestart(err instanceof Error ? err : new Error(String(err))));
    }, delayMs);
  }

  private async restart(): Promise<void> {
    const old = this.consumer;
    this.consumer = null;
    await old?.disconnect().catch(() => undefined);
    if (this.stopping) return;
    await this.start();
    this.restartDelayMs = 1000;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const records = batch.messages.map((m) => this.toConsumed(batch.partition, m));
    const { topic } = this.options;

    try {
      await this.whileHeartbeating(payload, () => this.options.handler(records));
    } catch (err) {
      const attempt = (this.failures.get(batch.partition) ?? 0) + 1;
      this.failures.set(batch.partition, attempt);
      const delayMs = Math.min(this.options.redeliveryBackoffMs * 2 ** (attempt - 1), this.options.redeliveryBackoffMaxMs);
      this.options.metrics?.bufferHandlerFailures.inc({ topic });
      this.logger.warn(
        { err, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset(), attempt, retryInMs: delayMs },
        'batch handler failed; the batch will be delivered again',
      );
      await this.pause(payload, delayMs);
      return; // Neither resolved nor committed: the next fetch starts at this batch again.
    }

    this.failures.delete(batch.partition);
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    // Commit first: if the commit fails (say, a rebalance took the partition away) the batch
    // stays unresolved, so whoever owns the partition next gets it again.
    await payload.commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
    });
    payload.resolveOffset(batch.lastOffset());
    this.options.metrics?.bufferRecordsConsumed.inc({ topic }, records.length);
  }

  /**
   * Runs the handler while heartbeating, so a handler slower than the session timeout (a slow
   * store) does not get this member thrown out of the group mid-batch.
   */
  private async whileHeartbeating<T>(payload: EachBatchPayload, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      payload.heartbeat().catch((err: unknown) => this.logger.debug({ err }, 'heartbeat during a batch failed'));
    }, this.options.heartbeatIntervalMs);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** Waits out the redelivery backoff, heartbeating; ends early on stop or rebalance. */
  private async pause(payload: EachBatchPayload, delayMs: number): Promise<void> {
    const until = Date.now() + delayMs;
    let nextHeartbeat = Date.now() + this.options.heartbeatIntervalMs;
    while (Date.now() < until) {
      if (this.stopping || !payload.isRunning() || payload.isStale()) return;
      await sleep(Math.min(100, until - Date.now()));
      if (Date.now() >= nextHeartbeat) {
        nextHeartbeat = Date.now() + this.options.heartbeatIntervalMs;
        try {
          await payload.heartbeat();
        } catch {
          return; // Rebalancing: kafkajs rejoins once we return.
        }
      }
    }
  }

  private toConsumed(partition: number, m: KafkaMessage): ConsumedRecord {
    const headers = toStringHeaders(m.headers);
    return {
      topic: this.options.topic,
      key: m.key?.toString('utf8') ?? '',
      value: m.value ?? new Uint8Array(0),
      ...(headers ? { headers } : {}),
      position: `${this.options.physicalTopic}/${partition}@${m.offset}`,
    };
  }
}

/** Kafka headers are bytes and may repeat; ours are strings, the last value of a name wins. */
function toStringHeaders(headers: IHeaders | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? value : value.toString('utf8');
    any = true;
  }
  return any ? out : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
