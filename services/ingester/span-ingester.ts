/**
 * Moves spans from the buffer into a span store: decode each record (an OTLP
 * ExportTraceServiceRequest of one trace), write them in one call, and only then let the buffer
 * consider the batch consumed (Kafka: commit offsets). Records that can never be stored go to the
 * dead-letter topic with headers that say why, so the batch still advances.
 */
import type { BufferRecord, ConsumedRecord, TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { Component } from '../../shared/model/component.js';
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces.js';
import type { SpanWriter } from '../../shared/storage/spanstore.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { MeshtelMetrics } from '../../shared/telemetry/metrics.js';

export interface SpanIngesterOptions {
  readonly buffer: TelemetryBuffer;
  readonly writer: SpanWriter;
  readonly logger: Logger;
  readonly metrics: MeshtelMetrics;
  /** How often progress (counts since start) is logged. */
  readonly progressLogIntervalMs?: number;
}

/** Headers on dead-letter records; the value is the original record's. */
export const DLQ_HEADERS = {
  stage: 'meshtel.dlq.stage',
  error: 'meshtel.dlq.error',
  sourceTopic: 'meshtel.dlq.source_topic',
  sourcePosition: 'meshtel.dlq.source_position',
} as const;

export class SpanIngester implements Component {
  readonly name = 'span-ingester';
  private spansStored = 0;
  private recordsDeadLettered = 0;
  private progressTimer?: NodeJS.Timeout;

  constructor(private readonly options: SpanIngesterOptions) {}

  async start(): Promise<void> {
    await this.options.buffer.subscribe('spans', (records) => this.ingest(records));
    const every = this.options.progressLogIntervalMs ?? 30_000;
    this.progressTimer = setInterval(() => this.logProgress(), every);
    this.progressTimer.unref();
  }

  /** The buffer drains its subscribers when it stops; here we only log the final counts. */
  async stop(): Promise<void> {
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.logProgress();
  }

  /** Exposed for tests: processes one batch exactly as the subscription does. */
  async ingest(records: readonly ConsumedRecord[]): Promise<void> {
    const spans: SpanRecord[] = [];
    const origin = new Map<SpanRecord, ConsumedRecord>();
    const deadLetters: BufferRecord[] = [];
    for (const record of records) {
      let decoded: SpanRecord[];
      try {
        decoded = decodeTracesProtobuf(record.value);
      } catch (err) {
        deadLetters.push(toDeadLetter(record, 'decode', errorText(err)));
        continue;
      }
      for (const span of decoded) {
        spans.push(span);
        origin.set(span, record);
      }
    }
    const rejected = spans.length > 0 ? await this.options.writer.writeSpans(spans) : [];
    const reasonsByRecord = new Map<ConsumedRecord, string>();
    for (const r of rejected) {
      const record = origin.get(r.span);
      if (record && !reasonsByRecord.has(record)) reasonsByRecord.set(record, `span ${r.span.spanId}: ${r.reason}`);
    }
    for (const [record, reason] of reasonsByRecord) deadLetters.push(toDeadLetter(record, 'store', reason));
    if (deadLetters.length > 0) {
      // Published before the batch resolves: if the DLQ is unreachable the batch fails and is
      // redelivered, rather than its poison records vanishing.
      await this.options.buffer.publish(deadLetters);
      this.recordsDeadLettered += deadLetters.length;
      for (const letter of deadLetters) this.options.metrics.recordsDeadLettered.inc({ stage: letter.headers![DLQ_HEADERS.stage]! });
      this.options.logger.warn({ records: deadLetters.length, first: deadLetters[0]?.headers }, 'records sent to the dead-letter topic');
    }
    this.spansStored += spans.length - rejected.length;
  }

  private logProgress(): void {
    this.options.logger.info(
      { spansStored: this.spansStored, recordsDeadLettered: this.recordsDeadLettered },
      'span ingester progress',
    );
  }
}

function toDeadLetter(record: ConsumedRecord, stage: string, error: string): BufferRecord {
  return {
    topic: 'dlq',
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.stage]: stage,
      [DLQ_HEADERS.error]: error.slice(0, 1000),
      [DLQ_HEADERS.sourceTopic]: record.topic,
      [DLQ_HEADERS.sourcePosition]: record.position,
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
