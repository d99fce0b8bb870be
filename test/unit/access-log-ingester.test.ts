import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import type { BufferRecord } from '../../shared/buffer/buffer.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { AccessLogQuery, AccessLogWriter, RejectedAccessLog } from '../../shared/storage/accesslogstore.js';
import { MemoryAccessLogStore } from '../../shared/storage/memory/memory-accesslog-store.js';
import { createMetrics, type MeshtelMetrics } from '../support/metrics.js';
import { AccessLogIngester } from '../../services/ingester/access-log-ingester.js';
import { DLQ_HEADERS } from '../../services/ingester/dead-letter.js';
import { accessLog } from '../fixtures/access-logs.js';
import { waitUntil } from '../support/poll.js';

const everything: AccessLogQuery = { startTimeMinUs: 0, startTimeMaxUs: Number.MAX_SAFE_INTEGER, kinds: ['http', 'tcp', 'log'], limit: 1000, offset: 0 };

interface Harness {
  buffer: InProcessBuffer;
  store: MemoryAccessLogStore;
  ingester: AccessLogIngester;
  metrics: MeshtelMetrics;
  logLines: Array<Record<string, unknown>>;
}

let running: Harness | undefined;

afterEach(async () => {
  if (running) {
    await running.buffer.stop();
    await running.ingester.stop();
  }
  running = undefined;
});

async function startHarness(writer?: (store: MemoryAccessLogStore) => AccessLogWriter): Promise<Harness> {
  const metrics = createMetrics();
  const logLines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const buffer = new InProcessBuffer({ capacityBytes: 1 << 20, retryBackoffMs: 10, metrics });
  const store = new MemoryAccessLogStore({ maxRecords: 1000 });
  const ingester = new AccessLogIngester({ buffer, writer: writer?.(store) ?? store, logger, metrics, progressLogIntervalMs: 60_000 });
  await buffer.start();
  await ingester.start();
  running = { buffer, store, ingester, metrics, logLines };
  return running;
}

const recordOf = (entries: readonly AccessLogRecord[], key = 'k'): BufferRecord => ({
  topic: 'accesslogs',
  key,
  value: encodeAccessLogsProtobuf(entries),
  headers: { 'meshtel.transport': 'als' },
});


async function storedIds(store: MemoryAccessLogStore): Promise<string[]> {
  return (await store.findAccessLogs(everything)).records.map((r) => r.id).sort();
}

async function deadLettered(metrics: MeshtelMetrics, stage: string): Promise<number> {
  return (await metrics.recordsDeadLettered.get()).values.find((v) => v.labels.stage === stage)?.value ?? 0;
}

describe('AccessLogIngester', () => {
  it('stores every entry of the access-log records it consumes, exactly as encoded', async () => {
    const { buffer, store } = await startHarness();
    const a = accessLog({ requestId: 'r-1', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    const b = accessLog({ kind: 'tcp', responseCode: undefined, method: undefined, path: undefined, protocol: undefined });
    const c = accessLog({ kind: 'log', body: 'hello', severityText: 'INFO' });
    await buffer.publish([recordOf([a, b]), recordOf([c])]);
    await waitUntil('the ingester to settle', async () => store.size === 3);
    const found = (await store.findAccessLogs(everything)).records;
    expect(found.find((r) => r.id === a.id)).toEqual(a);
    expect(found.find((r) => r.id === b.id)).toEqual(b);
    expect(found.find((r) => r.id === c.id)).toEqual(c);
  });

  it('dead-letters an undecodable record with the span ingester headers and stores the rest of the batch', async () => {
    const { buffer, store, metrics } = await startHarness();
    const good = accessLog();
    const poison: BufferRecord = { topic: 'accesslogs', key: 'poison', value: new Uint8Array([0x0a, 0xff, 0xff, 0xff]), headers: { origin: 'test' } };
    await buffer.publish([poison, recordOf([good])]);
    await waitUntil('the ingester to settle', () => store.size === 1 && buffer.deadLetters().length === 1);

    expect(await storedIds(store)).toEqual([good.id]);
    const letter = buffer.deadLetters()[0]!;
    expect(letter.topic).toBe('dlq');
    expect(letter.key).toBe('poison');
    expect(letter.value).toEqual(poison.value);
    expect(letter.headers).toMatchObject({
      origin: 'test',
      [DLQ_HEADERS.stage]: 'decode',
      [DLQ_HEADERS.sourceTopic]: 'accesslogs',
      [DLQ_HEADERS.sourcePosition]: 'accesslogs@0',
    });
    expect(letter.headers?.[DLQ_HEADERS.error]).not.toBe('');
    expect(await deadLettered(metrics, 'decode')).toBe(1);
  });

  it('dead-letters once the buffer record holding an entry the store refuses, with its reason', async () => {
    const refusedIds = new Set<string>();
    const { buffer, store, metrics } = await startHarness((memory) => ({
      async writeAccessLogs(records: readonly AccessLogRecord[]): Promise<RejectedAccessLog[]> {
        const ok = records.filter((r) => !refusedIds.has(r.id));
        await memory.writeAccessLogs(ok);
        return records.filter((r) => refusedIds.has(r.id)).map((record) => ({ record, reason: 'mapper_parsing_exception: bad field' }));
      },
    }));
    const bad1 = accessLog();
    const bad2 = accessLog();
    const fine = accessLog();
    const other = accessLog();
    refusedIds.add(bad1.id).add(bad2.id);
    await buffer.publish([recordOf([bad1, fine, bad2], 'mixed'), recordOf([other], 'other')]);
    await waitUntil('the ingester to settle', () => store.size === 2 && buffer.deadLetters().length === 1);

    expect(await storedIds(store)).toEqual([fine.id, other.id].sort());
    const letter = buffer.deadLetters()[0]!;
    expect(letter.key).toBe('mixed');
    expect(letter.headers?.[DLQ_HEADERS.stage]).toBe('store');
    expect(letter.headers?.[DLQ_HEADERS.error]).toBe(`access log ${bad1.id}: mapper_parsing_exception: bad field`);
    expect(await deadLettered(metrics, 'store')).toBe(1);
  });

  it('lets a failed write be redelivered, storing each entry once', async () => {
    let failuresLeft = 2;
    const { buffer, store } = await startHarness((memory) => ({
      async writeAccessLogs(records: readonly AccessLogRecord[]): Promise<RejectedAccessLog[]> {
        if (failuresLeft-- > 0) throw new Error('store unavailable');
        return memory.writeAccessLogs(records);
      },
    }));
    const entries = [accessLog(), accessLog()];
    await buffer.publish([recordOf(entries)]);
    await buffer.publish([recordOf(entries)]);
    await waitUntil('the ingester to settle', () => failuresLeft < 0 && store.size === 2);
    await buffer.stop();
    expect(await storedIds(store)).toEqual(entries.map((e) => e.id).sort());
    expect(buffer.deadLetters()).toEqual([]);
  });

  it('logs its progress counts when stopped', async () => {
    const { buffer, store, ingester, logLines } = await startHarness();
    await buffer.publish([recordOf([accessLog(), accessLog()]), { topic: 'accesslogs', key: 'x', value: new Uint8Array([0xff]) }]);
    await waitUntil('the ingester to settle', () => store.size === 2 && buffer.deadLetters().length === 1);
    await buffer.stop();
    await ingester.stop();
    running = undefined;
    const progress = logLines.filter((l) => l.msg === 'access-log ingester progress');
    expect(progress.at(-1)).toMatchObject({ accessLogsStored: 2, recordsDeadLettered: 1 });
  });
});
