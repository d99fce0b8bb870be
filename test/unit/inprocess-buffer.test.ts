import { describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError, type BufferRecord, type ConsumedRecord } from '../../shared/buffer/buffer.js';
import { InProcessBuffer } from '../../shared/buffer/inprocess/inprocess-buffer.js';
import { createMetrics } from '../support/metrics.js';

const record = (key: string, bytes = 100): BufferRecord => ({ topic: 'spans', key, value: new Uint8Array(bytes) });

describe('in-process buffer', () => {
  it('refuses a publish that would exceed its capacity, whole, and takes it once space is freed', async () => {
    const buffer = new InProcessBuffer({ capacityBytes: 1000 });
    await buffer.publish([record('a', 500)]);
    await expect(buffer.publish([record('b', 300), record('c', 300)])).rejects.toBeInstanceOf(BufferFullError);
    expect(buffer.stats().bytesHeld).toBeLessThan(1000);
    const seen: string[] = [];
    await buffer.subscribe('spans', async (batch) => {
      seen.push(...batch.map((r) => r.key));
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['a']);
    expect(buffer.stats().bytesHeld).toBe(0);
    await buffer.publish([record('b', 300), record('c', 300)]);
    await buffer.stop();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('keeps every key of a topic together, so a publisher may put several keys in one record', () => {
    const buffer = new InProcessBuffer({ capacityBytes: 1000 });
    expect(['a'.repeat(32), 'b'.repeat(32)].map((key) => buffer.partitionOf('spans', key))).toEqual([0, 0]);
  });

  it('hands a handler at most a sixteenth of its capacity at once (at least one record), in order', async () => {
    const buffer = new InProcessBuffer({ capacityBytes: 32_000 });
    const batches: string[][] = [];
    for (let i = 0; i < 10; i++) await buffer.publish([record(`k${i}`, 400), record(`big${i}`, 1500)]);
    await buffer.subscribe('spans', async (batch) => {
      batches.push(batch.map((r) => r.key));
    });
    await buffer.stop();
    // 2000 bytes a batch: a 400-byte record (465 counted) and the next (1565) reach it together.
    expect(batches.flat()).toEqual(Array.from({ length: 10 }, (_, i) => [`k${i}`, `big${i}`]).flat());
    expect(batches.every((b) => b.length === 2)).toBe(true);
    expect(buffer.stats().bytesHeld).toBe(0);
  });

  it('delivers a batch again when its handler fails, and frees it only after success', async () => {
    const metrics = createMetrics();
    const buffer = new InProcessBuffer({ capacityBytes: 10_000, retryBackoffMs: 5, metrics });
    let attempts = 0;
    const delivered: ConsumedRecord[][] = [];
    await buffer.subscribe('spans', async (batch) => {
      attempts++;
      if (attempts === 1) throw new Error('store down');
      delivered.push([...batch]);
    });
    await buffer.publish([record('t1'), record('t2')]);
    await buffer.stop();
    expect(attempts).toBe(2);
    expect(delivered.flat().map((r) => r.key)).toEqual(['t1', 't2']);
    expect((await metrics.bufferRecordsConsumed.get()).values[0]?.value).toBe(2);
  });

  it('drains what it holds on stop and refuses publishes from then on', async () => {
    const buffer = new InProcessBuffer({ capacityBytes: 1_000_000 });
    const keys: string[] = [];
    await buffer.subscribe('spans', async (batch) => {
      await new Promise((r) => setTimeout(r, 5));
      keys.push(...batch.map((r) => r.key));
    });
    for (let i = 0; i < 50; i++) await buffer.publish([record(`k${i}`)]);
    const stopping = buffer.stop();
    await expect(buffer.publish([record('late')])).rejects.toBeInstanceOf(BufferUnavailableError);
    await stopping;
    expect(keys).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}`));
  });

  it('keeps dead letters apart from the byte bound, newest last', async () => {
    const buffer = new InProcessBuffer({ capacityBytes: 200 });
    await buffer.publish([{ topic: 'dlq', key: 'bad', value: new Uint8Array(10_000), headers: { why: 'x' } }]);
    expect(buffer.stats().bytesHeld).toBe(0);
    expect(buffer.deadLetters().map((r) => r.key)).toEqual(['bad']);
  });

  it('keeps only the newest dead letters, by count and by bytes, and always the newest one', async () => {
    const letter = (key: string, bytes: number): BufferRecord => ({ topic: 'dlq', key, value: new Uint8Array(bytes), headers: { why: 'x' } });
    const byCount = new InProcessBuffer({ capacityBytes: 200 });
    for (let i = 0; i < 1005; i++) await byCount.publish([letter(`c${i}`, 10)]);
    expect(byCount.deadLetters().map((r) => r.key)).toEqual(Array.from({ length: 1000 }, (_, i) => `c${i + 5}`));

    const MiB = 1024 * 1024;
    const byBytes = new InProcessBuffer({ capacityBytes: 200 });
    await byBytes.publish([letter('a', 6 * MiB), letter('b', 6 * MiB)]);
    await byBytes.publish([letter('c', 6 * MiB)]);
    expect(byBytes.deadLetters().map((r) => r.key)).toEqual(['b', 'c']);
    await byBytes.publish([letter('huge', 40 * MiB)]);
    expect(byBytes.deadLetters().map((r) => r.key)).toEqual(['huge']);
    await byBytes.publish([letter('d', 1)]);
    expect(byBytes.deadLetters().map((r) => r.key)).toEqual(['d']);
  });
});
