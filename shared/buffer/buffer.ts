/**
 * TelemetryBuffer: the seam between receivers (collector) and consumers (ingester).
 *
 * Named TelemetryBuffer rather than DESIGN.md's "Buffer" so it never shadows Node's global
 * `Buffer` in a module that imports it.
 *
 * Contract, held by every implementation (in-process, Kafka) and checked by
 * test/support/buffer-contract:
 *
 * - **Acknowledged means durable.** `publish()` resolves only after the buffer has taken every
 *   record of the call (Kafka: acks=all from the broker). Only then may a receiver answer
 *   success to its sender.
 * - **Refusal is retryable and explicit.** When the buffer cannot take the records within its
 *   bounded wait it rejects with {@link BufferFullError} or {@link BufferUnavailableError}. The
 *   caller must then answer a retryable status (HTTP 503 + Retry-After, gRPC UNAVAILABLE). Some
 *   records of a refused call may still have been taken; the sender's retry then delivers
 *   them twice, which the stores absorb (idempotent writes keyed by deterministic ids).
 * - **Ordered per key.** Records with the same key (spans: the trace id) reach the same
 *   consumer in publish order.
 * - **Packable records may arrive merged.** A record published with `packable` may be delivered
 *   inside a larger record: the values of several packable, header-less records of one topic,
 *   concatenated in publish order, under the key of the first. The buffer merges only records
 *   whose keys it keeps together (Kafka: keys that map to one partition), so the merged record's
 *   key stands for all of them: "ordered per key" and "a trace stays on one consumer" still hold.
 *   A consumer therefore never assumes one record = one trace (or one key); it decodes the value,
 *   which for OTLP protobuf requests is one valid request holding all the merged ones.
 * - **The bytes are the record.** `value` (with key and headers) is what a buffer stores and
 *   delivers. A record may also carry its spans already decoded ({@link BufferRecord.spans}),
 *   which an in-process buffer may hand through and a consumer may use to skip decoding `value`;
 *   no consumer may depend on it, as a buffer that leaves the process (Kafka) never delivers it.
 * - **At-least-once consumption.** A batch handed to a subscriber counts as consumed only when
 *   the handler's promise resolves; if it rejects, or the process dies first, the records are
 *   delivered again. Handlers must therefore be idempotent.
 */

import type { SpanRecord } from '../model/span.js';

/** Logical topics; implementations map them to physical names (Kafka: `<prefix>.spans`). */
export type BufferTopic = 'spans' | 'accesslogs' | 'metrics' | 'dlq';

export interface BufferRecord {
  readonly topic: BufferTopic;
  /**
   * Partitioning key: spans use the trace id (hex), so a trace stays on one consumer. A delivered
   * record that merged packable ones carries the first one's key (see the contract above).
   */
  readonly key: string;
  /**
   * Plain OTLP protobuf: as published, e.g. an ExportTraceServiceRequest holding spans of one
   * trace; as delivered, possibly several such requests concatenated (one request holding all).
   */
  readonly value: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The publisher allows the buffer to deliver this record merged with others (see the contract
   * above): `value` is a message whose concatenation with another record's value of the same topic
   * means both — true of every OTLP Export*ServiceRequest, whose only top-level fields are
   * repeated. Ignored on records with headers. Absent = delivered exactly as published.
   */
  readonly packable?: boolean;
  /**
   * In-process only, optional: on a `spans` record, the very spans `value` encodes, as the
   * publisher decoded them, so a consumer in the same process need not decode the bytes it was
   * just handed (all-in-one: that decode was a sixth of its CPU time).
   *
   * - `value` stays the record: it is always present, always complete, and the only thing a
   *   buffer that leaves the process (Kafka) sends; such buffers ignore this field and deliver
   *   records without it. An in-process buffer may hand it through to the consumer unchanged.
   * - A consumer may use it instead of decoding `value` when present, and must work the same
   *   without it (decode `value`). It must not depend on it being there, nor modify the spans.
   * - A publisher that sets it promises that decoding `value` gives the same spans (equal by
   *   value; object identity and sharing may differ), and hands them over: it must not modify
   *   them afterwards.
   * - The spans may still refer to the request bytes they were decoded from (the collector's
   *   keepEncodedSpans: a store that keeps spans encoded copies those bytes instead of encoding
   *   the span again, ~3 µs a span less). A consumer that keeps span objects beyond its batch
   *   therefore calls releaseEncodedSpans (shared/otlp/traces/traces.ts) on them first, or every kept
   *   span would keep its whole request body in memory.
   */
  readonly spans?: readonly SpanRecord[];
}

export interface ConsumedRecord extends BufferRecord {
  /** Where the record sits, for logs and dead-letter headers (Kafka: partition/offset). */
  readonly position: string;
}

export type BatchHandler = (records: readonly ConsumedRecord[]) => Promise<void>;

export interface BufferStats {
  /** Bytes currently held and not yet consumed (in-process), or in flight to the broker (Kafka). */
  readonly bytesHeld: number;
  readonly capacityBytes: number;
}

export interface TelemetryBuffer {
  start(): Promise<void>;
  /** See the contract above: resolves only when every record is durably taken. */
  publish(records: readonly BufferRecord[]): Promise<void>;
  /**
   * Delivers records of `topic` to `handler` in batches until {@link stop}. One subscription
   * per topic per process (a consumer group member, in Kafka terms).
   */
  subscribe(topic: BufferTopic, handler: BatchHandler): Promise<void>;
  /**
   * Optional: which keys of `topic` this buffer keeps together — records whose keys give the same
   * number reach the same consumer, in publish order (Kafka: the partition the key maps to) — or
   * undefined when it cannot tell now. A publisher may then put the data of several such keys into
   * one record under any one of those keys (the trace intake encodes the traces of one partition
   * as one request: resources and scopes are written once instead of once per trace). The
   * in-process buffer, with one consumer per topic, answers the same number for every key.
   */
  partitionOf?(topic: BufferTopic, key: string): number | undefined;
  /** True when publish() can currently succeed (Kafka reachable, space left). */
  isReady(): Promise<boolean>;
  stats(): BufferStats;
  /**
   * Graceful stop: refuse new publishes, let subscribers drain what is held (in-process) or
   * finish their in-flight batch and commit (Kafka), then release resources.
   */
  stop(): Promise<void>;
}

export class BufferFullError extends Error {
  constructor(message: string, readonly retryAfterSeconds = 1) {
    super(message);
    this.name = 'BufferFullError';
  }
}

export class BufferUnavailableError extends Error {
  constructor(message: string, readonly retryAfterSeconds = 5) {
    super(message);
    this.name = 'BufferUnavailableError';
  }
}

export function isRetryableBufferError(err: unknown): err is BufferFullError | BufferUnavailableError {
  return err instanceof BufferFullError || err instanceof BufferUnavailableError;
}
