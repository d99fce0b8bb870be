/**
 * The TelemetryBuffer contract (shared/buffer/buffer.ts) as one suite every implementation
 * runs: `describeBufferContract('kafka', () => new KafkaBuffer(...))`. It uses nothing but the
 * interface, so an implementation passes it or breaks a promise some caller relies on.
 *
 * `makeBuffer` returns a new, unstarted buffer that shares no records with earlier ones (for
 * Kafka: a fresh topic prefix and consumer group). The suite starts and stops it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  BufferUnavailableError,
  isRetryableBufferError,
  type BatchHandler,
  type BufferRecord,
  type BufferTopic,
  type ConsumedRecord,
  type TelemetryBuffer,
} from '../../shared/buffer/buffer.js';
import { waitUntil } from './poll.js';

export interface BufferContractOptions {
  /** Longest a published record may take to reach a subscriber (Kafka: group join included). */
  readonly deliveryTimeoutMs?: number;
}

export type BufferFactory = () => TelemetryBuffer | Promise<TelemetryBuffer>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A record whose value names it, so deliveries can be matched to what was published. */
export function testRecord(topic: BufferTopic, key: string, value: string, headers?: Record<string, string>): BufferRecord {
  return { topic, key, value: encoder.encode(value), ...(headers ? { headers } : {}) };
}

export function valueOf(r: { readonly value: Uint8Array }): string {
  return decoder.decode(r.value);
}


/** Collects what a subscription delivers; `fail` decides per call whether the handler rejects. */
export class RecordSink {
  readonly batches: ConsumedRecord[][] = [];
  readonly failedBatches: ConsumedRecord[][] = [];
  calls = 0;

  constructor(private readonly fail: (call: number, batch: readonly ConsumedRecord[]) => boolean = () => false) {}

  readonly handler: BatchHandler = async (batch) => {
    this.calls++;
    if (this.fail(this.calls, batch)) {
      this.failedBatches.push([...batch]);
      throw new Error(`handler refuses call ${this.calls}`);
    }
    this.batches.push([...batch]);
  };

  /** Records of every batch whose handler resolved, in delivery order (redeliveries included). */
  get records(): ConsumedRecord[] {
    return this.batches.flat();
  }

  values(): Set<string> {
    return new Set(this.records.map(valueOf));
  }

  async waitForValues(expected: Iterable<string>, timeoutMs: number): Promise<void> {
    const want = [...expected];
    await waitUntil(
      `${want.length} records (have ${this.values().size})`,
      () => {
        const have = this.values();
        return want.every((v) => have.has(v));
      },
      timeoutMs,
    );
  }
}

export function describeBufferContract(name: string, makeBuffer: BufferFactory, options: BufferContractOptions = {}): void {
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 30_000;

  describe(`TelemetryBuffer contract: ${name}`, () => {
    const running: TelemetryBuffer[] = [];

    async function started(): Promise<TelemetryBuffer> {
      const buffer = await makeBuffer();
      await buffer.start();
      running.push(buffer);
      return buffer;
    }

    afterEach(async () => {
      await Promise.all(running.splice(0).map((b) => b.stop()));
    });

    it('delivers every published record with its topic, key, value and headers', async () => {
      const buffer = await started();
      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      const published = [
        testRecord('spans', 'trace-a', 'v1', { 'meshtel-source': 'otlp_http', tenant: 'blue' }),
        testRecord('spans', 'trace-b', 'v2'),
      ];
      await buffer.publish(published);
      await sink.waitForValues(['v1', 'v2'], deliveryTimeoutMs);

      const v1 = sink.records.find((r) => valueOf(r) === 'v1');
      expect(v1).toMatchObject({ topic: 'spans', key: 'trace-a', headers: { 'meshtel-source': 'otlp_http', tenant: 'blue' } });
      const v2 = sink.records.find((r) => valueOf(r) === 'v2');
      expect(v2).toMatchObject({ topic: 'spans', key: 'trace-b' });
      expect(v1?.position).toBeTruthy();
      expect(v2?.position).toBeTruthy();
      expect(v1?.position).not.toBe(v2?.position);
    });

    it('delivers records published before anyone subscribed', async () => {
      const buffer = await started();
      await buffer.publish([testRecord('spans', 'k', 'early-1'), testRecord('spans', 'k', 'early-2')]);
      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      await sink.waitForValues(['early-1', 'early-2'], deliveryTimeoutMs);
    });

    it('keeps topics apart: a subscriber sees only its own topic', async () => {
      const buffer = await started();
      const spans = new RecordSink();
      const logs = new RecordSink();
      await buffer.subscribe('spans', spans.handler);
      await buffer.subscribe('accesslogs', logs.handler);
      await buffer.publish([testRecord('spans', 'k', 'span-1'), testRecord('accesslogs', 'k', 'log-1'), testRecord('spans', 'k', 'span-2')]);
      await spans.waitForValues(['span-1', 'span-2'], deliveryTimeoutMs);
      await logs.waitForValues(['log-1'], deliveryTimeoutMs);
      expect([...spans.values()].sort()).toEqual(['span-1', 'span-2']);
      expect([...logs.values()]).toEqual(['log-1']);
      expect(logs.records.every((r) => r.topic === 'accesslogs')).toBe(true);
    });

    it('keeps the publish order of records with the same key', async () => {
      const buffer = await started();
      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      const keys = ['trace-1', 'trace-2', 'trace-3', 'trace-4'];
      const expected = new Map<string, string[]>(keys.map((k) => [k, []]));
      for (let call = 0; call < 20; call++) {
        const records = Array.from({ length: 8 }, (_, i) => {
          const key = keys[(call + i) % keys.length];
          const value = `${key}#${call * 8 + i}`;
          expected.get(key)?.push(value);
          return testRecord('spans', key, value);
        });
        await buffer.publish(records);
      }
      await sink.waitForValues([...expected.values()].flat(), deliveryTimeoutMs);

      for (const key of keys) {
        // First deliveries only: at-least-once allows a record to come again later.
        const seen = [...new Set(sink.records.filter((r) => r.key === key).map(valueOf))];
        expect(seen).toEqual(expected.get(key));
      }
    });

    it('delivers packable records, merged or not, each value once in per-key publish order', async () => {
      const buffer = await started();
      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      const keys = ['trace-p1', 'trace-p2', 'trace-p3', 'trace-p4', 'trace-p5'];
      const expected = new Map<string, string[]>(keys.map((k) => [k, []]));
      for (let call = 0; call < 4; call++) {
        // Values end with ';' so that merged values (concatenated, see the contract) split back.
        const records = Array.from({ length: 25 }, (_, i) => {
          const key = keys[(call * 3 + i) % keys.length];
          const value = `${key}#${call * 25 + i}`;
          expected.get(key)?.push(value);
          return { ...testRecord('spans', key, `${value};`), packable: true };
        });
        await buffer.publish(records);
      }
      const all = [...expected.values()].flat();
      const parts = () => sink.records.map((r) => ({ key: r.key, values: valueOf(r).split(';').slice(0, -1) }));
      await waitUntil('every packed value', () => new Set(parts().flatMap((p) => p.values)).size >= all.length, deliveryTimeoutMs);

      const seen = new Map<string, string[]>(keys.map((k) => [k, []]));
      for (const { values } of parts()) for (const v of values) seen.get(v.split('#')[0])?.push(v);
      // First deliveries only: at-least-once allows a record to come again later.
      for (const key of keys) expect([...new Set(seen.get(key))]).toEqual(expected.get(key));
      // A merged record carries the key of one of the records it holds.
      for (const { key, values } of parts()) expect(values.map((v) => v.split('#')[0])).toContain(key);
    });

    it('delivers a batch again when its handler rejects, and loses nothing after it', async () => {
      const buffer = await started();
      const sink = new RecordSink((call) => call === 1);
      await buffer.subscribe('spans', sink.handler);
      const values = Array.from({ length: 10 }, (_, i) => `retry-${i}`);
      await buffer.publish(values.map((v) => testRecord('spans', 'trace-r', v)));
      await sink.waitForValues(values, deliveryTimeoutMs);

      expect(sink.failedBatches).toHaveLength(1);
      const refused = sink.failedBatches[0].map(valueOf);
      expect(refused.length).toBeGreaterThan(0);
      const delivered = sink.values();
      for (const v of refused) expect(delivered.has(v)).toBe(true);
      // Redelivered in the original order, too.
      const firstDelivery = [...new Set(sink.records.map(valueOf))];
      expect(firstDelivery).toEqual(values);
    });

    it('resolves an empty publish without delivering anything', async () => {
      const buffer = await started();
      const sink = new RecordSink();
      await buffer.subscribe('spans', sink.handler);
      await buffer.publish([]);
      await buffer.publish([testRecord('spans', 'k', 'after-empty')]);
      await sink.waitForValues(['after-empty'], deliveryTimeoutMs);
      expect(sink.records.map(valueOf)).toEqual(['after-empty']);
    });

    it('is ready when started, reports its capacity, and is not ready once stopped', async () => {
      const buffer = await started();
      expect(await buffer.isReady()).toBe(true);
      const stats = buffer.stats();
      expect(stats.capacityBytes).toBeGreaterThan(0);
      expect(stats.bytesHeld).toBeGreaterThanOrEqual(0);
      await buffer.stop();
      expect(await buffer.isReady()).toBe(false);
    });

    it('on stop, lets the batch in hand finish and then refuses publishes with a retryable error', async () => {
      const buffer = await started();
      let handlerStarted = false;
      let handlerFinished = false;
      const sink = new RecordSink();
      await buffer.subscribe('spans', async (batch) => {
        handlerStarted = true;
        await new Promise((r) => setTimeout(r, 500));
        await sink.handler(batch);
        handlerFinished = true;
      });
      await buffer.publish([testRecord('spans', 'k', 'in-hand')]);
      await waitUntil('the handler to start', () => handlerStarted, deliveryTimeoutMs);

      await buffer.stop();
      expect(handlerFinished).toBe(true);
      expect(sink.values().has('in-hand')).toBe(true);
      const refusal = await buffer.publish([testRecord('spans', 'k', 'too-late')]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refusal).toBeInstanceOf(BufferUnavailableError);
      expect(isRetryableBufferError(refusal)).toBe(true);
    });
  });
}
