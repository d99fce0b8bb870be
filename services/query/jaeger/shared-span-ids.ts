/**
 * Zipkin's shared-span model (Envoy's Zipkin tracer, B3 with shared span ids) gives a client span
 * and the server span it reached the same span id. The Jaeger UI builds its tree by span id and
 * draws such pairs wrongly, so Jaeger's query service rewrites them before answering; we do the
 * same, in the same way: each server span that shares its id with a client span gets a fresh id
 * (one above the largest id in the trace) and becomes the child of the client span, and the
 * server span's children follow it. Clients asking for `raw=true` get the stored ids.
 */
import type { JaegerReference, JaegerSpan, JaegerTrace } from './model.js';

const SPAN_ID_SPACE = 1n << 64n;

export function dedupeSharedSpanIds(trace: JaegerTrace): JaegerTrace {
  const clientIds = new Set<string>();
  for (const span of trace.spans) if (kindOf(span) === 'client') clientIds.add(span.spanID);
  if (clientIds.size === 0) return trace;

  const usedIds = new Set(trace.spans.map((s) => s.spanID));
  let maxUsed = 0n;
  for (const id of usedIds) {
    const n = BigInt(`0x${id}`);
    if (n > maxUsed) maxUsed = n;
  }

  const newIdOf = new Map<string, string>();
  const renamed = new Set<JaegerSpan>();
  for (const span of trace.spans) {
    if (kindOf(span) !== 'server' || !clientIds.has(span.spanID)) continue;
    const next = nextUnusedId(maxUsed, usedIds);
    if (next === undefined) {
      trace.warnings = [...(trace.warnings ?? []), 'cannot assign unique span ID, too many spans in the trace'];
      break;
    }
    maxUsed = next.value;
    usedIds.add(next.id);
    newIdOf.set(span.spanID, next.id);
    setParent(span, span.spanID);
    span.spanID = next.id;
    renamed.add(span);
  }
  // Children of the renamed server spans still point at the shared id; move them to the new one.
  for (const span of trace.spans) {
    if (renamed.has(span)) continue;
    const parent = parentIdOf(span);
    const newParent = parent === undefined ? undefined : newIdOf.get(parent);
    if (newParent !== undefined && newParent !== span.spanID) setParent(span, newParent);
  }
  return trace;
}

function nextUnusedId(after: bigint, used: ReadonlySet<string>): { id: string; value: bigint } | undefined {
  for (let n = after + 1n; n < SPAN_ID_SPACE; n++) {
    const id = n.toString(16).padStart(16, '0');
    if (!used.has(id)) return { id, value: n };
  }
  return undefined;
}

function kindOf(span: JaegerSpan): string | undefined {
  for (const tag of span.tags) if (tag.key === 'span.kind') return String(tag.value);
  return undefined;
}

/** Jaeger's rule: a span's parent is its first CHILD_OF reference within the same trace. */
function parentIdOf(span: JaegerSpan): string | undefined {
  return span.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID)?.spanID;
}

function setParent(span: JaegerSpan, parentId: string): void {
  const i = span.references.findIndex((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID);
  const ref: JaegerReference = { refType: 'CHILD_OF', traceID: span.traceID, spanID: parentId };
  if (i >= 0) span.references[i] = ref;
  else span.references = [ref, ...span.references];
}
