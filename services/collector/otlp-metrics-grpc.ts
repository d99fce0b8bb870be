/**
 * OTLP/gRPC metrics receiver: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export`, on
 * the collector's one gRPC server beside the trace and logs services. Messages pass through
 * grpc-js as raw bytes so our own decoder does the work, with the same errors, limits and partial
 * success as OTLP/HTTP; grpc-js undoes `grpc-encoding: gzip`.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import { decodeMetricsProtobuf } from '../../shared/otlpmetrics/protobuf-decode.js';
import { encodeMetricsResponseProtobuf } from '../../shared/otlpmetrics/response.js';
import { TooManyDataPointsError } from '../../shared/otlpmetrics/validate.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { GrpcServer } from './grpc-server.js';
import type { MetricsIntake } from './metrics-intake.js';
import { grpcRefusalFor, type GrpcRefusal } from './otlp-grpc-errors.js';
import type { MetricsReceiverMetrics, MetricsRefusalReason } from './otlp-metrics-http.js';

const TRANSPORT = 'otlp_grpc';

/** HTTP/2 path of the OTLP/gRPC metrics export method. */
export const METRICS_EXPORT_GRPC_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

const passthrough = (bytes: Buffer): Buffer => bytes;

/** MetricsService with byte-passthrough (de)serializers; usable for a test client as well. */
export const metricsServiceDefinition = {
  Export: {
    path: METRICS_EXPORT_GRPC_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
    originalName: 'export',
  },
} satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;

export interface OtlpGrpcMetricsOptions {
  readonly intake: MetricsIntake;
  readonly metrics: MetricsReceiverMetrics;
  readonly logger: Logger;
}

export interface GrpcMetricsRefusal extends Omit<GrpcRefusal, 'reason'> {
  readonly reason?: MetricsRefusalReason;
}

/** As for traces, plus: too many data points is INVALID_ARGUMENT (the same request can never succeed). */
export function grpcMetricsRefusalFor(err: unknown): GrpcMetricsRefusal {
  if (err instanceof TooManyDataPointsError) {
    return { error: { code: GrpcStatus.INVALID_ARGUMENT, details: err.message }, reason: 'too_many_data_points' };
  }
  const refusal = grpcRefusalFor(err);
  return refusal.error.code === GrpcStatus.INTERNAL
    ? { ...refusal, error: { ...refusal.error, details: 'internal error while receiving metrics' } }
    : refusal;
}

export function metricsServiceImplementation(opts: OtlpGrpcMetricsOptions): grpc.UntypedServiceImplementation {
  const { intake, metrics, logger } = opts;

  async function exportRequest(request: Buffer): Promise<Buffer> {
    const partial = await intake.accept(decodeMetricsProtobuf(request), TRANSPORT);
    return Buffer.from(encodeMetricsResponseProtobuf(partial));
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
        const refusal = grpcMetricsRefusalFor(err);
        if (refusal.reason) {
          metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
          logger.debug({ code: refusal.error.code, reason: refusal.reason, detail: refusal.error.details }, 'OTLP/gRPC metrics request refused');
        } else {
          logger.error({ err }, 'OTLP/gRPC metrics request failed');
        }
        callback(refusal.error);
      },
    );
  };
  return { Export };
}

/** Adds the OTLP MetricsService to the collector's gRPC server (before it starts). */
export function addOtlpMetricsService(server: GrpcServer, opts: OtlpGrpcMetricsOptions): void {
  server.addService(metricsServiceDefinition, metricsServiceImplementation(opts));
}
