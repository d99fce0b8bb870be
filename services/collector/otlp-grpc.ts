/**
 * OTLP/gRPC trace receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export`
 * (opentelemetry-proto docs/specification.md, "OTLP/gRPC"). Messages pass through grpc-js as raw
 * bytes so our own decoder does the work, with the same errors and limits as OTLP/HTTP.
 * grpc-js itself undoes `grpc-encoding: gzip` (and deflate) before handing us the bytes.
 */
import type * as grpc from '@grpc/grpc-js';
import { TRACE_EXPORT_GRPC_PATH } from '../../shared/otlp/proto-root.js';
import { decodeTracesProtobuf, encodeTraceResponseProtobuf } from '../../shared/otlp/traces.js';
import type { Logger } from '../../shared/telemetry/logger.js';
import type { MeshtelMetrics } from '../../shared/telemetry/metrics.js';
import type { GrpcServer } from './grpc-server.js';
import { grpcRefusalFor } from './otlp-grpc-errors.js';
import type { TraceIntake } from './trace-intake.js';

const TRANSPORT = 'otlp_grpc';

const passthrough = (bytes: Buffer): Buffer => bytes;

/** TraceService with byte-passthrough (de)serializers; usable for a test client as well. */
export const traceServiceDefinition = {
  Export: {
    path: TRACE_EXPORT_GRPC_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
    originalName: 'export',
  },
} satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;

export interface OtlpGrpcTraceOptions {
  readonly intake: TraceIntake;
  readonly metrics: Pick<MeshtelMetrics, 'requestsRefused' | 'requestDuration'>;
  readonly logger: Logger;
}

export function traceServiceImplementation(opts: OtlpGrpcTraceOptions): grpc.UntypedServiceImplementation {
  const { intake, metrics, logger } = opts;

  async function exportTraces(request: Buffer): Promise<Buffer> {
    // Spans that validation leaves untouched are re-encoded per trace by copying their bytes.
    const spans = decodeTracesProtobuf(request, { keepEncodedSpans: true });
    const partial = await intake.accept(spans, TRANSPORT);
    return Buffer.from(encodeTraceResponseProtobuf(partial));
  }

  const Export: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const stopTimer = metrics.requestDuration.startTimer({ transport: TRANSPORT });
    exportTraces(call.request).then(
      (response) => {
        stopTimer();
        callback(null, response);
      },
      (err: unknown) => {
        stopTimer();
        const refusal = grpcRefusalFor(err);
        if (refusal.reason) {
          metrics.requestsRefused.inc({ transport: TRANSPORT, reason: refusal.reason });
          logger.debug({ code: refusal.error.code, reason: refusal.reason, detail: refusal.error.details }, 'OTLP/gRPC trace request refused');
        } else {
          logger.error({ err }, 'OTLP/gRPC trace request failed');
        }
        callback(refusal.error);
      },
    );
  };
  return { Export };
}

/** Adds the OTLP TraceService to the collector's gRPC server (before it starts). */
export function addOtlpTraceService(server: GrpcServer, opts: OtlpGrpcTraceOptions): void {
  server.addService(traceServiceDefinition, traceServiceImplementation(opts));
}
