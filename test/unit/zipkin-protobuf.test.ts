import { describe, expect, it } from 'vitest';
import { protoRoot } from '../support/proto-root.js';
import { ZipkinDecodeError, decodeZipkinSpansJson, decodeZipkinSpansProtobuf } from '../../shared/zipkin/spans.js';
import { CLIENT_ID, ROOT_ID, T0_US, TRACE_ID, failedClientSpan, istioHop, sharedContextHop, type ZipkinJsonSpan } from '../fixtures/zipkin.js';

// Encoded with protobufjs reflection from our own .proto: independent of the hand-written decoder.
const ListOfSpans = protoRoot.lookupType('zipkin.proto3.ListOfSpans');
const KIND_NUMBER: Record<string, number> = { CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4 };

interface JsonEndpoint { serviceName?: string; ipv4?: string; ipv6?: string; port?: number }

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

function endpointMessage(e: JsonEndpoint | undefined): object | undefined {
  if (e === undefined) return undefined;
  return { serviceName: e.serviceName, ipv4: e.ipv4 === undefined ? undefined : ipv4Bytes(e.ipv4), port: e.port };
}

/** The protobuf form of a Zipkin JSON span, as Envoy's HTTP_PROTO serializer would write it. */
function protoSpanOf(span: ZipkinJsonSpan): object {
  const s = span as {
    traceId: string; id: string; parentId?: string; kind?: string; name?: string; timestamp?: number; duration?: number;
    localEndpoint?: JsonEndpoint; remoteEndpoint?: JsonEndpoint; annotations?: { timestamp: number; value: string }[];
    tags?: Record<string, string>; debug?: boolean; shared?: boolean;
  };
  return {
    traceId: Buffer.from(s.traceId, 'hex'),
    parentId: s.parentId === undefined ? undefined : Buffer.from(s.parentId, 'hex'),
    id: Buffer.from(s.id, 'hex'),
    kind: s.kind === undefined ? 0 : KIND_NUMBER[s.kind],
    name: s.name,
    timestamp: s.timestamp === undefined ? undefined : String(s.timestamp),
    duration: s.duration === undefined ? undefined : String(s.duration),
    localEndpoint: endpointMessage(s.localEndpoint),
    remoteEndpoint: endpointMessage(s.remoteEndpoint),
    annotations: s.annotations?.map((a) => ({ timestamp: String(a.timestamp), value: a.value })),
    tags: s.tags,
    debug: s.debug,
    shared: s.shared,
  };
}

function encode(spans: readonly object[]): Uint8Array {
  return ListOfSpans.encode(ListOfSpans.fromObject({ spans })).finish();
}

function decodeError(body: Uint8Array): string {
  try {
    decodeZipkinSpansProtobuf(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ZipkinDecodeError);
    return (err as Error).message;
  }
  throw new Error('expected a ZipkinDecodeError');
}

describe('Zipkin v2 protobuf (ListOfSpans) → spans', () => {
  it.each([
    ['an Istio hop', istioHop()],
    ['a shared-span-context hop', sharedContextHop()],
    ['a failed call', [failedClientSpan()]],
    ['a span with a remote endpoint and no timestamp', [{ traceId: TRACE_ID, id: CLIENT_ID, duration: 5, remoteEndpoint: { serviceName: 'db', ipv4: '10.1.2.3', port: 5432 } }]],
  ])('decodes %s to exactly what the same spans give as JSON', (_case, spans) => {
    const fromProtobuf = decodeZipkinSpansProtobuf(encode(spans.map(protoSpanOf)));
    expect(fromProtobuf).toEqual(decodeZipkinSpansJson(JSON.stringify(spans)));
  });

  it('pads a 64-bit (8-byte) trace id to 128 bits', () => {
    const [span] = decodeZipkinSpansProtobuf(encode([{ traceId: Buffer.from(ROOT_ID, 'hex'), id: Buffer.from(CLIENT_ID, 'hex') }]));
    expect(span.traceId).toBe(`0000000000000000${ROOT_ID}`);
  });

  it('writes an IPv6 endpoint in RFC 5952 form', () => {
    const ipv6 = Buffer.from('20010db8000000000000000000000001', 'hex');
    const [span] = decodeZipkinSpansProtobuf(encode([{
      traceId: Buffer.from(TRACE_ID, 'hex'), id: Buffer.from(CLIENT_ID, 'hex'), timestamp: String(T0_US), localEndpoint: { serviceName: 's', ipv6, port: 80 },
    }]));
    expect(span.attributes).toEqual([
      { key: 'net.host.ip', value: { type: 'string', value: '2001:db8::1' } },
      { key: 'net.host.port', value: { type: 'int', value: 80n } },
    ]);
  });

  it('skips fields it does not know', () => {
    const known = encode([{ traceId: Buffer.from(TRACE_ID, 'hex'), id: Buffer.from(CLIENT_ID, 'hex'), name: 'x' }]);
    // Field 1 (spans) rewrapped with an extra field 99 (varint 7) appended inside the span.
    const inner = Buffer.concat([Buffer.from(known.subarray(2)), Buffer.from([0x98, 0x06, 0x07])]);
    const body = Buffer.concat([Buffer.from([0x0a, inner.length]), inner, Buffer.from([0x98, 0x06, 0x01])]);
    const [span] = decodeZipkinSpansProtobuf(body);
    expect(span).toMatchObject({ traceId: TRACE_ID, spanId: CLIENT_ID, name: 'x' });
  });

  it('accepts an empty body as no spans', () => {
    expect(decodeZipkinSpansProtobuf(new Uint8Array(0))).toEqual([]);
  });
});

describe('Zipkin v2 protobuf refusals name the problem', () => {
  const good = { traceId: Buffer.from(TRACE_ID, 'hex'), id: Buffer.from(CLIENT_ID, 'hex') };

  it.each([
    ['a 5-byte trace id', [good, { ...good, traceId: Buffer.alloc(5, 1) }], /at spans\[1\]\.traceId: must be 8 or 16 bytes, got 5$/],
    ['an all-zero trace id', [good, { ...good, traceId: Buffer.alloc(16) }], /at spans\[1\]\.traceId: must not be all zeros$/],
    ['a missing id', [good, { traceId: good.traceId }], /at spans\[1\]\.id: is required$/],
    ['a 4-byte parent id', [{ ...good, parentId: Buffer.alloc(4, 1) }], /at spans\[0\]\.parentId: must be empty or 8 bytes, got 4$/],
    ['a 3-byte IPv4 address', [{ ...good, localEndpoint: { ipv4: Buffer.from([10, 0, 0]) } }], /at spans\[0\]\.localEndpoint\.ipv4: must be 4 bytes, got 3$/],
    ['an annotation without timestamp', [{ ...good, annotations: [{ value: 'x' }] }], /at spans\[0\]\.annotations\[0\]\.timestamp: is required/],
  ])('refuses %s', (_case, spans, message) => {
    expect(decodeError(encode(spans))).toMatch(message);
  });

  it('refuses a truncated body, saying where it ends', () => {
    const body = encode([good]);
    expect(decodeError(body.subarray(0, body.length - 3))).toMatch(/^invalid Zipkin protobuf ListOfSpans at spans\[0\]: truncated/);
  });

  it('refuses JSON sent as protobuf instead of decoding garbage', () => {
    expect(decodeError(Buffer.from(JSON.stringify(istioHop())))).toMatch(/^invalid Zipkin protobuf ListOfSpans/);
  });
});
