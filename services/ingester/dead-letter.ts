/**
 * Dead-letter records, shared by every ingester: the original record (value and key untouched) with
 * headers naming the stage that failed and why, so one replay tool serves all signals.
 */
import type { BufferRecord, ConsumedRecord } from '../../shared/buffer/buffer.js';

/** Headers on dead-letter records; the value is the original record's. */
export const DLQ_HEADERS = {
  stage: 'meshtel.dlq.stage',
  error: 'meshtel.dlq.error',
  sourceTopic: 'meshtel.dlq.source_topic',
  sourcePosition: 'meshtel.dlq.source_position',
} as const;

export function toDeadLetter(record: ConsumedRecord, stage: string, error: string): BufferRecord {
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

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
