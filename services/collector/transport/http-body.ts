/**
 * What an OTLP/HTTP request body is (media type, content coding) and how to turn it into plain
 * bytes without letting a small compressed body grow into unbounded memory.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';

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
 * most about `maxBytes` of memory instead of its full expanded size.
 */
export async function decompressBody(body: Buffer, coding: ContentCoding, maxBytes: number): Promise<Buffer> {
  if (coding === 'identity') {
    // Checked here too so the limit means the same whatever the coding.
    if (body.length > maxBytes) throw decompressedTooLarge(maxBytes);
    return body;
  }
  try {
    const options = { maxOutputLength: maxBytes };
    return coding === 'gzip' ? await gunzip(body, options) : await inflate(body, options);
  } catch (err) {
    if (isCode(err, 'ERR_BUFFER_TOO_LARGE')) throw decompressedTooLarge(maxBytes);
    const reason = err instanceof Error ? err.message : String(err);
    throw new BodyEncodingError(`body is not valid ${coding} data: ${reason}`);
  }
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

/**
 * Makes an (encapsulated) fastify instance hand every body to its handlers as raw bytes, up to
 * `bodyLimit`: each receiver picks its decoder from the content type itself, and fastify's JSON
 * parser would parse into the wrong shape and answer errors in its own format.
 */
export function acceptRawBodies(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit },
    (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body),
  );
}

/**
 * The request's body, decompressed per its Content-Encoding and bounded by `maxDecompressedBytes`.
 * No body at all (no Content-Length) reads as empty.
 */
export async function readRequestBody(request: FastifyRequest, maxDecompressedBytes: number): Promise<Buffer> {
  const coding = contentCodingOf(request.headers['content-encoding']);
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  return decompressBody(raw, coding, maxDecompressedBytes);
}
