/**
 * Jaeger's clock-skew adjuster (v1 query service). Spans from different hosts carry timestamps
 * from different clocks, so a child can appear to start before its parent or end after it. For
 * each child whose host differs from its parent's (or is unknown), Jaeger computes the shift that
 * puts the child inside its parent's window — centred, assuming request and response latency are
 * equal; only "not before the parent" when the child outlasts the parent — and applies it to the
 * child and, inherited, to the child's own descendants on the same host.
 *
 * Shifts larger than the allowed maximum are not applied but reported; a maximum of 0 (Jaeger's
 * default) reports every would-be shift as disabled. Duration never changes; the span's events
 * move with it. Spans whose parent is not in the trace, and spans whose id repeats, are reported
 * and treated as roots / skipped, with Jaeger's wording.
 */
import type { AnyValue } from '../../../shared/model/span.js';
import { formatGoDuration } from './go-format.js';
import type { ViewSpan } from './view-span.js';

export const WARNING_DUPLICATE_SPAN_ID = 'duplicate span IDs; skipping clock skew adjustment';
export const warningInvalidParent = (parentId: string) => `invalid parent span IDs=${parentId}; skipping clock skew adjustment`;
export const warningMaxDeltaExceeded = (max: bigint, delta: bigint) =>
  `max clock skew adjustment delta of ${formatGoDuration(max)} exceeded; not applying calculated delta of ${formatGoDuration(delta)}`;
export const warningSkewAdjustDisabled = (delta: bigint) => `clock skew adjustment disabled; not applying calculated delta of ${formatGoDuration(delta)}`;
export const warningAdjusted = (delta: bigint) => `This span's timestamps were adjusted by ${formatGoDuration(delta)}`;

interface Node {
  readonly span: ViewSpan;
  readonly hostKey: string;
  readonly children: Node[];
}

export function correctClockSkew(spans: ViewSpan[], maxDeltaNanos: bigint): ViewSpan[] {
  const nodes = new Map<string, Node>();
  for (const span of spans) {
    if (nodes.has(span.spanId)) span.warnings.push(WARNING_DUPLICATE_SPAN_ID);
    else nodes.set(span.spanId, { span, hostKey: hostKeyOf(span), children: [] });
  }
  const roots: Node[] = [];
  for (const node of nodes.values()) {
    const parentId = node.span.parentSpanId;
    if (parentId === '') {
      roots.push(node);
      continue;
    }
    const parent = nodes.get(parentId);
    if (parent !== undefined && parent !== node) {
      parent.children.push(node);
    } else {
      node.span.warnings.push(warningInvalidParent(parentId));
      roots.push(node);
    }
  }
  // Iteratively (deep traces must not overflow the stack): each node with the skew it inherits.
  const stack: { node: Node; parent: Node | undefined; inherited: Skew }[] = roots
    .reverse()
    .map((node) => ({ node, parent: undefined, inherited: { delta: 0n, hostKey: node.hostKey } }));
  while (stack.length > 0) {
    const { node, parent, inherited } = stack.pop()!;
    let skew = inherited;
    if (parent !== undefined && (node.hostKey !== skew.hostKey || node.hostKey === '')) {
      // Another host: its clock may differ. The parent is already adjusted, compare with it.
      skew = { hostKey: node.hostKey, delta: skewOf(node.span, parent.span) };
    }
    adjust(node.span, skew.delta, maxDeltaNanos);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i], parent: node, inherited: skew });
  }
  return spans;
}

interface Skew {
  readonly delta: bigint;
  readonly hostKey: string;
}

function skewOf(child: ViewSpan, parent: ViewSpan): bigint {
  const parentDuration = parent.endTimeUnixNano - parent.startTimeUnixNano;
  const childDuration = child.endTimeUnixNano - child.startTimeUnixNano;
  if (childDuration > parentDuration) {
    // Longer than its parent: async, or the parent timed out first. All that can be said is
    // that the child should not start before its parent.
    return child.startTimeUnixNano < parent.startTimeUnixNano ? parent.startTimeUnixNano - child.startTimeUnixNano : 0n;
  }
  if (child.startTimeUnixNano >= parent.startTimeUnixNano && child.endTimeUnixNano <= parent.endTimeUnixNano) return 0n;
  // Network latency split equally between request and response (Go's integer division truncates).
  const latency = (parentDuration - childDuration) / 2n;
  return parent.startTimeUnixNano + latency - child.startTimeUnixNano;
}

function adjust(span: ViewSpan, delta: bigint, maxDelta: bigint): void {
  if (delta === 0n) return;
  const magnitude = delta < 0n ? -delta : delta;
  if (magnitude > maxDelta) {
    span.warnings.push(maxDelta === 0n ? warningSkewAdjustDisabled(delta) : warningMaxDeltaExceeded(maxDelta, delta));
    return;
  }
  // Jaeger's v1 model keeps start + duration: the end moves with the start.
  span.startTimeUnixNano += delta;
  span.endTimeUnixNano += delta;
  span.events = span.events.map((e) => ({ ...e, timeUnixNano: e.timeUnixNano + delta }));
  span.warnings.push(warningAdjusted(delta));
}

/**
 * Which host a span came from, as Jaeger v1 tells: the resource's `ip` attribute (a string, an
 * IPv4 address as an integer, or 4/16 raw bytes); '' when unknown (then every parent/child pair
 * is compared).
 */
function hostKeyOf(span: ViewSpan): string {
  for (const kv of span.resource.attributes) if (kv.key === 'ip') return ipText(kv.value);
  return '';
}

function ipText(value: AnyValue): string {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'int':
      return dottedQuad(value.value);
    case 'bytes':
      if (value.value.length === 4) return [...value.value].join('.');
      if (value.value.length === 16) return ipv6Text(value.value);
      return '';
    default:
      return '';
  }
}

/** The low 32 bits of an integer as an IPv4 address, as Jaeger's `ip` and `peer.ipv4` tags mean it. */
export function dottedQuad(n: bigint): string {
  const v = BigInt.asUintN(32, n);
  return [24n, 16n, 8n, 0n].map((shift) => ((v >> shift) & 0xffn).toString()).join('.');
}

function ipv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}
