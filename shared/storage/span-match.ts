/**
 * Matching rules every span store shares, so a query answers the same whichever store holds the
 * spans: where a searched tag may be found (values compare as text, by shared/model/attribute-text.ts)
 * and which span is a span's parent when computing service dependencies.
 */
import { attributeText } from '../model/attribute-text.js';
import type { KeyValue, SpanRecord } from '../model/span.js';
import { SpanKind } from '../model/span.js';

function hasKeyValue(attributes: readonly KeyValue[], key: string, value: string): boolean {
  for (const kv of attributes) {
    if (kv.key === key && attributeText(kv.value) === value) return true;
  }
  return false;
}

/**
 * True when the span carries `key` with the string form `value` in any of the five places a
 * Jaeger tag can come from: span attributes, resource attributes (process tags), scope
 * attributes, an event's attributes (log fields) or a link's attributes.
 */
export function spanHasTag(span: SpanRecord, key: string, value: string): boolean {
  if (hasKeyValue(span.attributes, key, value)) return true;
  if (hasKeyValue(span.resource.attributes, key, value)) return true;
  if (hasKeyValue(span.scope.attributes, key, value)) return true;
  for (const event of span.events) if (hasKeyValue(event.attributes, key, value)) return true;
  for (const link of span.links) if (hasKeyValue(link.attributes, key, value)) return true;
  return false;
}

/** Every pair found on this one span (each pair may come from a different place). */
export function spanHasAllTags(span: SpanRecord, tags: readonly (readonly [string, string])[]): boolean {
  for (const [key, value] of tags) if (!spanHasTag(span, key, value)) return false;
  return true;
}

/**
 * What dependency edges read of a span: any SpanRecord, or a store's own lighter entry with the
 * same fields (the memory store computes edges on its index without decoding spans).
 */
export type DependencySpan = Pick<SpanRecord, 'spanId' | 'parentSpanId' | 'kind' | 'serviceName' | 'startTimeUnixNano'>;

/**
 * The span a span was called from, among the spans of its trace, or undefined.
 *
 * Zipkin's shared-span model (Envoy's Zipkin tracer) gives a client span and the server span it
 * reached the same span id and parent. Like Jaeger's span-id deduper, we treat such a server
 * span as the child of the client span with its id; spans whose parent id is shared resolve to
 * the half of their own service, so a call is counted once, not twice.
 */
export function parentSpanOf<S extends DependencySpan>(span: S, spansById: ReadonlyMap<string, readonly S[]>): S | undefined {
  if (span.kind === SpanKind.SERVER) {
    const sharing = spansById.get(span.spanId);
    if (sharing !== undefined) {
      for (const other of sharing) {
        if (other !== span && other.kind === SpanKind.CLIENT) return other;
      }
    }
  }
  if (span.parentSpanId === '') return undefined;
  const candidates = spansById.get(span.parentSpanId);
  if (candidates === undefined || candidates.length === 0) return undefined;
  if (candidates.length === 1) return candidates[0];
  // Shared id: the half of the child's own service is its in-process parent.
  for (const c of candidates) if (c.serviceName === span.serviceName) return c;
  // Otherwise the outgoing (client/producer) half made the call.
  for (const c of candidates) if (c.kind === SpanKind.CLIENT || c.kind === SpanKind.PRODUCER) return c;
  return candidates[0];
}

export function indexBySpanId<S extends DependencySpan>(spans: readonly S[]): Map<string, S[]> {
  const byId = new Map<string, S[]>();
  for (const s of spans) {
    const list = byId.get(s.spanId);
    if (list === undefined) byId.set(s.spanId, [s]);
    else list.push(s);
  }
  return byId;
}

/**
 * Adds the service call edges of one trace to `counts` (key `parent\u0000child`): one call per
 * span that started within [fromUs, toUs] and whose parent belongs to another service.
 */
export function addDependencyEdges(
  spans: readonly DependencySpan[],
  fromUs: number,
  toUs: number,
  counts: Map<string, number>,
): void {
  let byId: Map<string, DependencySpan[]> | undefined;
  for (const span of spans) {
    if (span.parentSpanId === '' && span.kind !== SpanKind.SERVER) continue;
    const startUs = Number(span.startTimeUnixNano / 1000n);
    if (startUs < fromUs || startUs > toUs) continue;
    byId ??= indexBySpanId(spans);
    const parent = parentSpanOf(span, byId);
    if (parent === undefined || parent.serviceName === span.serviceName) continue;
    const key = `${parent.serviceName}\u0000${span.serviceName}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

export function dependencyLinksFromCounts(counts: ReadonlyMap<string, number>): { parent: string; child: string; callCount: number }[] {
  const links: { parent: string; child: string; callCount: number }[] = [];
  for (const [key, callCount] of counts) {
    const sep = key.indexOf('\u0000');
    links.push({ parent: key.slice(0, sep), child: key.slice(sep + 1), callCount });
  }
  return links;
}
