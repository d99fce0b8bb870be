/**
 * OTLP/gRPC logs receiver: `opentelemetry.proto.collector.logs.v1.LogsService/Export` — what
 * Istio's envoyOtelAls provider calls (reference §4), on the collector's one gRPC server beside the
 * trace service. Messages pass through grpc-js as raw bytes so our own decoder does the work, with
 * the same errors, limits and partial success as OTLP/HTTP; grpc-js undoes `grpc-encoding: gzip`.
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeLogsProtobuf } from '../../shared/accesslog/logs-decode.js';
import type { LogLimits } from '../../shared/accesslog/logs-normalize.js';
import { encodeLogsResponseProtobuf } from '../../shared/accesslog/logs-response.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { AccessLogIntake } from './access-log-intake.js';
import type { GrpcServer } from './grpc-server.js';
import { exportLogs, grpcLogsRefusalFor, type LogsReceiverMetrics } from './otlp-logs-export.js';

const TRANSPORT = 'otlp_grpc';

/** HTTP/2 path of the OTLP/gRPC logs export method. */
export const LOGS_EXPORT_GRPC_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

const passthrough = (bytes: Buffer): Buffer => bytes;

/** LogsService with byte-passthrough (de)serializers; usable for a test client as well. */
export const logsServiceDefinition = {
  Export: {
    path: LOGS_EXPORT_GRPC_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
    originalName: 'export',
  },
} satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;

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

  async function exportRequest(request: Buffer): Promise<Buffer> {
    const partial = await exportLogs(decodeLogsProtobuf(request), TRANSPORT, opts);
    return Buffer.from(encodeLogsResponseProtobuf(partial));
  }

  const Export: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const stopTimer = metrics.requestDuration.startTimer({ transport: TRANSPORT });
    exportRequest(call.request).then(
      (response) => {
        stopTimer();
        callback(null, response);
      },
      (err: unknown) => {
        stopTimer();
        const refusal = grpcLogsRefusalFor(err);
        if (refusal.reason) {
          metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
          logger.debug({ code: refusal.error.code, reason: refusal.reason, detail: refusal.error.details }, 'OTLP/gRPC logs request refused');
        } else {
          logger.error({ err }, 'OTLP/gRPC logs request failed');
        }
        callback(refusal.error);
      },
    );
  };
  return { Export };
}

/** Adds the OTLP LogsService to the collector's gRPC server (before it starts). */
export function addOtlpLogsService(server: GrpcServer, opts: OtlpGrpcLogsOptions): void {
  server.addService(logsServiceDefinition, logsServiceImplementation(opts));
}
