/**
 * Transport-independent core for access logs (the counterpart of TraceIntake): every access-log
 * receiver (Envoy ALS stream, OTLP logs, Istio lines) hands its normalized records here. Records are
 * grouped by buffer key (trace id when known, else the destination workload), encoded as one OTLP
 * ExportLogsServiceRequest per key (one LogRecord per entry) and published to the `accesslogs`
 * topic; accept() resolves only after the buffer took them (DESIGN principle 2).
 *
 * Validation belongs to each receiver (what is malformed differs per input); by the time records
 * reach this class they are well-formed, so it refuses nothing itself.
 */
import type { BufferRecord, TelemetryBuffer } from '../../../shared/buffer/buffer.js';
import { BufferFullError, BufferUnavailableError } from '../../../shared/buffer/buffer.js';
import { accessLogKey, encodeAccessLogsProtobuf } from '../../../shared/accesslog/otlp-codec.js';
import { truncateAccessLogFields } from '../../../shared/accesslog/truncate-fields.js';
import type { AccessLogKind, AccessLogRecord } from '../../../shared/model/access-log.js';
import type { Logger } from '../../../shared/telemetry/logger.js';
import type { ReceiverMetrics, Transport } from '../receiver-metrics.js';

export interface AccessLogIntakeOptions {
  readonly buffer: TelemetryBuffer;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  /** Longest string kept in any field (MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH); absent = no cut. */
  readonly maxFieldLength?: number;
}

export class AccessLogIntake {
  constructor(readonly options: AccessLogIntakeOptions) {}

  /**
   * Publishes the records; resolves after the buffer durably took all of them. Buffer refusals
   * (BufferFullError / BufferUnavailableError) propagate for the edge to map, counted in
   * meshtel_receiver_accesslogs_refused_total; some keys' records may have been taken then, which
   * the stores absorb on the sender's retry (ids are deterministic).
   */
  async accept(records: readonly AccessLogRecord[], transport: Transport, tenant?: string): Promise<void> {
    if (records.length === 0) return;
    const { buffer, metrics, maxFieldLength } = this.options;
    if (maxFieldLength !== undefined) {
      let cut = 0;
      records = records.map((r) => {
        const result = truncateAccessLogFields(r, maxFieldLength);
        cut += result.truncated;
        return result.record;
      });
      if (cut > 0) metrics.attributeValuesTruncated.inc({ transport }, cut);
    }
    try {
      await buffer.publish(recordsPerKey(withTenant(records, tenant)));
    } catch (err) {
      const reason = err instanceof BufferFullError ? 'buffer_full' : err instanceof BufferUnavailableError ? 'buffer_unavailable' : undefined;
      if (reason !== undefined) metrics.accessLogsRefused.inc({ transport, reason }, records.length);
      throw err;
    }
    const byKind: Record<AccessLogKind, number> = { http: 0, tcp: 0, log: 0 };
    for (const record of records) byKind[record.kind]++;
    for (const kind of ['http', 'tcp', 'log'] as const) {
      if (byKind[kind] > 0) metrics.accessLogsAccepted.inc({ transport, kind }, byKind[kind]);
    }
  }
}

/**
 * One ExportLogsServiceRequest per buffer key, keys in order of first appearance and records in
 * input order, so one trace's (or one workload's) entries stay together on one partition. Packable:
 * a Kafka buffer may send the keys of one partition as one record (BufferRecord.packable).
 */
export function recordsPerKey(records: readonly AccessLogRecord[]): BufferRecord[] {
  const groups = new Map<string, AccessLogRecord[]>();
  for (const record of records) {
    const key = accessLogKey(record);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [record]);
    else group.push(record);
  }
  const out: BufferRecord[] = [];
  for (const [key, group] of groups) out.push({ topic: 'accesslogs', key, value: encodeAccessLogsProtobuf(group), packable: true });
  return out;
}

/** The records stamped with the tenant they were received for (none: any tenant field removed). */
function withTenant(records: readonly AccessLogRecord[], tenant: string | undefined): readonly AccessLogRecord[] {
  if (records.every((r) => r.tenant === tenant)) return records;
  return records.map((r) => {
    if (tenant !== undefined) return { ...r, tenant };
    const { tenant: _dropped, ...rest } = r;
    return rest;
  });
}
