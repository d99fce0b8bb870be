/**
 * What grpc-js does not bound on its own, enforced on each HTTP/2 stream before grpc-js sees its
 * bytes:
 * - request bytes held across all calls: every byte of a message in progress is taken from the
 *   receivers' shared ByteBudget, and a compressed message also takes its worst-case inflated
 *   size (MESHTEL_MAX_DECOMPRESSED_BODY_BYTES) while grpc-js inflates it; past the budget the
 *   call ends with RESOURCE_EXHAUSTED plus RetryInfo (150 concurrent 16 KiB gzip bombs otherwise
 *   held 2.5 GB);
 * - a message must arrive whole within `messageTimeoutMs` of its first byte, and a call's first
 *   message within that time of the call's start (a stalled or trickled upload otherwise holds
 *   its bytes forever); a streaming call may idle between messages (Envoy's ALS does);
 * - a compressed message on a call without `grpc-encoding` is refused (INTERNAL, as the gRPC
 *   protocol asks) instead of being decoded as if it were plain.
 *
 * grpc-js keeps its HTTP/2 server private and has no hook before it buffers a message, so the
 * guard wraps each stream's `push` (the one way bytes enter a Readable): a refused message is
 * never handed to grpc-js at all.
 */
import * as http2 from 'node:http2';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { encodeStatusProtobuf } from '../../../shared/otlp/traces/traces.js';
import type { Logger } from '../../../shared/telemetry/logger.js';
import type { ByteBudget } from './byte-budget.js';

export interface GrpcStreamGuardOptions {
  readonly budget?: ByteBudget;
  /** Reserved while a compressed message is inflated: its worst case. */
  readonly maxDecompressedBytes: number;
  /** Longest time from a message's first byte to its last; 0 = no limit. */
  readonly messageTimeoutMs: number;
  readonly logger: Logger;
  /** Counted per refusal reason ('receiver_busy', 'message_timeout', 'decode_error'). */
  readonly onRefused?: (reason: 'receiver_busy' | 'message_timeout' | 'decode_error') => void;
}

export function guardGrpcStreams(server: http2.Http2Server, opts: GrpcStreamGuardOptions): void {
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    new StreamGuard(stream, headers, opts).install();
  });
}

const RETRY_AFTER_MS = 1000;

class StreamGuard {
  readonly #stream: http2.ServerHttp2Stream;
  readonly #opts: GrpcStreamGuardOptions;
  readonly #encoded: boolean;
  /** Bytes of the current message prefix still expected (5 → 0), then the body. */
  #prefix = Buffer.alloc(5);
  #prefixHave = 0;
  #bodyRemaining = 0;
  #inMessage = false;
  /** Budget held: bytes of messages received and not yet known to be processed, plus inflation. */
  #held = 0;
  #completedHeld = 0;
  #timer: NodeJS.Timeout | undefined;
  #refused = false;

  constructor(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, opts: GrpcStreamGuardOptions) {
    this.#stream = stream;
    this.#opts = opts;
    const encoding = String(headers['grpc-encoding'] ?? 'identity').toLowerCase();
    this.#encoded = encoding !== 'identity';
  }

  install(): void {
    const stream = this.#stream;
    const push = stream.push.bind(stream);
    stream.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      // After a refusal nothing more reaches grpc-js, not even the end of the request (it would
      // answer the call a second time).
      if (this.#refused) return true;
      if (chunk === null || !Buffer.isBuffer(chunk)) return push(chunk, encoding);
      return this.#admit(chunk) ? push(chunk, encoding) : true;
    };
    stream.once('close', () => this.#release());
    // The first message is timed from the call's start: bytes a client cannot or will not send
    // (a stalled or flow-control-starved call) would otherwise keep the call open for ever.
    this.#startTimer();
  }

  #startTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#opts.messageTimeoutMs > 0) {
      this.#timer = setTimeout(() => this.#refuse('message_timeout'), this.#opts.messageTimeoutMs);
      this.#timer.unref();
    }
  }

  /** Walks the gRPC length-prefixed framing of `chunk`; false when the call was refused. */
  #admit(chunk: Buffer): boolean {
    if (!this.#take(chunk.length)) return this.#refuse('receiver_busy');
    let at = 0;
    while (at < chunk.length) {
      if (this.#bodyRemaining === 0 && !this.#inMessage) {
        this.#startMessage();
      }
      if (this.#prefixHave < 5) {
        const n = Math.min(5 - this.#prefixHave, chunk.length - at);
        chunk.copy(this.#prefix, this.#prefixHave, at, at + n);
        this.#prefixHave += n;
        at += n;
        if (this.#prefixHave < 5) break;
        const compressed = this.#prefix[0] === 1;
        if (compressed && !this.#encoded) return this.#refuse('decode_error');
        // grpc-js inflates a compressed message as soon as it is whole: reserve its worst case now.
        if (compressed && !this.#take(this.#opts.maxDecompressedBytes)) return this.#refuse('receiver_busy');
        this.#bodyRemaining = this.#prefix.readUInt32BE(1);
      }
      const n = Math.min(this.#bodyRemaining, chunk.length - at);
      this.#bodyRemaining -= n;
      at += n;
      if (this.#bodyRemaining === 0) this.#endMessage();
    }
    return true;
  }

  #startMessage(): void {
    // The previous message was handed to the service when this one starts (streaming calls such
    // as Envoy's ALS): its bytes are no longer ours to count.
    this.#give(this.#completedHeld);
    this.#completedHeld = 0;
    this.#inMessage = true;
    this.#prefixHave = 0;
    this.#startTimer();
  }

  #endMessage(): void {
    this.#inMessage = false;
    this.#prefixHave = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#completedHeld = this.#held;
  }

  #take(bytes: number): boolean {
    const budget = this.#opts.budget;
    if (!budget) return true;
    if (!budget.tryTake(bytes)) return false;
    this.#held += bytes;
    return true;
  }

  #give(bytes: number): void {
    const n = Math.min(bytes, this.#held);
    this.#held -= n;
    this.#opts.budget?.give(n);
  }

  #release(): void {
    clearTimeout(this.#timer);
    this.#give(this.#held);
  }

  /** Ends the call with a gRPC status (trailers-only when nothing was answered yet), then resets it. */
  #refuse(reason: 'receiver_busy' | 'message_timeout' | 'decode_error'): false {
    if (this.#refused) return false;
    this.#refused = true;
    clearTimeout(this.#timer);
    this.#opts.onRefused?.(reason);
    const stream = this.#stream;
    const { code, message } = refusal(reason, this.#opts);
    this.#opts.logger.debug({ reason, code }, 'gRPC call refused by the receiver limits');
    if (!stream.headersSent && !stream.destroyed) {
      const headers: http2.OutgoingHttpHeaders = {
        ':status': 200,
        'content-type': 'application/grpc+proto',
        'grpc-status': String(code),
        'grpc-message': encodeURIComponent(message),
      };
      if (reason === 'receiver_busy') {
        const details = encodeStatusProtobuf(code, message, [{ type: 'retryInfo', retryDelayMs: RETRY_AFTER_MS }]);
        headers['grpc-status-details-bin'] = Buffer.from(details).toString('base64').replace(/=+$/, '');
      }
      try {
        stream.respond(headers, { endStream: true });
      } catch {
        // The stream went away meanwhile; the reset below is all that is left to do.
      }
    }
    // grpc-js may still try to answer the call (a message it already had, its own deadline):
    // the answer is given, so that becomes a no-op instead of ERR_HTTP2_HEADERS_SENT.
    stream.respond = () => {};
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
    this.#release();
    return false;
  }
}

function refusal(reason: 'receiver_busy' | 'message_timeout' | 'decode_error', opts: GrpcStreamGuardOptions): { code: GrpcStatus; message: string } {
  switch (reason) {
    case 'receiver_busy':
      return {
        code: GrpcStatus.RESOURCE_EXHAUSTED,
        message: `receivers are holding their limit of ${opts.budget?.capacity ?? 0} request bytes (MESHTEL_MAX_BODY_BYTES_IN_FLIGHT); retry later`,
      };
    case 'message_timeout':
      return {
        code: GrpcStatus.DEADLINE_EXCEEDED,
        message: `message not received whole within ${opts.messageTimeoutMs} ms (MESHTEL_RECEIVER_BODY_TIMEOUT_MS)`,
      };
    case 'decode_error':
      return { code: GrpcStatus.INTERNAL, message: 'compressed message on a call without grpc-encoding' };
  }
}
