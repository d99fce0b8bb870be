/**
 * Zipkin's shared-span model (Envoy's Zipkin tracer, B3 with shared span ids) gives a client span
 * and the server span it reached the same span id. Trace views build their tree by span id and
 * would draw such pairs wrongly, so Jaeger's query service rewrites them before answering; we do
 * the same, in the same way: each server span that shares its id with a client span gets a fresh
 * id (one above the largest id in the trace) and becomes the client span's child, and the
 * spans that pointed at the shared id as their parent follow the server span.
 */
import { SpanKind } from '../../../shared/model/span.js';
import type { ViewSpan } from './view-span.js';

const SPAN_ID_SPACE = 1n << 64n;
export const WARNING_TOO_MANY_SPANS = 'cannot assign unique span ID, too many spans in the trace';

export function uniquifySharedSpanIds(spans: ViewSpan[]): ViewSpan[] {
  const clientIds = new Set<string>();
  for (const span of spans) if (span.kind === SpanKind.CLIENT) clientIds.add(span.spanId);
  if (clientIds.size === 0) return spans;

  const usedIds = new Set(spans.map((s) => s.spanId));
  let maxUsed = 0n;
  for (const id of usedIds) {
    const n = BigInt(`0x${id}`);
    if (n > maxUsed) maxUsed = n;
  }

  const newIdOf = new Map<string, string>();
  const renamed = new Set<ViewSpan>();
  for (const span of spans) {
    if (span.kind !== SpanKind.SERVER || !clientIds.has(span.spanId)) continue;
    const next = nextUnusedId(maxUsed, usedIds);
    if (next === undefined) {
      span.warnings.push(WARNING_TOO_MANY_SPANS);
      break;
    }
    maxUsed = next.value;
    usedIds.add(next.id);
    newIdOf.set(span.spanId, next.id);
    span.parentSpanId = span.spanId;
    span.spanId = next.id;
    renamed.add(span);
  }
  // Children of the renamed server spans still point at the shared id; move them to the new one.
  for (const span of spans) {
    if (renamed.has(span)) continue;
    const newParent = newIdOf.get(span.parentSpanId);
    if (newParent !== undefined && newParent !== span.spanId) span.parentSpanId = newParent;
  }
  return spans;
}

function nextUnusedId(after: bigint, used: ReadonlySet<string>): { id: string; value: bigint } | undefined {
  for (let n = after + 1n; n < SPAN_ID_SPACE; n++) {
    const id = n.toString(16).padStart(16, '0');
    if (!used.has(id)) return { id, value: n };
  }
  return undefined;
}
