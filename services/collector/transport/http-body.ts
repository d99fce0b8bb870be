/**
 * What an OTLP/HTTP request body is (media type, content coding) and how to turn it into plain
 * bytes without letting a small compressed body grow into unbounded memory.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { ByteBudget, Reservation } from './byte-budget.js';

export type BodyFormat = 'protobuf' | 'json';
export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/** The request's Content-Type or Content-Encoding is not one we decode (HTTP 415). */
export class UnsupportedMediaTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The body, as sent or once decompressed, is over a configured limit (HTTP 413). */
export class BodyTooLargeError extends Error {
  constructor(message: string, readonly limitBytes: number) {
    super(message);
    this.name = 'BodyTooLargeError';
  }
}

/** The body is not valid data for its declared Content-Encoding (corrupt gzip, HTTP 400). */
export class BodyEncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyEncodingError';
  }
}

const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);

/** Media type without parameters, lower-cased; '' when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
}

/**
 * OTLP/HTTP defines exactly two encodings, chosen by Content-Type. Parameters (`charset=utf-8`)
 * are ignored: senders add them and they change nothing for these two types.
 */
export function bodyFormatOf(contentType: string | undefined): BodyFormat {
  const type = mediaTypeOf(contentType);
  if (PROTOBUF_TYPES.has(type)) return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new UnsupportedMediaTypeError(
    `unsupported Content-Type '${type || '(none)'}'; send application/x-protobuf or application/json`,
  );
}

/**
 * OTLP/HTTP servers must accept gzip; deflate costs nothing extra with zlib, so it is accepted
 * too. `x-gzip` is the legacy alias RFC 9110 §8.4.1.3 asks recipients to treat as gzip.
 */
export function contentCodingOf(contentEncoding: string | undefined): ContentCoding {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return 'identity';
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === 'deflate') return 'deflate';
  throw new UnsupportedMediaTypeError(
    `unsupported Content-Encoding '${coding}'; send gzip, deflate or no Content-Encoding`,
  );
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/**
 * Decompresses `body`, giving up as soon as the output passes `maxBytes`. zlib's
 * `maxOutputLength` is checked on every output chunk while inflating, so a gzip bomb costs at
 * most about `maxBytes` of memory instead of its full expanded size. With a `reservation`, every
 * inflated chunk is taken from the shared budget first (ReceiverBusyError when it is spent), so
 * many concurrent bombs cost at most the budget together.
 */
export async function decompressBody(body: Buffer, coding: ContentCoding, maxBytes: number, reservation?: Reservation): Promise<Buffer> {
  if (coding === 'identity') {
    // Checked here too so the limit means the same whatever the coding.
    if (body.length > maxBytes) throw decompressedTooLarge(maxBytes);
    return body;
  }
  if (reservation) return inflateWithin(body, coding, maxBytes, reservation);
  try {
    const options = { maxOutputLength: maxBytes };
    return coding === 'gzip' ? await gunzip(body, options) : await inflate(body, options);
  } catch (err) {
    if (isCode(err, 'ERR_BUFFER_TOO_LARGE')) throw decompressedTooLarge(maxBytes);
    throw encodingError(coding, err);
  }
}

function encodingError(coding: ContentCoding, err: unknown): BodyEncodingError {
  const reason = err instanceof Error ? err.message : String(err);
  return new BodyEncodingError(`body is not valid ${coding} data: ${reason}`);
}

/** Streaming inflate that takes each output chunk from `reservation` before keeping it. */
function inflateWithin(body: Buffer, coding: 'gzip' | 'deflate', maxBytes: number, reservation: Reservation): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const inflater = coding === 'gzip' ? zlib.createGunzip() : zlib.createInflate();
    const parts: Buffer[] = [];
    let total = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      reject(err);
    };
    inflater.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > maxBytes) return fail(decompressedTooLarge(maxBytes));
      try {
        reservation.take(chunk.length);
      } catch (err) {
        return fail(err as Error);
      }
      parts.push(chunk);
    });
    inflater.on('error', (err) => fail(encodingError(coding, err)));
    inflater.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(parts, total));
    });
    inflater.end(body);
  });
}

function decompressedTooLarge(maxBytes: number): BodyTooLargeError {
  return new BodyTooLargeError(
    `request body decompresses to more than ${maxBytes} bytes (MESHTEL_MAX_DECOMPRESSED_BODY_BYTES)`,
    maxBytes,
  );
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** OTLP/JSON is UTF-8 (RFC 8259 §8.1); invalid bytes are a decode problem, not silent U+FFFD. */
export function decodeUtf8(body: Uint8Array): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new BodyEncodingError('JSON body is not valid UTF-8');
  }
}

/** Each request's share of the budget, found from its raw message by the parser and readRequestBody. */
const reservations = new WeakMap<IncomingMessage, Reservation>();

/**
 * Makes an (encapsulated) fastify instance hand every body to its handlers as raw bytes, up to
 * `bodyLimit`: each receiver picks its decoder from the content type itself, and fastify's JSON
 * parser would parse into the wrong shape and answer errors in its own format. With a `budget`,
 * every byte read (and later inflated) is taken from it and given back once the response is out
 * or the connection is gone; a request that does not fit is refused with ReceiverBusyError.
 */
export function acceptRawBodies(app: FastifyInstance, bodyLimit: number, budget?: ByteBudget): void {
  app.removeAllContentTypeParsers();
  if (!budget) {
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit },
      (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body),
    );
    return;
  }
  app.addHook('onRequest', async (request, reply) => {
    const reservation = budget.reservation();
    reservations.set(request.raw, reservation);
    // 'close' comes once the response is sent or the connection died, whichever is first.
    reply.raw.once('close', () => reservation.release());
  });
  app.addContentTypeParser('*', { bodyLimit }, (request, payload, done) => {
    const declared = Number(request.headers['content-length']);
    if (declared > bodyLimit) {
      // Answering before the body is read makes Node close the connection under the sender,
      // which then often sees EPIPE instead of the 413. A body up to twice the limit is read and
      // dropped first (nothing is kept; the body timeout still applies); a larger one is cut.
      if (declared > 2 * bodyLimit) return done(bodyTooLarge(bodyLimit));
      payload.on('error', () => {});
      payload.once('end', () => done(bodyTooLarge(bodyLimit)));
      payload.resume();
      return;
    }
    const reservation = reservations.get(request.raw);
    readBudgeted(payload, bodyLimit, reservation).then(
      (body) => done(null, body),
      (err: Error) => done(err),
    );
  });
}

function bodyTooLarge(bodyLimit: number): BodyTooLargeError {
  return new BodyTooLargeError(`request body is larger than ${bodyLimit} bytes (MESHTEL_MAX_REQUEST_BODY_BYTES)`, bodyLimit);
}

/** Reads the body, taking each chunk from the reservation before keeping it. */
function readBudgeted(payload: NodeJS.ReadableStream, bodyLimit: number, reservation: Reservation | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      payload.removeListener('data', onData);
      if (err) {
        // Stop reading: what is still on its way is dropped, not buffered.
        payload.resume();
        reject(err);
      } else {
        resolve(Buffer.concat(parts, total));
      }
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > bodyLimit) return finish(bodyTooLarge(bodyLimit));
      try {
        reservation?.take(chunk.length);
      } catch (err) {
        return finish(err as Error);
      }
      parts.push(chunk);
    };
    payload.on('data', onData);
    payload.once('end', () => finish(null));
    payload.once('error', (err: Error) => finish(err));
  });
}

/**
 * The request's body, decompressed per its Content-Encoding and bounded by `maxDecompressedBytes`.
 * No body at all (no Content-Length) reads as empty.
 */
export async function readRequestBody(request: FastifyRequest, maxDecompressedBytes: number): Promise<Buffer> {
  const coding = contentCodingOf(request.headers['content-encoding']);
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const reservation = reservations.get(request.raw);
  const body = await decompressBody(raw, coding, maxDecompressedBytes, reservation);
  // The compressed bytes are garbage once inflated; only the inflated ones stay held.
  if (reservation && body !== raw) reservation.giveBack(raw.length);
  return body;
}
