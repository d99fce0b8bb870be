import { randomBytes } from 'node:crypto';
import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { BufferRecord, BufferTopic } from '../../shared/buffer/buffer.js';
import { partitionOfKey } from '../../shared/buffer/kafka/murmur2.js';
import { packRecords, type PackOptions } from '../../shared/buffer/kafka/record-packer.js';
import { decodeAccessLogsProtobuf } from '../../shared/accesslog/otlp-codec.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { recordsPerTrace } from '../../services/collector/intake/trace-intake.js';
import { recordsPerKey } from '../../services/collector/intake/access-log-intake.js';
import { accessLog } from '../fixtures/access-logs.js';
import { span, traceIdOf } from '../fixtures/spans.js';

/** The partition kafkajs's default partitioner (Kafka's Java one) gives a key. */
function kafkajsPartitionOf(key: string, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }) as PartitionMetadata);
  return partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A packable record whose value is `text;`, so concatenated values split back into records. */
function textRecord(key: string, text: string, extra: Partial<BufferRecord> = {}): BufferRecord {
  return { topic: 'spans', key, value: encoder.encode(`${text};`), packable: true, ...extra };
}

function textsOf(m: Message): string[] {
  return decoder.decode(m.value as Buffer).split(';').slice(0, -1);
}

function packed(records: readonly BufferRecord[], partitions: number | undefined, maxRecordBytes = 1 << 20, topic: BufferTopic = 'spans'): Message[] {
  const options: PackOptions = { partitionsOf: () => partitions, maxRecordBytes };
  return packRecords(records, options).get(topic) ?? [];
}

describe('Kafka partition of a key', () => {
  it('is the partition kafkajs and the Java client pick (murmur2), for any key and partition count', () => {
    const keys = [
      '', 'a', 'ab', 'abc', 'abcd', 'trace-1', 'reviews-v1', 'shop/checkout|checkout-7d9f-abc', 'ünïcödé ✓ 𝄞',
      'x'.repeat(200), 'é'.repeat(120),
      ...Array.from({ length: 300 }, () => randomBytes(16).toString('hex')),
      ...Array.from({ length: 50 }, (_, i) => randomBytes(i).toString('latin1')),
    ];
    for (const partitions of [1, 3, 6, 7, 32]) {
      for (const key of keys) expect(partitionOfKey(key, partitions), `${JSON.stringify(key)} of ${partitions}`).toBe(kafkajsPartitionOf(key, partitions));
    }
  });
});

describe('Kafka record packing', () => {
  const traceIds = Array.from({ length: 40 }, () => randomBytes(16).toString('hex'));
  const spans = traceIds.flatMap((traceId, i) => Array.from({ length: 1 + (i % 5) }, (_, j) => span({ traceId, name: `op-${i}-${j}` })));

  it('puts every trace in a record of the partition its trace id maps to, and loses no span', () => {
    const messages = packed(recordsPerTrace(spans), 3);
    expect(messages.length).toBeLessThanOrEqual(3);
    const decoded = [];
    for (const m of messages) {
      expect(m.partition).toBe(partitionOfKey(String(m.key), 3));
      const inRecord = decodeTracesProtobuf(m.value as Buffer);
      for (const s of inRecord) expect(partitionOfKey(s.traceId, 3)).toBe(m.partition);
      decoded.push(...inRecord);
    }
    expect(decoded).toHaveLength(spans.length);
    expect(new Set(decoded.map((s) => s.spanId))).toEqual(new Set(spans.map((s) => s.spanId)));
  });

  it('keeps each record under the cap, and sends a record larger than the cap alone and whole', () => {
    const records = recordsPerTrace(spans);
    const cap = Math.max(...records.map((r) => r.value.byteLength)) * 3;
    const big = textRecord(traceIds[0], 'b'.repeat(cap * 2));
    const messages = packed([...records, big, ...records], 3, cap);
    expect(messages.length).toBeGreaterThan(3);
    const oversized = messages.filter((m) => (m.value as Buffer).byteLength > cap);
    expect(oversized).toHaveLength(1);
    expect(Buffer.compare(oversized[0].value as Buffer, Buffer.from(big.value))).toBe(0);
    // Nothing lost around it: every span twice.
    const decodedIds = messages.filter((m) => m !== oversized[0]).flatMap((m) => decodeTracesProtobuf(m.value as Buffer).map((s) => s.spanId));
    expect(decodedIds).toHaveLength(spans.length * 2);
  });

  it('keeps publish order per key, also around records that may not be packed', () => {
    const keys = ['trace-1', 'trace-2', 'trace-3', 'trace-4', 'trace-5'];
    const records: BufferRecord[] = [];
    const expected = new Map<string, string[]>(keys.map((k) => [k, []]));
    for (let i = 0; i < 60; i++) {
      const key = keys[(i * 7) % keys.length];
      const text = `${key}#${i}`;
      expected.get(key)?.push(text);
      // Every fifth record is not packable, one has headers: both travel alone.
      const extra: Partial<BufferRecord> = i % 5 === 0 ? { packable: false } : i === 13 ? { headers: { h: 'x' } } : {};
      records.push(textRecord(key, text, extra));
    }
    const messages = packed(records, 2, 64);
    expect(messages.length).toBeLessThan(records.length);
    const seen = new Map<string, string[]>(keys.map((k) => [k, []]));
    for (const m of messages) for (const text of textsOf(m)) seen.get(text.split('#')[0])?.push(text);
    expect(seen).toEqual(expected);
    // The key of a record maps to its partition, and so do the keys of all it holds.
    for (const m of messages) {
      expect(m.partition).toBe(partitionOfKey(String(m.key), 2));
      for (const text of textsOf(m)) expect(partitionOfKey(text.split('#')[0], 2)).toBe(m.partition);
    }
    const withHeaders = messages.filter((m) => m.headers !== undefined);
    expect(withHeaders.map(textsOf)).toEqual([['trace-2#13']]);
    expect(withHeaders[0].headers).toEqual({ h: 'x' });
  });

  it('sends records as they are, partitioned by kafkajs, while the partition count is unknown', () => {
    const records = [textRecord('a', '1'), textRecord('b', '2'), textRecord('a', '3')];
    const messages = packed(records, undefined);
    expect(messages.map((m) => [m.key, textsOf(m), m.partition])).toEqual([
      ['a', ['1'], undefined],
      ['b', ['2'], undefined],
      ['a', ['3'], undefined],
    ]);
  });

  it('packs only within a topic', () => {
    const records = [textRecord('k', 's1'), { ...textRecord('k', 'l1'), topic: 'accesslogs' as const }, textRecord('k', 's2')];
    const out = packRecords(records, { partitionsOf: () => 1, maxRecordBytes: 1024 });
    expect(out.get('spans')?.map(textsOf)).toEqual([['s1', 's2']]);
    expect(out.get('accesslogs')?.map(textsOf)).toEqual([['l1']]);
  });

  it('packs access-log requests into one that decodes to all of their entries', () => {
    const logs = Array.from({ length: 12 }, (_, i) => accessLog({ traceId: traceIdOf(i + 1) }));
    const messages = packed(recordsPerKey(logs), 1, 1 << 20, 'accesslogs');
    expect(messages).toHaveLength(1);
    expect(decodeAccessLogsProtobuf(messages[0].value as Buffer).map((r) => r.id)).toEqual(logs.map((r) => r.id));
  });

  it('does not copy a record that travels alone', () => {
    const record = textRecord('k', 'alone');
    const [m] = packed([record], 4);
    expect((m.value as Buffer).buffer).toBe(record.value.buffer);
  });
});
