/**
 * Dead-letter listing and replay over `<prefix>.dlq`. A listing reads the topic from its start to
 * the end it had when the listing began (a throw-away consumer group, nothing committed). A replay
 * produces the selected records back to their source topic — value, key and the original headers,
 * without the dead-letter ones — at most `ratePerSecond` a second. Each record is claimed in a
 * Redis set (`<redis prefix>:dlq:replayed:<topic>`, member `<partition>@<offset>`) before it is
 * produced: SADD is atomic, so two replays running at once or one after the other never replay a
 * record twice. A produce that fails releases its claim, so a later run tries the record again.
 *
 * A dead letter from Kafka may be several traces (or access-log keys) packed into one record by the
 * collector (shared/buffer/kafka/record-packer.ts); its key maps to the partition of all of them, so
 * producing it back by key (kafkajs's default partitioner, Kafka's murmur2) keeps them together.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, type IHeaders, type KafkaMessage } from 'kafkajs';
import type { Redis } from 'ioredis';
import { DLQ_HEADERS } from '../../shared/buffer/dead-letter-headers.js';
import { kafkajsLogCreator, kafkajsLogLevel } from '../../shared/buffer/kafka/kafkajs-logger.js';
import type { Logger } from '../../shared/telemetry/logger.js';

export interface DeadLetterRecord {
  readonly partition: number;
  readonly offset: string;
  /** `<partition>@<offset>` in the dead-letter topic: what the replay record holds. */
  readonly position: string;
  readonly timestampMs: number;
  readonly stage: string;
  readonly error: string;
  readonly sourceTopic: string;
  readonly sourcePosition: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface DeadLetterFilter {
  /** Any of these stages; empty or absent = every stage. */
  readonly stages?: readonly string[];
  /** The error text contains this (case-insensitive). */
  readonly errorContains?: string;
  readonly sourceTopic?: string;
  /** Dead-lettered within [fromMs, toMs). */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** At most this many records (the oldest first, per partition order). */
  readonly limit?: number;
}

export interface DeadLetterQueueOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Kafka topic prefix: the dead letters are `<prefix>.dlq`, replays go to `<prefix>.<source topic>`. */
  readonly topicPrefix: string;
  /** Needed by replay (the record of what was replayed); list works without. */
  readonly redis?: Redis;
  readonly redisPrefix: string;
  readonly ratePerSecond: number;
  readonly logger: Logger;
}

export interface ReplayResult {
  readonly job: 'dlq-replay';
  readonly dryRun: boolean;
  /** Records matching the filter. */
  readonly matched: number;
  /** Produced back by this run (in a dry run: would be). */
  readonly replayed: number;
  /** Matched but replayed before (by this or another run). */
  readonly alreadyReplayed: number;
  /** Matched but left alone: no source topic meshtel replays into (see REPLAYABLE_TOPICS). */
  readonly unreplayable: number;
  /** Replayed records per source topic. */
  readonly byTopic: Record<string, number>;
}

/** Logical topics a dead letter may go back to; never the dead-letter topic itself. */
export const REPLAYABLE_TOPICS: readonly string[] = ['spans', 'accesslogs', 'metrics'];

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));
/** Header a replayed record carries: where in the dead-letter topic it came from. */
export const REPLAYED_FROM_HEADER = 'meshtel.replayed_from';

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (last !== undefined) out[name] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}

export function matchesFilter(r: DeadLetterRecord, f: DeadLetterFilter): boolean {
  if (f.stages && f.stages.length > 0 && !f.stages.includes(r.stage)) return false;
  if (f.errorContains && !r.error.toLowerCase().includes(f.errorContains.toLowerCase())) return false;
  if (f.sourceTopic && r.sourceTopic !== f.sourceTopic) return false;
  if (f.fromMs !== undefined && r.timestampMs < f.fromMs) return false;
  if (f.toMs !== undefined && r.timestampMs >= f.toMs) return false;
  return true;
}

export class DeadLetterQueue {
  private readonly kafka: Kafka;
  readonly topic: string;

  constructor(private readonly options: DeadLetterQueueOptions) {
    if (!Number.isFinite(options.ratePerSecond) || options.ratePerSecond <= 0) throw new RangeError(`ratePerSecond must be positive, got ${options.ratePerSecond}`);
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: kafkajsLogLevel(options.logger),
      logCreator: kafkajsLogCreator(options.logger),
    });
    this.topic = `${options.topicPrefix}.dlq`;
  }

  /** The Redis set holding the positions already replayed. */
  get replayedKey(): string {
    return `${this.options.redisPrefix}:dlq:replayed:${this.topic}`;
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterRecord[]> {
    const out: DeadLetterRecord[] = [];
    await this.scan((r) => {
      if (!matchesFilter(r, filter)) return true;
      out.push(r);
      return filter.limit === undefined || out.length < filter.limit;
    });
    return out;
  }

  async replay(filter: DeadLetterFilter = {}, request: { dryRun?: boolean } = {}): Promise<ReplayResult> {
    const redis = this.options.redis;
    if (!redis) throw new Error('dead-letter replay needs Redis (MESHTEL_REDIS_URL) to record what it replayed');
    const dryRun = request.dryRun === true;
    const selected = await this.list(filter);
    let replayed = 0;
    let alreadyReplayed = 0;
    let unreplayable = 0;
    const byTopic: Record<string, number> = {};
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    if (!dryRun) await producer.connect();
    const started = Date.now();
    try {
      for (const r of selected) {
        if (!REPLAYABLE_TOPICS.includes(r.sourceTopic)) {
          unreplayable++;
          continue;
        }
        if (dryRun) {
          if (await redis.sismember(this.replayedKey, r.position)) alreadyReplayed++;
          else replayed++;
          continue;
        }
        // Claim first: whoever adds the member replays the record; everyone else skips it.
        if ((await redis.sadd(this.replayedKey, r.position)) === 0) {
          alreadyReplayed++;
          continue;
        }
        // Rate limit: record n goes out no earlier than n / rate seconds after the first.
        const due = started + (replayed * 1000) / this.options.ratePerSecond;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const target = `${this.options.topicPrefix}.${r.sourceTopic}`;
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(r.headers)) if (!DLQ_HEADER_NAMES.has(name)) headers[name] = value;
        headers[REPLAYED_FROM_HEADER] = `${this.topic}/${r.position}`;
        try {
          await producer.send({ topic: target, acks: -1, messages: [{ key: r.key, value: r.value, headers }] });
        } catch (err) {
          await redis.srem(this.replayedKey, r.position);
          throw err;
        }
        replayed++;
        byTopic[r.sourceTopic] = (byTopic[r.sourceTopic] ?? 0) + 1;
      }
    } finally {
      if (!dryRun) await producer.disconnect();
    }
    return { job: 'dlq-replay', dryRun, matched: selected.length, replayed, alreadyReplayed, unreplayable, byTopic };
  }

  /**
   * Reads every partition from its start to its end as of now; `visit` returns false to stop early.
   * A missing topic (nothing was ever dead-lettered) reads as empty.
   */
  private async scan(visit: (r: DeadLetterRecord) => boolean): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(this.topic)) return;
      const offsets = await admin.fetchTopicOffsets(this.topic);
      ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) return;
    const groupId = `${this.options.clientId}-dlq-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    const remaining = new Set(ends.keys());
    let stopEarly = false;
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const finishIfDone = () => {
          if (remaining.size === 0 || stopEarly) resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const end = ends.get(batch.partition);
              if (end === undefined || stopEarly) return;
              for (const m of batch.messages) {
                if (BigInt(m.offset) >= end) break;
                if (!visit(this.toRecord(batch.partition, m))) {
                  stopEarly = true;
                  break;
                }
              }
              const last = batch.messages.at(-1);
              if (last && BigInt(last.offset) + 1n >= end) remaining.delete(batch.partition);
              finishIfDone();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      // The group only ever read; nothing is left behind for the broker to keep.
      const admin2 = this.kafka.admin();
      await admin2.connect();
      await admin2.deleteGroups([groupId]).catch(() => undefined);
      await admin2.disconnect();
    }
  }

  private toRecord(partition: number, m: KafkaMessage): DeadLetterRecord {
    const headers = stringHeaders(m.headers);
    return {
      partition,
      offset: m.offset,
      position: `${partition}@${m.offset}`,
      timestampMs: Number(m.timestamp),
      stage: headers[DLQ_HEADERS.stage] ?? '',
      error: headers[DLQ_HEADERS.error] ?? '',
      sourceTopic: headers[DLQ_HEADERS.sourceTopic] ?? '',
      sourcePosition: headers[DLQ_HEADERS.sourcePosition] ?? '',
      key: m.key,
      value: m.value,
      headers,
    };
  }
}
