import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConsumedRecord, TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import type { RejectedSpan, SpanWriter } from '../../shared/storage/spanstore.js';
import { createMetrics } from '../support/metrics.js';
import { recordsPerTrace } from '../../services/collector/intake/trace-intake.js';
import { DLQ_HEADERS, SpanIngester } from '../../services/ingester/span-ingester.js';
import { RecordingBuffer } from '../support/recording-buffer.js';
import { span, traceIdOf } from '../fixtures/spans.js';

/** A writer that keeps the very span objects it was handed. */
class KeepingWriter implements SpanWriter {
  readonly written: SpanRecord[] = [];
  async writeSpans(spans: readonly SpanRecord[]): Promise<RejectedSpan[]> {
    this.written.push(...spans);
    return [];
  }
}

function ingesterWith(writer: SpanWriter): SpanIngester {
  // ingest() is called directly; the buffer is only subscribed to in start().
  const buffer = {} as TelemetryBuffer;
  return new SpanIngester({ buffer, writer, metrics: createMetrics(), logger: pino({ level: 'silent' }) });
}

const consumed = (records: ReturnType<typeof recordsPerTrace>): ConsumedRecord[] =>
  records.map((r, i) => ({ ...r, position: `spans@${i}` }));

describe('span ingester, in-process fast path', () => {
  const spans = [
    span({ traceId: traceIdOf(1), name: 'a' }),
    span({ traceId: traceIdOf(2), name: 'b' }),
    span({ traceId: traceIdOf(1), name: 'c' }),
  ];

  it('gives each per-trace record its spans, which are what its bytes decode to', () => {
    const records = recordsPerTrace(spans);
    expect(records.map((r) => r.key)).toEqual([traceIdOf(1), traceIdOf(2)]);
    for (const r of records) expect(decodeTracesProtobuf(r.value)).toEqual(r.spans);
    expect(records[0].spans).toEqual([spans[0], spans[2]]);
  });

  it('stores the spans a record carries as they are, without decoding its bytes again', async () => {
    const writer = new KeepingWriter();
    await ingesterWith(writer).ingest(consumed(recordsPerTrace(spans)));
    expect(writer.written).toHaveLength(3);
    for (const s of writer.written) expect(spans).toContain(s); // the same objects
  });

  it('decodes the bytes of records that carry no spans (as Kafka delivers them)', async () => {
    const writer = new KeepingWriter();
    const records = consumed(recordsPerTrace(spans)).map(({ spans: _dropped, ...bytesOnly }) => bytesOnly);
    await ingesterWith(writer).ingest(records);
    expect(writer.written).toEqual(decodeTracesProtobuf(encodeTracesProtobuf([spans[0], spans[2], spans[1]])));
    for (const s of writer.written) expect(spans).not.toContain(s);
  });
});

describe('span ingester, records packed from several traces (as the Kafka buffer delivers them)', () => {
  const spans = [
    span({ traceId: traceIdOf(1), name: 'a' }),
    span({ traceId: traceIdOf(2), name: 'b' }),
    span({ traceId: traceIdOf(3), name: 'c' }),
  ];
  /** The per-trace requests concatenated into one value, under the first trace's key. */
  const packed = (): ConsumedRecord => {
    const parts = recordsPerTrace(spans);
    return { topic: 'spans', key: parts[0].key, value: Buffer.concat(parts.map((r) => r.value)), position: 'spans/0@7' };
  };

  it('stores every span of every trace in the record', async () => {
    const writer = new KeepingWriter();
    await ingesterWith(writer).ingest([packed()]);
    expect(writer.written.map((s) => [s.traceId, s.name])).toEqual(spans.map((s) => [s.traceId, s.name]));
  });

  it('dead-letters the packed record whole, once, when the store refuses one of its spans', async () => {
    const buffer = new RecordingBuffer();
    const writer: SpanWriter = {
      writeSpans: async (batch) => batch.filter((s) => s.name === 'b').map((s) => ({ span: s, reason: 'mapping' })),
    };
    const ingester = new SpanIngester({ buffer, writer, metrics: createMetrics(), logger: pino({ level: 'silent' }) });
    const record = packed();
    await ingester.ingest([record]);
    expect(buffer.records).toHaveLength(1);
    const [letter] = buffer.records;
    expect(letter).toMatchObject({ topic: 'dlq', key: traceIdOf(1), headers: { [DLQ_HEADERS.stage]: 'store', [DLQ_HEADERS.sourcePosition]: 'spans/0@7' } });
    // A replay resends all three traces; the two stored ones are overwritten by id.
    expect(decodeTracesProtobuf(letter.value).map((s) => s.name)).toEqual(['a', 'b', 'c']);
  });
});
