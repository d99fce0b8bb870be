/**
 * A sender that behaves like an OpenTelemetry exporter with retries and remembers exactly which
 * spans the collector acknowledged: OTLP/HTTP protobuf batches of small traces, each batch retried
 * (on 503, 429, other 5xx or a refused connection) until it is answered 200. Fault tests compare
 * what it was acknowledged with what the stores hold.
 */
import { randomBytes } from 'node:crypto';
import { encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { SpanKind, type SpanRecord } from '../../shared/model/span.js';
import { span } from '../fixtures/spans.js';

export interface AckedSenderOptions {
  readonly service?: string;
  readonly tracesPerBatch?: number;
  readonly spansPerTrace?: number;
  /** Pause between acknowledged batches. */
  readonly intervalMs?: number;
  readonly retryBackoffMs?: number;
}

export class AckedSender {
  /** trace id → spans acknowledged in that trace. */
  readonly acked = new Map<string, number>();
  ackedSpans = 0;
  refusals = 0;
  private running = false;
  private loop?: Promise<void>;
  private readonly runId = randomBytes(4).toString('hex');
  private batchNo = 0;

  constructor(private readonly otlpHttpUrl: () => string, private readonly options: AckedSenderOptions = {}) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the batch in flight is acknowledged (it is retried until it is). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const intervalMs = this.options.intervalMs ?? 50;
    while (this.running) {
      const spans = this.nextBatch();
      await this.sendUntilAcknowledged(spans);
      for (const s of spans) this.acked.set(s.traceId, (this.acked.get(s.traceId) ?? 0) + 1);
      this.ackedSpans += spans.length;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  private async sendUntilAcknowledged(spans: SpanRecord[]): Promise<void> {
    const body = encodeTracesProtobuf(spans);
    const backoff = this.options.retryBackoffMs ?? 250;
    for (;;) {
      try {
        const res = await fetch(`${this.otlpHttpUrl()}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) return;
        if (res.status !== 503 && res.status !== 429 && res.status < 500) {
          throw new Error(`collector answered ${res.status}: not retryable`);
        }
      } catch (err) {
        if (err instanceof Error && err.message.includes('not retryable')) throw err;
      }
      this.refusals++;
      await new Promise((r) => setTimeout(r, backoff));
    }
  }

  private nextBatch(): SpanRecord[] {
    const tracesPerBatch = this.options.tracesPerBatch ?? 10;
    const spansPerTrace = this.options.spansPerTrace ?? 3;
    const service = this.options.service ?? 'fault-test';
    const batch = this.batchNo++;
    const startUs = Date.now() * 1000;
    const spans: SpanRecord[] = [];
    for (let t = 0; t < tracesPerBatch; t++) {
      const traceId = `${this.runId}${batch.toString(16).padStart(16, '0')}${t.toString(16).padStart(8, '0')}`;
      for (let s = 0; s < spansPerTrace; s++) {
        spans.push(
          span({
            traceId,
            spanId: `${(s + 1).toString(16).padStart(8, '0')}${this.runId}`,
            parentSpanId: s === 0 ? '' : `${s.toString(16).padStart(8, '0')}${this.runId}`,
            service,
            name: `op-${s}`,
            kind: s === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
            startUs: startUs + s * 10,
            durationUs: 1000,
            attrs: { batch, 'http.route': `/r/${s}` },
          }),
        );
      }
    }
    return spans;
  }
}
