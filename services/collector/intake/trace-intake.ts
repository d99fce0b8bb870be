/**
 * The transport-independent half of every trace receiver: validate decoded spans, buffer them
 * (one record per trace, or per partition where the buffer has partitions: no trace is ever split
 * across records), and say what was rejected. Receivers (OTLP/HTTP, OTLP/gRPC, later Zipkin) only
 * decode and map outcomes to their wire; what "accepted" means lives here, once.
 */
import { stampSpansWithTenant } from '../../../shared/otlp/traces/tenant-stamp.js';
import type { BufferRecord, TelemetryBuffer } from '../../../shared/buffer/buffer.js';
import { BufferFullError, BufferUnavailableError } from '../../../shared/buffer/buffer.js';
import type { SpanRecord } from '../../../shared/model/span.js';
import { TooManySpansError, validateSpans, type SpanLimits, type ValidationResult } from '../../../shared/otlp/traces/limits.js';
import {
  encodeTracesProtobufEach, groupSpansByTrace, type PartialSuccess,
} from '../../../shared/otlp/traces/traces.js';
import type { Logger } from '../../../shared/telemetry/logger.js';
import type { ReceiverMetrics, RefusalReason, Transport } from '../receiver-metrics.js';

export type IntakeMetrics = Pick<
  ReceiverMetrics,
  'spansReceived' | 'spansAccepted' | 'spansRefused' | 'attributesDropped' | 'attributeValuesTruncated'
>;

export interface TraceIntakeOptions {
  readonly buffer: TelemetryBuffer;
  readonly limits: SpanLimits;
  readonly metrics: IntakeMetrics;
  readonly logger: Logger;
  /**
   * Spans starting further than this from now (either way) are rejected individually (partial
   * success, counted as clock_skew): a daily index is chosen by start time, so a span at 1 ns or
   * 2^64-1 ns would otherwise create an index in 1970 or 2554. 0 or absent = no check.
   */
  readonly maxClockSkewMs?: number;
  /** The clock the skew is measured against (tests pin it). */
  readonly now?: () => number;
}

/**
 * The OTLP protobuf ExportTraceServiceRequest (decompressed) that a receiver decoded the spans
 * from, every byte of it: decoding it gives those very spans. A receiver that has it passes it to
 * TraceIntake.accept, which may then buffer these bytes instead of encoding the spans again (the
 * spans decoded with keepEncodedSpans refer to them anyway, so nothing more is held).
 */
export type RequestBytes = Uint8Array;

export class TraceIntake {
  readonly #buffer: TelemetryBuffer;
  readonly #limits: SpanLimits;
  readonly #metrics: IntakeMetrics;
  readonly #logger: Logger;
  readonly #maxSkewNs: bigint;
  readonly #now: () => number;

  constructor(opts: TraceIntakeOptions) {
    this.#maxSkewNs = BigInt(Math.round(opts.maxClockSkewMs ?? 0)) * 1_000_000n;
    this.#now = opts.now ?? Date.now;
    this.#buffer = opts.buffer;
    this.#limits = opts.limits;
    this.#metrics = opts.metrics;
    this.#logger = opts.logger;
  }

  /**
   * Resolves once every valid span is durably in the buffer; only then may the receiver answer
   * success (DESIGN principle 2). Rejects with TooManySpansError (nothing buffered) or with the
   * buffer's BufferFullError / BufferUnavailableError (retryable; some traces may have been taken,
   * which the idempotent stores absorb on the sender's retry). `request`: see {@link RequestBytes}.
   */
  async accept(spans: readonly SpanRecord[], transport: Transport, tenant?: string, request?: RequestBytes): Promise<PartialSuccess> {
    this.#metrics.spansReceived.inc({ transport }, spans.length);

    let result: ValidationResult;
    try {
      result = validateSpans(spans, this.#limits);
    } catch (err) {
      if (err instanceof TooManySpansError) {
        this.#metrics.spansRefused.inc({ transport, reason: 'too_many_spans' }, spans.length);
      }
      throw err;
    }

    if (this.#maxSkewNs > 0n) result = this.#rejectSkewed(result);

    for (const [reason, count] of Object.entries(result.rejectedByReason)) {
      if (count) this.#metrics.spansRefused.inc({ transport, reason: reason as RefusalReason }, count);
    }
    if (result.attributesDropped > 0) this.#metrics.attributesDropped.inc({ transport }, result.attributesDropped);
    if (result.valuesTruncated > 0) this.#metrics.attributeValuesTruncated.inc({ transport }, result.valuesTruncated);

    // The tenant goes on every span's resource (and a sender's own tenant attribute goes away).
    const stamped = stampSpansWithTenant(result.accepted, tenant);
    // The request's own bytes encode exactly the spans to buffer when validation took every span
    // as it came and the tenant stamp changed nothing (it returns its input then).
    const unchanged = request !== undefined && result.rejectedSpans === 0 && result.attributesDropped === 0 &&
      result.valuesTruncated === 0 && stamped === result.accepted;
    const buffer = this.#buffer;
    const records = buffer.partitionOf
      ? recordsPerPartition(stamped, (traceId) => buffer.partitionOf!('spans', traceId), unchanged ? request : undefined)
      : recordsPerTrace(stamped);
    if (records.length > 0) {
      try {
        await this.#buffer.publish(records);
      } catch (err) {
        const reason = bufferRefusalReason(err);
        if (reason) this.#metrics.spansRefused.inc({ transport, reason }, result.accepted.length);
        throw err;
      }
    }
    this.#metrics.spansAccepted.inc({ transport }, result.accepted.length);

    if (result.rejectedSpans > 0) {
      this.#logger.debug(
        { transport, rejectedSpans: result.rejectedSpans, reason: result.errorMessage },
        'spans rejected individually',
      );
    }
    return { rejectedSpans: result.rejectedSpans, errorMessage: result.errorMessage };
  }

  /** Moves spans whose start is outside now ± the allowed skew from accepted to rejected. */
  #rejectSkewed(result: ValidationResult): ValidationResult {
    const nowNs = BigInt(this.#now()) * 1_000_000n;
    const low = nowNs - this.#maxSkewNs;
    const high = nowNs + this.#maxSkewNs;
    const inWindow = result.accepted.filter((s) => s.startTimeUnixNano >= low && s.startTimeUnixNano <= high);
    const skewed = result.accepted.length - inWindow.length;
    if (skewed === 0) return result;
    const skewMs = Number(this.#maxSkewNs / 1_000_000n);
    return {
      ...result,
      accepted: inWindow,
      rejectedSpans: result.rejectedSpans + skewed,
      rejectedByReason: { ...result.rejectedByReason, clock_skew: (result.rejectedByReason.clock_skew ?? 0) + skewed },
      errorMessage:
        result.errorMessage ||
        `${skewed} span(s) start more than ${skewMs} ms away from the collector's clock (MESHTEL_MAX_CLOCK_SKEW) and were rejected`,
    };
  }
}

/**
 * One ExportTraceServiceRequest per trace, keyed by trace id, so every span of a trace lands on
 * one partition and hence one ingester (service-graph pairing needs that; DESIGN.md "Kafka").
 * For a buffer that cannot say which trace ids it keeps together (Kafka before it knows its
 * partitions).
 *
 * Each record also carries its spans (BufferRecord.spans): an in-process buffer hands them to
 * the ingester, which then skips decoding the bytes (Kafka ignores them). The record values are
 * views of one allocation per call (encodeTracesProtobufEach); they are consumed together.
 */
export function recordsPerTrace(spans: readonly SpanRecord[]): BufferRecord[] {
  return recordsOfGroups(groupSpansByTrace(spans));
}

/**
 * One ExportTraceServiceRequest per partition of the buffer (TelemetryBuffer.partitionOf): the
 * traces whose ids map to one partition, keyed by the first one's id (which maps there too), so a
 * trace still never leaves its partition. Why not one record per trace: a request's resources and
 * scopes are then written once per partition instead of once per trace — for the load generator's
 * 512-span requests of ~70 traces, 282 KB instead of 390 KB, bytes that kafkajs copies and
 * checksums and the broker stores — and the records are few (the Kafka buffer also packs the
 * records of concurrent requests that share a partition: shared/buffer/kafka/record-packer.ts).
 * Falls back to one record per trace while the buffer cannot tell (`partitionOf` undefined).
 * The in-process buffer keeps every trace together (one consumer): a request is then one record.
 */
export function recordsPerPartition(
  spans: readonly SpanRecord[],
  partitionOf: (traceId: string) => number | undefined,
  request?: RequestBytes,
): BufferRecord[] {
  // Which partition each trace goes to, looked up once per trace. Only when they differ are the
  // spans grouped: an in-process buffer (one consumer) and many small Kafka requests keep every
  // trace on one partition, and grouping them by trace would be work thrown away.
  const partitionOfTrace = new Map<string, number>();
  let onePartition = true;
  let firstPartition: number | undefined;
  for (const span of spans) {
    if (partitionOfTrace.has(span.traceId)) continue;
    const partition = partitionOf(span.traceId);
    if (partition === undefined) return recordsPerTrace(spans);
    partitionOfTrace.set(span.traceId, partition);
    firstPartition ??= partition;
    if (partition !== firstPartition) onePartition = false;
  }
  if (spans.length === 0) return [];
  const groups = new Map<string, readonly SpanRecord[]>();
  if (onePartition) {
    // Every trace on one partition: the request's spans as they came — and without encoding them
    // at all when the bytes they were decoded from are at hand.
    if (request !== undefined) return [{ topic: 'spans', key: spans[0].traceId, value: request, packable: true, spans }];
    groups.set(spans[0].traceId, spans);
    return recordsOfGroups(groups);
  }
  const byPartition = new Map<number, { readonly key: string; readonly traces: SpanRecord[][] }>();
  for (const [traceId, group] of groupSpansByTrace(spans)) {
    const partition = partitionOfTrace.get(traceId)!;
    const entry = byPartition.get(partition);
    if (entry === undefined) byPartition.set(partition, { key: traceId, traces: [group] });
    else entry.traces.push(group);
  }
  for (const { key, traces: inPartition } of byPartition.values()) groups.set(key, inPartition.length === 1 ? inPartition[0] : inPartition.flat());
  return recordsOfGroups(groups);
}

/** One packable record per group, keyed by the group's key, carrying its spans. */
function recordsOfGroups(groups: ReadonlyMap<string, readonly SpanRecord[]>): BufferRecord[] {
  const values = encodeTracesProtobufEach([...groups.values()]);
  const records = new Array<BufferRecord>(groups.size);
  let i = 0;
  for (const [key, group] of groups) {
    records[i] = { topic: 'spans', key, value: values[i], packable: true, spans: group };
    i++;
  }
  return records;
}

function bufferRefusalReason(err: unknown): RefusalReason | undefined {
  if (err instanceof BufferFullError) return 'buffer_full';
  if (err instanceof BufferUnavailableError) return 'buffer_unavailable';
  return undefined;
}
