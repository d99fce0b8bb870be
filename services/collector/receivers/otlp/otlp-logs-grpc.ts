/**
 * OTLP/gRPC logs receiver: `opentelemetry.proto.collector.logs.v1.LogsService/Export` — what
 * Istio's envoyOtelAls provider calls (reference §4), on the collector's one gRPC server beside the
 * trace service. Messages pass through grpc-js as raw bytes so our own decoder does the work, with
 * the same errors, limits and partial success as OTLP/HTTP (shared scaffolding:
 * otlp-grpc-export.ts); grpc-js undoes `grpc-encoding: gzip`.
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeLogsProtobuf } from '../../../../shared/otlp/logs/logs-decode.js';
import type { LogLimits } from '../../../../shared/accesslog/logs-normalize.js';
import { encodeLogsResponseProtobuf } from '../../../../shared/otlp/logs/logs-response.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { AccessLogIntake } from '../../intake/access-log-intake.js';
import type { GrpcServer } from '../../transport/grpc-server.js';
import { exportServiceDefinition, exportServiceImplementation } from './otlp-grpc-export.js';
import { exportLogs, grpcLogsRefusalFor, type LogsReceiverMetrics } from './otlp-logs-export.js';

const TRANSPORT = 'otlp_grpc';

/** HTTP/2 path of the OTLP/gRPC logs export method. */
export const LOGS_EXPORT_GRPC_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** LogsService with byte-passthrough (de)serializers; usable for a test client as well. */
export const logsServiceDefinition = exportServiceDefinition(LOGS_EXPORT_GRPC_PATH);

export interface OtlpGrpcLogsOptions {
  readonly intake: AccessLogIntake;
  readonly metrics: LogsReceiverMetrics;
  readonly logger: Logger;
  /**
   * Log-record limits. The message size limit is the gRPC server's (maxReceiveMessageBytes), which
   * the trace service shares.
   */
  readonly limits: LogLimits;
}

export function logsServiceImplementation(opts: OtlpGrpcLogsOptions): grpc.UntypedServiceImplementation {
  const { metrics, logger } = opts;
  return exportServiceImplementation({
    signal: 'logs',
    transport: TRANSPORT,
    metrics,
    logger,
    refusalFor: grpcLogsRefusalFor,
    handle: async (request, tenant) => encodeLogsResponseProtobuf(await exportLogs(decodeLogsProtobuf(request), TRANSPORT, { ...opts, tenant })),
  });
}

/** Adds the OTLP LogsService to the collector's gRPC server (before it starts). */
export function addOtlpLogsService(server: GrpcServer, opts: OtlpGrpcLogsOptions): void {
  server.addService(logsServiceDefinition, logsServiceImplementation(opts));
}
