import { describe, expect, it } from 'vitest';
import { SpanKind, StatusCode, type KeyValue, type SpanRecord } from '../../shared/model/span.js';
import { ZipkinDecodeError, decodeZipkinSpansJson } from '../../shared/zipkin/spans.js';
import {
  CLIENT_ID, PRODUCTPAGE_IP, REVIEWS_IP, ROOT_ID, SERVER_ID, T0_US, TRACE_ID,
  failedClientSpan, istioHop, productpageToReviews, sharedContextHop, type ZipkinJsonSpan,
} from '../fixtures/zipkin.js';

const decode = (spans: unknown): SpanRecord[] => decodeZipkinSpansJson(JSON.stringify(spans));

function attr(attributes: readonly KeyValue[], key: string): unknown {
  const found = attributes.filter((a) => a.key === key);
  if (found.length > 1) throw new Error(`attribute ${key} appears ${found.length} times`);
  const v = found[0]?.value;
  return v === undefined || v.type === 'empty' ? undefined : v.value;
}

function decodeError(body: string): string {
  try {
    decodeZipkinSpansJson(body);
  } catch (err) {
    expect(err).toBeInstanceOf(ZipkinDecodeError);
    return (err as Error).message;
  }
  throw new Error('expected a ZipkinDecodeError');
}

describe('Zipkin v2 JSON from Istio sidecars → spans', () => {
  it('maps every field of the client span of a hop', () => {
    const [, client] = decode(istioHop());

    expect(client.traceId).toBe(TRACE_ID);
    expect(client.spanId).toBe(CLIENT_ID);
    expect(client.parentSpanId).toBe(ROOT_ID);
    expect(client.name).toBe('reviews.default.svc.cluster.local:9080/*');
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(client.traceState).toBe('');
    expect(client.flags).toBe(0);
    // µs → ns exactly: no float rounding of 16-digit epoch microseconds.
    expect(client.startTimeUnixNano).toBe(1_767_225_600_124_659_000n);
    expect(client.endTimeUnixNano).toBe(1_767_225_600_142_736_000n);
    expect(client.status).toEqual({ code: StatusCode.UNSET, message: '' });
    expect(client.serviceName).toBe('productpage.default');
    expect(client.resource.attributes).toEqual([{ key: 'service.name', value: { type: 'string', value: 'productpage.default' } }]);
    expect(client.scope).toMatchObject({ name: '', version: '' });
    expect(client.links).toEqual([]);
  });

  it('keeps every Envoy and Istio tag as a string attribute and adds the local endpoint as net.host.*', () => {
    const [, client] = decode(istioHop());
    const expected = productpageToReviews().tags as Record<string, string>;

    for (const [key, value] of Object.entries(expected)) expect(attr(client.attributes, key), key).toBe(value);
    expect(attr(client.attributes, 'http.status_code')).toBe('200'); // a string, as Zipkin sent it
    expect(attr(client.attributes, 'upstream_cluster')).toBe('outbound|9080||reviews.default.svc.cluster.local');
    expect(attr(client.attributes, 'istio.canonical_service')).toBe('productpage');
    expect(attr(client.attributes, 'net.host.ip')).toBe(PRODUCTPAGE_IP);
    expect(attr(client.attributes, 'net.host.port')).toBe(9080n);
    expect(client.attributes).toHaveLength(Object.keys(expected).length + 2);
    // No remoteEndpoint from Envoy, so no peer attributes are invented.
    expect(attr(client.attributes, 'peer.service')).toBeUndefined();
    expect(attr(client.attributes, 'net.peer.ip')).toBeUndefined();
  });

  it('turns annotations into events, µs → ns, value → name', () => {
    const [, client] = decode(istioHop());
    expect(client.events).toEqual([
      { timeUnixNano: BigInt(T0_US + 1_250) * 1000n, name: 'first upstream tx byte sent', attributes: [], droppedAttributesCount: 0 },
      { timeUnixNano: BigInt(T0_US + 19_001) * 1000n, name: 'last upstream rx byte received', attributes: [], droppedAttributesCount: 0 },
    ]);
  });

  it('gives the server half its own service and parents it on the client span (Istio, unshared ids)', () => {
    const [root, client, server] = decode(istioHop());
    expect(root.parentSpanId).toBe('');
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(server).toMatchObject({ spanId: SERVER_ID, parentSpanId: CLIENT_ID, kind: SpanKind.SERVER, serviceName: 'reviews.default' });
    expect(attr(server.attributes, 'net.host.ip')).toBe(REVIEWS_IP);
    // Spans of one local endpoint share one Resource object, as the model requires.
    expect(root.resource).toBe(client.resource);
    expect(server.resource).not.toBe(client.resource);
    expect(root.scope).toBe(server.scope);
  });

  it('keeps both halves of a shared span id: same id, different kind and service', () => {
    const [, client, server] = decode(sharedContextHop());
    expect(client).toMatchObject({ spanId: CLIENT_ID, parentSpanId: ROOT_ID, kind: SpanKind.CLIENT, serviceName: 'productpage.default' });
    expect(server).toMatchObject({ spanId: CLIENT_ID, parentSpanId: ROOT_ID, kind: SpanKind.SERVER, serviceName: 'reviews.default' });
    // `shared` is not mapped (nor by the Collector): no attribute appears for it.
    expect(server.attributes.some((a) => a.key.includes('shared'))).toBe(false);
  });

  it('marks a span with error=true as ERROR and drops the tag, keeping the status code and response flags', () => {
    const [span] = decode([failedClientSpan()]);
    expect(span.status).toEqual({ code: StatusCode.ERROR, message: '' });
    expect(attr(span.attributes, 'error')).toBeUndefined();
    expect(attr(span.attributes, 'http.status_code')).toBe('503');
    expect(attr(span.attributes, 'response_flags')).toBe('UH');
  });

  it('left-pads a 64-bit trace id to 128 bits and short ids to 16 hex characters', () => {
    const [span] = decode([{ traceId: '48485a3953bb6124', id: 'b', parentId: '2a', name: 'x' }]);
    expect(span.traceId).toBe('000000000000000048485a3953bb6124');
    expect(span.spanId).toBe('000000000000000b');
    expect(span.parentSpanId).toBe('000000000000002a');
  });

  it('lower-cases upper-case hex ids and treats an all-zero or self parent as a root', () => {
    const [a, b] = decode([
      { traceId: TRACE_ID.toUpperCase(), id: 'A2FB4A1D1A96D312', parentId: '0000000000000000' },
      { traceId: TRACE_ID, id: CLIENT_ID, parentId: CLIENT_ID },
    ]);
    expect(a.traceId).toBe(TRACE_ID);
    expect(a.spanId).toBe(CLIENT_ID);
    expect(a.parentSpanId).toBe('');
    expect(b.parentSpanId).toBe('');
  });

  it('marks a span without timestamp as the Collector does: start at the epoch, end after the duration', () => {
    const [span] = decode([{ traceId: TRACE_ID, id: CLIENT_ID, duration: 150 }]);
    expect(span.startTimeUnixNano).toBe(0n);
    expect(span.endTimeUnixNano).toBe(150_000n);
    expect(attr(span.attributes, 'otel.zipkin.absentField.startTime')).toBe(true);
    expect(span.kind).toBe(SpanKind.UNSPECIFIED);
    expect(span.name).toBe('');
  });

  it('treats null optional fields as absent and ignores unknown fields', () => {
    const [span] = decode([{
      traceId: TRACE_ID, id: CLIENT_ID, parentId: null, kind: null, name: null, timestamp: T0_US, duration: null,
      localEndpoint: null, remoteEndpoint: {}, annotations: null, tags: null, debug: null, shared: null, extra: { any: 1 },
    }]);
    expect(span).toMatchObject({ parentSpanId: '', kind: SpanKind.UNSPECIFIED, name: '', serviceName: 'missing-service-name' });
    expect(span.endTimeUnixNano).toBe(span.startTimeUnixNano);
    expect(span.attributes).toEqual([]);
    expect(span.resource.attributes).toEqual([]);
  });

  it('accepts an empty body and an empty array as no spans', () => {
    expect(decodeZipkinSpansJson('')).toEqual([]);
    expect(decodeZipkinSpansJson(' []\n')).toEqual([]);
  });
});

describe('Zipkin v2 JSON mapping of endpoints and exporter tags', () => {
  const base = { traceId: TRACE_ID, id: CLIENT_ID, timestamp: T0_US, duration: 10 };

  it('maps remoteEndpoint to peer.service, net.peer.ip and net.peer.port', () => {
    const [span] = decode([{ ...base, kind: 'CLIENT', remoteEndpoint: { serviceName: 'mysql', ipv4: '10.0.0.7', port: 3306 } }]);
    expect(span.attributes).toEqual([
      { key: 'peer.service', value: { type: 'string', value: 'mysql' } },
      { key: 'net.peer.ip', value: { type: 'string', value: '10.0.0.7' } },
      { key: 'net.peer.port', value: { type: 'int', value: 3306n } },
    ]);
  });

  it('prefers an IPv6 address, written in RFC 5952 form, and keeps a tag over an endpoint value of the same key', () => {
    const [span] = decode([{
      ...base,
      localEndpoint: { serviceName: 'svc', ipv4: '10.0.0.1', ipv6: '2001:DB8:0:0:0:0:0:1' },
      remoteEndpoint: { serviceName: 'from-endpoint' },
      tags: { 'peer.service': 'from-tag' },
    }]);
    expect(attr(span.attributes, 'net.host.ip')).toBe('2001:db8::1');
    expect(attr(span.attributes, 'net.host.port')).toBeUndefined(); // port 0 / absent is not mapped
    expect(attr(span.attributes, 'peer.service')).toBe('from-tag');
  });

  it('reads status, trace state and scope from the tags OTLP→Zipkin exporters write, and removes them', () => {
    const [span] = decode([{
      ...base,
      tags: {
        'otel.status_code': 'ERROR', 'otel.status_description': 'deadline exceeded', 'w3c.tracestate': 'vendor=abc',
        'otel.scope.name': 'io.opentelemetry.http', 'otel.scope.version': '2.1.0', keep: 'me',
      },
    }]);
    expect(span.status).toEqual({ code: StatusCode.ERROR, message: 'deadline exceeded' });
    expect(span.traceState).toBe('vendor=abc');
    expect(span.scope).toMatchObject({ name: 'io.opentelemetry.http', version: '2.1.0' });
    expect(span.attributes).toEqual([{ key: 'keep', value: { type: 'string', value: 'me' } }]);
  });

  it('accepts the older otel.library.* scope tags and STATUS_CODE_* values', () => {
    const [span] = decode([{ ...base, tags: { 'otel.library.name': 'lib', 'otel.library.version': '1', 'otel.status_code': 'STATUS_CODE_OK' } }]);
    expect(span.scope).toMatchObject({ name: 'lib', version: '1' });
    expect(span.status.code).toBe(StatusCode.OK);
    expect(span.attributes).toEqual([]);
  });

  it('keeps an error tag with a message as an attribute while still marking the span ERROR', () => {
    const [span] = decode([{ ...base, tags: { error: 'connection reset' } }]);
    expect(span.status.code).toBe(StatusCode.ERROR);
    expect(attr(span.attributes, 'error')).toBe('connection reset');
  });

  it('keeps an otel.status_code it does not know as a plain attribute', () => {
    const [span] = decode([{ ...base, tags: { 'otel.status_code': 'WEIRD' } }]);
    expect(span.status.code).toBe(StatusCode.UNSET);
    expect(attr(span.attributes, 'otel.status_code')).toBe('WEIRD');
  });

  it('moves resource-convention tags to the resource and honours otlp.service.name.source', () => {
    const [a, b] = decode([
      { ...base, localEndpoint: { serviceName: 'checkout' }, tags: { 'k8s.pod.name': 'checkout-1', 'host.name': 'n1', op: 'x' } },
      { ...base, id: SERVER_ID, localEndpoint: { serviceName: 'fn' }, tags: { 'otlp.service.name.source': 'faas.name' } },
    ]);
    expect(a.resource.attributes.map((kv) => [kv.key, kv.value.type === 'string' ? kv.value.value : kv.value.type])).toEqual([
      ['service.name', 'checkout'], ['k8s.pod.name', 'checkout-1'], ['host.name', 'n1'],
    ]);
    expect(a.attributes).toEqual([{ key: 'op', value: { type: 'string', value: 'x' } }]);
    expect(b.resource.attributes).toEqual([{ key: 'faas.name', value: { type: 'string', value: 'fn' } }]);
    expect(b.serviceName).toBe('missing-service-name');
    expect(b.attributes).toEqual([]);
  });

  it('takes the kind from a span.kind tag when kind is absent', () => {
    const [internal, producer] = decode([
      { ...base, tags: { 'span.kind': 'internal' } },
      { ...base, tags: { 'span.kind': 'producer' } },
    ]);
    expect(internal.kind).toBe(SpanKind.INTERNAL);
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(internal.attributes).toEqual([]);
  });

  it('splits exporter-encoded annotations and links back into attributes, and leaves other values whole', () => {
    const linkTrace = 'ab'.repeat(16);
    const [span] = decode([{
      ...base,
      annotations: [
        { timestamp: T0_US + 1, value: 'retry|{"attempt":2,"backoff":0.5,"final":false,"why":"503"}|1' },
        { timestamp: T0_US + 2, value: 'a|b' },
        { timestamp: T0_US + 3, value: 'x|not json|0' },
      ],
      tags: { 'otlp.link.0': `${linkTrace}|00000000000000cd|k=v|{"why":"batch"}|0`, 'otlp.link.1': 'garbage' },
    }]);
    expect(span.events.map((e) => [e.name, e.attributes, e.droppedAttributesCount])).toEqual([
      ['retry', [
        { key: 'attempt', value: { type: 'int', value: 2n } },
        { key: 'backoff', value: { type: 'double', value: 0.5 } },
        { key: 'final', value: { type: 'bool', value: false } },
        { key: 'why', value: { type: 'string', value: '503' } },
      ], 1],
      ['a|b', [], 0],
      ['x|not json|0', [], 0],
    ]);
    expect(span.links).toEqual([{
      traceId: linkTrace, spanId: '00000000000000cd', traceState: 'k=v',
      attributes: [{ key: 'why', value: { type: 'string', value: 'batch' } }], droppedAttributesCount: 0, flags: 0,
    }]);
    expect(attr(span.attributes, 'otlp.link.1')).toBe('garbage');
    expect(attr(span.attributes, 'otlp.link.0')).toBeUndefined();
  });

  it('keeps number and boolean tag values as their text', () => {
    const [span] = decode([{ ...base, tags: { 'http.status_code': 200, cached: true } }]);
    expect(attr(span.attributes, 'http.status_code')).toBe('200');
    expect(attr(span.attributes, 'cached')).toBe('true');
  });
});

describe('Zipkin v2 JSON refusals name the problem', () => {
  const good: ZipkinJsonSpan = { traceId: TRACE_ID, id: CLIENT_ID };
  const withSecond = (second: ZipkinJsonSpan): string => JSON.stringify([good, second]);

  it.each([
    ['malformed JSON', '[{"traceId": ', /^body is not valid JSON: /],
    ['an object instead of an array', JSON.stringify(good), /^body must be a JSON array of Zipkin v2 spans, got an object$/],
    ['a span that is not an object', JSON.stringify([good, 42]), /at spans\[1\]: must be a JSON object, got a number$/],
    ['a missing traceId', withSecond({ id: CLIENT_ID }), /at spans\[1\]\.traceId: is required$/],
    ['a non-hex traceId', withSecond({ traceId: 'xyz', id: CLIENT_ID }), /at spans\[1\]\.traceId: must be 1 to 32 hex characters, got "xyz"$/],
    ['a 33-character traceId', withSecond({ traceId: `${TRACE_ID}0`, id: CLIENT_ID }), /spans\[1\]\.traceId: must be 1 to 32 hex characters/],
    ['an all-zero traceId', withSecond({ traceId: '0'.repeat(32), id: CLIENT_ID }), /spans\[1\]\.traceId: must not be all zeros$/],
    ['an all-zero id', withSecond({ traceId: TRACE_ID, id: '0000000000000000' }), /spans\[1\]\.id: must not be all zeros$/],
    ['a numeric id', withSecond({ traceId: TRACE_ID, id: 12 }), /spans\[1\]\.id: must be a string, got a number$/],
    ['a 17-character parentId', withSecond({ ...good, parentId: `${CLIENT_ID}1` }), /spans\[1\]\.parentId: must be 1 to 16 hex/],
    ['a timestamp as a string', withSecond({ ...good, timestamp: String(T0_US) }), /spans\[1\]\.timestamp: must be an integer number of microseconds, got a string$/],
    ['a fractional duration', withSecond({ ...good, duration: 1.5 }), /spans\[1\]\.duration: must be a non-negative integer number of microseconds, got 1\.5$/],
    ['a negative timestamp', withSecond({ ...good, timestamp: -1 }), /spans\[1\]\.timestamp: must be a non-negative integer/],
    ['an unknown kind', withSecond({ ...good, kind: 'client' }), /spans\[1\]\.kind: must be CLIENT, SERVER, PRODUCER or CONSUMER, got "client"$/],
    ['tags as an array', withSecond({ ...good, tags: ['a'] }), /spans\[1\]\.tags: must be an object of string values, got an array$/],
    ['a tag value that is an object', withSecond({ ...good, tags: { 'http.url': { a: 1 } } }), /spans\[1\]\.tags\["http\.url"\]: must be a string, got an object$/],
    ['an annotation without timestamp', withSecond({ ...good, annotations: [{ value: 'x' }] }), /spans\[1\]\.annotations\[0\]\.timestamp: is required$/],
    ['an invalid IPv4 address', withSecond({ ...good, localEndpoint: { ipv4: '10.0.0' } }), /spans\[1\]\.localEndpoint\.ipv4: must be an IPv4 address, got "10\.0\.0"$/],
    ['a port out of range', withSecond({ ...good, remoteEndpoint: { port: 70000 } }), /spans\[1\]\.remoteEndpoint\.port: must be an integer from 0 to 65535, got 70000$/],
    ['shared as a string', withSecond({ ...good, shared: 'true' }), /spans\[1\]\.shared: must be true or false, got a string$/],
  ])('refuses %s', (_case, body, message) => {
    expect(decodeError(body)).toMatch(message);
  });

  it('prefixes decode problems with the format, so a sender knows which decoder spoke', () => {
    expect(decodeError(withSecond({ traceId: 'xyz', id: CLIENT_ID }))).toMatch(/^invalid Zipkin v2 JSON at spans\[1\]\.traceId/);
  });
});
