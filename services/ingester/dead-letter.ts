/**
 * Dead-letter records, shared by every ingester: the original record (value and key untouched) with
 * headers naming the stage that failed and why, so one replay tool serves all signals.
 */
import type { BufferRecord, ConsumedRecord } from '../../shared/buffer/buffer.js';
import { DLQ_HEADERS } from '../../shared/buffer/dead-letter-headers.js';

export { DLQ_HEADERS };

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
