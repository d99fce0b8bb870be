/**
 * Coalesces concurrent publish() calls into few produce requests ("group commit").
 *
 * kafkajs's idempotent producer allows one request in flight per broker, so sending each
 * publish() on its own would cap throughput at one round trip per call. Here at most one send
 * is in flight; calls arriving meanwhile queue up and all go out together in the next send
 * (up to maxBatchBytes). A lone call is sent at once, so nothing waits on a timer.
 *
 * Every call is bounded: if its records are not acknowledged within publishTimeoutMs it is
 * refused with BufferUnavailableError. A call still queued is withdrawn (never sent); a call
 * already in a send is refused while the send finishes on its own — its records may still be
 * written, which the contract allows (the sender's retry makes a duplicate the stores absorb).
 */
import { BufferFullError, BufferUnavailableError, type BufferRecord } from '../buffer.js';

export type SendRecords = (records: readonly BufferRecord[]) => Promise<void>;

export type RefusalReason = 'timeout' | 'send_failed' | 'full' | 'stopped';

export interface ProduceBatcherOptions {
  readonly send: SendRecords;
  readonly publishTimeoutMs: number;
  readonly capacityBytes: number;
  readonly maxBatchBytes: number;
  readonly onRefused?: (reason: RefusalReason) => void;
  readonly onBytesChanged?: (bytesInFlight: number) => void;
}

interface PendingPublish {
  readonly records: readonly BufferRecord[];
  readonly bytes: number;
  state: 'queued' | 'sending' | 'settled';
  timer?: NodeJS.Timeout;
  resolve(): void;
  reject(err: Error): void;
}

export function recordBytes(records: readonly BufferRecord[]): number {
  let bytes = 0;
  for (const r of records) {
    bytes += r.value.byteLength + Buffer.byteLength(r.key);
    if (r.headers) for (const [k, v] of Object.entries(r.headers)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  return bytes;
}

export class ProduceBatcher {
  private readonly queue: PendingPublish[] = [];
  private inFlight: Promise<void> | null = null;
  private bytes = 0;
  private closed = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ProduceBatcherOptions) {}

  /** Bytes of records taken by publish() and not yet acknowledged or refused-and-settled. */
  get bytesInFlight(): number {
    return this.bytes;
  }

  private get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.options.publishTimeoutMs / 1000));
  }

  publish(records: readonly BufferRecord[]): Promise<void> {
    if (this.closed) {
      this.options.onRefused?.('stopped');
      return Promise.reject(new BufferUnavailableError('the Kafka buffer is stopping and takes no more records', this.retryAfterSeconds));
    }
    if (records.length === 0) return Promise.resolve();
    const bytes = recordBytes(records);
    // A call larger than the whole capacity still goes through when nothing else is held,
    // so one oversized request cannot be refused forever.
    if (this.bytes > 0 && this.bytes + bytes > this.options.capacityBytes) {
      this.options.onRefused?.('full');
      return Promise.reject(
        new BufferFullError(`${this.bytes} bytes are waiting for Kafka (limit ${this.options.capacityBytes}); retry later`, 1),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const pending: PendingPublish = { records, bytes, state: 'queued', resolve, reject };
      pending.timer = setTimeout(() => this.expire(pending), this.options.publishTimeoutMs);
      this.queue.push(pending);
      this.addBytes(bytes);
      this.pump();
    });
  }

  /** Refuse new calls from now on. */
  close(): void {
    this.closed = true;
  }

  /** Resolves once nothing is queued or being sent (each call is bounded by its timeout). */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === null) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private expire(p: PendingPublish): void {
    if (p.state === 'settled') return;
    if (p.state === 'queued') {
      this.queue.splice(this.queue.indexOf(p), 1);
      this.addBytes(-p.bytes);
      this.notifyIfIdle();
    }
    // A call in a running send keeps its bytes counted until that send settles.
    p.state = 'settled';
    this.options.onRefused?.('timeout');
    p.reject(new BufferUnavailableError(`Kafka did not acknowledge within ${this.options.publishTimeoutMs} ms`, this.retryAfterSeconds));
  }

  private pump(): void {
    if (this.inFlight !== null || this.queue.length === 0) return;
    const batch: PendingPublish[] = [];
    let batchBytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (batch.length > 0 && batchBytes + next.bytes > this.options.maxBatchBytes) break;
      this.queue.shift();
      next.state = 'sending';
      batch.push(next);
      batchBytes += next.bytes;
    }
    const records = batch.length === 1 ? batch[0].records : batch.flatMap((p) => p.records);
    this.inFlight = this.options
      .send(records)
      .then(
        () => this.settle(batch, undefined),
        (err: unknown) => this.settle(batch, err),
      )
      .finally(() => {
        this.addBytes(-batchBytes);
        this.inFlight = null;
        this.pump();
        this.notifyIfIdle();
      });
  }

  private settle(batch: readonly PendingPublish[], err: unknown): void {
    for (const p of batch) {
      clearTimeout(p.timer);
      if (p.state === 'settled') continue;
      p.state = 'settled';
      if (err === undefined) {
        p.resolve();
      } else {
        this.options.onRefused?.('send_failed');
        const why = err instanceof Error ? err.message : String(err);
        p.reject(new BufferUnavailableError(`Kafka refused the records: ${why}`, this.retryAfterSeconds));
      }
    }
  }

  private addBytes(delta: number): void {
    this.bytes += delta;
    this.options.onBytesChanged?.(this.bytes);
  }

  private notifyIfIdle(): void {
    if (this.queue.length > 0 || this.inFlight !== null) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
