/**
 * SpanRecord ⇄ Elasticsearch span document, and the documents' deterministic ids.
 *
 * A span document has two halves:
 *  - indexed fields shaped for the Jaeger queries (keywords for ids, names, service and kind;
 *    longs for start and duration in µs; `tags`, one `key=value` keyword per attribute found in
 *    any of the five places, so "all these tags on one span" is one term query per tag on the
 *    same document);
 *  - `span`, the rest of the span in an object Elasticsearch stores but never parses or indexes
 *    (`enabled: false`), from which the SpanRecord is rebuilt exactly: 64-bit integers travel as
 *    decimal strings and bytes as base64, because JSON numbers would round them to doubles.
 */
import { tenantOfResource } from '../../model/tenant.js';
import { createHash } from 'node:crypto';
import {
  durationUs,
  startTimeUs,
  type AnyValue,
  type InstrumentationScope,
  type KeyValue,
  type Resource,
  type SpanKind,
  type SpanRecord,
  type StatusCode,
} from '../../model/span.js';
import { tagTermsOf } from './tags.js';

/** Kind names as Jaeger prints `span.kind`; readable in Kibana, mapped back on read. */
const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type KindName = (typeof KIND_NAMES)[number];
const STATUS_NAMES = ['unset', 'ok', 'error'] as const;

export function kindName(kind: SpanKind): KindName {
  return KIND_NAMES[kind] ?? 'unspecified';
}

export function kindFromName(name: string): SpanKind {
  const i = (KIND_NAMES as readonly string[]).indexOf(name);
  return (i < 0 ? 0 : i) as SpanKind;
}

/** OTLP/JSON's AnyValue shape, with non-finite and negative-zero doubles as strings (JSON has neither). */
export type StoredAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string }
  | { bytesValue: string }
  | { arrayValue: { values: StoredAnyValue[] } }
  | { kvlistValue: { values: StoredKeyValue[] } }
  | Record<string, never>;

export interface StoredKeyValue {
  key: string;
  value: StoredAnyValue;
}

export interface StoredResource {
  attributes: StoredKeyValue[];
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface StoredScope extends StoredResource {
  name: string;
  version: string;
}

/** Everything of a SpanRecord not already held by the indexed top-level fields. */
export interface StoredSpan {
  traceState: string;
  flags: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: StoredKeyValue[];
  droppedAttributesCount: number;
  events: Array<{ timeUnixNano: string; name: string; attributes: StoredKeyValue[]; droppedAttributesCount: number }>;
  droppedEventsCount: number;
  links: Array<{
    traceId: string;
    spanId: string;
    traceState: string;
    attributes: StoredKeyValue[];
    droppedAttributesCount: number;
    flags: number;
  }>;
  droppedLinksCount: number;
  status: { code: number; message: string };
  resource: StoredResource;
  scope: StoredScope;
}

export interface SpanDocument {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: KindName;
  serviceName: string;
  /** The tenant of the span's resource (multi-tenancy); absent otherwise. */
  tenant?: string;
  /** Epoch ms, a `date` for Kibana and date histograms. */
  startTime: number;
  startTimeUs: number;
  durationUs: number;
  statusCode: (typeof STATUS_NAMES)[number];
  tags: string[];
  span: StoredSpan;
}

/** What getServices/getOperations read: one per (service, operation, kind) and day. */
export interface ServiceDocument {
  serviceName: string;
  operationName: string;
  spanKind: KindName;
  tenant?: string;
}

function shortHash(...parts: string[]): string {
  return createHash('sha1').update(parts.join('\u0000')).digest('hex');
}

/**
 * `<traceId>-<spanId>-<hash(service, kind)>`: Envoy's Zipkin client and server halves share a
 * span id, so service and kind keep them apart, while redelivery of the same span lands on the
 * same id and overwrites instead of duplicating. 12 hex digits of the hash are plenty: they only
 * need to separate the few spans that share one trace and span id.
 */
export function spanDocumentId(span: Pick<SpanRecord, 'traceId' | 'spanId' | 'serviceName' | 'kind' | 'resource'>): string {
  // With a tenant, its own id space: another tenant writing the same ids can never overwrite it.
  const tenant = tenantOfResource(span.resource);
  return tenant === undefined ? untenantedSpanDocumentId(span) : `${tenant}/${untenantedSpanDocumentId(span)}`;
}

function untenantedSpanDocumentId(span: Pick<SpanRecord, 'traceId' | 'spanId' | 'serviceName' | 'kind'>): string {
  return `${span.traceId}-${span.spanId}-${serviceKindHash(span.serviceName, span.kind)}`;
}

/** (service, kind) pairs are few and repeat in every batch; hashing each span anew cost ~15% of encoding. */
const serviceKindHashes = new Map<string, string>();
const SERVICE_KIND_HASHES_MAX = 10_000;

function serviceKindHash(serviceName: string, kind: SpanKind): string {
  const key = `${kind}\u0000${serviceName}`;
  let hash = serviceKindHashes.get(key);
  if (hash === undefined) {
    hash = shortHash(serviceName, String(kind)).slice(0, 12);
    if (serviceKindHashes.size >= SERVICE_KIND_HASHES_MAX) serviceKindHashes.clear();
    serviceKindHashes.set(key, hash);
  }
  return hash;
}

export function serviceDocumentId(doc: ServiceDocument): string {
  const id = shortHash(doc.serviceName, doc.operationName, doc.spanKind);
  return doc.tenant === undefined ? id : `${doc.tenant}/${id}`;
}

export function serviceDocumentOf(span: SpanRecord): ServiceDocument {
  const tenant = tenantOfResource(span.resource);
  return { serviceName: span.serviceName, operationName: span.name, spanKind: kindName(span.kind), ...(tenant !== undefined ? { tenant } : {}) };
}

function encodeAnyValue(v: AnyValue): StoredAnyValue {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: v.value.toString() };
    case 'double':
      if (Object.is(v.value, -0)) return { doubleValue: '-0' };
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { bytesValue: Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') };
    case 'array':
      return { arrayValue: { values: v.value.map(encodeAnyValue) } };
    case 'kvlist':
      return { kvlistValue: { values: encodeKeyValues(v.value) } };
    case 'empty':
      return {};
  }
}

function encodeKeyValues(kvs: readonly KeyValue[]): StoredKeyValue[] {
  return kvs.map((kv) => ({ key: kv.key, value: encodeAnyValue(kv.value) }));
}

function decodeAnyValue(v: StoredAnyValue): AnyValue {
  if ('stringValue' in v) return { type: 'string', value: v.stringValue };
  if ('boolValue' in v) return { type: 'bool', value: v.boolValue };
  if ('intValue' in v) return { type: 'int', value: BigInt(v.intValue) };
  if ('doubleValue' in v) return { type: 'double', value: Number(v.doubleValue) };
  if ('bytesValue' in v) return { type: 'bytes', value: new Uint8Array(Buffer.from(v.bytesValue, 'base64')) };
  if ('arrayValue' in v) return { type: 'array', value: v.arrayValue.values.map(decodeAnyValue) };
  if ('kvlistValue' in v) return { type: 'kvlist', value: decodeKeyValues(v.kvlistValue.values) };
  return { type: 'empty' };
}

function decodeKeyValues(kvs: readonly StoredKeyValue[]): KeyValue[] {
  return kvs.map((kv) => ({ key: kv.key, value: decodeAnyValue(kv.value) }));
}

export function encodeSpanDocument(span: SpanRecord): SpanDocument {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: kindName(span.kind),
    serviceName: span.serviceName,
    ...tenantField(tenantOfResource(span.resource)),
    startTime: Number(span.startTimeUnixNano / 1_000_000n),
    startTimeUs: startTimeUs(span),
    durationUs: durationUs(span),
    statusCode: STATUS_NAMES[span.status.code] ?? 'unset',
    tags: tagTermsOf(span),
    span: {
      traceState: span.traceState,
      flags: span.flags,
      startTimeUnixNano: span.startTimeUnixNano.toString(),
      endTimeUnixNano: span.endTimeUnixNano.toString(),
      attributes: encodeKeyValues(span.attributes),
      droppedAttributesCount: span.droppedAttributesCount,
      events: span.events.map((e) => ({
        timeUnixNano: e.timeUnixNano.toString(),
        name: e.name,
        attributes: encodeKeyValues(e.attributes),
        droppedAttributesCount: e.droppedAttributesCount,
      })),
      droppedEventsCount: span.droppedEventsCount,
      links: span.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: l.traceState,
        attributes: encodeKeyValues(l.attributes),
        droppedAttributesCount: l.droppedAttributesCount,
        flags: l.flags,
      })),
      droppedLinksCount: span.droppedLinksCount,
      status: { code: span.status.code, message: span.status.message },
      resource: {
        attributes: encodeKeyValues(span.resource.attributes),
        droppedAttributesCount: span.resource.droppedAttributesCount,
        schemaUrl: span.resource.schemaUrl,
      },
      scope: {
        name: span.scope.name,
        version: span.scope.version,
        attributes: encodeKeyValues(span.scope.attributes),
        droppedAttributesCount: span.scope.droppedAttributesCount,
        schemaUrl: span.scope.schemaUrl,
      },
    },
  };
}

/**
 * Rebuilds SpanRecords from documents of one response. Spans of one ResourceSpans/ScopeSpans
 * share one Resource/InstrumentationScope object in the model; the decoder restores that sharing
 * for equal resources and scopes, so consumers that group by resource identity keep working.
 */
export class SpanDocumentDecoder {
  private readonly resources = new Map<string, Resource>();
  private readonly scopes = new Map<string, InstrumentationScope>();

  decode(doc: Omit<SpanDocument, 'tags'>): SpanRecord {
    const s = doc.span;
    return {
      traceId: doc.traceId,
      spanId: doc.spanId,
      parentSpanId: doc.parentSpanId,
      traceState: s.traceState,
      flags: s.flags,
      name: doc.name,
      kind: kindFromName(doc.kind),
      startTimeUnixNano: BigInt(s.startTimeUnixNano),
      endTimeUnixNano: BigInt(s.endTimeUnixNano),
      attributes: decodeKeyValues(s.attributes),
      droppedAttributesCount: s.droppedAttributesCount,
      events: s.events.map((e) => ({
        timeUnixNano: BigInt(e.timeUnixNano),
        name: e.name,
        attributes: decodeKeyValues(e.attributes),
        droppedAttributesCount: e.droppedAttributesCount,
      })),
      droppedEventsCount: s.droppedEventsCount,
      links: s.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: l.traceState,
        attributes: decodeKeyValues(l.attributes),
        droppedAttributesCount: l.droppedAttributesCount,
        flags: l.flags,
      })),
      droppedLinksCount: s.droppedLinksCount,
      status: { code: s.status.code as StatusCode, message: s.status.message },
      resource: this.resource(s.resource),
      scope: this.scope(s.scope),
      serviceName: doc.serviceName,
    };
  }

  private resource(r: StoredResource): Resource {
    const key = JSON.stringify(r);
    let resource = this.resources.get(key);
    if (!resource) {
      resource = { attributes: decodeKeyValues(r.attributes), droppedAttributesCount: r.droppedAttributesCount, schemaUrl: r.schemaUrl };
      this.resources.set(key, resource);
    }
    return resource;
  }

  private scope(sc: StoredScope): InstrumentationScope {
    const key = JSON.stringify(sc);
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = {
        name: sc.name,
        version: sc.version,
        attributes: decodeKeyValues(sc.attributes),
        droppedAttributesCount: sc.droppedAttributesCount,
        schemaUrl: sc.schemaUrl,
      };
      this.scopes.set(key, scope);
    }
    return scope;
  }
}

function tenantField(tenant: string | undefined): { tenant?: string } {
  return tenant === undefined ? {} : { tenant };
}
