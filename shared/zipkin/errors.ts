/**
 * The one error both Zipkin decoders throw. Zipkin has no partial success: its server refuses
 * the whole POST with 400 and a plain-text reason (zipkin-server's collector), so the message
 * names the span by its index in the request and the field, e.g.
 * `spans[3].traceId: must be 1 to 32 hex characters, got "xyz"`.
 */
import { DecodeProblem } from '../wire/decode-errors.js';

export class ZipkinDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipkinDecodeError';
  }
}

/** Builds the public error from a DecodeProblem (with its path) or anything else a decoder threw. */
export function toZipkinDecodeError(err: unknown, what: string): ZipkinDecodeError {
  if (err instanceof ZipkinDecodeError) return err;
  if (err instanceof DecodeProblem) {
    const path = err.path();
    return new ZipkinDecodeError(path === '' ? `${what}: ${err.problem}` : `${what} at ${path}: ${err.problem}`);
  }
  // A bug in the decoder; the sender still gets a clear refusal instead of a 500.
  return new ZipkinDecodeError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
}
