/**
 * Publishes the consumer group's lag per partition (meshtel_kafka_consumer_lag): the partition's
 * high watermark minus the group's committed offset. Read from the broker on a timer rather
 * than from fetched batches, so a consumer that is stuck (a failing store) or gone shows its lag
 * growing instead of its last value frozen.
 */
import type { Gauge } from 'prom-client';
import type { BufferTopic } from '../buffer.js';
import type { Logger } from '../../telemetry/logger.js';
import type { AdminSession } from './admin-session.js';

export interface LagMonitorOptions {
  readonly admin: AdminSession;
  readonly groupId: string;
  /** Kafka topic name → logical topic, of the topics this process subscribed to. */
  readonly topics: () => ReadonlyMap<string, BufferTopic>;
  readonly gauge: Gauge<'topic' | 'partition'>;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export class LagMonitor {
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly options: LagMonitorOptions) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => {
        this.polling = null;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** One reading of every subscribed topic's lag; failures are logged and skipped. */
  async poll(): Promise<void> {
    const topics = this.options.topics();
    if (topics.size === 0) return;
    try {
      const names = [...topics.keys()];
      const { committed, ends } = await this.options.admin.use(
        async (admin) => ({
          committed: await admin.fetchOffsets({ groupId: this.options.groupId, topics: names }),
          ends: await Promise.all(names.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
        }),
        this.options.timeoutMs,
      );
      const committedBy = new Map<string, bigint>();
      for (const t of committed) for (const p of t.partitions) committedBy.set(`${t.topic}/${p.partition}`, BigInt(p.offset));
      for (const { topic, partitions } of ends) {
        for (const p of partitions) {
          const done = committedBy.get(`${topic}/${p.partition}`) ?? -1n;
          // No commit yet: the group will start at the earliest retained offset.
          const from = done >= 0n ? done : BigInt(p.low);
          const lag = BigInt(p.high) - from;
          this.options.gauge.set({ topic: topics.get(topic), partition: String(p.partition) }, Number(lag > 0n ? lag : 0n));
        }
      }
    } catch (err) {
      this.options.logger.debug({ err }, 'reading consumer lag failed');
    }
  }
}
