/**
 * The hand-written protobuf codec: exact round trips, regrouping by resource/scope identity,
 * agreement with protobufjs reading our .proto files, tolerance of what the spec allows (any
 * field order, unknown fields, the pre-1.0 field) and clear errors for broken bodies.
 */
import { describe, expect, it } from 'vitest';
import {
  SpanKind, StatusCode, serviceNameOf,
  type AnyValue, type InstrumentationScope, type KeyValue, type Resource, type SpanRecord,
} from '../../shared/model/span.js';
import { validateSpans } from '../../shared/otlp/traces/limits.js';
import { ExportTraceServiceRequest } from '../support/proto-root.js';
import { OtlpDecodeError, decodeTracesProtobuf, encodeTracesProtobuf } from '../../shared/otlp/traces/traces.js';
import { WireType } from '../../shared/wire/wire-reader.js';
import { ProtoWriter } from '../../shared/wire/wire-writer.js';

const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';

function resource(service: string, extra: Partial<Resource> = {}): Resource {
  return {
    attributes: [{ key: 'service.name', value: { type: 'string', value: service } }],
    droppedAttributesCount: 0,
    schemaUrl: '',
    ...extra,
  };
}

function scope(name: string, extra: Partial<InstrumentationScope> = {}): InstrumentationScope {
  return { name, version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '', ...extra };
}

function span(fields: Partial<SpanRecord> & { resource: Resource; scope: InstrumentationScope }): SpanRecord {
  return {
    traceId: TRACE_A,
    spanId: '00f067aa0ba902b7',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: 'op',
    kind: SpanKind.INTERNAL,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_500_000_000n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    serviceName: serviceNameOf(fields.resource),
    ...fields,
  };
}

const str = (value: string): AnyValue => ({ type: 'string', value });
const int = (value: bigint): AnyValue => ({ type: 'int', value });

/** Every field set to a non-default value, every AnyValue case, edge-case numbers and strings. */
function richSpans(): SpanRecord[] {
  const res = resource('payments', {
    attributes: [
      { key: 'service.name', value: str('payments') },
      { key: 'k8s.namespace.name', value: str('prod') },
    ],
    droppedAttributesCount: 3,
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  });
  const sc = scope('io.meshtel.test', {
    version: '0.9.1',
    attributes: [{ key: 'scope.flag', value: { type: 'bool', value: true } }],
    droppedAttributesCount: 1,
    schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
  });
  const values: AnyValue[] = [
    str(''),
    str('ascii'),
    str('grüße 世界 🚀'),
    str('x'.repeat(127)),
    str('é'.repeat(100)),
    str('y'.repeat(20_000)),
    { type: 'bool', value: true },
    { type: 'bool', value: false },
    int(0n), int(-1n), int(127n), int(2n ** 31n), int(2n ** 53n + 1n), int(-(2n ** 63n)), int(2n ** 63n - 1n),
    { type: 'double', value: 0.1 }, { type: 'double', value: -0 }, { type: 'double', value: Infinity }, { type: 'double', value: NaN },
    { type: 'bytes', value: new Uint8Array([0, 255, 7]) },
    { type: 'bytes', value: new Uint8Array(0) },
    { type: 'empty' },
    { type: 'array', value: [str('a'), int(2n), { type: 'array', value: [{ type: 'empty' }, { type: 'double', value: 1.5 }] }] },
    { type: 'array', value: [] },
    { type: 'kvlist', value: [{ key: 'inner', value: { type: 'kvlist', value: [{ key: 'deep', value: str('yes') }] } }, { key: '', value: int(9n) }] },
  ];
  const first = span({
    resource: res,
    scope: sc,
    traceId: TRACE_A,
    spanId: 'a2fb4a1d1a96d312',
    parentSpanId: '53995c3f42cd8ad8',
    traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    flags: 0x301,
    name: 'POST /charge',
    kind: SpanKind.SERVER,
    startTimeUnixNano: 1_700_000_000_123_456_789n,
    endTimeUnixNano: 18_446_744_073_709_551_615n,
    attributes: values.map((value, i) => ({ key: `attr.${i}`, value })),
    droppedAttributesCount: 4,
    events: [
      { timeUnixNano: 1_700_000_000_200_000_000n, name: 'exception', attributes: [{ key: 'exception.type', value: str('Timeout') }], droppedAttributesCount: 2 },
      { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 5,
    links: [{ traceId: TRACE_B, spanId: 'b7ad6b7169203331', traceState: 'k=v', attributes: [{ key: 'l', value: int(1n) }], droppedAttributesCount: 6, flags: 0x101 }],
    droppedLinksCount: 7,
    status: { code: StatusCode.ERROR, message: 'card declined' },
  });
  const second = span({ resource: res, scope: sc, spanId: '53995c3f42cd8ad8', name: 'db', kind: SpanKind.CLIENT, status: { code: StatusCode.OK, message: '' } });
  return [first, second];
}

describe('encodeTracesProtobuf + decodeTracesProtobuf', () => {
  it('round-trips every field exactly, including dropped counts, schema URLs, trace state, flags and all value types', () => {
    const spans = richSpans();
    const decoded = decodeTracesProtobuf(encodeTracesProtobuf(spans));
    expect(decoded).toEqual(spans);
    expect(decoded[0].resource).toBe(decoded[1].resource);
    expect(decoded[0].scope).toBe(decoded[1].scope);
    expect(decoded[0].serviceName).toBe('payments');
  });

  it('round-trips spans larger than 2 MiB (multi-byte length prefixes at every level)', () => {
    const res = resource('big');
    const big = span({ resource: res, scope: scope('s'), attributes: [{ key: 'blob', value: str('z'.repeat(3 * 1024 * 1024)) }] });
    const small = span({ resource: res, scope: scope('s'), spanId: '1111111111111111' });
    const bytes = encodeTracesProtobuf([big, small]);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    const decoded = decodeTracesProtobuf(bytes);
    expect(decoded.map((s) => s.spanId)).toEqual([big.spanId, small.spanId]);
    expect(decoded[0].attributes[0].value).toEqual(str('z'.repeat(3 * 1024 * 1024)));
    // The writer's scratch buffer is reused: a small request afterwards must not carry leftovers.
    expect(decodeTracesProtobuf(encodeTracesProtobuf([small]))).toEqual([{ ...small, scope: decoded[1].scope, resource: decoded[1].resource }]);
  });

  it('regroups interleaved spans by resource and scope object, in order of first appearance', () => {
    const resA = resource('a');
    const resB = resource('b');
    const scope1 = scope('one');
    const scope2 = scope('two');
    const spans = [
      span({ resource: resA, scope: scope1, name: 'a1' }),
      span({ resource: resB, scope: scope1, name: 'b1' }),
      span({ resource: resA, scope: scope2, name: 'a2' }),
      span({ resource: resA, scope: scope1, name: 'a3' }),
    ];
    const bytes = encodeTracesProtobuf(spans);
    const decoded = decodeTracesProtobuf(bytes);
    expect(decoded.map((s) => s.name)).toEqual(['a1', 'a3', 'a2', 'b1']);
    expect(decoded[0].resource).toBe(decoded[2].resource);
    expect(decoded[0].scope).toBe(decoded[1].scope);
    expect(decoded[0].scope).not.toBe(decoded[2].scope);
    expect(decoded[3].serviceName).toBe('b');
    const wire = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes)) as { resourceSpans: { scopeSpans: unknown[] }[] };
    expect(wire.resourceSpans.map((rs) => rs.scopeSpans.length)).toEqual([2, 1]);
  });

  it('keeps equal but distinct resource objects as separate ResourceSpans', () => {
    const spans = [span({ resource: resource('same'), scope: scope('s') }), span({ resource: resource('same'), scope: scope('s') })];
    const wire = ExportTraceServiceRequest.decode(encodeTracesProtobuf(spans)) as unknown as { resourceSpans: unknown[] };
    expect(wire.resourceSpans).toHaveLength(2);
  });

  it('writes the field numbers of the OTLP .proto files (checked with protobufjs)', () => {
    const bytes = encodeTracesProtobuf(richSpans());
    const wire = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(bytes), { longs: String, bytes: String, defaults: false });
    const rs = wire.resourceSpans[0];
    expect(rs.schemaUrl).toBe('https://opentelemetry.io/schemas/1.26.0');
    expect(rs.resource.droppedAttributesCount).toBe(3);
    const ss = rs.scopeSpans[0];
    expect(ss.scope).toMatchObject({ name: 'io.meshtel.test', version: '0.9.1', droppedAttributesCount: 1 });
    expect(ss.schemaUrl).toBe('https://opentelemetry.io/schemas/1.24.0');
    const s = ss.spans[0];
    expect(Buffer.from(s.traceId, 'base64').toString('hex')).toBe(TRACE_A);
    expect(Buffer.from(s.parentSpanId, 'base64').toString('hex')).toBe('53995c3f42cd8ad8');
    expect(s).toMatchObject({
      name: 'POST /charge', kind: 2, flags: 0x301, traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
      startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '18446744073709551615',
      droppedAttributesCount: 4, droppedEventsCount: 5, droppedLinksCount: 7,
      status: { code: 2, message: 'card declined' },
    });
    expect(s.attributes[13]).toEqual({ key: 'attr.13', value: { intValue: '-9223372036854775808' } });
    expect(s.events[0]).toMatchObject({ timeUnixNano: '1700000000200000000', name: 'exception', droppedAttributesCount: 2 });
    expect(s.links[0]).toMatchObject({ traceState: 'k=v', droppedAttributesCount: 6, flags: 0x101 });
  });

  it('refuses to encode an id that is not hex (validation must have rejected that span)', () => {
    expect(() => encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), traceId: 'not-hex-at-all!!' })])).toThrow(/not hex/);
  });
});

/** Writes a length-delimited field holding what `body` writes. */
function nested(w: ProtoWriter, field: number, body: () => void): void {
  w.tag(field, WireType.LEN);
  const mark = w.fork();
  body();
  w.join(mark);
}

function stringField(w: ProtoWriter, field: number, value: string): void {
  w.tag(field, WireType.LEN);
  w.string(value);
}

function minimalSpan(w: ProtoWriter, name: string): void {
  w.tag(1, WireType.LEN);
  w.hexBytes(TRACE_A);
  w.tag(2, WireType.LEN);
  w.hexBytes('00f067aa0ba902b7');
  stringField(w, 5, name);
}

describe('re-encoding decoded spans (keepEncodedSpans)', () => {
  /** A request with two spans; the first carries an unknown field (only a byte copy keeps it). */
  function requestWithUnknownField(): Uint8Array {
    const w = new ProtoWriter();
    nested(w, 1, () => {
      nested(w, 1, () => nested(w, 1, () => { stringField(w, 1, 'service.name'); nested(w, 2, () => stringField(w, 1, 'svc')); }));
      nested(w, 2, () => {
        nested(w, 2, () => {
          minimalSpan(w, 'copied');
          w.tag(77, WireType.VARINT); w.uint32(12345);
        });
        nested(w, 2, () => {
          minimalSpan(w, 'changed');
          nested(w, 9, () => { stringField(w, 1, 'long'); nested(w, 2, () => stringField(w, 1, 'a value longer than the limit')); });
        });
      });
    });
    return w.finish();
  }

  it('copies the original bytes of spans validation left untouched, and encodes changed spans from the model', () => {
    const body = requestWithUnknownField();
    const decoded = decodeTracesProtobuf(body, { keepEncodedSpans: true });
    const { accepted } = validateSpans(decoded, { maxSpansPerRequest: 10, maxAttributesPerSpan: 10, maxAttributeValueLength: 7 });
    expect(accepted[0]).toBe(decoded[0]);
    expect(accepted[1]).not.toBe(decoded[1]);
    const reencoded = encodeTracesProtobuf(accepted);
    // The unknown field 77 (tag 0xe8 0x04, value 12345 = 0xb9 0x60) survived: the span was copied.
    expect(Buffer.from(reencoded).includes(Buffer.from([0xe8, 0x04, 0xb9, 0x60]))).toBe(true);
    const again = decodeTracesProtobuf(reencoded);
    expect(again.map((s) => s.name)).toEqual(['copied', 'changed']);
    expect(again[1].attributes[0].value).toEqual(str('a value'));
    expect(again).toEqual(accepted);
  });

  it('never writes the kept bytes for a copy of a span with changed fields', () => {
    const [copied] = decodeTracesProtobuf(requestWithUnknownField(), { keepEncodedSpans: true });
    const renamed: SpanRecord = { ...copied, name: 'renamed' };
    const [again] = decodeTracesProtobuf(encodeTracesProtobuf([renamed]));
    expect(again.name).toBe('renamed');
  });

  it('re-encodes from the model by default (no bytes kept)', () => {
    const decoded = decodeTracesProtobuf(requestWithUnknownField());
    const reencoded = encodeTracesProtobuf(decoded);
    expect(Buffer.from(reencoded).includes(Buffer.from([0xe8, 0x04, 0xb9, 0x60]))).toBe(false);
    expect(decodeTracesProtobuf(reencoded)).toEqual(decoded);
  });
});

describe('decodeTracesProtobuf caches (resources, attributes, short strings)', () => {
  it('shares one resource object between requests with byte-identical resources', () => {
    const bytes = encodeTracesProtobuf([span({ resource: resource('shared-svc'), scope: scope('s') })]);
    const [a] = decodeTracesProtobuf(bytes);
    const [b] = decodeTracesProtobuf(bytes.slice());
    expect(b.resource).toBe(a.resource);
    expect(b.scope).toBe(a.scope);
  });

  it('tells apart resources that differ in a single byte anywhere', () => {
    const base = 'k8s-pod-'.repeat(40);
    const variants = [0, 100, 200, base.length - 1].map((i) => `${base.slice(0, i)}#${base.slice(i + 1)}`);
    for (const value of [base, ...variants]) {
      const res = resource('svc', { attributes: [{ key: 'k8s.pod.name', value: str(value) }] });
      const [decoded] = decodeTracesProtobuf(encodeTracesProtobuf([span({ resource: res, scope: scope('s') })]));
      expect(decoded.resource.attributes[0].value).toEqual(str(value));
    }
  });

  it('hands out one KeyValue object for a repeated attribute, and never for one that differs in a byte', () => {
    const attributes = [
      { key: 'http.request.method', value: str('GET') },
      { key: 'http.request.method', value: str('PUT') },
      { key: 'server.port', value: int(8080n) },
      { key: 'server.port', value: int(8081n) },
      { key: 'raw', value: { type: 'bytes', value: new Uint8Array([1, 2]) } as AnyValue },
    ];
    const [a] = decodeTracesProtobuf(encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), attributes })]));
    const [b] = decodeTracesProtobuf(encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), attributes })]));
    expect(b.attributes).toEqual(attributes);
    expect(b.attributes[0]).toBe(a.attributes[0]);
    expect(b.attributes[2]).toBe(a.attributes[2]);
    expect(b.attributes[1]).not.toBe(b.attributes[0]);
    // Bytes values are mutable Uint8Arrays: never shared between spans.
    expect(b.attributes[4]).not.toBe(a.attributes[4]);
  });

  it('tells apart attributes of every cached length that differ in one byte anywhere', () => {
    const attributes: KeyValue[] = [];
    for (let length = 0; length <= 70; length++) {
      const base = 'a'.repeat(length);
      attributes.push({ key: 'k', value: str(base) });
      for (const at of new Set([0, length >> 1, length - 1])) {
        if (at >= 0 && at < length) attributes.push({ key: 'k', value: str(`${base.slice(0, at)}b${base.slice(at + 1)}`) });
      }
    }
    for (let round = 0; round < 2; round++) {
      const [decoded] = decodeTracesProtobuf(encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), attributes })]));
      expect(decoded.attributes).toEqual(attributes);
    }
  });

  it('decodes thousands of distinct short keys and values exactly (cache slots collide and are replaced)', () => {
    const attributes = Array.from({ length: 10_000 }, (_, i) => ({ key: `key.${i}`, value: str(`v${i * 7}`) }));
    const [decoded] = decodeTracesProtobuf(encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), attributes })]));
    expect(decoded.attributes).toEqual(attributes);
    const [again] = decodeTracesProtobuf(encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), attributes })]));
    expect(again.attributes).toEqual(attributes);
  });
});

describe('decodeTracesProtobuf on unusual but valid input', () => {
  it('decodes an empty body as no spans', () => {
    expect(decodeTracesProtobuf(new Uint8Array(0))).toEqual([]);
  });

  it('accepts fields in any order: spans before their scope, scope spans before the resource, schema URLs last', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => {
      nested(w, 2, () => {
        nested(w, 2, () => minimalSpan(w, 'first'));
        nested(w, 1, () => stringField(w, 1, 'late-scope'));
        nested(w, 2, () => minimalSpan(w, 'second'));
        stringField(w, 3, 'scope-schema');
      });
      nested(w, 1, () => nested(w, 1, () => {
        stringField(w, 1, 'service.name');
        nested(w, 2, () => stringField(w, 1, 'late-service'));
      }));
      stringField(w, 3, 'resource-schema');
    });
    const spans = decodeTracesProtobuf(w.finish());
    expect(spans.map((s) => s.name)).toEqual(['first', 'second']);
    expect(spans[0].scope).toMatchObject({ name: 'late-scope', schemaUrl: 'scope-schema' });
    expect(spans[0].serviceName).toBe('late-service');
    expect(spans[0].resource.schemaUrl).toBe('resource-schema');
    expect(spans[1].scope).toBe(spans[0].scope);
  });

  it('skips unknown fields of every wire type, groups included, and known fields sent with another wire type', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => nested(w, 2, () => nested(w, 2, () => {
      minimalSpan(w, 'kept');
      w.tag(99, WireType.VARINT); w.int64(-5n);
      w.tag(98, WireType.I64); w.fixed64(1n);
      w.tag(97, WireType.I32); w.fixed32(1);
      nested(w, 96, () => stringField(w, 1, 'ignored'));
      w.tag(95, WireType.SGROUP); w.tag(1, WireType.VARINT); w.uint32(1); w.tag(95, WireType.EGROUP);
      w.tag(5, WireType.VARINT); w.uint32(7); // name with the wrong wire type: ignored, the string stays
      w.tag(6, WireType.VARINT); w.uint32(3);
    })));
    const [s] = decodeTracesProtobuf(w.finish());
    expect(s.name).toBe('kept');
    expect(s.kind).toBe(SpanKind.CLIENT);
  });

  it('reads the pre-1.0 instrumentation_library_spans field when scope_spans is absent', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => nested(w, 1000, () => {
      nested(w, 1, () => { stringField(w, 1, 'legacy-lib'); stringField(w, 2, '0.1'); });
      nested(w, 2, () => minimalSpan(w, 'old'));
    }));
    const [s] = decodeTracesProtobuf(w.finish());
    expect(s.name).toBe('old');
    expect(s.scope).toMatchObject({ name: 'legacy-lib', version: '0.1' });
  });

  it('keeps ids of the wrong length as hex so validation can reject just that span', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => nested(w, 2, () => nested(w, 2, () => {
      w.tag(1, WireType.LEN); w.bytesField(new Uint8Array([0xab, 0xcd, 0x01]));
      w.tag(2, WireType.LEN); w.bytesField(new Uint8Array(0));
    })));
    const [s] = decodeTracesProtobuf(w.finish());
    expect(s.traceId).toBe('abcd01');
    expect(s.spanId).toBe('');
  });

  it('reads unknown enum numbers as unspecified / unset', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => nested(w, 2, () => nested(w, 2, () => {
      minimalSpan(w, 'x');
      w.tag(6, WireType.VARINT); w.uint32(42);
      nested(w, 15, () => { w.tag(3, WireType.VARINT); w.uint32(9); stringField(w, 2, 'odd'); });
    })));
    const [s] = decodeTracesProtobuf(w.finish());
    expect(s.kind).toBe(SpanKind.UNSPECIFIED);
    expect(s.status).toEqual({ code: StatusCode.UNSET, message: 'odd' });
  });
});

describe('decodeTracesProtobuf on broken input', () => {
  const body = encodeTracesProtobuf(richSpans());

  it('throws OtlpDecodeError for a truncated body, at every cut point', () => {
    for (const cut of [1, 2, 10, 100, body.length - 1]) {
      expect(() => decodeTracesProtobuf(body.subarray(0, cut)), `cut at ${cut}`).toThrow(OtlpDecodeError);
    }
  });

  it('names where a truncated field sits and why it failed', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => nested(w, 2, () => {
      nested(w, 2, () => minimalSpan(w, 'ok'));
      nested(w, 2, () => {
        minimalSpan(w, 'bad');
        w.tag(9, WireType.LEN);
        w.uint32(50); // claims 50 bytes, but the span ends right here
      });
    }));
    expect(() => decodeTracesProtobuf(w.finish())).toThrow(
      /^invalid protobuf ExportTraceServiceRequest at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]\.attributes\[0\]: truncated length-delimited field: needs 50 bytes from offset \d+, but its enclosing message ends at offset \d+$/,
    );
  });

  it('names a truncated fixed64 time by its field', () => {
    const w = new ProtoWriter();
    nested(w, 1, () => nested(w, 2, () => nested(w, 2, () => {
      minimalSpan(w, 'x');
      w.tag(7, WireType.I64);
      w.fixed32(1); // only 4 of 8 bytes
    })));
    expect(() => decodeTracesProtobuf(w.finish())).toThrow(/spans\[0\]\.startTimeUnixNano: truncated fixed64/);
  });

  it('refuses invalid wire types, field number 0 and overlong varints', () => {
    expect(() => decodeTracesProtobuf(new Uint8Array([0x0f]))).toThrow(/invalid wire type 7/);
    expect(() => decodeTracesProtobuf(new Uint8Array([0x00, 0x01]))).toThrow(/field number 0/);
    expect(() => decodeTracesProtobuf(new Uint8Array([0x08, ...new Array<number>(11).fill(0xff), 0x01]))).toThrow(/varint longer than 10 bytes/);
  });

  it('refuses a JSON body sent as protobuf with an OtlpDecodeError instead of garbage spans', () => {
    expect(() => decodeTracesProtobuf(Buffer.from('{"resourceSpans":[]}'))).toThrow(OtlpDecodeError);
  });

  it('refuses attribute values nested deeper than 100 levels instead of exhausting the stack', () => {
    let value: AnyValue = str('leaf');
    for (let i = 0; i < 150; i++) value = { type: 'array', value: [value] };
    const bytes = encodeTracesProtobuf([span({ resource: resource('x'), scope: scope('s'), attributes: [{ key: 'deep', value }] })]);
    expect(() => decodeTracesProtobuf(bytes)).toThrow(/nested deeper than 100 levels/);
  });
});
