/**
 * Jaeger's span-hash deduper: a span stored twice (an older store, a replayed index) is shown
 * once. Only spans equal in every field — the encoded Span message, service and resource — are
 * duplicates; different spans that merely share an id are all kept (see clock-skew.ts for the
 * warning they get).
 */
import { encodeSpanMessageBody } from '../../../shared/otlp/traces/traces-protobuf-encode.js';
import { attributeText } from '../../../shared/model/attribute-text.js';
import type { ViewSpan } from './view-span.js';

export function dedupeIdenticalSpans(spans: ViewSpan[]): ViewSpan[] {
  // Group by identity first: encoding is only needed where identities collide, which is rare.
  const byIdentity = new Map<string, ViewSpan[]>();
  for (const span of spans) {
    const key = `${span.spanId}\u0000${span.kind}\u0000${span.serviceName}`;
    const group = byIdentity.get(key);
    if (group === undefined) byIdentity.set(key, [span]);
    else group.push(span);
  }
  if (byIdentity.size === spans.length) return spans;
  const dropped = new Set<ViewSpan>();
  for (const group of byIdentity.values()) {
    if (group.length < 2) continue;
    const seen = new Set<string>();
    for (const span of group) {
      // The encoder's output is a scratch view: turn it into a key before the next encode.
      const key = `${Buffer.from(encodeSpanMessageBody(span)).toString('base64')}\u0000${JSON.stringify(resourceKey(span))}`;
      if (seen.has(key)) dropped.add(span);
      else seen.add(key);
    }
  }
  return dropped.size === 0 ? spans : spans.filter((s) => !dropped.has(s));
}

function resourceKey(span: ViewSpan): unknown {
  return span.resource.attributes.map((kv) => [kv.key, kv.value.type, attributeText(kv.value)]);
}
