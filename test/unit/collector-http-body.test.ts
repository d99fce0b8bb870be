import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BodyEncodingError,
  BodyTooLargeError,
  UnsupportedMediaTypeError,
  bodyFormatOf,
  contentCodingOf,
  decodeUtf8,
  decompressBody,
} from '../../services/collector/transport/http-body.js';

describe('OTLP/HTTP body format', () => {
  it('reads protobuf from both protobuf media types and ignores parameters', () => {
    expect(bodyFormatOf('application/x-protobuf')).toBe('protobuf');
    expect(bodyFormatOf('application/protobuf')).toBe('protobuf');
    expect(bodyFormatOf('Application/JSON; charset=utf-8')).toBe('json');
  });

  it('refuses any other media type, naming it', () => {
    expect(() => bodyFormatOf('text/plain')).toThrow(UnsupportedMediaTypeError);
    expect(() => bodyFormatOf('text/plain')).toThrow(/text\/plain/);
    expect(() => bodyFormatOf(undefined)).toThrow(/\(none\)/);
  });

  it('accepts gzip, deflate and no coding, and names an unknown coding', () => {
    expect(contentCodingOf(undefined)).toBe('identity');
    expect(contentCodingOf('identity')).toBe('identity');
    expect(contentCodingOf('GZIP')).toBe('gzip');
    expect(contentCodingOf('x-gzip')).toBe('gzip');
    expect(contentCodingOf('deflate')).toBe('deflate');
    expect(() => contentCodingOf('br')).toThrow(UnsupportedMediaTypeError);
    expect(() => contentCodingOf('br')).toThrow(/'br'/);
  });
});

describe('decompressBody', () => {
  const payload = Buffer.from('meshtel '.repeat(1000));

  it('restores gzip and deflate bodies', async () => {
    expect(await decompressBody(gzipSync(payload), 'gzip', 1 << 20)).toEqual(payload);
    expect(await decompressBody(deflateSync(payload), 'deflate', 1 << 20)).toEqual(payload);
  });

  it('stops inflating past the limit and says which limit', async () => {
    const bomb = gzipSync(Buffer.alloc(8 << 20));
    const err = await decompressBody(bomb, 'gzip', 1 << 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLargeError);
    expect((err as Error).message).toMatch(/1048576 bytes.*MESHTEL_MAX_DECOMPRESSED_BODY_BYTES/);
  });

  it('applies the same limit to an uncompressed body', async () => {
    await expect(decompressBody(Buffer.alloc(11), 'identity', 10)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(await decompressBody(Buffer.alloc(10), 'identity', 10)).toHaveLength(10);
  });

  it('reports a corrupt gzip body as a body encoding problem', async () => {
    const corrupt = gzipSync(payload).subarray(0, 20);
    const err = await decompressBody(corrupt, 'gzip', 1 << 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyEncodingError);
    expect((err as Error).message).toMatch(/not valid gzip data/);
  });
});

describe('decodeUtf8', () => {
  it('refuses invalid UTF-8 instead of replacing bytes', () => {
    expect(decodeUtf8(Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
    expect(() => decodeUtf8(Uint8Array.of(0x7b, 0xff, 0x7d))).toThrow(BodyEncodingError);
  });
});
