/**
 * What the three OTLP/gRPC export services (traces, logs, metrics) share: a unary `Export` method
 * whose messages pass through grpc-js as raw bytes, so our own decoders do the work with the same
 * errors and limits as OTLP/HTTP, and one way of timing, counting and logging a refusal. Each
 * service keeps only decoding, the intake call, the response encoding and its refusal mapping.
 */
import { tenantOfMetadata } from '../../../../shared/security/grpc-listener.js';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { ReceiverMetrics } from '../../receiver-metrics.js';
import type { GrpcRefusal } from '../../transport/grpc-errors.js';

const passthrough = (bytes: Buffer): Buffer => bytes;

/** A service with one unary `Export` method and byte-passthrough (de)serializers; usable for a test client as well. */
export function exportServiceDefinition(path: string) {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: passthrough,
      requestDeserialize: passthrough,
      responseSerialize: passthrough,
      responseDeserialize: passthrough,
      originalName: 'export',
    },
  } satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;
}

/** A gRPC refusal whose metric reason may be one a signal adds to the trace ones. */
export interface OtlpGrpcRefusal extends Omit<GrpcRefusal, 'reason'> {
  readonly reason?: string;
}

export interface OtlpGrpcExport {
  /** Names the signal in log lines ("OTLP/gRPC <signal> request refused"). */
  readonly signal: string;
  /** Label of the request metrics. */
  readonly transport: string;
  readonly metrics: Pick<ReceiverMetrics, 'requestsRefused' | 'requestDuration'>;
  readonly logger: Logger;
  readonly refusalFor: (err: unknown) => OtlpGrpcRefusal;
  /**
   * Decodes the request, hands it on and encodes the export response; rejecting answers with
   * `refusalFor`'s status. `tenant`: the tenant the listener's guard admitted the call for
   * (multi-tenancy on), else undefined.
   */
  readonly handle: (request: Buffer, tenant: string | undefined) => Promise<Uint8Array>;
}

export function exportServiceImplementation(opts: OtlpGrpcExport): grpc.UntypedServiceImplementation {
  const { signal, transport, metrics, logger, refusalFor, handle } = opts;

  const Export: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const stopTimer = metrics.requestDuration.startTimer({ transport });
    // Called from an async function so that a handle that throws synchronously still rejects.
    (async () => handle(call.request, tenantOfMetadata(call.metadata)))().then(
      (response) => {
        stopTimer();
        callback(null, Buffer.from(response));
      },
      (err: unknown) => {
        stopTimer();
        const refusal = refusalFor(err);
        if (refusal.reason) {
          metrics.requestsRefused.inc({ transport, reason: refusal.reason });
          logger.debug({ code: refusal.error.code, reason: refusal.reason, detail: refusal.error.details }, `OTLP/gRPC ${signal} request refused`);
        } else {
          logger.error({ err }, `OTLP/gRPC ${signal} request failed`);
        }
        callback(refusal.error);
      },
    );
  };
  return { Export };
}
