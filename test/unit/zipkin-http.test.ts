import { describe, expect, it } from 'vitest';
import { BufferFullError, BufferUnavailableError } from '../../shared/buffer/buffer.js';
import { loadConfig, settingsHelp } from '../../services/settings.js';
import { TooManySpansError } from '../../shared/otlp/traces/limits.js';
import { ZipkinDecodeError } from '../../shared/zipkin/spans.js';
import { BodyTooLargeError, UnsupportedMediaTypeError } from '../../services/collector/transport/http-body.js';
import { zipkinBodyFormatOf, zipkinRefusalFor } from '../../services/collector/receivers/zipkin/zipkin-http.js';

describe('Zipkin receiver content types', () => {
  it('reads JSON for application/json (with parameters) and for a missing Content-Type, as Zipkin does', () => {
    expect(zipkinBodyFormatOf('application/json')).toBe('json');
    expect(zipkinBodyFormatOf('Application/JSON; charset=utf-8')).toBe('json');
    expect(zipkinBodyFormatOf(undefined)).toBe('json');
  });

  it('reads protobuf for application/x-protobuf and application/protobuf', () => {
    expect(zipkinBodyFormatOf('application/x-protobuf')).toBe('protobuf');
    expect(zipkinBodyFormatOf('application/protobuf')).toBe('protobuf');
  });

  it('refuses other types, naming the two it accepts', () => {
    expect(() => zipkinBodyFormatOf('application/x-thrift')).toThrow(UnsupportedMediaTypeError);
    expect(() => zipkinBodyFormatOf('text/plain')).toThrow(/send application\/json \(Zipkin v2 JSON\) or application\/x-protobuf/);
  });
});

describe('Zipkin receiver refusals', () => {
  it.each([
    ['a decode error', new ZipkinDecodeError('body is not valid JSON: x'), 400, 'decode_error'],
    ['too many spans', new TooManySpansError(5, 4), 413, 'too_many_spans'],
    ['a body over the limit', new BodyTooLargeError('too big', 10), 413, 'body_too_large'],
    ['an unsupported media type', new UnsupportedMediaTypeError('nope'), 415, 'unsupported_media_type'],
    ['a full buffer', new BufferFullError('full', 2), 503, 'buffer_full'],
    ['an unavailable buffer', new BufferUnavailableError('down'), 503, 'buffer_unavailable'],
  ])('maps %s to HTTP %i with reason %s', (_case, err, status, reason) => {
    const refusal = zipkinRefusalFor(err);
    expect(refusal.statusCode).toBe(status);
    expect(refusal.reason).toBe(reason);
    expect(refusal.message).toContain(err.message);
  });

  it('asks the sender to retry after the buffer says, and keeps our own faults vague', () => {
    expect(zipkinRefusalFor(new BufferFullError('full', 2)).retryAfterSeconds).toBe(2);
    expect(zipkinRefusalFor(new ZipkinDecodeError('x')).retryAfterSeconds).toBeUndefined();
    const bug = zipkinRefusalFor(new TypeError('cannot read properties of undefined (secret internals)'));
    expect(bug).toEqual({ statusCode: 500, message: 'internal error while receiving spans', retryAfterSeconds: undefined, reason: undefined });
  });
});

describe('Zipkin receiver port setting', () => {
  it('defaults MESHTEL_ZIPKIN_PORT to 9411 and takes the variable and the flag', () => {
    expect(loadConfig(new Map(), {}).zipkinPort).toBe(9411);
    expect(loadConfig(new Map(), { MESHTEL_ZIPKIN_PORT: '0' }).zipkinPort).toBe(0);
    expect(loadConfig(new Map([['--zipkin-port', '19411']]), { MESHTEL_ZIPKIN_PORT: '0' }).zipkinPort).toBe(19411);
  });

  it('is listed for the collector and all-in-one roles only', () => {
    expect(settingsHelp('collector')).toContain('MESHTEL_ZIPKIN_PORT');
    expect(settingsHelp('all-in-one')).toContain('MESHTEL_ZIPKIN_PORT');
    expect(settingsHelp('query')).not.toContain('MESHTEL_ZIPKIN_PORT');
  });
});
