/**
 * Hand-written decoder: protobuf ExportTraceServiceRequest (or TracesData, the same bytes) →
 * SpanRecord[]. Resource and scope objects are decoded once per ResourceSpans / ScopeSpans and
 * shared by their spans, as the model requires — and byte-identical ones are shared across
 * ResourceSpans and requests too (decode-cache.ts).
 */
import {
  SpanKind, StatusCode, serviceNameOf,
  type InstrumentationScope, type KeyValue, type Resource, type SpanEvent, type SpanLink, type SpanRecord, type SpanStatus,
} from '../../model/span.js';
import {
  NO_ATTRIBUTES, decodeResource, decodeScope, emptyResource, emptyScope, locateResourceGroup, readKeyValueInto, rethrowIn,
} from '../common/common-decode.js';
import { DecodeCache } from '../../wire/decode-cache.js';
import { DecodedSpan } from './encoded-spans.js';
import { toOtlpDecodeError, within } from '../../wire/decode-errors.js';
import { ProtoReader } from '../../wire/wire-reader.js';

/** What a span without a status has (a missing Status means UNSET). */
export const UNSET_STATUS: SpanStatus = Object.freeze({ code: StatusCode.UNSET, message: '' });

const NO_EVENTS: readonly SpanEvent[] = Object.freeze([]);
const NO_LINKS: readonly SpanLink[] = Object.freeze([]);

// Field names by number, for error paths (repeated fields name themselves with their index).
const SPAN_FIELDS = [
  undefined, 'traceId', 'spanId', 'traceState', 'parentSpanId', 'name', 'kind', 'startTimeUnixNano',
  'endTimeUnixNano', undefined, 'droppedAttributesCount', undefined, 'droppedEventsCount', undefined,
  'droppedLinksCount', 'status', 'flags',
];
const EVENT_FIELDS = [undefined, 'timeUnixNano', 'name', undefined, 'droppedAttributesCount'];
const LINK_FIELDS = [undefined, 'traceId', 'spanId', 'traceState', undefined, 'droppedAttributesCount', 'flags'];
const STATUS_FIELDS = [undefined, undefined, 'message', 'code'];
const SCOPE_SPANS_FIELDS = [undefined, 'scope', undefined, 'schemaUrl'];

interface CachedResource {
  readonly resource: Resource;
  readonly serviceName: string;
}

// Resources and scopes repeat across requests (and across the per-trace records the ingester
// reads): byte-identical ones decode to one shared object. See decode-cache.ts.
const resources = new DecodeCache<CachedResource>(1024);
const scopes = new DecodeCache<InstrumentationScope>(256);


export function decodeTracesProtobufBody(body: Uint8Array, keepEncodedSpans = false): SpanRecord[] {
  const r = new ProtoReader(body);
  const out: SpanRecord[] = [];
  const end = body.length;
  try {
    let index = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag === 0x0a) {
        try {
          const stop = r.lengthDelimited(end);
          decodeResourceSpans(r, stop, out, keepEncodedSpans);
          r.pos = stop;
        } catch (err) {
          throw within(err, 'resourceSpans', index);
        }
        index++;
      } else r.skip(tag, end);
    }
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid protobuf ExportTraceServiceRequest');
  }
  return out;
}

/**
 * One Span message, `bytes[start, end)`, as a span of `resource` and `scope` (for stores that
 * keep spans encoded and decode them when read). Throws OtlpDecodeError.
 */
export function decodeSpanMessage(
  bytes: Uint8Array, start: number, end: number, resource: Resource, scope: InstrumentationScope, serviceName: string,
): SpanRecord {
  const r = new ProtoReader(bytes);
  r.pos = start;
  try {
    return decodeSpan(r, end, resource, scope, serviceName, undefined);
  } catch (err) {
    throw toOtlpDecodeError(err, 'invalid protobuf Span');
  }
}

/** Decodes the parts locateResourceGroup found in the order the model needs: resource, then each scope. */
function decodeResourceSpans(r: ProtoReader, end: number, out: SpanRecord[], keepEncoded: boolean): void {
  const { resourceStart, resourceEnd, schemaUrl, scopeRanges, scopesField } = locateResourceGroup(r, end, {
    scopes: 'scopeSpans',
    legacyScopes: 'instrumentationLibrarySpans',
  });

  let resource: Resource;
  let serviceName: string;
  if (resourceStart >= 0) {
    let entry: CachedResource;
    try {
      entry = resources.get(r.buffer, resourceStart, resourceEnd, schemaUrl, () => {
        r.pos = resourceStart;
        const decoded = decodeResource(r, resourceEnd, schemaUrl);
        return { resource: decoded, serviceName: serviceNameOf(decoded) };
      });
    } catch (err) {
      throw within(err, 'resource');
    }
    resource = entry.resource;
    serviceName = entry.serviceName;
  } else {
    resource = emptyResource(schemaUrl);
    serviceName = serviceNameOf(resource);
  }

  for (let i = 0; i < scopeRanges.length; i += 2) {
    r.pos = scopeRanges[i];
    try {
      decodeScopeSpans(r, scopeRanges[i + 1], resource, serviceName, out, keepEncoded);
    } catch (err) {
      throw within(err, scopesField, i / 2);
    }
  }
}

function decodeScopeSpans(
  r: ProtoReader, end: number, resource: Resource, serviceName: string, out: SpanRecord[], keepEncoded: boolean,
): void {
  let scopeStart = -1;
  let scopeEnd = -1;
  let schemaUrl = '';
  const spanRanges: number[] = [];
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x12) {
        const stop = r.lengthDelimited(end);
        spanRanges.push(r.pos, stop);
        r.pos = stop;
      } else if (tag === 0x0a) {
        scopeEnd = r.lengthDelimited(end);
        scopeStart = r.pos;
        r.pos = scopeEnd;
      } else if (tag === 0x1a) {
        schemaUrl = r.string(end);
      } else r.skip(tag, end);
    }
  } catch (err) {
    if (tag === 0x12) throw within(err, 'spans', spanRanges.length / 2);
    rethrowIn(err, SCOPE_SPANS_FIELDS, tag);
  }

  let scope: InstrumentationScope;
  if (scopeStart >= 0) {
    try {
      scope = scopes.get(r.buffer, scopeStart, scopeEnd, schemaUrl, () => {
        r.pos = scopeStart;
        return decodeScope(r, scopeEnd, schemaUrl);
      });
    } catch (err) {
      throw within(err, 'scope');
    }
  } else scope = emptyScope(schemaUrl);

  for (let i = 0; i < spanRanges.length; i += 2) {
    const start = spanRanges[i];
    const stop = spanRanges[i + 1];
    r.pos = start;
    try {
      out.push(decodeSpan(r, stop, resource, scope, serviceName, keepEncoded ? viewOf(r.bytes, start, stop) : undefined));
    } catch (err) {
      throw within(err, 'spans', i / 2);
    }
  }
}

/**
 * `bytes[start, end)` as a plain Uint8Array view. Not subarray(): on a Buffer that goes through
 * the species constructor (FastBuffer) on every call, measurably slower once per span.
 */
function viewOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

function decodeSpan(
  r: ProtoReader, end: number, resource: Resource, scope: InstrumentationScope, serviceName: string,
  encoded: Uint8Array | undefined,
): SpanRecord {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let parentSpanId = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  let attributes: KeyValue[] | undefined;
  let droppedAttributesCount = 0;
  let events: SpanEvent[] | undefined;
  let droppedEventsCount = 0;
  let links: SpanLink[] | undefined;
  let droppedLinksCount = 0;
  let status = UNSET_STATUS;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a: traceId = r.hex(end); break;
        case 0x12: spanId = r.hex(end); break;
        case 0x1a: traceState = r.string(end); break;
        case 0x22: parentSpanId = r.hex(end); break;
        case 0x2a: name = r.string(end); break;
        case 0x30: kind = r.uint32(end); break;
        case 0x39: startTimeUnixNano = r.fixed64(end); break;
        case 0x41: endTimeUnixNano = r.fixed64(end); break;
        case 0x4a: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
        case 0x50: droppedAttributesCount = r.uint32(end); break;
        case 0x5a: {
          events ??= [];
          try {
            const stop = r.lengthDelimited(end);
            events.push(decodeEvent(r, stop));
            r.pos = stop;
          } catch (err) {
            throw within(err, 'events', events.length);
          }
          break;
        }
        case 0x60: droppedEventsCount = r.uint32(end); break;
        case 0x6a: {
          links ??= [];
          try {
            const stop = r.lengthDelimited(end);
            links.push(decodeLink(r, stop));
            r.pos = stop;
          } catch (err) {
            throw within(err, 'links', links.length);
          }
          break;
        }
        case 0x70: droppedLinksCount = r.uint32(end); break;
        case 0x7a: {
          const stop = r.lengthDelimited(end);
          status = decodeStatus(r, stop);
          r.pos = stop;
          break;
        }
        case 0x85: flags = r.fixed32(end); break; // field 16, fixed32: a two-byte tag read as one number
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    rethrowIn(err, SPAN_FIELDS, tag);
  }
  return new DecodedSpan(
    traceId,
    spanId,
    parentSpanId,
    traceState,
    flags,
    name,
    // proto3 enums are open; values this version does not know are read as "unspecified".
    (kind <= SpanKind.CONSUMER ? kind : SpanKind.UNSPECIFIED) as SpanKind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes ?? NO_ATTRIBUTES,
    droppedAttributesCount,
    events ?? NO_EVENTS,
    droppedEventsCount,
    links ?? NO_LINKS,
    droppedLinksCount,
    status,
    resource,
    scope,
    serviceName,
    encoded,
  );
}

function decodeEvent(r: ProtoReader, end: number): SpanEvent {
  let timeUnixNano = 0n;
  let name = '';
  let attributes: KeyValue[] | undefined;
  let droppedAttributesCount = 0;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x09: timeUnixNano = r.fixed64(end); break;
        case 0x12: name = r.string(end); break;
        case 0x1a: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
        case 0x20: droppedAttributesCount = r.uint32(end); break;
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    rethrowIn(err, EVENT_FIELDS, tag);
  }
  return { timeUnixNano, name, attributes: attributes ?? NO_ATTRIBUTES, droppedAttributesCount };
}

function decodeLink(r: ProtoReader, end: number): SpanLink {
  let traceId = '';
  let spanId = '';
  let traceState = '';
  let attributes: KeyValue[] | undefined;
  let droppedAttributesCount = 0;
  let flags = 0;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a: traceId = r.hex(end); break;
        case 0x12: spanId = r.hex(end); break;
        case 0x1a: traceState = r.string(end); break;
        case 0x22: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
        case 0x28: droppedAttributesCount = r.uint32(end); break;
        case 0x35: flags = r.fixed32(end); break;
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    rethrowIn(err, LINK_FIELDS, tag);
  }
  return { traceId, spanId, traceState, attributes: attributes ?? NO_ATTRIBUTES, droppedAttributesCount, flags };
}

function decodeStatus(r: ProtoReader, end: number): SpanStatus {
  let message = '';
  let code = 0;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x12) message = r.string(end);
      else if (tag === 0x18) code = r.uint32(end);
      else r.skip(tag, end); // 1 was deprecated_code.
    }
  } catch (err) {
    rethrowIn(err, STATUS_FIELDS, tag);
  }
  if (code === 0 && message === '') return UNSET_STATUS;
  return { code: (code <= StatusCode.ERROR ? code : StatusCode.UNSET) as StatusCode, message };
}
