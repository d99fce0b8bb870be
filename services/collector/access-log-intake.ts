/**
 * Transport-independent core for access logs (the counterpart of TraceIntake): every access-log
 * receiver (Envoy ALS stream, OTLP logs, Istio lines) hands its normalized records here. Records are
 * grouped by buffer key (trace id when known, else the destination workload), encoded as one OTLP
 * ExportLogsServiceRequest per key (one LogRecord per entry) and published to the `accesslogs`
 * topic; accept() resolves only after the buffer took them. API fixed by the plan; implementation
 * pending (issue 4, helper owning the OTLP logs codec).
 */
import type { TelemetryBuffer } from '../../shared/buffer/buffer.js';
import type { AccessLogRecord } from '../../shared/model/access-log.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { MeshtelMetrics, Transport } from '../../shared/telemetry/metrics.js';

export interface AccessLogIntakeOptions {
  readonly buffer: TelemetryBuffer;
  readonly metrics: MeshtelMetrics;
  readonly logger: Logger;
}

export class AccessLogIntake {
  constructor(readonly options: AccessLogIntakeOptions) {}

  /**
   * Publishes the records; resolves after the buffer durably took all of them. Buffer refusals
   * (BufferFullError / BufferUnavailableError) propagate for the edge to map.
   */
  async accept(_records: readonly AccessLogRecord[], _transport: Transport): Promise<void> {
    throw new Error('not implemented');
  }
}
