/**
 * SpanRecords → OTLP/JSON `TracesData` (`{resourceSpans: [...]}`), as the OTel Collector's pdata
 * JSON marshaler writes it, which is what Jaeger's api_v3 answers with: lowerCamelCase names,
 * 64-bit integers as decimal strings, enums as integers, messages always present (`"resource":
 * {}`), scalars and lists omitted when zero / empty. Trace and span ids are hex in OTLP/JSON;
 * Tempo's JSON (gogo jsonpb) writes them base64, hence the `ids` option.
 *
 * Spans are grouped under their Resource and InstrumentationScope objects (the model shares one
 * object per ResourceSpans / ScopeSpans, and stores restore that sharing on read), in order of
 * first appearance.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource, SpanRecord } from '../../model/span.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

export interface TracesJsonOptions {
  /** How trace and span ids are written: hex (OTLP/JSON, Jaeger) or base64 (Tempo's jsonpb). */
  readonly ids: 'hex' | 'base64';
  /** How span kind and status code are written: integers (OTLP/JSON, Jaeger api_v3) or names (Tempo's jsonpb). */
  readonly enums?: 'int' | 'name';
  /**
   * Extra attributes appended to a span's own (e.g. Jaeger's `@jaeger@warnings`); none when
   * the function returns [] or is absent.
   */
  readonly extraAttributes?: (span: SpanRecord) => readonly KeyValue[];
}

export function encodeTracesJsonObject(spans: readonly SpanRecord[], options: TracesJsonOptions): { resourceSpans: JsonObject[] } {
  const byResource = new Map<Resource, Map<InstrumentationScope, SpanRecord[]>>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (scopes === undefined) byResource.set(span.resource, (scopes = new Map()));
    let list = scopes.get(span.scope);
    if (list === undefined) scopes.set(span.scope, (list = []));
    list.push(span);
  }
  const resourceSpans: JsonObject[] = [];
  for (const [resource, scopes] of byResource) {
    const scopeSpans: JsonObject[] = [];
    for (const [scope, list] of scopes) {
      scopeSpans.push(withOptional({ scope: scopeJson(scope), spans: list.map((s) => spanJson(s, options)) }, { schemaUrl: scope.schemaUrl }));
    }
    resourceSpans.push(withOptional({ resource: resourceJson(resource), scopeSpans }, { schemaUrl: resource.schemaUrl }));
  }
  return { resourceSpans };
}

/** Adds the entries whose value is not a zero value ('', 0, '0', [], undefined). */
function withOptional(base: JsonObject, optional: { [key: string]: JsonValue | undefined }): JsonObject {
  for (const [key, value] of Object.entries(optional)) {
    if (value === undefined || value === '' || value === 0 || value === '0' || (Array.isArray(value) && value.length === 0)) continue;
    base[key] = value;
  }
  return base;
}

function resourceJson(resource: Resource): JsonObject {
  return withOptional({}, { attributes: keyValuesJson(resource.attributes), droppedAttributesCount: resource.droppedAttributesCount });
}

function scopeJson(scope: InstrumentationScope): JsonObject {
  return withOptional({}, {
    name: scope.name,
    version: scope.version,
    attributes: keyValuesJson(scope.attributes),
    droppedAttributesCount: scope.droppedAttributesCount,
  });
}

const SPAN_KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODE_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/** The enum's name; the zero value stays 0 so withOptional omits it, as for integers. */
function enumName(names: readonly string[], value: number): string | number {
  return value === 0 ? 0 : (names[value] ?? value);
}

function idJson(hex: string, ids: TracesJsonOptions['ids']): string {
  return ids === 'hex' || hex === '' ? hex : Buffer.from(hex, 'hex').toString('base64');
}

function spanJson(span: SpanRecord, options: TracesJsonOptions): JsonObject {
  const extra = options.extraAttributes?.(span) ?? [];
  const attributes = extra.length > 0 ? [...span.attributes, ...extra] : span.attributes;
  const names = options.enums === 'name';
  const status = withOptional({}, { message: span.status.message, code: names ? enumName(STATUS_CODE_NAMES, span.status.code) : span.status.code });
  return withOptional({}, {
    traceId: idJson(span.traceId, options.ids),
    spanId: idJson(span.spanId, options.ids),
    traceState: span.traceState,
    parentSpanId: idJson(span.parentSpanId, options.ids),
    flags: span.flags,
    name: span.name,
    kind: names ? enumName(SPAN_KIND_NAMES, span.kind) : span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: keyValuesJson(attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => withOptional({}, {
      timeUnixNano: e.timeUnixNano.toString(),
      name: e.name,
      attributes: keyValuesJson(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) => withOptional({}, {
      traceId: idJson(l.traceId, options.ids),
      spanId: idJson(l.spanId, options.ids),
      traceState: l.traceState,
      attributes: keyValuesJson(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
      flags: l.flags,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status,
  });
}

export function keyValuesJson(kvs: readonly KeyValue[]): JsonObject[] {
  return kvs.map((kv) => ({ key: kv.key, value: anyValueJson(kv.value) }));
}

export function anyValueJson(v: AnyValue): JsonObject {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: v.value.toString() };
    case 'double':
      // proto3 JSON spells the special values as strings.
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { bytesValue: Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') };
    case 'array':
      return { arrayValue: withOptional({}, { values: v.value.map(anyValueJson) }) };
    case 'kvlist':
      return { kvlistValue: withOptional({}, { values: keyValuesJson(v.value) }) };
    case 'empty':
      return {};
  }
}
