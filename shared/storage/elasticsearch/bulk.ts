/**
 * A bulk indexer with the failure handling an at-least-once pipeline needs.
 *
 * Callers hand in documents and get a promise per call that settles only when every document is
 * stored or permanently refused. Documents of concurrent calls share bulk requests (bounded by
 * count and bytes, sent when full or after the flush interval), with at most `concurrency`
 * requests in flight; callers beyond that wait, which is the back-pressure on the consumer.
 *
 * Outcome per item (Elasticsearch answers HTTP 200 for a bulk whose items fail, item by item):
 *  - 2xx, and 409 (only `create` can conflict; the document is there) → stored;
 *  - 400 (mapping / document parsing) → refused for good: returned, the caller dead-letters it;
 *  - 429 `es_rejected_execution_exception` (queue full, indexing pressure) and 5xx → sent again
 *    with exponential backoff; when the attempts run out the call REJECTS, so the caller does
 *    not commit its offsets and the data comes back by redelivery;
 *  - anything else (403 write block, 429 disk-flood `cluster_block_exception`, 404 when index
 *    auto-creation is off, 401) says the cluster cannot take writes at all: the call rejects at
 *    once, because dead-lettering every document would lose them for no fault of their own.
 * Whole-request failures (connection refused, timeout, 429, 5xx) retry all their items the same
 * way. Retrying is safe because every document has a deterministic id and is written with
 * `index`, which overwrites.
 */
import { errors, type Client, type estypes } from '@elastic/elasticsearch';
import type { Logger } from '../../telemetry/logger.js';
import type { ElasticsearchMetrics } from './elasticsearch-metrics.js';

export interface BulkDocument {
  readonly index: string;
  readonly id: string;
  /** The document, already serialized (its size decides how requests are split). */
  readonly source: string;
}

export type BulkItemResult = { readonly stored: true } | { readonly stored: false; readonly reason: string };

export interface RetryPolicy {
  /** Sends per item, the first included. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export interface BulkIndexerOptions {
  readonly client: Client;
  /** Metric label: which kind of document this indexer writes. */
  readonly signal: string;
  readonly maxDocs: number;
  readonly maxBytes: number;
  readonly concurrency: number;
  readonly flushIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** Bulk `refresh` parameter; `wait_for` makes writes visible before the call resolves (tests). */
  readonly refresh: boolean | 'wait_for';
  readonly metrics?: ElasticsearchMetrics;
  readonly logger?: Logger;
}

/** The store cannot take the writes now; nothing is lost if the caller delivers them again. */
export class BulkWriteError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BulkWriteError';
  }
}

/** One `index()` call: its results, and how many of its items are still open. */
interface Ticket {
  readonly results: BulkItemResult[];
  open: number;
  settled: boolean;
  readonly resolve: (results: BulkItemResult[]) => void;
  readonly reject: (err: Error) => void;
}

interface QueuedItem {
  readonly ticket: Ticket;
  readonly position: number;
  /** Action line and source line, without the trailing newlines. */
  readonly action: string;
  readonly source: string;
  readonly bytes: number;
}

type Classified = 'stored' | 'retry' | 'refused' | 'fatal';

/** Item status → what to do with it (see the module comment). */
export function classifyItem(status: number, errorType: string | undefined): Classified {
  if ((status >= 200 && status < 300) || status === 409) return 'stored';
  if (status === 429 && errorType !== 'cluster_block_exception') return 'retry';
  if (status >= 500) return 'retry';
  if (status === 400) return 'refused';
  return 'fatal';
}

/** A whole request failed: worth sending again (true) or the cluster refuses writes (false). */
function isTransientRequestError(err: unknown): boolean {
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    return status === 429 || status >= 500;
  }
  return err instanceof errors.ConnectionError || err instanceof errors.TimeoutError || err instanceof errors.NoLivingConnectionsError;
}

function failureReason(err: unknown): string {
  if (err instanceof errors.ResponseError) return `http_${err.statusCode ?? 0}`;
  if (err instanceof errors.TimeoutError) return 'timeout';
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) return 'connection';
  return 'other';
}

function describe(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    const body: unknown = err.body;
    const cause = (body as { error?: { type?: string; reason?: string } } | undefined)?.error;
    return `HTTP ${err.statusCode ?? '?'}${cause ? ` ${cause.type ?? ''}: ${cause.reason ?? ''}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Elasticsearch echoes parts of the refused document in its reason; a dead-letter header needs no novel. */
const MAX_REASON_CHARS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BulkIndexer {
  private readonly queue: QueuedItem[] = [];
  private queueBytes = 0;
  private inFlight = 0;
  private flushDue = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: BulkIndexerOptions) {}

  /**
   * Indexes the documents; resolves with one result per document, in order, once each is stored
   * or refused for good. Rejects with BulkWriteError when transient failures outlast the retries
   * or the cluster refuses writes.
   */
  index(docs: readonly BulkDocument[]): Promise<BulkItemResult[]> {
    if (docs.length === 0) return Promise.resolve([]);
    return new Promise<BulkItemResult[]>((resolve, reject) => {
      const ticket: Ticket = { results: new Array<BulkItemResult>(docs.length), open: docs.length, settled: false, resolve, reject };
      docs.forEach((doc, position) => {
        const action = JSON.stringify({ index: { _index: doc.index, _id: doc.id } });
        const bytes = Buffer.byteLength(action) + Buffer.byteLength(doc.source) + 2;
        this.queue.push({ ticket, position, action, source: doc.source, bytes });
        this.queueBytes += bytes;
      });
      if (this.opts.flushIntervalMs === 0) this.flushDue = true;
      this.pump();
    });
  }

  /** Sends everything queued now and resolves when no request is left in flight. */
  async flush(): Promise<void> {
    this.flushDue = true;
    this.pump();
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const full = this.queue.length >= this.opts.maxDocs || this.queueBytes >= this.opts.maxBytes;
      if (!full && !this.flushDue) break;
      const chunk = this.takeChunk();
      if (chunk.length === 0) continue;
      this.inFlight++;
      void this.send(chunk).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.queue.length === 0) {
      this.flushDue = this.opts.flushIntervalMs === 0;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    } else if (!this.flushDue && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushDue = true;
        this.pump();
      }, this.opts.flushIntervalMs);
    }
  }

  /** Up to maxDocs items and maxBytes (at least one item, however large); skips items of failed calls. */
  private takeChunk(): QueuedItem[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && n < this.opts.maxDocs) {
      const b = this.queue[n]!.bytes;
      if (n > 0 && bytes + b > this.opts.maxBytes) break;
      bytes += b;
      n++;
    }
    const taken = this.queue.splice(0, n);
    this.queueBytes -= bytes;
    return taken.filter((item) => !item.ticket.settled);
  }

  private async send(chunk: QueuedItem[]): Promise<void> {
    const { metrics, signal, retry } = this.opts;
    let pending = chunk;
    for (let attempt = 1; ; attempt++) {
      pending = pending.filter((item) => !item.ticket.settled);
      if (pending.length === 0) return;
      let again: QueuedItem[];
      let lastProblem: string;
      try {
        const outcome = await this.sendOnce(pending);
        again = outcome.retry;
        lastProblem = outcome.problem;
      } catch (err) {
        if (!isTransientRequestError(err)) {
          metrics?.esBulkFailures.inc({ signal, reason: failureReason(err) });
          this.fail(pending, new BulkWriteError(`Elasticsearch bulk request refused: ${describe(err)}`, { cause: err }));
          return;
        }
        metrics?.esBulkFailures.inc({ signal, reason: failureReason(err) });
        again = pending;
        lastProblem = describe(err);
      }
      if (again.length === 0) return;
      if (attempt >= retry.maxAttempts) {
        this.fail(again, new BulkWriteError(`Elasticsearch bulk write failed after ${attempt} attempts: ${lastProblem}`));
        return;
      }
      metrics?.esBulkItems.inc({ signal, result: 'retried' }, again.length);
      const backoff = Math.min(retry.maxBackoffMs, retry.initialBackoffMs * 2 ** (attempt - 1));
      // Jitter spreads the retries of several ingesters hitting one overloaded cluster.
      const waitMs = backoff / 2 + Math.random() * (backoff / 2);
      this.opts.logger?.warn({ items: again.length, attempt, waitMs: Math.round(waitMs), problem: lastProblem }, 'elasticsearch bulk: retrying');
      await sleep(waitMs);
      pending = again;
    }
  }

  /** One bulk request. Settles stored and refused items; returns those to send again. Throws on a whole-request failure. */
  private async sendOnce(items: QueuedItem[]): Promise<{ retry: QueuedItem[]; problem: string }> {
    const { client, metrics, signal } = this.opts;
    const operations: string[] = [];
    for (const item of items) operations.push(item.action, item.source);
    const timer = metrics?.esBulkDuration.startTimer({ signal });
    let response: estypes.BulkResponse;
    try {
      response = await client.bulk(
        { operations, refresh: this.opts.refresh, filter_path: ['errors', 'items.*.status', 'items.*.error.type', 'items.*.error.reason'] },
        // Our own loop retries, with backoff and per item; the transport's immediate retries would only add load.
        { maxRetries: 0, requestTimeout: this.opts.requestTimeoutMs },
      );
    } finally {
      timer?.();
    }
    const retry: QueuedItem[] = [];
    let problem = '';
    let stored = 0;
    let refused = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const entry = response.items?.[i];
      const result = entry ? Object.values(entry)[0] : undefined;
      if (!result) {
        // A short response would be a server bug; sending the item again is the safe reading.
        retry.push(item);
        problem = 'bulk response without this item';
        continue;
      }
      const errType = result.error?.type;
      const reason = `${errType ?? `status ${result.status}`}: ${result.error?.reason ?? ''}`.slice(0, MAX_REASON_CHARS);
      switch (classifyItem(result.status, errType)) {
        case 'stored':
          stored++;
          this.settle(item, { stored: true });
          break;
        case 'refused':
          refused++;
          this.settle(item, { stored: false, reason });
          break;
        case 'retry':
          retry.push(item);
          problem = reason;
          break;
        case 'fatal':
          this.fail([item], new BulkWriteError(`Elasticsearch refuses writes to ${item.action}: ${reason}`));
          break;
      }
    }
    if (stored > 0) metrics?.esBulkItems.inc({ signal, result: 'stored' }, stored);
    if (refused > 0) {
      metrics?.esBulkItems.inc({ signal, result: 'rejected' }, refused);
      this.opts.logger?.warn({ items: refused }, 'elasticsearch bulk: documents refused (dead-letter)');
    }
    return { retry, problem };
  }

  private settle(item: QueuedItem, result: BulkItemResult): void {
    const t = item.ticket;
    if (t.settled) return;
    t.results[item.position] = result;
    if (--t.open === 0) {
      t.settled = true;
      t.resolve(t.results);
    }
  }

  private fail(items: readonly QueuedItem[], err: BulkWriteError): void {
    for (const item of items) {
      const t = item.ticket;
      if (t.settled) continue;
      t.settled = true;
      t.reject(err);
    }
  }
}
