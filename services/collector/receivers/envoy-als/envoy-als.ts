/**
 * Envoy gRPC Access Log Service v3 receiver:
 * `envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs` on the collector's gRPC port
 * (reference §1.1). Each Envoy worker thread keeps its own long-lived client stream per logger;
 * the first message of a stream carries the identifier (node, log name), later ones only entries.
 *
 * ALS is lossy by design: Envoy never retries and ignores the reply, and when a stream backs up it
 * drops entries itself. So this receiver differs from the OTLP ones in what it does with trouble:
 *
 * - A message it cannot decode, or one the buffer refuses, is counted
 *   (meshtel_receiver_accesslogs_refused_total{transport="als"}) and the stream carries on. Ending
 *   the stream with an error would gain nothing — Envoy would not resend — and would lose the
 *   entries already on their way.
 * - To keep pace, messages are decoded as they arrive and handed to the intake without waiting
 *   for the previous hand-over, up to a few in flight per stream; beyond that the stream stops
 *   reading, and HTTP/2 flow control pushes back on Envoy (which then drops and counts at its end).
 * - The empty StreamAccessLogsResponse is sent when Envoy half-closes, after every hand-over of
 *   the stream settled.
 *
 * Counting is split with the intake: this receiver counts entries decoded (received), undecodable
 * and oversized messages, and unexpected failures; AccessLogIntake counts what the buffer took
 * (accepted) and what it refused (buffer_full / buffer_unavailable).
 */
import { tenantOfMetadata } from '../../../../shared/security/grpc-listener.js';
import type * as grpc from '@grpc/grpc-js';
import { isRetryableBufferError } from '../../../../shared/buffer/buffer.js';
import { AlsStreamDecoder } from '../../../../shared/envoy/als-stream.js';
import type { AccessLogRecord } from '../../../../shared/model/access-log.js';
import type { Logger } from '../../../../shared/telemetry/logger.js';
import type { ReceiverMetrics } from '../../receiver-metrics.js';
import type { AccessLogIntake } from '../../intake/access-log-intake.js';
import type { GrpcServer } from '../../transport/grpc-server.js';

const TRANSPORT = 'als';

/** HTTP/2 path of the ALS v3 streaming method. */
export const ALS_STREAM_GRPC_PATH = '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs';

/** StreamAccessLogsResponse has no fields: its encoding is empty. */
const EMPTY_RESPONSE = Buffer.alloc(0);

/**
 * Hand-overs to the intake one stream may have running at once. Enough to overlap decoding with a
 * Kafka round trip; small enough that a stalled buffer stops the stream's reading soon.
 */
export const DEFAULT_MAX_IN_FLIGHT_PER_STREAM = 4;

const passthrough = (bytes: Buffer): Buffer => bytes;

/** AccessLogService with byte-passthrough (de)serializers; usable for a test client as well. */
export const accessLogServiceDefinition = {
  StreamAccessLogs: {
    path: ALS_STREAM_GRPC_PATH,
    requestStream: true,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
    originalName: 'streamAccessLogs',
  },
} satisfies grpc.ServiceDefinition<grpc.UntypedServiceImplementation>;

export interface EnvoyAlsOptions {
  readonly intake: Pick<AccessLogIntake, 'accept'>;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  /**
   * Largest StreamAccessLogsMessage decoded; a larger one is skipped and counted (reason
   * `body_too_large`) while the stream continues. Envoy flushes at 16 KiB by default. Unset: only
   * the gRPC server's own limit applies (which ends the stream with RESOURCE_EXHAUSTED).
   */
  readonly maxMessageBytes?: number;
  readonly maxInFlightPerStream?: number;
}

/**
 * `drains` collects one function per open stream; calling it ends that stream the way a half-close
 * would (stop reading, let hand-overs settle, answer OK). Shutdown uses it: Envoy never half-closes.
 */
export function envoyAlsImplementation(opts: EnvoyAlsOptions, drains: Set<() => void> = new Set()): grpc.UntypedServiceImplementation {
  const { intake, metrics, logger } = opts;
  const maxInFlight = Math.max(1, opts.maxInFlightPerStream ?? DEFAULT_MAX_IN_FLIGHT_PER_STREAM);

  const StreamAccessLogs: grpc.handleClientStreamingCall<Buffer, Buffer> = (call, callback) => {
    const decoder = new AlsStreamDecoder();
    const peer = safePeer(call);
    // The tenant the listener's guard admitted the stream for (multi-tenancy on), else undefined.
    const tenant = tenantOfMetadata(call.metadata);
    let messages = 0;
    let inFlight = 0;
    let halfClosed = false;
    let closed = false;
    const logged = new Set<string>();
    metrics.alsStreamsActive.inc();

    /** Once per stream and kind of trouble: a broken sender must not flood the log. */
    const warnOnce = (kind: string, fields: Record<string, unknown>, message: string) => {
      if (logged.has(kind)) return;
      logged.add(kind);
      logger.warn({ peer, node: decoder.proxy.nodeId, messages, ...fields }, message);
    };

    const close = (answer: boolean) => {
      if (closed) return;
      closed = true;
      drains.delete(drain);
      metrics.alsStreamsActive.dec();
      if (answer) callback(null, EMPTY_RESPONSE);
    };

    const settled = () => {
      inFlight--;
      if (call.isPaused() && inFlight < maxInFlight && !halfClosed) call.resume();
      if (halfClosed && inFlight === 0) close(true);
    };

    const handOver = (records: AccessLogRecord[]) => {
      inFlight++;
      if (inFlight >= maxInFlight) call.pause();
      intake.accept(records, TRANSPORT, tenant).then(settled, (err: unknown) => {
        if (isRetryableBufferError(err)) {
          // Counted by the intake; Envoy will not resend, so the stream simply goes on.
          warnOnce(err.name, { err: err.message, entries: records.length }, 'ALS entries refused by the buffer; the stream continues');
        } else {
          metrics.accessLogsRefused.inc({ transport: TRANSPORT, reason: 'internal_error' }, records.length);
          logger.error({ err, peer, entries: records.length }, 'ALS entries could not be handed to the buffer');
        }
        settled();
      });
    };

    call.on('data', (bytes: Buffer) => {
      messages++;
      let records: AccessLogRecord[] | undefined;
      if (opts.maxMessageBytes !== undefined && bytes.length > opts.maxMessageBytes) {
        // The entries inside are unknown; the message counts as one.
        metrics.accessLogsRefused.inc({ transport: TRANSPORT, reason: 'body_too_large' });
        warnOnce('too_large', { bytes: bytes.length, limit: opts.maxMessageBytes }, 'ALS message larger than the limit skipped; the stream continues');
      } else {
        try {
          records = decoder.decode(bytes);
        } catch (err) {
          // As above: an undecodable message counts as one entry refused.
          metrics.accessLogsRefused.inc({ transport: TRANSPORT, reason: 'decode_error' });
          warnOnce('decode', { err: err instanceof Error ? err.message : String(err) }, 'undecodable ALS message skipped; the stream continues');
        }
      }
      if (messages === 1) metrics.alsStreams.inc({ identifier: decoder.identified ? 'present' : 'missing' });
      if (records === undefined || records.length === 0) return;
      metrics.accessLogsReceived.inc({ transport: TRANSPORT }, records.length);
      handOver(records);
    });

    call.on('end', () => {
      halfClosed = true;
      if (inFlight === 0) close(true);
    });

    // Shutdown: what arrived is handed over; then the stream is answered as if Envoy had
    // half-closed it, and Envoy reconnects (to another collector) for what comes next.
    function drain(): void {
      if (halfClosed || closed) return;
      halfClosed = true;
      call.pause();
      if (inFlight === 0) close(true);
    }
    drains.add(drain);

    // Envoy ends streams by cancelling them too (e.g. at shutdown); hand-overs already started
    // still complete, there is just nobody to answer.
    call.on('cancelled', () => close(false));
    call.on('error', (err: Error) => {
      logger.debug({ err, peer }, 'ALS stream failed');
      close(false);
    });
  };

  return { StreamAccessLogs };
}

/** Adds the Envoy Access Log Service to the collector's gRPC server (before it starts). */
export function addEnvoyAlsService(server: GrpcServer, opts: EnvoyAlsOptions): void {
  const drains = new Set<() => void>();
  server.addService(accessLogServiceDefinition, envoyAlsImplementation(opts, drains));
  server.onDrain(() => {
    for (const drain of [...drains]) drain();
  });
}

function safePeer(call: grpc.ServerReadableStream<Buffer, Buffer>): string | undefined {
  try {
    return call.getPeer();
  } catch {
    return undefined;
  }
}
