/**
 * Dead-letter listing and replay on the real Kafka and Redis, with a topic prefix and a Redis key
 * prefix of this run only: listings select by stage, error and time; a replay puts each selected
 * record back on its source topic exactly once, even with two replays running at once and a third
 * after them.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../shared/buffer/dead-letter-headers.js';
import { createLogger } from '../../shared/telemetry/logger.js';
import { runCommand } from '../../services/jobs/commands.js';
import { DeadLetterQueue, REPLAYED_FROM_HEADER } from '../../services/jobs/dead-letter-replay.js';
import { deleteRedisKeys } from '../support/redis.js';
import { ensureServers, KAFKA_BROKERS, REDIS_URL } from '../support/servers.js';

const run = randomBytes(4).toString('hex');
const topicPrefix = `mt-test-dlq-${run}`;
const redisPrefix = `mt-test-dlq-${run}`;
const kafka = new Kafka({ clientId: 'meshtel-test', brokers: [KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const logger = createLogger('silent');
const HOUR = 3_600_000;
const now = Date.now();

interface Letter {
  value: string;
  stage: string;
  error: string;
  source: string;
  atMs: number;
}

const letters: Letter[] = [
  { value: 'span-a', stage: 'store', error: 'mapper_parsing_exception: failed to parse field [x]', source: 'spans', atMs: now - 3 * HOUR },
  { value: 'span-b', stage: 'store', error: 'mapper_parsing_exception: failed to parse field [y]', source: 'spans', atMs: now - 2 * HOUR },
  { value: 'span-c', stage: 'decode', error: 'invalid wire type 7', source: 'spans', atMs: now - HOUR },
  { value: 'log-a', stage: 'store', error: 'mapper_parsing_exception: failed to parse field [z]', source: 'accesslogs', atMs: now - HOUR },
  { value: 'log-b', stage: 'store', error: 'document too large', source: 'accesslogs', atMs: now - 30 * 60_000 },
];

const dlq = (redis?: Redis) =>
  new DeadLetterQueue({ brokers: [KAFKA_BROKERS], clientId: `meshtel-test-${run}`, topicPrefix, redisPrefix, ratePerSecond: 50, logger, ...(redis ? { redis } : {}) });

/** Every record of a topic (from its start to its current end): value and headers. */
async function readTopic(admin: Admin, topic: string): Promise<Array<{ value: string; headers: Record<string, string> }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  if (total === 0) return [];
  const consumer = kafka.consumer({ groupId: `mt-test-read-${run}-${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 200 });
  const out: Array<{ value: string; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        out.push({ value: message.value?.toString() ?? '', headers });
        if (out.length >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

describe('dead-letter replay', () => {
  let admin: Admin;
  const redises: Redis[] = [];
  const redis = () => {
    const r = new Redis(REDIS_URL);
    redises.push(r);
    return r;
  };

  beforeAll(async () => {
    await ensureServers(['kafka', 'redis']);
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: ['dlq', 'spans', 'accesslogs'].map((t) => ({ topic: `${topicPrefix}.${t}`, numPartitions: 2, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: `${topicPrefix}.dlq`,
      messages: letters.map((l, i) => ({
        key: `key-${i}`,
        value: l.value,
        timestamp: String(l.atMs),
        headers: {
          'x-original': `orig-${i}`,
          [DLQ_HEADERS.stage]: l.stage,
          [DLQ_HEADERS.error]: l.error,
          [DLQ_HEADERS.sourceTopic]: l.source,
          [DLQ_HEADERS.sourcePosition]: `${topicPrefix}.${l.source}/0@${i}`,
        },
      })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    for (const r of redises) r.disconnect();
    await deleteRedisKeys(`${redisPrefix}:*`);
    if (admin) {
      await admin.deleteTopics({ topics: ['dlq', 'spans', 'accesslogs'].map((t) => `${topicPrefix}.${t}`) }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('lists dead letters by stage, error text and time', async () => {
    const all = await dlq().list();
    expect(all.map((r) => r.value?.toString()).sort()).toEqual(letters.map((l) => l.value).sort());
    const mapping = await dlq().list({ stages: ['store'], errorContains: 'MAPPER_PARSING' });
    expect(mapping.map((r) => r.value?.toString()).sort()).toEqual(['log-a', 'span-a', 'span-b']);
    const recent = await dlq().list({ fromMs: now - 90 * 60_000 });
    expect(recent.map((r) => r.value?.toString()).sort()).toEqual(['log-a', 'log-b', 'span-c']);
    expect(recent.find((r) => r.value?.toString() === 'span-c')).toMatchObject({ stage: 'decode', error: 'invalid wire type 7', sourceTopic: 'spans' });
  });

  it('replays a selection once across concurrent and later runs, to the source topics, without dead-letter headers', async () => {
    const selection = { stages: ['store'], errorContains: 'mapper_parsing' };
    const dry = await dlq(redis()).replay(selection, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, matched: 3, replayed: 3, alreadyReplayed: 0 });
    expect(await readTopic(admin, `${topicPrefix}.spans`)).toEqual([]);

    const [a, b] = await Promise.all([dlq(redis()).replay(selection), dlq(redis()).replay(selection)]);
    expect(a.replayed + b.replayed).toBe(3);
    expect(a.alreadyReplayed + b.alreadyReplayed).toBe(3);
    const third = await dlq(redis()).replay(selection);
    expect(third).toMatchObject({ matched: 3, replayed: 0, alreadyReplayed: 3 });

    const spans = await readTopic(admin, `${topicPrefix}.spans`);
    const logs = await readTopic(admin, `${topicPrefix}.accesslogs`);
    expect(spans.map((r) => r.value).sort()).toEqual(['span-a', 'span-b']);
    expect(logs.map((r) => r.value)).toEqual(['log-a']);
    for (const r of [...spans, ...logs]) {
      expect(r.headers[REPLAYED_FROM_HEADER]).toMatch(new RegExp(`^${topicPrefix}\\.dlq/\\d+@\\d+$`));
      expect(r.headers['x-original']).toMatch(/^orig-\d$/);
      expect(Object.keys(r.headers).filter((h) => h.startsWith('meshtel.dlq.'))).toEqual([]);
    }
    // What was not selected is still replayable later.
    expect(await dlq(redis()).replay({}, { dryRun: true })).toMatchObject({ matched: 5, replayed: 2, alreadyReplayed: 3 });
  });

  it('`meshtel dlq list` prints one JSON line per selected record and `dlq replay --dry-run` one summary line', async () => {
    const env = { MESHTEL_KAFKA_BROKERS: KAFKA_BROKERS, MESHTEL_KAFKA_TOPIC_PREFIX: topicPrefix, MESHTEL_REDIS_URL: REDIS_URL, MESHTEL_REDIS_PREFIX: redisPrefix, MESHTEL_LOG_LEVEL: 'warn' };
    const lines: string[] = [];
    expect(await runCommand(['dlq', 'list'], new Map([['--stage', 'decode']]), (l) => lines.push(l), env)).toBe(0);
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ stage: 'decode', error: 'invalid wire type 7', sourceTopic: 'spans', valueBytes: 'span-c'.length, time: new Date(now - HOUR).toISOString() }),
    ]);
    const summary: string[] = [];
    expect(await runCommand(['dlq', 'replay'], new Map([['--stage', 'decode'], ['--dry-run', '']]), (l) => summary.push(l), env)).toBe(0);
    expect(summary).toHaveLength(1);
    expect(JSON.parse(summary[0]!)).toMatchObject({ job: 'dlq-replay', dryRun: true, matched: 1, replayed: 1, alreadyReplayed: 0 });
    expect(await runCommand(['dlq', 'list'], new Map([['--from', 'last tuesday']]), () => undefined, env)).toBe(2);
  });
});
