/**
 * OTLP/gRPC metrics receiver: `opentelemetry.proto.collector.metrics.v1.MetricsService/Export`, on
 * the collector's one gRPC server beside the trace and logs services. Messages pass through
 * grpc-js as raw bytes so our own decoder does the work, with the same errors, limits and partial
 * success as OTLP/HTTP (shared scaffolding: otlp-grpc-export.ts); grpc-js undoes `grpc-encoding: gzip`.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import { decodeMetricsProtobuf } from '../../../../shared/otlp/metrics/protobuf-decode.js';
import { encodeMetricsResponseProtobuf } from '../../../../shared/otlp/metrics/response.js';
import { TooManyDataPointsError } from '../../../../shared/otlp/metrics/validate.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { GrpcServer } from '../../transport/grpc-server.js';
import type { MetricsIntake } from '../../intake/metrics-intake.js';
import { grpcRefusalFor, type GrpcRefusal } from '../../transport/grpc-errors.js';
import { exportServiceDefinition, exportServiceImplementation } from './otlp-grpc-export.js';
import type { MetricsReceiverMetrics, MetricsRefusalReason } from './otlp-metrics-http.js';

const TRANSPORT = 'otlp_grpc';

/** HTTP/2 path of the OTLP/gRPC metrics export method. */
export const METRICS_EXPORT_GRPC_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

/** MetricsService with byte-passthrough (de)serializers; usable for a test client as well. */
export const metricsServiceDefinition = exportServiceDefinition(METRICS_EXPORT_GRPC_PATH);

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
  return exportServiceImplementation({
    signal: 'metrics',
    transport: TRANSPORT,
    metrics,
    logger,
    refusalFor: grpcMetricsRefusalFor,
    handle: async (request, tenant) => encodeMetricsResponseProtobuf(await intake.accept(decodeMetricsProtobuf(request), TRANSPORT, tenant)),
  });
}

/** Adds the OTLP MetricsService to the collector's gRPC server (before it starts). */
export function addOtlpMetricsService(server: GrpcServer, opts: OtlpGrpcMetricsOptions): void {
  server.addService(metricsServiceDefinition, metricsServiceImplementation(opts));
}
