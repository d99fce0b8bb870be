/**
 * Prometheus remote-write 1.0 sink: every flush interval it snapshots the derived-metrics
 * registry, queues one sample per series (bounded queue, oldest dropped first), and one sender
 * loop posts batches of at most `maxSamplesPerSend` samples, retrying 5xx/429/transport failures
 * with capped exponential backoff and dropping (counted) what the receiver refuses with another 4xx.
 *
 * Ordering: a single request is in flight at a time and batches leave the queue head first, so
 * each series' samples reach the receiver in timestamp order — also after an outage, when the
 * queued backlog is delivered before anything newer. A series never gets a sample at or before a
 * timestamp already queued for it (Prometheus 2.42 answers 400 out-of-order and rolls back the
 * whole request), so an unchanged imported point is not sent twice.
 *
 * Memory: the queue is bounded by `queueMaxSamples`; per-series state (encoded labels, last
 * timestamp) is bounded by the registry's per-family series limits.
 */
import type { Logger } from '../../telemetry/logger.js';
import type { Labels, MetricsSource } from '../registry.js';
import type { MetricsSink } from '../sink.js';
import { compressBody, encodeLabels, encodeWriteRequest, type EncodedSeries } from './encode.js';
import { sampleKey, visitSnapshot } from './expand.js';
import { baseLabels, isValidLabelName, seriesKey, withName, type LabelDefaults, type LabelPair } from '../labels.js';
import { SampleQueue } from './sample-queue.js';
import { dispatcherTrusting, postWriteRequest, remoteWriteHeaders, type SendTarget } from './send.js';
import { REMOTE_WRITE_DEFAULTS } from './settings.js';

/** Sent in User-Agent (`meshtel/<version>`), which the spec requires. */
export const MESHTEL_VERSION = '0.1.0';

import type { RemoteWriteMetrics } from './remote-write-metrics.js';

export type { RemoteWriteMetrics };

export type DropReason = 'queue_full' | 'rejected' | 'invalid' | 'out_of_order' | 'shutdown';

export interface RemoteWriteSinkOptions {
  readonly source: MetricsSource;
  /** Receiver endpoint, e.g. http://prometheus:9090/api/v1/write. */
  readonly url: string;
  /** Snapshot period; also the longest a sample waits before its first send attempt. Default 10 s. */
  readonly flushIntervalMs?: number;
  /** Samples per request. Default 2000 (Prometheus's own max_samples_per_send). */
  readonly maxSamplesPerSend?: number;
  /** Queue bound; beyond it the oldest samples are dropped and counted. Default 100 000. */
  readonly queueMaxSamples?: number;
  /** Added to every series that lacks the label (Prometheus external_labels semantics). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Always set on every series, so several ingesters never write the same series. */
  readonly instanceLabel?: { readonly name: string; readonly value: string };
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly bearerToken?: string;
  /** PEM CA the https endpoint's certificate is checked against; the system CAs when absent. */
  readonly tlsCa?: Buffer;
  /** Per request. Default 10 s. */
  readonly timeoutMs?: number;
  /** Backoff between retries of one batch: doubles from initial up to max. Default 100 ms … 5 s. */
  readonly retry?: { readonly initialBackoffMs: number; readonly maxBackoffMs: number };
  /** How long stop() may spend delivering what is queued; the rest is dropped (reason shutdown). Default 10 s. */
  readonly stopTimeoutMs?: number;
  readonly metrics: RemoteWriteMetrics;
  readonly logger: Logger;
}

interface SeriesState {
  readonly labelBytes: Uint8Array;
  /** Timestamp of the newest sample queued for the series; later samples must be newer. */
  lastQueuedMs: number;
}

interface LabelsCache {
  readonly base: LabelPair[];
  readonly baseKey: string;
  /** By metric name (+ le/quantile value) → the series' state. */
  readonly states: Map<string, SeriesState>;
}

interface QueuedSample {
  readonly series: SeriesState;
  readonly value: number;
  readonly timestampMs: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class RemoteWriteSink implements MetricsSink {
  readonly name = 'remote-write';
  private readonly flushIntervalMs: number;
  private readonly maxSamplesPerSend: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stopTimeoutMs: number;
  private readonly defaults: LabelDefaults;
  private readonly target: SendTarget;
  private readonly queue: SampleQueue<QueuedSample>;
  private readonly series = new Map<string, SeriesState>();
  private readonly byLabels = new WeakMap<Labels, LabelsCache | Error>();
  private readonly logger: Logger;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private inFlight = 0;
  private lastSendOk = true;

  constructor(private readonly options: RemoteWriteSinkOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`remote-write URL must be http(s): ${options.url}`);
    this.flushIntervalMs = options.flushIntervalMs ?? REMOTE_WRITE_DEFAULTS.flushIntervalMs;
    this.maxSamplesPerSend = options.maxSamplesPerSend ?? REMOTE_WRITE_DEFAULTS.maxSamplesPerSend;
    this.initialBackoffMs = options.retry?.initialBackoffMs ?? 100;
    this.maxBackoffMs = Math.max(this.initialBackoffMs, options.retry?.maxBackoffMs ?? 5000);
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    if (!(this.flushIntervalMs >= 1)) throw new Error('flushIntervalMs must be at least 1');
    if (!(this.maxSamplesPerSend >= 1)) throw new Error('maxSamplesPerSend must be at least 1');
    this.queue = new SampleQueue(options.queueMaxSamples ?? REMOTE_WRITE_DEFAULTS.queueMaxSamples);

    const external: LabelPair[] = [];
    for (const [name, value] of Object.entries(options.externalLabels ?? {})) {
      if (!isValidLabelName(name)) throw new Error(`invalid external label name "${name}"`);
      if (value !== '') external.push([name, value]);
    }
    let instance: LabelPair | undefined;
    if (options.instanceLabel) {
      if (!isValidLabelName(options.instanceLabel.name)) throw new Error(`invalid instance label name "${options.instanceLabel.name}"`);
      if (options.instanceLabel.value !== '') instance = [options.instanceLabel.name, options.instanceLabel.value];
    }
    this.defaults = { external, instance };
    this.target = {
      url: options.url,
      timeoutMs: options.timeoutMs ?? REMOTE_WRITE_DEFAULTS.timeoutMs,
      headers: remoteWriteHeaders(MESHTEL_VERSION, options),
      ...(options.tlsCa ? { dispatcher: dispatcherTrusting(options.tlsCa) } : {}),
    };
    this.logger = options.logger.child({ component: 'remote-write' });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => {
      this.collect();
      void this.drain();
    }, this.flushIntervalMs);
  }

  /** Final snapshot, then delivers the queue within stopTimeoutMs; what is left is dropped and counted. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.collect();
    const deadline = setTimeout(() => this.abort.abort(), this.stopTimeoutMs);
    try {
      await this.drain();
    } finally {
      clearTimeout(deadline);
      this.abort.abort();
    }
    const left = this.queue.clear();
    if (left > 0) {
      this.drop('shutdown', left);
      this.logger.warn({ samples: left }, 'remote-write: samples still queued at shutdown were dropped');
    }
    this.updateFill();
  }

  /** Last send succeeded, or nothing sent yet. */
  async isReady(): Promise<boolean> {
    return this.lastSendOk;
  }

  /** Samples queued or in flight. */
  get queuedSamples(): number {
    return this.queue.length + this.inFlight;
  }

  /** Snapshot now and deliver everything queued (what the timer does; for tests and benchmarks). */
  async flush(): Promise<void> {
    this.collect();
    await this.drain();
  }

  /** Snapshots the source into the queue; returns how many samples were queued. */
  collect(): number {
    if (this.abort.signal.aborted) return 0;
    let queued = 0;
    let queueDrops = 0;
    let outOfOrder = 0;
    let invalid = 0;
    const noteInvalid = (reason: Error, samples: number): void => {
      if (invalid === 0) this.logger.warn({ err: reason.message }, 'remote-write: series with an invalid name or label dropped');
      invalid += samples;
    };
    visitSnapshot(this.options.source.snapshot(), {
      invalidFamily: noteInvalid,
      series: (labels, samples) => {
        const cached = this.seriesOf(labels);
        if (cached instanceof Error) {
          noteInvalid(cached, samples);
          return undefined;
        }
        return (name, value, timestampMs, extra) => {
          const shortKey = extra ? `${name}\u0000${extra[1]}` : name;
          let state = cached.states.get(shortKey);
          if (!state) {
            state = this.stateOf(sampleKey(name, cached.baseKey, extra), () => withName(cached.base, name, extra));
            cached.states.set(shortKey, state);
          }
          const ts = Math.round(timestampMs);
          if (ts <= state.lastQueuedMs) {
            // The same point again (an imported series not updated since): nothing new to send.
            if (ts < state.lastQueuedMs) outOfOrder++;
            return;
          }
          state.lastQueuedMs = ts;
          queueDrops += this.queue.push({ series: state, value, timestampMs: ts });
          queued++;
        };
      },
    });
    if (queueDrops > 0) this.drop('queue_full', queueDrops);
    if (outOfOrder > 0) this.drop('out_of_order', outOfOrder);
    if (invalid > 0) this.drop('invalid', invalid);
    this.updateFill();
    return queued;
  }

  /**
   * Per-labels-object cache: the registry hands out the same `labels` object for a series in
   * every snapshot, so this skips re-validating, sorting and hashing long label keys each flush.
   * It only caches: the state itself lives in `series` under the full key, so a source that
   * builds fresh label objects each time still gets one state (and one last timestamp) per series.
   */
  private seriesOf(labels: Labels): LabelsCache | Error {
    let cached = this.byLabels.get(labels);
    if (!cached) {
      const base = baseLabels(labels, this.defaults);
      cached = base instanceof Error ? base : { base, baseKey: seriesKey(base), states: new Map() };
      this.byLabels.set(labels, cached);
    }
    return cached;
  }

  private stateOf(key: string, labels: () => LabelPair[]): SeriesState {
    let state = this.series.get(key);
    if (!state) {
      state = { labelBytes: encodeLabels(labels()), lastQueuedMs: -Infinity };
      this.series.set(key, state);
    }
    return state;
  }

  private drain(): Promise<void> {
    if (!this.draining) {
      this.draining = this.sendQueued().finally(() => {
        this.draining = undefined;
      });
    }
    return this.draining;
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const batch = this.queue.take(this.maxSamplesPerSend);
      this.inFlight = batch.length;
      try {
        await this.sendBatch(batch);
      } finally {
        this.inFlight = 0;
        this.updateFill();
      }
    }
  }

  private async sendBatch(batch: readonly QueuedSample[]): Promise<void> {
    // Group by series, keeping queue order: each series' samples stay in timestamp order.
    const grouped = new Map<SeriesState, { labelBytes: Uint8Array; values: number[]; timestampsMs: number[] }>();
    for (const s of batch) {
      let g = grouped.get(s.series);
      if (!g) {
        g = { labelBytes: s.series.labelBytes, values: [], timestampsMs: [] };
        grouped.set(s.series, g);
      }
      g.values.push(s.value);
      g.timestampsMs.push(s.timestampMs);
    }
    const body = compressBody(encodeWriteRequest([...grouped.values()] satisfies EncodedSeries[]));

    let backoffMs = this.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      const end = this.options.metrics.remoteWriteSendDuration.startTimer();
      const outcome = await postWriteRequest(this.target, body, this.abort.signal);
      end();
      if (outcome.kind === 'ok') {
        this.options.metrics.remoteWriteSamplesSent.inc(batch.length);
        if (!this.lastSendOk) this.logger.info({ attempt }, 'remote-write: receiver accepts samples again');
        this.lastSendOk = true;
        return;
      }
      this.options.metrics.remoteWriteFailures.inc({ status: outcome.status });
      if (outcome.kind === 'reject') {
        // Non-retryable: the same bytes would be refused again (spec: must not retry other 4xx).
        this.drop('rejected', batch.length);
        this.lastSendOk = false;
        this.logger.warn({ status: outcome.status, samples: batch.length, detail: outcome.detail }, 'remote-write: receiver rejected a batch; dropped');
        return;
      }
      this.lastSendOk = false;
      if (this.abort.signal.aborted) {
        this.drop('shutdown', batch.length);
        return;
      }
      const waitMs = Math.min(this.maxBackoffMs, Math.max(backoffMs, outcome.retryAfterMs ?? 0));
      if (attempt === 1 || attempt % 10 === 0) {
        this.logger.warn({ status: outcome.status, attempt, retryInMs: waitMs, detail: outcome.detail }, 'remote-write: send failed; retrying');
      }
      await sleep(waitMs, this.abort.signal);
      if (this.abort.signal.aborted) {
        this.drop('shutdown', batch.length);
        return;
      }
      backoffMs = Math.min(this.maxBackoffMs, backoffMs * 2);
    }
  }

  private drop(reason: DropReason, n: number): void {
    this.options.metrics.remoteWriteSamplesDropped.inc({ reason }, n);
  }

  private updateFill(): void {
    this.options.metrics.remoteWriteQueueSamples.set(this.queue.length + this.inFlight);
  }
}
