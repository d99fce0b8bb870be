/**
 * OTLP/gRPC trace receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export`
 * (opentelemetry-proto docs/specification.md, "OTLP/gRPC"). Messages pass through grpc-js as raw
 * bytes so our own decoder does the work, with the same errors and limits as OTLP/HTTP
 * (the scaffolding shared with the logs and metrics services is in otlp-grpc-export.ts).
 * grpc-js itself undoes `grpc-encoding: gzip` (and deflate) before handing us the bytes.
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeTracesProtobuf, encodeTraceResponseProtobuf } from '../../../../shared/otlp/traces/traces.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { ReceiverMetrics } from '../../receiver-metrics.js';
import type { GrpcServer } from '../../transport/grpc-server.js';
import { grpcRefusalFor } from '../../transport/grpc-errors.js';
import { exportServiceDefinition, exportServiceImplementation } from './otlp-grpc-export.js';
import type { TraceIntake } from '../../intake/trace-intake.js';

const TRANSPORT = 'otlp_grpc';

/** TraceService with byte-passthrough (de)serializers; usable for a test client as well. */
/** HTTP/2 path of the OTLP/gRPC trace export method. */
export const TRACE_EXPORT_GRPC_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const traceServiceDefinition = exportServiceDefinition(TRACE_EXPORT_GRPC_PATH);

export interface OtlpGrpcTraceOptions {
  readonly intake: TraceIntake;
  readonly metrics: Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration'>;
  readonly logger: Logger;
}

export function traceServiceImplementation(opts: OtlpGrpcTraceOptions): grpc.UntypedServiceImplementation {
  const { intake, metrics, logger } = opts;
  return exportServiceImplementation({
    signal: 'trace',
    transport: TRANSPORT,
    metrics,
    logger,
    refusalFor: grpcRefusalFor,
    handle: async (request, tenant) => {
      // Spans that validation leaves untouched are re-encoded per trace by copying their bytes.
      const spans = decodeTracesProtobuf(request, { keepEncodedSpans: true });
      const partial = await intake.accept(spans, TRANSPORT, tenant, request);
      return encodeTraceResponseProtobuf(partial);
    },
  });
}

/** Adds the OTLP TraceService to the collector's gRPC server (before it starts). */
export function addOtlpTraceService(server: GrpcServer, opts: OtlpGrpcTraceOptions): void {
  server.addService(traceServiceDefinition, traceServiceImplementation(opts));
}
