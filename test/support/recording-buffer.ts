/**
 * A TelemetryBuffer double for collector tests: it records every publish call, can be told to
 * refuse (the error publish rejects with, and readiness turns false) or to hold publishes behind
 * a gate (a slow buffer, to observe what happens before it answered). No consumer side.
 */
import type { BufferRecord, BufferTopic, TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { SpanRecord } from '../../shared/model/span.js';
import { decodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';

export class RecordingBuffer implements TelemetryBuffer {
  /** One entry per accepted publish call, records in the order given. */
  readonly published: BufferRecord[][] = [];
  /** When set, publish rejects with it and isReady() answers false. */
  refuse: Error | undefined;
  /** When set, publish waits for it before answering. */
  gate: Promise<void> | undefined;

  /** Set to act as a buffer with partitions (TelemetryBuffer.partitionOf); absent = none. */
  partitionOf?: (topic: BufferTopic, key: string) => number | undefined;

  async start(): Promise<void> {}
  async publish(records: readonly BufferRecord[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.refuse) throw this.refuse;
    this.published.push([...records]);
  }
  async subscribe(): Promise<void> {}
  async isReady(): Promise<boolean> {
    return this.refuse === undefined;
  }
  stats() {
    return { bytesHeld: 0, capacityBytes: 0 };
  }
  async stop(): Promise<void> {}

  /** Every accepted record, across publish calls. */
  get records(): BufferRecord[] {
    return this.published.flat();
  }

  /** Every buffered span, decoded back from the records (for trace-topic records). */
  spans(): SpanRecord[] {
    return this.records.flatMap((r) => decodeTracesProtobuf(r.value));
  }

  clear(): void {
    this.published.length = 0;
  }
}
