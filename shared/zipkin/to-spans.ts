/**
 * ZipkinSpan → SpanRecord, following the OpenTelemetry Collector's Zipkin v2 translator
 * (collector-contrib pkg/translator/zipkin/zipkinv2, attribute names of semconv 1.6.1):
 *
 * - kind CLIENT/SERVER/PRODUCER/CONSUMER → the OTLP kind; absent → UNSPECIFIED, unless a
 *   `span.kind` tag says otherwise (the tag is then consumed);
 * - timestamp/duration µs → ns; an absent timestamp gives start 0 and the attribute
 *   `otel.zipkin.absentField.startTime` = true, as the Collector marks it;
 * - localEndpoint.serviceName → resource `service.name` (or the key named by the tag
 *   `otlp.service.name.source`); resource-convention tags → resource attributes; spans with equal
 *   resources share one Resource object;
 * - localEndpoint ip/port → `net.host.ip`/`net.host.port`; remoteEndpoint → `peer.service`,
 *   `net.peer.ip`, `net.peer.port`;
 * - tags → string attributes, except the ones the OTLP→Zipkin exporters write for OTLP fields:
 *   `otel.status_code`/`otel.status_description` and `error` → status, `w3c.tracestate` → trace
 *   state, `otel.scope.*`/`otel.library.*` → scope, `otlp.link.N` → links;
 * - annotations → events (value → name; the exporters' `name|{json attributes}|dropped` form is
 *   split back).
 *
 * Where we differ, on purpose: an `otel.status_code`, link or annotation we cannot parse stays as
 * it was (a tag, the whole value as the event name) instead of failing the request or being
 * dropped; a tag keeps its value when an endpoint would give the same key; a `span.kind` tag of
 * client/server/producer/consumer gives that kind (the Collector only knows `internal`).
 * `debug` and `shared` are not mapped (nor are they by the Collector): a shared server half keeps
 * the client's span id as its own SERVER span, which stores key by service and kind, and which
 * the Jaeger API separates (services/query/trace-view/shared-span-ids.ts).
 */
import {
  SpanKind, StatusCode, serviceNameOf,
  type AnyValue, type InstrumentationScope, type KeyValue, type Resource, type SpanEvent, type SpanLink, type SpanRecord,
  type SpanStatus,
} from '../model/span.js';
import type { ZipkinAnnotation, ZipkinEndpoint, ZipkinKind, ZipkinSpan } from './model.js';
import { RESOURCE_TAG_KEYS } from './resource-keys.js';

/** Attribute the Collector adds when Zipkin gave no timestamp (start time is then the epoch). */
export const ABSENT_START_TIME_ATTRIBUTE = 'otel.zipkin.absentField.startTime';

const TAG_SERVICE_NAME_SOURCE = 'otlp.service.name.source';
const TAG_STATUS_CODE = 'otel.status_code';
const TAG_STATUS_DESCRIPTION = 'otel.status_description';
const TAG_ERROR = 'error';
const TAG_TRACE_STATE = 'w3c.tracestate';
const TAG_SPAN_KIND = 'span.kind';
const SCOPE_NAME_TAGS = ['otel.scope.name', 'otel.library.name'];
const SCOPE_VERSION_TAGS = ['otel.scope.version', 'otel.library.version'];
const LINK_TAG_PREFIX = 'otlp.link.';
/** The Collector reads links otlp.link.0 … otlp.link.127. */
const MAX_LINKS = 128;

const KIND: Readonly<Record<ZipkinKind, SpanKind>> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

const KIND_OF_TAG: Readonly<Record<string, SpanKind>> = {
  internal: SpanKind.INTERNAL,
  client: SpanKind.CLIENT,
  server: SpanKind.SERVER,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

/** Both spellings the exporters have used: the proto enum names and the API's short names. */
const STATUS_OF_TAG: Readonly<Record<string, StatusCode>> = {
  status_code_unset: StatusCode.UNSET,
  status_code_ok: StatusCode.OK,
  status_code_error: StatusCode.ERROR,
  unset: StatusCode.UNSET,
  ok: StatusCode.OK,
  error: StatusCode.ERROR,
};

const UNSET: SpanStatus = Object.freeze({ code: StatusCode.UNSET, message: '' });
const ERROR: SpanStatus = Object.freeze({ code: StatusCode.ERROR, message: '' });
const HEX_ID = /^[0-9a-f]+$/;
const UINT = /^\d{1,10}$/;

/**
 * Maps decoded Zipkin spans to SpanRecords, in the same order. Resources and scopes are shared
 * objects per distinct value within the call, as the model requires.
 */
export function zipkinToSpanRecords(spans: readonly ZipkinSpan[]): SpanRecord[] {
  const resources = new Map<string, Resource>();
  const scopes = new Map<string, InstrumentationScope>();
  return spans.map((span) => toSpanRecord(span, resources, scopes));
}

function toSpanRecord(
  zspan: ZipkinSpan,
  resources: Map<string, Resource>,
  scopes: Map<string, InstrumentationScope>,
): SpanRecord {
  // Consumed tags are deleted from this copy; what is left becomes span attributes.
  const tags = new Map(zspan.tags);
  const resource = resourceOf(zspan.localEndpoint, tags, resources);
  const scope = scopeOf(tags, scopes);
  const kind = kindOf(zspan.kind, tags);
  const status = statusOf(tags);
  const traceState = take(tags, TAG_TRACE_STATE) ?? '';
  const links = linksOf(tags);

  const attributes: KeyValue[] = [];
  for (const [key, value] of tags) attributes.push({ key, value: { type: 'string', value } });
  addEndpointAttributes(attributes, tags, zspan.localEndpoint, zspan.remoteEndpoint);

  const startTimeUnixNano = (zspan.timestampUs ?? 0n) * 1000n;
  if (zspan.timestampUs === undefined) attributes.push({ key: ABSENT_START_TIME_ATTRIBUTE, value: { type: 'bool', value: true } });

  return {
    traceId: zspan.traceId,
    spanId: zspan.id,
    parentSpanId: zspan.parentId,
    traceState,
    // Zipkin spans carry no W3C trace flags; the Collector leaves them 0 too.
    flags: 0,
    name: zspan.name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano: startTimeUnixNano + zspan.durationUs * 1000n,
    attributes,
    droppedAttributesCount: 0,
    events: zspan.annotations.map(eventOf),
    droppedEventsCount: 0,
    links,
    droppedLinksCount: 0,
    status,
    resource,
    scope,
    serviceName: serviceNameOf(resource),
  };
}

function take(tags: Map<string, string>, key: string): string | undefined {
  const value = tags.get(key);
  if (value !== undefined) tags.delete(key);
  return value;
}

function str(value: string): AnyValue {
  return { type: 'string', value };
}

function resourceOf(endpoint: ZipkinEndpoint | undefined, tags: Map<string, string>, cache: Map<string, Resource>): Resource {
  const values = new Map<string, string>();
  const serviceNameKey = take(tags, TAG_SERVICE_NAME_SOURCE) || 'service.name';
  if (endpoint !== undefined && endpoint.serviceName !== '') values.set(serviceNameKey, endpoint.serviceName);
  for (const [key, value] of tags) {
    if (!RESOURCE_TAG_KEYS.has(key)) continue;
    values.set(key, value);
    tags.delete(key);
  }
  const cacheKey = JSON.stringify([...values]);
  let resource = cache.get(cacheKey);
  if (resource === undefined) {
    resource = {
      attributes: [...values].map(([key, value]) => ({ key, value: str(value) })),
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    cache.set(cacheKey, resource);
  }
  return resource;
}

function firstOf(tags: Map<string, string>, keys: readonly string[]): string {
  let found: string | undefined;
  for (const key of keys) {
    const value = take(tags, key);
    found ??= value;
  }
  return found ?? '';
}

function scopeOf(tags: Map<string, string>, cache: Map<string, InstrumentationScope>): InstrumentationScope {
  const name = firstOf(tags, SCOPE_NAME_TAGS);
  const version = firstOf(tags, SCOPE_VERSION_TAGS);
  const cacheKey = `${name}\u0000${version}`;
  let scope = cache.get(cacheKey);
  if (scope === undefined) {
    scope = { name, version, attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
    cache.set(cacheKey, scope);
  }
  return scope;
}

function kindOf(kind: ZipkinKind | undefined, tags: Map<string, string>): SpanKind {
  if (kind !== undefined) return KIND[kind];
  const tag = take(tags, TAG_SPAN_KIND);
  return (tag === undefined ? undefined : KIND_OF_TAG[tag.toLowerCase()]) ?? SpanKind.UNSPECIFIED;
}

function statusOf(tags: Map<string, string>): SpanStatus {
  let status = UNSET;
  const codeTag = tags.get(TAG_STATUS_CODE);
  const code = codeTag === undefined ? undefined : STATUS_OF_TAG[codeTag.toLowerCase()];
  if (code !== undefined) {
    tags.delete(TAG_STATUS_CODE);
    const message = take(tags, TAG_STATUS_DESCRIPTION) ?? '';
    status = code === StatusCode.UNSET && message === '' ? UNSET : { code, message };
  }
  // Zipkin marks a failed operation by the presence of an `error` tag whatever its value (the
  // value is often the message). Only the bare "true" carries nothing more, so only it is removed.
  const error = tags.get(TAG_ERROR);
  if (error !== undefined) {
    if (error === 'true') tags.delete(TAG_ERROR);
    status = status.message === '' ? ERROR : { code: StatusCode.ERROR, message: status.message };
  }
  return status;
}

/**
 * Parses `{json object}` attributes as the exporters write them: strings, whole numbers as int,
 * other numbers as double, booleans; other values are skipped. undefined when not a JSON object.
 */
function jsonAttributes(text: string): KeyValue[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v === 'string') out.push({ key, value: str(v) });
    else if (typeof v === 'boolean') out.push({ key, value: { type: 'bool', value: v } });
    else if (typeof v === 'number') {
      out.push({ key, value: Number.isSafeInteger(v) ? { type: 'int', value: BigInt(v) } : { type: 'double', value: v } });
    }
  }
  return out;
}

/** `first|{json…}|dropped` (the JSON may itself contain `|`) → its parts, or undefined. */
function splitExported(value: string, leading: number): { head: string[]; attributes: KeyValue[]; dropped: number } | undefined {
  const parts = value.split('|');
  if (parts.length < leading + 2) return undefined;
  const dropped = parts[parts.length - 1];
  if (!UINT.test(dropped)) return undefined;
  const attributes = jsonAttributes(parts.slice(leading, parts.length - 1).join('|'));
  if (attributes === undefined) return undefined;
  return { head: parts.slice(0, leading), attributes, dropped: Number(dropped) };
}

function eventOf(annotation: ZipkinAnnotation): SpanEvent {
  const timeUnixNano = annotation.timestampUs * 1000n;
  const exported = splitExported(annotation.value, 1);
  if (exported === undefined) return { timeUnixNano, name: annotation.value, attributes: [], droppedAttributesCount: 0 };
  return { timeUnixNano, name: exported.head[0], attributes: exported.attributes, droppedAttributesCount: exported.dropped };
}

/** `otlp.link.0`, `otlp.link.1`, … until the first missing index, as the Collector reads them. */
function linksOf(tags: Map<string, string>): SpanLink[] {
  const links: SpanLink[] = [];
  for (let i = 0; i < MAX_LINKS; i++) {
    const key = `${LINK_TAG_PREFIX}${i}`;
    const value = tags.get(key);
    if (value === undefined) break;
    const exported = splitExported(value, 3);
    if (exported === undefined) continue;
    const [traceId, spanId, traceState] = exported.head;
    if (traceId.length !== 32 || spanId.length !== 16 || !HEX_ID.test(traceId) || !HEX_ID.test(spanId)) continue;
    tags.delete(key);
    links.push({ traceId, spanId, traceState, attributes: exported.attributes, droppedAttributesCount: exported.dropped, flags: 0 });
  }
  return links;
}

/** Appends endpoint attributes whose key no remaining tag already has (the sender's tag wins). */
function addEndpointAttributes(
  attributes: KeyValue[],
  tags: ReadonlyMap<string, string>,
  local: ZipkinEndpoint | undefined,
  remote: ZipkinEndpoint | undefined,
): void {
  const add = (key: string, value: AnyValue): void => {
    if (!tags.has(key)) attributes.push({ key, value });
  };
  if (local !== undefined) {
    // With both addresses the Collector ends up with the IPv6 one (written last).
    const ip = local.ipv6 || local.ipv4;
    if (ip !== '') add('net.host.ip', str(ip));
    if (local.port > 0) add('net.host.port', { type: 'int', value: BigInt(local.port) });
  }
  if (remote !== undefined) {
    if (remote.serviceName !== '') add('peer.service', str(remote.serviceName));
    const ip = remote.ipv6 || remote.ipv4;
    if (ip !== '') add('net.peer.ip', str(ip));
    if (remote.port > 0) add('net.peer.port', { type: 'int', value: BigInt(remote.port) });
  }
}
