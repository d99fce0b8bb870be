/**
 * What the two OTLP logs receivers (HTTP and gRPC) share once a request is decoded: normalize and
 * validate the records, count what happened, hand the records to the AccessLogIntake, and say what
 * was rejected — plus the logs-specific part of turning a refusal into a status (the rest is the
 * trace receivers' mapping, reused as it is).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { OtlpLogRecord } from '../../../../shared/otlp/logs/logs-decode.js';
import { TooManyLogRecordsError, normalizeOtlpLogs, type LogLimits, type NormalizedLogs } from '../../../../shared/accesslog/logs-normalize.js';
import type { LogsPartialSuccess } from '../../../../shared/otlp/logs/logs-response.js';
import { RpcCode } from '../../../../shared/otlp/common/status.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { ReceiverMetrics, RefusalReason } from '../../receiver-metrics.js';
import type { AccessLogIntake } from '../../intake/access-log-intake.js';
import { grpcRefusalFor, type GrpcRefusal } from '../../transport/grpc-errors.js';
import { httpRefusalFor, type HttpRefusal } from '../../transport/http-errors.js';

export type LogsReceiverMetrics = Pick<
  ReceiverMetrics,
  'accessLogsReceived' | 'accessLogsRefused' | 'attributesDropped' | 'attributeValuesTruncated' | 'requestsRefused' | 'requestDuration'
>;

export type LogsTransport = 'otlp_http' | 'otlp_grpc';

/** A refusal label of meshtel_receiver_requests_refused_total; logs add one reason to the trace ones. */
export type LogsRefusalReason = RefusalReason | 'too_many_log_records';

export interface ExportLogsDeps {
  readonly intake: AccessLogIntake;
  readonly limits: LogLimits;
  readonly metrics: LogsReceiverMetrics;
  /** Only `debug` is used, so fastify's request logger fits too. */
  readonly logger: Pick<Logger, 'debug'>;
  /** The request's tenant (multi-tenancy on), stamped on every record. */
  readonly tenant?: string;
}

/**
 * Resolves once every accepted record is durably in the buffer, with what was rejected. Rejects
 * with TooManyLogRecordsError (nothing buffered) or the buffer's refusal (retryable).
 */
export async function exportLogs(logs: readonly OtlpLogRecord[], transport: LogsTransport, deps: ExportLogsDeps): Promise<LogsPartialSuccess> {
  const { intake, limits, metrics, logger } = deps;
  metrics.accessLogsReceived.inc({ transport }, logs.length);
  let result: NormalizedLogs;
  try {
    result = normalizeOtlpLogs(logs, limits);
  } catch (err) {
    if (err instanceof TooManyLogRecordsError) metrics.accessLogsRefused.inc({ transport, reason: 'too_many_log_records' }, logs.length);
    throw err;
  }
  for (const [reason, count] of Object.entries(result.rejectedByReason)) {
    if (count) metrics.accessLogsRefused.inc({ transport, reason }, count);
  }
  if (result.attributesDropped > 0) metrics.attributesDropped.inc({ transport }, result.attributesDropped);
  if (result.valuesTruncated > 0) metrics.attributeValuesTruncated.inc({ transport }, result.valuesTruncated);
  await intake.accept(result.records, transport, deps.tenant);
  if (result.rejected > 0) {
    logger.debug({ transport, rejectedLogRecords: result.rejected, reason: result.errorMessage }, 'log records rejected individually');
  }
  return { rejectedLogRecords: result.rejected, errorMessage: result.errorMessage };
}

export interface HttpLogsRefusal extends Omit<HttpRefusal, 'reason'> {
  readonly reason?: LogsRefusalReason;
}

/** As for traces, plus: too many records is 413 (retrying the same request cannot help). */
export function httpLogsRefusalFor(err: unknown): HttpLogsRefusal {
  if (err instanceof TooManyLogRecordsError) {
    return { statusCode: 413, grpcCode: RpcCode.INVALID_ARGUMENT, message: err.message, reason: 'too_many_log_records' };
  }
  const refusal = httpRefusalFor(err);
  return refusal.statusCode === 500 ? { ...refusal, message: 'internal error while receiving logs' } : refusal;
}

export interface GrpcLogsRefusal extends Omit<GrpcRefusal, 'reason'> {
  readonly reason?: LogsRefusalReason;
}

/** As for traces, plus: too many records is INVALID_ARGUMENT (the same request can never succeed). */
export function grpcLogsRefusalFor(err: unknown): GrpcLogsRefusal {
  if (err instanceof TooManyLogRecordsError) {
    return { error: { code: GrpcStatus.INVALID_ARGUMENT, details: err.message }, reason: 'too_many_log_records' };
  }
  const refusal = grpcRefusalFor(err);
  return refusal.error.code === GrpcStatus.INTERNAL
    ? { ...refusal, error: { ...refusal.error, details: 'internal error while receiving logs' } }
    : refusal;
}
