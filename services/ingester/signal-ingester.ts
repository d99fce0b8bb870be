/**
 * Moves one signal from the buffer into its store: decode each buffer record, write the decoded
 * items in one call, and only then let the buffer consider the batch consumed (Kafka: commit
 * offsets). Records that can never be stored go to the dead-letter topic with headers that say why,
 * so the batch still advances. SpanIngester and AccessLogIngester are this with their codec and store.
 */
import type { BufferRecord, BufferTopic, ConsumedRecord, TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { Component } from '../../shared/model/component.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { IngesterMetrics } from './ingester-metrics.js';
import type { BufferMetrics } from '../../shared/buffer/buffer-metrics.js';
import { DLQ_HEADERS, errorText, toDeadLetter } from './dead-letter.js';

export interface IngesterOptions {
  readonly buffer: TelemetryBuffer;
  readonly logger: Logger;
  readonly metrics: IngesterMetrics & BufferMetrics;
  /** How often progress (counts since start) is logged. */
  readonly progressLogIntervalMs?: number;
}

/** What differs per signal. */
export interface SignalBinding<T> {
  readonly name: string;
  readonly topic: BufferTopic;
  /** Progress log line, e.g. 'span ingester progress', and the name of its stored count. */
  readonly progressMessage: string;
  readonly storedCountName: string;
  /**
   * Throws on an undecodable record (it is dead-lettered with stage 'decode'). `record` is the
   * whole record, for decoders that can use what an in-process buffer hands through
   * (BufferRecord.spans); the items must then not be modified.
   */
  decode(value: Uint8Array, record: ConsumedRecord): readonly T[];
  /** Stores the items; returns those the store can never take (dead-lettered with stage 'store'). */
  write(items: T[]): Promise<Array<{ readonly item: T; readonly reason: string }>>;
  /** Names an item in a dead-letter reason, e.g. 'span 00f0…'. */
  describe(item: T): string;
  /** Sees every stored item once its batch was written (e.g. to derive metrics). */
  observe?(items: readonly T[]): void;
}

export class SignalIngester<T> implements Component {
  readonly name: string;
  private stored = 0;
  private recordsDeadLettered = 0;
  private progressTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: IngesterOptions,
    private readonly signal: SignalBinding<T>,
  ) {
    this.name = signal.name;
  }

  async start(): Promise<void> {
    await this.options.buffer.subscribe(this.signal.topic, (records) => this.ingest(records));
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
    const items: T[] = [];
    // The records whose items reached `items`, and where each one's items end there: enough to
    // find a refused item's record, without a map entry per item (a store rarely refuses any).
    const taken: ConsumedRecord[] = [];
    const takenEnds: number[] = [];
    const deadLetters: BufferRecord[] = [];
    for (const record of records) {
      let decoded: readonly T[];
      try {
        decoded = this.signal.decode(record.value, record);
      } catch (err) {
        deadLetters.push(toDeadLetter(record, 'decode', errorText(err)));
        continue;
      }
      for (let i = 0; i < decoded.length; i++) items.push(decoded[i]);
      taken.push(record);
      takenEnds.push(items.length);
    }
    const rejected = items.length > 0 ? await this.signal.write(items) : [];
    // A buffer record is dead-lettered whole (its value is what a replay resends), once, with the
    // first refusal's reason; its other items are stored, and a replay overwrites them by id. From
    // Kafka a record may hold several traces packed together (buffer.ts): they travel as one.
    const reasonsByRecord = new Map<ConsumedRecord, string>();
    if (rejected.length > 0) {
      const origin = originOf(items, taken, takenEnds);
      for (const r of rejected) {
        const record = origin.get(r.item);
        if (record && !reasonsByRecord.has(record)) reasonsByRecord.set(record, `${this.signal.describe(r.item)}: ${r.reason}`);
      }
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
    this.stored += items.length - rejected.length;
    if (this.signal.observe) {
      const refused = new Set(rejected.map((r) => r.item));
      this.signal.observe(refused.size === 0 ? items : items.filter((item) => !refused.has(item)));
    }
  }

  private logProgress(): void {
    this.options.logger.info(
      { [this.signal.storedCountName]: this.stored, recordsDeadLettered: this.recordsDeadLettered },
      this.signal.progressMessage,
    );
  }
}

/** Item → the record it came from (the last one, should two records carry the same item). */
function originOf<T>(items: readonly T[], records: readonly ConsumedRecord[], ends: readonly number[]): Map<T, ConsumedRecord> {
  const origin = new Map<T, ConsumedRecord>();
  let start = 0;
  for (let r = 0; r < records.length; r++) {
    for (let i = start; i < ends[r]; i++) origin.set(items[i], records[r]);
    start = ends[r];
  }
  return origin;
}
