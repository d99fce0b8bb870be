/**
 * gRPC calls written by hand over node:http2, for what well-behaved clients never send: frames
 * flagged compressed without grpc-encoding, pre-compressed bombs, messages that stall half-way.
 */
import http2 from 'node:http2';

export interface RawGrpcOutcome {
  /** grpc-status from headers or trailers; undefined when the stream was reset without one. */
  readonly status?: number;
  readonly message?: string;
  /** HTTP/2 RST_STREAM code or the stream/session error, when the call ended that way. */
  readonly reset?: string;
  readonly retryInfo: boolean;
}

/** One length-prefixed gRPC message. */
export function grpcFrame(payload: Buffer, compressed: boolean, declaredLength = payload.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([prefix, payload]);
}

export interface RawCallOptions {
  /** grpc-encoding header; none when undefined. */
  readonly encoding?: string;
  /** Leave the request open after writing `body` (a stalled upload). */
  readonly stall?: boolean;
  /** Gives up (resolving with reset 'client-timeout') after this long. */
  readonly timeoutMs?: number;
}

/**
 * Opens a session to `target` (host:port); close it with session.close().
 *
 * Without a session memory limit, as grpc-js's own client connects: under Node's default (10 MB) a
 * session with more than that still queued to send drops the answers it receives (a response
 * header is refused, the stream reset with ENHANCE_YOUR_CALM or left waiting), so a test that
 * stalls ~29 MB of calls on one connection saw the server's refusals as calls never answered.
 */
export function grpcSession(target: string): http2.ClientHttp2Session {
  const session = http2.connect(`http://${target}`, { maxSessionMemory: Number.MAX_SAFE_INTEGER });
  session.on('error', () => {
    // per-call outcomes carry the errors that matter
  });
  return session;
}

export function rawGrpcCall(session: http2.ClientHttp2Session, path: string, body: Buffer, opts: RawCallOptions = {}): Promise<RawGrpcOutcome> {
  return new Promise((resolve) => {
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (opts.encoding) headers['grpc-encoding'] = opts.encoding;
    let status: number | undefined;
    let message: string | undefined;
    let retryInfo = false;
    let done = false;
    const finish = (reset?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!stream.destroyed) stream.close();
      resolve({ status, message, reset, retryInfo });
    };
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = Number(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
      if (h['grpc-status-details-bin'] !== undefined) retryInfo = true;
    };
    const stream = session.request(headers, { endStream: false });
    const timer = setTimeout(() => finish('client-timeout'), opts.timeoutMs ?? 60_000);
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('data', () => {});
    stream.on('error', (err: Error) => finish(err.message));
    stream.on('close', () => finish(status === undefined ? `rst ${stream.rstCode}` : undefined));
    if (opts.stall) stream.write(body);
    else stream.end(body);
  });
}
