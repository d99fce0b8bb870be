/**
 * Hand-written encoder: SpanRecord[] → protobuf ExportTraceServiceRequest. Spans are regrouped
 * by resource and scope *object identity* (the decoders share one object per ResourceSpans /
 * ScopeSpans), in order of first appearance, so decode → encode → decode gives the same model.
 */
import type { InstrumentationScope, Resource, SpanRecord } from '../../model/span.js';
import { writeKeyValues, writeResource, writeScope } from '../common/common-encode.js';
import { encodedSpanOf } from './encoded-spans.js';
import { WireType } from '../../wire/wire-reader.js';
import { ProtoWriter } from '../../wire/wire-writer.js';

interface ScopeGroup {
  readonly scope: InstrumentationScope;
  readonly spans: SpanRecord[];
}

interface ResourceGroup {
  readonly resource: Resource;
  readonly scopes: ScopeGroup[];
  readonly byScope: Map<InstrumentationScope, ScopeGroup>;
}

const writer = new ProtoWriter();

// Resources and scopes are shared, immutable objects, and encoding one record per trace writes
// the same few again and again: keep each one's encoded field (tag, length, message) instead.
const encodedResources = new WeakMap<Resource, Uint8Array>();
const encodedScopes = new WeakMap<InstrumentationScope, Uint8Array>();

export function encodeTracesProtobufBody(spans: readonly SpanRecord[]): Uint8Array<ArrayBuffer> {
  const w = writer;
  w.reset();
  try {
    writeRequest(w, spans);
    return w.finish();
  } catch (err) {
    w.reset();
    throw err;
  }
}

/**
 * One request per element of `batches`, all written into one allocation: each result is a view
 * of a single ArrayBuffer. Allocating an ArrayBuffer per small record (one per trace) was the
 * single largest self-time of the collector's encoding; a view is an ordinary heap object.
 */
export function encodeTracesProtobufEachBody(batches: readonly (readonly SpanRecord[])[]): Uint8Array<ArrayBuffer>[] {
  const w = writer;
  w.reset();
  const ends = new Array<number>(batches.length);
  let all: Uint8Array<ArrayBuffer>;
  try {
    for (let i = 0; i < batches.length; i++) {
      writeRequest(w, batches[i]);
      ends[i] = w.pos;
    }
    all = w.finish();
  } catch (err) {
    w.reset();
    throw err;
  }
  const out = new Array<Uint8Array<ArrayBuffer>>(batches.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    // The constructor, not subarray(): subarray looks up a species constructor on every call.
    out[i] = new Uint8Array(all.buffer, start, ends[i] - start);
    start = ends[i];
  }
  return out;
}

/**
 * The bytes of `span`'s Span message alone (no field tag or length): the bytes it was decoded
 * from when it kept them, else a fresh encoding in the shared scratch buffer, which the next
 * encode call overwrites — copy the result before encoding anything else.
 */
export function encodeSpanMessageBody(span: SpanRecord): Uint8Array {
  const kept = encodedSpanOf(span);
  if (kept !== undefined) return kept;
  const w = writer;
  w.reset();
  try {
    writeSpan(w, span);
  } catch (err) {
    w.reset();
    throw err;
  }
  return w.written();
}

function writeRequest(w: ProtoWriter, spans: readonly SpanRecord[]): void {
  for (const group of groupByResourceAndScope(spans)) {
    w.tag(1, WireType.LEN);
    const mark = w.fork();
    writeResourceSpans(w, group);
    w.join(mark);
  }
}

function groupByResourceAndScope(spans: readonly SpanRecord[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byResource = new Map<Resource, ResourceGroup>();
  // Spans of one resource and scope usually come together: check the previous group first.
  let lastResource: Resource | undefined;
  let resourceGroup: ResourceGroup | undefined;
  let lastScope: InstrumentationScope | undefined;
  let scopeGroup: ScopeGroup | undefined;
  for (const span of spans) {
    if (span.resource !== lastResource || resourceGroup === undefined) {
      lastResource = span.resource;
      resourceGroup = byResource.get(lastResource);
      if (resourceGroup === undefined) {
        resourceGroup = { resource: lastResource, scopes: [], byScope: new Map() };
        byResource.set(lastResource, resourceGroup);
        groups.push(resourceGroup);
      }
      lastScope = undefined;
    }
    if (span.scope !== lastScope || scopeGroup === undefined) {
      lastScope = span.scope;
      scopeGroup = resourceGroup.byScope.get(lastScope);
      if (scopeGroup === undefined) {
        scopeGroup = { scope: lastScope, spans: [] };
        resourceGroup.byScope.set(lastScope, scopeGroup);
        resourceGroup.scopes.push(scopeGroup);
      }
    }
    scopeGroup.spans.push(span);
  }
  return groups;
}

function writeResourceSpans(w: ProtoWriter, group: ResourceGroup): void {
  const resource = group.resource;
  if (resource.attributes.length > 0 || resource.droppedAttributesCount !== 0) {
    const cached = encodedResources.get(resource);
    if (cached !== undefined) w.raw(cached);
    else {
      const start = w.pos;
      w.tag(1, WireType.LEN);
      const mark = w.fork();
      writeResource(w, resource);
      w.join(mark);
      encodedResources.set(resource, w.copySince(start));
    }
  }
  for (const scopeGroup of group.scopes) {
    w.tag(2, WireType.LEN);
    const mark = w.fork();
    writeScopeSpans(w, scopeGroup);
    w.join(mark);
  }
  if (resource.schemaUrl !== '') {
    w.tag(3, WireType.LEN);
    w.string(resource.schemaUrl);
  }
}

function writeScopeSpans(w: ProtoWriter, group: ScopeGroup): void {
  const scope = group.scope;
  if (scope.name !== '' || scope.version !== '' || scope.attributes.length > 0 || scope.droppedAttributesCount !== 0) {
    const cached = encodedScopes.get(scope);
    if (cached !== undefined) w.raw(cached);
    else {
      const start = w.pos;
      w.tag(1, WireType.LEN);
      const mark = w.fork();
      writeScope(w, scope);
      w.join(mark);
      encodedScopes.set(scope, w.copySince(start));
    }
  }
  for (const span of group.spans) {
    w.tag(2, WireType.LEN);
    const encoded = encodedSpanOf(span);
    if (encoded !== undefined) {
      w.uint32(encoded.length);
      w.raw(encoded);
    } else {
      const mark = w.fork();
      writeSpan(w, span);
      w.join(mark);
    }
  }
  if (scope.schemaUrl !== '') {
    w.tag(3, WireType.LEN);
    w.string(scope.schemaUrl);
  }
}

function writeSpan(w: ProtoWriter, s: SpanRecord): void {
  if (s.traceId !== '') {
    w.tag(1, WireType.LEN);
    w.hexBytes(s.traceId);
  }
  if (s.spanId !== '') {
    w.tag(2, WireType.LEN);
    w.hexBytes(s.spanId);
  }
  if (s.traceState !== '') {
    w.tag(3, WireType.LEN);
    w.string(s.traceState);
  }
  if (s.parentSpanId !== '') {
    w.tag(4, WireType.LEN);
    w.hexBytes(s.parentSpanId);
  }
  if (s.name !== '') {
    w.tag(5, WireType.LEN);
    w.string(s.name);
  }
  if (s.kind !== 0) {
    w.tag(6, WireType.VARINT);
    w.uint32(s.kind);
  }
  if (s.startTimeUnixNano !== 0n) {
    w.tag(7, WireType.I64);
    w.fixed64(s.startTimeUnixNano);
  }
  if (s.endTimeUnixNano !== 0n) {
    w.tag(8, WireType.I64);
    w.fixed64(s.endTimeUnixNano);
  }
  writeKeyValues(w, 9, s.attributes);
  if (s.droppedAttributesCount !== 0) {
    w.tag(10, WireType.VARINT);
    w.uint32(s.droppedAttributesCount);
  }
  for (const e of s.events) {
    w.tag(11, WireType.LEN);
    const mark = w.fork();
    if (e.timeUnixNano !== 0n) {
      w.tag(1, WireType.I64);
      w.fixed64(e.timeUnixNano);
    }
    if (e.name !== '') {
      w.tag(2, WireType.LEN);
      w.string(e.name);
    }
    writeKeyValues(w, 3, e.attributes);
    if (e.droppedAttributesCount !== 0) {
      w.tag(4, WireType.VARINT);
      w.uint32(e.droppedAttributesCount);
    }
    w.join(mark);
  }
  if (s.droppedEventsCount !== 0) {
    w.tag(12, WireType.VARINT);
    w.uint32(s.droppedEventsCount);
  }
  for (const l of s.links) {
    w.tag(13, WireType.LEN);
    const mark = w.fork();
    if (l.traceId !== '') {
      w.tag(1, WireType.LEN);
      w.hexBytes(l.traceId);
    }
    if (l.spanId !== '') {
      w.tag(2, WireType.LEN);
      w.hexBytes(l.spanId);
    }
    if (l.traceState !== '') {
      w.tag(3, WireType.LEN);
      w.string(l.traceState);
    }
    writeKeyValues(w, 4, l.attributes);
    if (l.droppedAttributesCount !== 0) {
      w.tag(5, WireType.VARINT);
      w.uint32(l.droppedAttributesCount);
    }
    if (l.flags !== 0) {
      w.tag(6, WireType.I32);
      w.fixed32(l.flags);
    }
    w.join(mark);
  }
  if (s.droppedLinksCount !== 0) {
    w.tag(14, WireType.VARINT);
    w.uint32(s.droppedLinksCount);
  }
  if (s.status.code !== 0 || s.status.message !== '') {
    w.tag(15, WireType.LEN);
    const mark = w.fork();
    if (s.status.message !== '') {
      w.tag(2, WireType.LEN);
      w.string(s.status.message);
    }
    if (s.status.code !== 0) {
      w.tag(3, WireType.VARINT);
      w.uint32(s.status.code);
    }
    w.join(mark);
  }
  if (s.flags !== 0) {
    w.tag(16, WireType.I32);
    w.fixed32(s.flags);
  }
}
