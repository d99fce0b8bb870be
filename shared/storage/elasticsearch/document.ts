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
import { createHash, hash } from 'node:crypto';
import {
  durationUs,
  startTimeUs,
  type InstrumentationScope,
  type Resource,
  type SpanKind,
  type SpanRecord,
  type StatusCode,
} from '../../model/span.js';
import { keyValuesFromJson, keyValuesToJson, type OtlpJsonAnyValue, type OtlpJsonKeyValue } from '../../otlp/common/common-json.js';
import { encodeSpanMessageBody } from '../../otlp/traces/traces-protobuf-encode.js';
import { spanDocumentJson } from './span-document-json.js';
import { tagTermsOf } from './tags.js';
import { traceqlFieldsOf } from './traceql-terms.js';

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

/** Attributes are stored in OTLP/JSON form (shared/otlp/common/common-json.ts). */
export type StoredAnyValue = OtlpJsonAnyValue;
export type StoredKeyValue = OtlpJsonKeyValue;

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
  /** startTimeUs + durationUs: a trace's extent (TraceQL traceDuration) is min start to max end. */
  endTimeUs: number;
  statusCode: (typeof STATUS_NAMES)[number];
  /** {@link spanContentHash}: part of the document id, and the last key of the paging sort. */
  spanHash: string;
  tags: string[];
  /** Scoped, typed attribute terms and keys for TraceQL (traceql-terms.ts); indexed, not in _source. */
  traceqlTerms: string[];
  traceqlKeys: string[];
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
 * `<traceId>-<spanId>-<hash(service, kind)>-<content hash>`: Envoy's Zipkin client and server
 * halves share a span id, so service and kind keep them apart; two different spans a buggy
 * tracer gave one id are kept apart by their content (Jaeger keeps both); and redelivery of the
 * same span lands on the same id and overwrites instead of duplicating. 12 hex digits of each
 * hash are plenty: they only separate the few spans that share one trace and span id.
 */
export function spanDocumentId(span: SpanRecord): string {
  return documentIdOf(span, spanContentHash(span), tenantOfResource(span.resource));
}

function documentIdOf(span: Pick<SpanRecord, 'traceId' | 'spanId' | 'serviceName' | 'kind'>, contentHash: string, tenant: string | undefined): string {
  const id = `${span.traceId}-${span.spanId}-${serviceKindHash(span.serviceName, span.kind)}-${contentHash}`;
  // With a tenant, its own id space: another tenant writing the same ids can never overwrite it.
  return tenant === undefined ? id : `${tenant}/${id}`;
}

/**
 * 12 hex digits of a hash of the span's OTLP protobuf Span message (resource and scope aside):
 * the same span delivered twice hashes the same, because each path through meshtel encodes it
 * the same way (the bytes it was decoded from when kept, else the deterministic encoder).
 */
/**
 * What the span store sends for a span: the document's text (span-document-json.ts, the same text
 * as `JSON.stringify` of {@link encodeSpanDocument} plus `graph`), its id and its start in ms.
 */
export function encodeSpanDocumentJson(span: SpanRecord, graph?: object): { json: string; id: string; startTimeMs: number } {
  const contentHash = spanContentHash(span);
  const { json, startTimeMs } = spanDocumentJson(span, contentHash, graph);
  return { json, id: documentIdOf(span, contentHash, tenantOfResource(span.resource)), startTimeMs };
}

export function spanContentHash(span: SpanRecord): string {
  // The one-shot hash is about twice as fast as createHash for inputs this small.
  return hash('sha1', encodeSpanMessageBody(span), 'hex').slice(0, 12);
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

export function encodeSpanDocument(span: SpanRecord): SpanDocument {
  const traceql = traceqlFieldsOf(span);
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
    endTimeUs: startTimeUs(span) + durationUs(span),
    statusCode: STATUS_NAMES[span.status.code] ?? 'unset',
    spanHash: spanContentHash(span),
    tags: tagTermsOf(span),
    traceqlTerms: traceql.terms,
    traceqlKeys: traceql.keys,
    span: {
      traceState: span.traceState,
      flags: span.flags,
      startTimeUnixNano: span.startTimeUnixNano.toString(),
      endTimeUnixNano: span.endTimeUnixNano.toString(),
      attributes: keyValuesToJson(span.attributes),
      droppedAttributesCount: span.droppedAttributesCount,
      events: span.events.map((e) => ({
        timeUnixNano: e.timeUnixNano.toString(),
        name: e.name,
        attributes: keyValuesToJson(e.attributes),
        droppedAttributesCount: e.droppedAttributesCount,
      })),
      droppedEventsCount: span.droppedEventsCount,
      links: span.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: l.traceState,
        attributes: keyValuesToJson(l.attributes),
        droppedAttributesCount: l.droppedAttributesCount,
        flags: l.flags,
      })),
      droppedLinksCount: span.droppedLinksCount,
      status: { code: span.status.code, message: span.status.message },
      resource: {
        attributes: keyValuesToJson(span.resource.attributes),
        droppedAttributesCount: span.resource.droppedAttributesCount,
        schemaUrl: span.resource.schemaUrl,
      },
      scope: {
        name: span.scope.name,
        version: span.scope.version,
        attributes: keyValuesToJson(span.scope.attributes),
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

  decode(doc: Omit<SpanDocument, 'tags' | 'spanHash' | 'traceqlTerms' | 'traceqlKeys'>): SpanRecord {
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
      attributes: keyValuesFromJson(s.attributes),
      droppedAttributesCount: s.droppedAttributesCount,
      events: s.events.map((e) => ({
        timeUnixNano: BigInt(e.timeUnixNano),
        name: e.name,
        attributes: keyValuesFromJson(e.attributes),
        droppedAttributesCount: e.droppedAttributesCount,
      })),
      droppedEventsCount: s.droppedEventsCount,
      links: s.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: l.traceState,
        attributes: keyValuesFromJson(l.attributes),
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
      resource = { attributes: keyValuesFromJson(r.attributes), droppedAttributesCount: r.droppedAttributesCount, schemaUrl: r.schemaUrl };
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
        attributes: keyValuesFromJson(sc.attributes),
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
