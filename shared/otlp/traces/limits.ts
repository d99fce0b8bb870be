/**
 * Per-span validation and limits applied by the collector before buffering.
 *
 * Bad spans are refused one by one (OTLP partial success) so one bad span never sinks its batch
 * (DESIGN principle 5); limits keep one sender's huge attributes from exhausting memory
 * downstream. Spans that need no change are returned as the very same objects: nearly every span
 * passes untouched, and copying them would double the collector's allocation for nothing.
 */
import {
  serviceNameOf,
  type AnyValue, type InstrumentationScope, type KeyValue, type Resource, type SpanEvent, type SpanLink, type SpanRecord,
} from '../../model/span.js';
import { isValidLowerHexId } from '../../wire/hex.js';

export interface SpanLimits {
  readonly maxSpansPerRequest: number;
  readonly maxAttributesPerSpan: number;
  readonly maxAttributeValueLength: number;
}

export interface ValidationResult {
  /** Spans to keep, with attribute limits applied (new objects where something was cut). */
  readonly accepted: SpanRecord[];
  /** Spans rejected individually (OTLP partial_success.rejected_spans). */
  readonly rejectedSpans: number;
  /** Human-readable summary of why spans were rejected ('' when none), e.g. for partial_success.error_message. */
  readonly errorMessage: string;
  readonly rejectedByReason: Partial<Record<SpanRejectionReason, number>>;
  readonly attributesDropped: number;
  readonly valuesTruncated: number;
}

/** The request as a whole exceeds maxSpansPerRequest. */
export class TooManySpansError extends Error {
  constructor(readonly spanCount: number, readonly limit: number) {
    super(`request carries ${spanCount} spans, more than the limit of ${limit} (MESHTEL_MAX_SPANS_PER_REQUEST)`);
    this.name = 'TooManySpansError';
  }
}

/** Why a span is rejected (a label value of the receivers' refusal counter); clock_skew is judged by the collector's intake against its own clock. */
export type SpanRejectionReason = 'invalid_trace_id' | 'invalid_span_id' | 'invalid_parent_span_id' | 'clock_skew';

/** How each refusal is explained to the sender, in the order reasons are checked. */
const ID_RULES: readonly { reason: SpanRejectionReason; what: string; rule: string; field: 'traceId' | 'spanId' | 'parentSpanId' }[] = [
  { reason: 'invalid_trace_id', what: 'trace id', rule: 'must be 16 bytes (32 hex characters), not all zero', field: 'traceId' },
  { reason: 'invalid_span_id', what: 'span id', rule: 'must be 8 bytes (16 hex characters), not all zero', field: 'spanId' },
  { reason: 'invalid_parent_span_id', what: 'parent span id', rule: 'must be empty or 8 bytes (16 hex characters)', field: 'parentSpanId' },
];

const ZERO_SPAN_ID = '0000000000000000';

function idProblem(span: SpanRecord): SpanRejectionReason | undefined {
  if (!isValidLowerHexId(span.traceId, 32)) return 'invalid_trace_id';
  if (!isValidLowerHexId(span.spanId, 16)) return 'invalid_span_id';
  const parent = span.parentSpanId;
  // An all-zero parent is how some tracers write "no parent": it is read as a root, not refused.
  if (parent !== '' && parent !== ZERO_SPAN_ID && !isValidLowerHexId(parent, 16)) return 'invalid_parent_span_id';
  return undefined;
}

/**
 * Rejects spans with invalid ids (trace id not 16 bytes or all zero, span id not 8 bytes or all
 * zero, parent span id neither empty nor a valid 8-byte id) individually, and applies attribute
 * count and value-length limits. Throws TooManySpansError when the request is over the span limit.
 *
 * Also, as normalization: an all-zero parent span id becomes '' (a root), and links with invalid
 * ids are dropped and counted in droppedLinksCount.
 */
export function validateSpans(spans: readonly SpanRecord[], limits: SpanLimits): ValidationResult {
  if (spans.length > limits.maxSpansPerRequest) throw new TooManySpansError(spans.length, limits.maxSpansPerRequest);
  const limiter = new AttributeLimiter(limits.maxAttributesPerSpan, limits.maxAttributeValueLength);
  const accepted: SpanRecord[] = [];
  const rejected = new Map<SpanRejectionReason, { count: number; first: SpanRecord }>();
  for (const span of spans) {
    const reason = idProblem(span);
    if (reason === undefined) {
      accepted.push(limiter.span(span));
      continue;
    }
    const entry = rejected.get(reason);
    if (entry === undefined) rejected.set(reason, { count: 1, first: span });
    else entry.count++;
  }
  const rejectedByReason: Partial<Record<SpanRejectionReason, number>> = {};
  for (const [reason, { count }] of rejected) rejectedByReason[reason] = count;
  const rejectedSpans = spans.length - accepted.length;
  return {
    accepted,
    rejectedSpans,
    errorMessage: rejectedSpans === 0 ? '' : describeRejections(rejectedSpans, rejected),
    rejectedByReason,
    attributesDropped: limiter.attributesDropped,
    valuesTruncated: limiter.valuesTruncated,
  };
}

function quoted(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

/** e.g. `2 spans rejected: 1 with an invalid trace id (must be …; first: span "GET /x" trace id "00…")`. */
function describeRejections(total: number, rejected: Map<SpanRejectionReason, { count: number; first: SpanRecord }>): string {
  const parts: string[] = [];
  for (const { reason, what, rule, field } of ID_RULES) {
    const entry = rejected.get(reason);
    if (entry === undefined) continue;
    const first = entry.first;
    parts.push(`${entry.count} with an invalid ${what} (${rule}; first: span ${quoted(first.name)} ${what} ${quoted(first[field])})`);
  }
  return `${total} span${total === 1 ? '' : 's'} rejected: ${parts.join(', ')}`;
}

function isValidLink(link: SpanLink): boolean {
  return isValidLowerHexId(link.traceId, 32) && isValidLowerHexId(link.spanId, 16);
}

/**
 * Applies the attribute limits to spans, their events and links, and their (shared) resources
 * and scopes. Each distinct resource or scope object is limited once; spans that shared one keep
 * sharing its limited version.
 */
class AttributeLimiter {
  attributesDropped = 0;
  valuesTruncated = 0;
  /** Attributes dropped from the list last passed to `list`. */
  private lastDropped = 0;
  private readonly resources = new Map<Resource, Resource>();
  private readonly scopes = new Map<InstrumentationScope, InstrumentationScope>();
  private lastResourceIn: Resource | undefined;
  private lastResourceOut: Resource | undefined;
  private lastScopeIn: InstrumentationScope | undefined;
  private lastScopeOut: InstrumentationScope | undefined;

  constructor(private readonly maxAttributes: number, private readonly maxValueLength: number) {}

  span(span: SpanRecord): SpanRecord {
    const resource = this.resource(span.resource);
    const scope = this.scope(span.scope);
    const attributes = this.list(span.attributes);
    const droppedAttributes = this.lastDropped;
    const events = this.events(span.events);
    let links = span.links;
    let droppedLinks = 0;
    if (links.length > 0) {
      if (!links.every(isValidLink)) {
        const valid = links.filter(isValidLink);
        droppedLinks = links.length - valid.length;
        links = valid;
      }
      links = this.links(links);
    }
    const parentSpanId = span.parentSpanId === ZERO_SPAN_ID ? '' : span.parentSpanId;
    if (
      resource === span.resource && scope === span.scope && attributes === span.attributes && events === span.events
      && links === span.links && parentSpanId === span.parentSpanId
    ) {
      return span;
    }
    return {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId,
      traceState: span.traceState,
      flags: span.flags,
      name: span.name,
      kind: span.kind,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      attributes,
      droppedAttributesCount: span.droppedAttributesCount + droppedAttributes,
      events,
      droppedEventsCount: span.droppedEventsCount,
      links,
      droppedLinksCount: span.droppedLinksCount + droppedLinks,
      status: span.status,
      resource,
      scope,
      serviceName: resource === span.resource ? span.serviceName : serviceNameOf(resource),
    };
  }

  private resource(r: Resource): Resource {
    if (r === this.lastResourceIn) return this.lastResourceOut!;
    let out = this.resources.get(r);
    if (out === undefined) {
      const attributes = this.list(r.attributes);
      out = attributes === r.attributes
        ? r
        : { attributes, droppedAttributesCount: r.droppedAttributesCount + this.lastDropped, schemaUrl: r.schemaUrl };
      this.resources.set(r, out);
    }
    this.lastResourceIn = r;
    this.lastResourceOut = out;
    return out;
  }

  private scope(s: InstrumentationScope): InstrumentationScope {
    if (s === this.lastScopeIn) return this.lastScopeOut!;
    let out = this.scopes.get(s);
    if (out === undefined) {
      const attributes = this.list(s.attributes);
      out = attributes === s.attributes
        ? s
        : {
          name: s.name,
          version: s.version,
          attributes,
          droppedAttributesCount: s.droppedAttributesCount + this.lastDropped,
          schemaUrl: s.schemaUrl,
        };
      this.scopes.set(s, out);
    }
    this.lastScopeIn = s;
    this.lastScopeOut = out;
    return out;
  }

  private events(events: readonly SpanEvent[]): readonly SpanEvent[] {
    let out: SpanEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const attributes = this.list(e.attributes);
      if (attributes === e.attributes) continue;
      out ??= events.slice();
      out[i] = { timeUnixNano: e.timeUnixNano, name: e.name, attributes, droppedAttributesCount: e.droppedAttributesCount + this.lastDropped };
    }
    return out ?? events;
  }

  private links(links: readonly SpanLink[]): readonly SpanLink[] {
    let out: SpanLink[] | undefined;
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      const attributes = this.list(l.attributes);
      if (attributes === l.attributes) continue;
      out ??= links.slice();
      out[i] = {
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: l.traceState,
        attributes,
        droppedAttributesCount: l.droppedAttributesCount + this.lastDropped,
        flags: l.flags,
      };
    }
    return out ?? links;
  }

  /** The list itself when within limits; otherwise a cut copy (sets lastDropped). */
  private list(list: readonly KeyValue[]): readonly KeyValue[] {
    this.lastDropped = 0;
    let out: KeyValue[] | undefined;
    let n = list.length;
    if (n > this.maxAttributes) {
      // Keep the first ones: senders put the most important attributes (semantic conventions) first.
      out = list.slice(0, this.maxAttributes);
      this.lastDropped = n - this.maxAttributes;
      this.attributesDropped += this.lastDropped;
      n = this.maxAttributes;
    }
    for (let i = 0; i < n; i++) {
      const kv = list[i];
      const value = this.value(kv.value);
      if (value === kv.value) continue;
      out ??= list.slice();
      out[i] = { key: kv.key, value };
    }
    return out ?? list;
  }

  /** The value itself when within the length limit; otherwise a truncated copy (also inside arrays and kvlists). */
  private value(v: AnyValue): AnyValue {
    switch (v.type) {
      case 'string':
        if (v.value.length <= this.maxValueLength) return v;
        this.valuesTruncated++;
        return { type: 'string', value: cutString(v.value, this.maxValueLength) };
      case 'bytes':
        if (v.value.length <= this.maxValueLength) return v;
        this.valuesTruncated++;
        return { type: 'bytes', value: v.value.slice(0, this.maxValueLength) };
      case 'array': {
        let out: AnyValue[] | undefined;
        for (let i = 0; i < v.value.length; i++) {
          const item = this.value(v.value[i]);
          if (item === v.value[i]) continue;
          out ??= v.value.slice();
          out[i] = item;
        }
        return out === undefined ? v : { type: 'array', value: out };
      }
      case 'kvlist': {
        let out: KeyValue[] | undefined;
        for (let i = 0; i < v.value.length; i++) {
          const kv = v.value[i];
          const value = this.value(kv.value);
          if (value === kv.value) continue;
          out ??= v.value.slice();
          out[i] = { key: kv.key, value };
        }
        return out === undefined ? v : { type: 'kvlist', value: out };
      }
      default:
        return v;
    }
  }
}

/** The first `max` UTF-16 units, one fewer if the cut would split a surrogate pair. */
function cutString(s: string, max: number): string {
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
