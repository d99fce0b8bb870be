/**
 * Stamps spans with the tenant they were received for (model/tenant.ts): the tenant attribute of
 * each span's resource is set to it, or removed when there is none, so a sender can never pick
 * its own tenant by writing the attribute itself. Resources are shared by the spans of one
 * ResourceSpans, so each is rebuilt once; a span keeps the protobuf bytes it was decoded from
 * (they encode the Span message, not its resource), so re-encoding it stays a copy.
 */
import type { Resource, SpanRecord } from '../../model/span.js';
import { TENANT_ATTRIBUTE, tenantOfResource, withTenantAttribute } from '../../model/tenant.js';
import { DecodedSpan } from './encoded-spans.js';

export function stampSpansWithTenant(spans: readonly SpanRecord[], tenant: string | undefined): readonly SpanRecord[] {
  const rebuilt = new Map<Resource, Resource | null>();
  let changed = false;
  for (const span of spans) {
    if (rebuilt.has(span.resource)) continue;
    const r = span.resource;
    const needs = tenantOfResource(r) !== tenant || (tenant === undefined && r.attributes.some((kv) => kv.key === TENANT_ATTRIBUTE));
    rebuilt.set(r, needs ? { ...r, attributes: withTenantAttribute(r.attributes, tenant) } : null);
    changed ||= needs;
  }
  if (!changed) return spans;
  return spans.map((span) => {
    const resource = rebuilt.get(span.resource);
    return resource ? withResource(span, resource) : span;
  });
}

function withResource(s: SpanRecord, resource: Resource): SpanRecord {
  if (!(s instanceof DecodedSpan)) return { ...s, resource };
  return new DecodedSpan(
    s.traceId, s.spanId, s.parentSpanId, s.traceState, s.flags, s.name, s.kind, s.startTimeUnixNano, s.endTimeUnixNano,
    s.attributes, s.droppedAttributesCount, s.events, s.droppedEventsCount, s.links, s.droppedLinksCount, s.status,
    resource, s.scope, s.serviceName, DecodedSpan.encodedOf(s),
  );
}
