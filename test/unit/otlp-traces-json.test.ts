/**
 * OTLP/JSON decoding: the spec's encoding rules, the leniency peers rely on (snake_case keys,
 * enum names, int64 as numbers), and errors that say exactly which field was wrong.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, MISSING_SERVICE_NAME } from '../../shared/model/span.js';
import { OtlpDecodeError, decodeTracesJson } from '../../shared/otlp/traces/traces.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** A request with one span per entry of `spans`, one ResourceSpans, one ScopeSpans. */
function request(spans: unknown[], resource: unknown = { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }): string {
  return JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'lib' }, spans }] }] });
}

function errorOf(body: string): string {
  try {
    decodeTracesJson(body);
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpDecodeError);
    return (err as Error).message;
  }
  throw new Error('expected decodeTracesJson to throw');
}

describe('decodeTracesJson', () => {
  it('reads snake_case keys, enum names and int64 values sent as JSON numbers', () => {
    const body = JSON.stringify({
      resource_spans: [{
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'cart' } }], dropped_attributes_count: 2 },
        schema_url: 'https://example.com/r',
        scope_spans: [{
          scope: { name: 'lib', version: '1.0', dropped_attributes_count: 1 },
          schema_url: 'https://example.com/s',
          spans: [{
            trace_id: TRACE,
            span_id: SPAN,
            parent_span_id: '',
            trace_state: 'a=b',
            name: 'GET /items',
            kind: 'SPAN_KIND_SERVER',
            start_time_unix_nano: 1_700_000_000_000_000,
            end_time_unix_nano: '1700000000123456789',
            flags: 257,
            attributes: [
              { key: 'n', value: { int_value: 42 } },
              { key: 'neg', value: { int_value: '-9223372036854775808' } },
              { key: 'd', value: { double_value: 2.5 } },
              { key: 'b', value: { bool_value: true } },
              { key: 'raw', value: { bytes_value: 'AAH+/w==' } },
              { key: 'list', value: { array_value: { values: [{ string_value: 'x' }, { int_value: '7' }] } } },
              { key: 'map', value: { kvlist_value: { values: [{ key: 'k', value: { string_value: 'v' } }] } } },
            ],
            dropped_attributes_count: 3,
            events: [{ time_unix_nano: '1700000000000000500', name: 'e', dropped_attributes_count: 4 }],
            dropped_events_count: 5,
            links: [{ trace_id: TRACE, span_id: SPAN, trace_state: 'x=y', flags: 1, dropped_attributes_count: 6 }],
            dropped_links_count: 7,
            status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
          }],
        }],
      }],
    });
    const [s] = decodeTracesJson(body);
    expect(s).toMatchObject({
      traceId: TRACE, spanId: SPAN, parentSpanId: '', traceState: 'a=b', name: 'GET /items', kind: SpanKind.SERVER,
      startTimeUnixNano: 1_700_000_000_000_000n, endTimeUnixNano: 1_700_000_000_123_456_789n, flags: 257,
      droppedAttributesCount: 3, droppedEventsCount: 5, droppedLinksCount: 7,
      status: { code: StatusCode.ERROR, message: 'boom' }, serviceName: 'cart',
    });
    expect(s.attributes).toEqual([
      { key: 'n', value: { type: 'int', value: 42n } },
      { key: 'neg', value: { type: 'int', value: -(2n ** 63n) } },
      { key: 'd', value: { type: 'double', value: 2.5 } },
      { key: 'b', value: { type: 'bool', value: true } },
      { key: 'raw', value: { type: 'bytes', value: new Uint8Array([0, 1, 254, 255]) } },
      { key: 'list', value: { type: 'array', value: [{ type: 'string', value: 'x' }, { type: 'int', value: 7n }] } },
      { key: 'map', value: { type: 'kvlist', value: [{ key: 'k', value: { type: 'string', value: 'v' } }] } },
    ]);
    expect(s.events).toEqual([{ timeUnixNano: 1_700_000_000_000_000_500n, name: 'e', attributes: [], droppedAttributesCount: 4 }]);
    expect(s.links).toEqual([{ traceId: TRACE, spanId: SPAN, traceState: 'x=y', attributes: [], droppedAttributesCount: 6, flags: 1 }]);
    expect(s.resource).toEqual({
      attributes: [{ key: 'service.name', value: { type: 'string', value: 'cart' } }], droppedAttributesCount: 2, schemaUrl: 'https://example.com/r',
    });
    expect(s.scope).toEqual({ name: 'lib', version: '1.0', attributes: [], droppedAttributesCount: 1, schemaUrl: 'https://example.com/s' });
  });

  it('reads enums as integers, numeric strings or names', () => {
    const spans = decodeTracesJson(request([
      { traceId: TRACE, spanId: SPAN, kind: 3, status: { code: 1 } },
      { traceId: TRACE, spanId: SPAN, kind: '4', status: { code: 'STATUS_CODE_OK' } },
      { traceId: TRACE, spanId: SPAN, kind: 'SPAN_KIND_CONSUMER' },
      { traceId: TRACE, spanId: SPAN, kind: 17 },
    ]));
    expect(spans.map((s) => s.kind)).toEqual([SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.UNSPECIFIED]);
    expect(spans.map((s) => s.status.code)).toEqual([StatusCode.OK, StatusCode.OK, StatusCode.UNSET, StatusCode.UNSET]);
  });

  it('lower-cases hex ids and keeps non-hex ids as sent (lower-cased) for validation to reject', () => {
    const spans = decodeTracesJson(request([
      { traceId: TRACE.toUpperCase(), spanId: SPAN.toUpperCase(), parentSpanId: 'EEE19B7EC3C1B175' },
      { traceId: 'Not-A-Hex-Id', spanId: '' },
    ]));
    expect(spans[0]).toMatchObject({ traceId: TRACE, spanId: SPAN, parentSpanId: 'eee19b7ec3c1b175' });
    expect(spans[1]).toMatchObject({ traceId: 'not-a-hex-id', spanId: '' });
  });

  it('reads the special double values, URL-safe base64, empty values; null means unset and unknown keys are ignored', () => {
    const [s] = decodeTracesJson(request([{
      traceId: TRACE, spanId: SPAN, name: null, futureField: { anything: [1, 2] }, status: null,
      attributes: [
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: '-Infinity' } },
        { key: 'url', value: { bytesValue: '-_8' } },
        { key: 'empty', value: {} },
        { key: 'missing' },
        { key: 'nullish', value: { stringValue: null } },
      ],
    }]));
    expect(s.name).toBe('');
    expect(s.status).toEqual({ code: StatusCode.UNSET, message: '' });
    expect(s.attributes).toEqual([
      { key: 'nan', value: { type: 'double', value: NaN } },
      { key: 'inf', value: { type: 'double', value: -Infinity } },
      { key: 'url', value: { type: 'bytes', value: new Uint8Array([0xfb, 0xff]) } },
      { key: 'empty', value: { type: 'empty' } },
      { key: 'missing', value: { type: 'empty' } },
      { key: 'nullish', value: { type: 'empty' } },
    ]);
  });

  it('shares one resource object per ResourceSpans and one scope object per ScopeSpans', () => {
    const body = JSON.stringify({
      resourceSpans: [
        { scopeSpans: [{ scope: { name: 'a' }, spans: [{ name: '1' }, { name: '2' }] }, { scope: { name: 'b' }, spans: [{ name: '3' }] }] },
        { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other' } }] }, scopeSpans: [{ spans: [{ name: '4' }] }] },
      ],
    });
    const [s1, s2, s3, s4] = decodeTracesJson(body);
    expect(s1.resource).toBe(s3.resource);
    expect(s1.scope).toBe(s2.scope);
    expect(s1.scope).not.toBe(s3.scope);
    expect(s4.resource).not.toBe(s1.resource);
    expect(s1.serviceName).toBe(MISSING_SERVICE_NAME);
    expect(s4.serviceName).toBe('other');
  });

  it('names the service as Jaeger does when service.name is missing, empty or not a string', () => {
    const names = [undefined, { stringValue: '' }, { intValue: '7' }, { stringValue: 'cart' }].map((value) => {
      const resource = { attributes: value === undefined ? [] : [{ key: 'service.name', value }] };
      return decodeTracesJson(request([{ traceId: TRACE, spanId: SPAN, name: 'x' }], resource))[0].serviceName;
    });
    expect(names).toEqual(['missing-service-name', 'empty-service-name', 'service-name-wrong-type', 'cart']);
  });

  it('reads the pre-1.0 instrumentationLibrarySpans when scopeSpans is absent', () => {
    const body = JSON.stringify({
      resourceSpans: [{ instrumentationLibrarySpans: [{ instrumentationLibrary: { name: 'old-lib', version: '0.3' }, spans: [{ name: 'legacy' }] }] }],
    });
    const [s] = decodeTracesJson(body);
    expect(s.name).toBe('legacy');
    expect(s.scope).toMatchObject({ name: 'old-lib', version: '0.3' });
  });

  it('decodes an empty request as no spans', () => {
    expect(decodeTracesJson('{}')).toEqual([]);
    expect(decodeTracesJson('{"resourceSpans":[]}')).toEqual([]);
  });
});

describe('decodeTracesJson errors', () => {
  it('reports invalid JSON with the parser message', () => {
    expect(errorOf('{"resourceSpans": [')).toMatch(/^invalid JSON: .+/);
    expect(errorOf('')).toMatch(/^invalid JSON: /);
  });

  it('names the full path of a time that is not an integer', () => {
    const body = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [] }, { spans: [{}, {}, {}, { startTimeUnixNano: '17e9' }] }] }],
    });
    expect(errorOf(body)).toBe(
      'invalid OTLP/JSON ExportTraceServiceRequest at resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: '
      + 'expected an unsigned 64-bit integer as a decimal string or number, got the string "17e9"',
    );
  });

  it('names the attribute and value field of a wrong-typed attribute value', () => {
    const message = errorOf(request([{ attributes: [{ key: 'ok', value: { intValue: 1 } }, { key: 'bad', value: { intValue: 1.5 } }] }]));
    expect(message).toMatch(/at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[1\]\.value\.intValue: expected a signed 64-bit integer/);
    expect(errorOf(request([{ attributes: [{ key: 'b', value: { bytesValue: 'not base64!' } }] }]))).toMatch(/attributes\[0\]\.value\.bytesValue: expected a base64 string/);
    expect(errorOf(request([{ attributes: [{ key: 'a', value: { arrayValue: { values: [{ boolValue: 'yes' }] } } }] }])))
      .toMatch(/attributes\[0\]\.value\.arrayValue\.values\[0\]\.boolValue: expected true or false, got the string "yes"/);
  });

  it('refuses wrong structure: a non-object body, non-array lists, non-object elements, non-string ids', () => {
    expect(errorOf('[]')).toMatch(/expected a JSON object at the top level/);
    expect(errorOf('{"resourceSpans":{}}')).toMatch(/resourceSpans: expected an array, got an object/);
    expect(errorOf('{"resourceSpans":[{"scopeSpans":[{"spans":[7]}]}]}')).toMatch(/scopeSpans\[0\]\.spans\[0\]: expected an object, got number 7/);
    expect(errorOf(request([{ traceId: 12 }]))).toMatch(/spans\[0\]\.traceId: expected a hex string, got number 12/);
    expect(errorOf(request([], 'nope'))).toMatch(/resourceSpans\[0\]\.resource: expected an object/);
  });

  it('refuses unknown enum names and out-of-range counts', () => {
    expect(errorOf(request([{ kind: 'SERVER' }]))).toMatch(/spans\[0\]\.kind: expected an integer or one of SPAN_KIND_UNSPECIFIED/);
    expect(errorOf(request([{ status: { code: 'BROKEN' } }]))).toMatch(/spans\[0\]\.status\.code: expected an integer or one of STATUS_CODE_UNSET/);
    expect(errorOf(request([{ droppedAttributesCount: -1 }]))).toMatch(/droppedAttributesCount: expected an unsigned 32-bit integer/);
    expect(errorOf(request([{ startTimeUnixNano: '18446744073709551616' }]))).toMatch(/startTimeUnixNano: expected an unsigned 64-bit integer/);
  });

  it('refuses attribute values nested deeper than 100 levels', () => {
    let value: unknown = { stringValue: 'leaf' };
    for (let i = 0; i < 150; i++) value = { arrayValue: { values: [value] } };
    expect(errorOf(request([{ attributes: [{ key: 'deep', value }] }]))).toMatch(/nested deeper than 100 levels/);
  });
});
