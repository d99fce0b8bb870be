/**
 * Zipkin v2 protobuf (zipkin.proto3.ListOfSpans, our copy in shared/proto/zipkin/zipkin.proto)
 * → ZipkinSpan[], read by hand with the same wire reader as the OTLP codec. A field is matched
 * by its full tag (number and wire type); anything else is skipped, as protobuf requires for
 * unknown fields. The same rules as the JSON decoder apply once a value is read.
 */
import { DecodeProblem, within } from '../wire/decode-errors.js';
import { ProtoReader } from '../wire/wire-reader.js';
import { toZipkinDecodeError } from './errors.js';
import { parentIdOfBytes, spanIdOfBytes, traceIdOfBytes } from './ids.js';
import { ipv4OfBytes, ipv6OfBytes } from './ip.js';
import type { ZipkinAnnotation, ZipkinEndpoint, ZipkinKind, ZipkinSpan } from './model.js';

// Tags: (field number << 3) | wire type (0 varint, 1 fixed64, 2 length-delimited).
const LIST_SPANS = (1 << 3) | 2;
const SPAN_TRACE_ID = (1 << 3) | 2;
const SPAN_PARENT_ID = (2 << 3) | 2;
const SPAN_ID = (3 << 3) | 2;
const SPAN_KIND = 4 << 3;
const SPAN_NAME = (5 << 3) | 2;
const SPAN_TIMESTAMP = (6 << 3) | 1;
const SPAN_DURATION = 7 << 3;
const SPAN_LOCAL_ENDPOINT = (8 << 3) | 2;
const SPAN_REMOTE_ENDPOINT = (9 << 3) | 2;
const SPAN_ANNOTATION = (10 << 3) | 2;
const SPAN_TAG = (11 << 3) | 2;
const SPAN_DEBUG = 12 << 3;
const SPAN_SHARED = 13 << 3;
const ENDPOINT_SERVICE_NAME = (1 << 3) | 2;
const ENDPOINT_IPV4 = (2 << 3) | 2;
const ENDPOINT_IPV6 = (3 << 3) | 2;
const ENDPOINT_PORT = 4 << 3;
const ANNOTATION_TIMESTAMP = (1 << 3) | 1;
const ANNOTATION_VALUE = (2 << 3) | 2;
const MAP_KEY = (1 << 3) | 2;
const MAP_VALUE = (2 << 3) | 2;

/** Span.Kind numbers; 0 (SPAN_KIND_UNSPECIFIED) means absent. */
const KIND_BY_NUMBER: readonly (ZipkinKind | undefined)[] = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];

const NO_BYTES = new Uint8Array(0);

/** Decodes a ListOfSpans body (empty = no spans). Throws ZipkinDecodeError. */
export function decodeZipkinProtobuf(body: Uint8Array): ZipkinSpan[] {
  const r = new ProtoReader(body);
  const end = body.length;
  const spans: ZipkinSpan[] = [];
  try {
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag !== LIST_SPANS) {
        r.skip(tag, end);
        continue;
      }
      const index = spans.length;
      try {
        const stop = r.lengthDelimited(end);
        spans.push(readSpan(r, stop));
        r.pos = stop;
      } catch (err) {
        throw within(err, 'spans', index);
      }
    }
  } catch (err) {
    throw toZipkinDecodeError(err, 'invalid Zipkin protobuf ListOfSpans');
  }
  return spans;
}

/** Runs `read`, adding `name` to the path of any problem. */
function named<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw within(err, name);
  }
}

function readSpan(r: ProtoReader, end: number): ZipkinSpan {
  let traceIdBytes: Uint8Array | undefined;
  let idBytes: Uint8Array | undefined;
  let parentIdBytes: Uint8Array = NO_BYTES;
  let kind: ZipkinKind | undefined;
  let name = '';
  let timestampUs = 0n;
  let durationUs = 0n;
  let localEndpoint: ZipkinEndpoint | undefined;
  let remoteEndpoint: ZipkinEndpoint | undefined;
  const annotations: ZipkinAnnotation[] = [];
  const tags = new Map<string, string>();
  let debug = false;
  let shared = false;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case SPAN_TRACE_ID: traceIdBytes = r.bytesCopy(end); break;
      case SPAN_PARENT_ID: parentIdBytes = r.bytesCopy(end); break;
      case SPAN_ID: idBytes = r.bytesCopy(end); break;
      case SPAN_KIND: {
        const n = Number(r.int64(end));
        if (n < 0 || n >= KIND_BY_NUMBER.length) throw within(new DecodeProblem(`unknown span kind ${n}`), 'kind');
        kind = KIND_BY_NUMBER[n];
        break;
      }
      case SPAN_NAME: name = r.string(end); break;
      case SPAN_TIMESTAMP: timestampUs = named('timestamp', () => r.fixed64(end)); break;
      // uint64 on the wire; the reader gives int64, so reinterpret the bits.
      case SPAN_DURATION: durationUs = BigInt.asUintN(64, r.int64(end)); break;
      case SPAN_LOCAL_ENDPOINT: localEndpoint = named('localEndpoint', () => readEndpoint(r, r.lengthDelimited(end))); break;
      case SPAN_REMOTE_ENDPOINT: remoteEndpoint = named('remoteEndpoint', () => readEndpoint(r, r.lengthDelimited(end))); break;
      case SPAN_ANNOTATION: {
        const index = annotations.length;
        try {
          annotations.push(readAnnotation(r, r.lengthDelimited(end)));
        } catch (err) {
          throw within(err, 'annotations', index);
        }
        break;
      }
      case SPAN_TAG: named('tags', () => readTag(r, r.lengthDelimited(end), tags)); break;
      case SPAN_DEBUG: debug = r.bool(end); break;
      case SPAN_SHARED: shared = r.bool(end); break;
      default: r.skip(tag, end);
    }
  }
  if (traceIdBytes === undefined) throw within(new DecodeProblem('is required'), 'traceId');
  if (idBytes === undefined) throw within(new DecodeProblem('is required'), 'id');
  const traceId = named('traceId', () => traceIdOfBytes(traceIdBytes));
  const id = named('id', () => spanIdOfBytes(idBytes));
  const parentId = named('parentId', () => parentIdOfBytes(parentIdBytes));
  return {
    traceId,
    id,
    parentId: parentId === id ? '' : parentId,
    name,
    kind,
    timestampUs: timestampUs === 0n ? undefined : timestampUs,
    durationUs,
    localEndpoint,
    remoteEndpoint,
    annotations,
    tags,
    debug,
    shared,
  };
}

/** Reads an Endpoint ending at `end` and leaves the reader there. */
function readEndpoint(r: ProtoReader, end: number): ZipkinEndpoint | undefined {
  let serviceName = '';
  let ipv4 = '';
  let ipv6 = '';
  let port = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case ENDPOINT_SERVICE_NAME: serviceName = r.string(end); break;
      case ENDPOINT_IPV4: {
        const bytes = r.bytesCopy(end);
        ipv4 = bytes.length === 0 ? '' : named('ipv4', () => ipv4OfBytes(bytes));
        break;
      }
      case ENDPOINT_IPV6: {
        const bytes = r.bytesCopy(end);
        ipv6 = bytes.length === 0 ? '' : named('ipv6', () => ipv6OfBytes(bytes));
        break;
      }
      case ENDPOINT_PORT: {
        const n = r.int64(end);
        if (n < 0n || n > 65535n) throw within(new DecodeProblem(`must be from 0 to 65535, got ${n}`), 'port');
        port = Number(n);
        break;
      }
      default: r.skip(tag, end);
    }
  }
  if (serviceName === '' && ipv4 === '' && ipv6 === '' && port === 0) return undefined;
  return { serviceName, ipv4, ipv6, port };
}

function readAnnotation(r: ProtoReader, end: number): ZipkinAnnotation {
  let timestampUs = 0n;
  let value = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === ANNOTATION_TIMESTAMP) timestampUs = r.fixed64(end);
    else if (tag === ANNOTATION_VALUE) value = r.string(end);
    else r.skip(tag, end);
  }
  if (timestampUs === 0n) throw within(new DecodeProblem('is required (epoch microseconds)'), 'timestamp');
  return { timestampUs, value };
}

/** One map<string, string> entry; a missing key or value is '' (proto3 defaults). */
function readTag(r: ProtoReader, end: number, tags: Map<string, string>): void {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === MAP_KEY) key = r.string(end);
    else if (tag === MAP_VALUE) value = r.string(end);
    else r.skip(tag, end);
  }
  tags.set(key, value);
}
