/**
 * SpanRecord[] (one trace) → the Jaeger API's JSON trace, following the OpenTelemetry Collector's
 * OTLP→Jaeger translator (which Jaeger v2 itself uses) and Jaeger's JSON converter, so the Jaeger
 * UI and Grafana show our traces exactly as they would show Jaeger's.
 */
import type { InstrumentationScope, KeyValue, Resource, SpanEvent, SpanLink, SpanRecord } from '../../../shared/model/span.js';
import { SpanKind, StatusCode, durationUs, startTimeUs } from '../../../shared/model/span.js';
import { attributeJsonText } from '../../../shared/model/attribute-text.js';
import { jaegerTraceId } from './ids.js';
import { compareKeyValues } from './keyvalue-order.js';
import { compareSpans } from '../trace-view/order.js';
import type { JaegerKeyValue, JaegerLog, JaegerProcess, JaegerReference, JaegerSpan, JaegerTrace } from './model.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

const SPAN_KIND_TAG: Readonly<Record<number, string>> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

/** The lower-case kind name Jaeger uses (`span.kind` tag, operations' `spanKind`); '' when unspecified. */
export function jaegerSpanKind(kind: SpanKind): string {
  return SPAN_KIND_TAG[kind] ?? '';
}

/**
 * Maps the spans of ONE trace. Spans are ordered by start time, then span id, then service, so
 * the answer is the same whatever order a store returns them in. Processes are numbered p1, p2, …
 * in order of first use. Returns undefined for no spans: Grafana indexes `spans[0]`, so an empty
 * trace must never be sent.
 */
export function toJaegerTrace(spans: readonly WarnedSpan[]): JaegerTrace | undefined {
  if (spans.length === 0) return undefined;
  const ordered = [...spans].sort(compareSpans);
  const processes = new ProcessTable();
  const jaegerSpans = ordered.map((span) => toJaegerSpan(span, processes.idOf(span)));
  return {
    traceID: jaegerTraceId(ordered[0].traceId),
    spans: jaegerSpans,
    processes: processes.toJson(),
    warnings: null,
  };
}

/** A span with the warnings a trace view attached (trace-view/), if any. */
export type WarnedSpan = SpanRecord & { readonly warnings?: readonly string[] };

/** W3C trace flags are the low 8 bits; OTLP's bits above (has/is remote parent) are not Jaeger flags. */
const TRACE_FLAGS_MASK = 0xff;

function toJaegerSpan(span: WarnedSpan, processID: string): JaegerSpan {
  const traceID = jaegerTraceId(span.traceId);
  const flags = span.flags & TRACE_FLAGS_MASK;
  // Jaeger's field order, flags (omitted when 0) right after spanID.
  const head = flags !== 0 ? { traceID, spanID: span.spanId, flags } : { traceID, spanID: span.spanId };
  return {
    ...head,
    operationName: span.name,
    references: referencesOf(span),
    startTime: startTimeUs(span),
    duration: durationUs(span),
    tags: spanTags(span),
    logs: span.events.map(logOf),
    processID,
    warnings: span.warnings !== undefined && span.warnings.length > 0 ? [...span.warnings] : null,
  };
}

/**
 * The parent first (backends look for the first CHILD_OF), then links. A link's type comes from
 * its `opentracing.ref_type` attribute (set by OpenTracing shims); a link to the parent itself
 * adds no reference, it only gives the parent reference that type.
 */
function referencesOf(span: SpanRecord): JaegerReference[] {
  const refs: JaegerReference[] = [];
  const traceID = jaegerTraceId(span.traceId);
  if (span.parentSpanId !== '') refs.push({ refType: 'CHILD_OF', traceID, spanID: span.parentSpanId });
  for (const link of span.links) {
    const refType = linkRefType(link);
    if (span.parentSpanId !== '' && link.traceId === span.traceId && link.spanId === span.parentSpanId) {
      refs[0] = { ...refs[0], refType };
      continue;
    }
    refs.push({ refType, traceID: jaegerTraceId(link.traceId), spanID: link.spanId });
  }
  return refs;
}

function linkRefType(link: SpanLink): JaegerReference['refType'] {
  for (const kv of link.attributes) {
    if (kv.key === 'opentracing.ref_type' && kv.value.type === 'string' && kv.value.value === 'child_of') return 'CHILD_OF';
  }
  return 'FOLLOWS_FROM';
}

/** Order: scope, attributes, span.kind, otel.status_code, error, otel.status_description, w3c.tracestate. */
function spanTags(span: SpanRecord): JaegerKeyValue[] {
  const tags = scopeTags(span.scope);
  for (const kv of span.attributes) tags.push(toJaegerKeyValue(kv));
  const kind = SPAN_KIND_TAG[span.kind];
  if (kind !== undefined) tags.push(stringTag('span.kind', kind));
  if (span.status.code === StatusCode.OK) tags.push(stringTag('otel.status_code', 'OK'));
  if (span.status.code === StatusCode.ERROR) {
    tags.push(stringTag('otel.status_code', 'ERROR'));
    tags.push({ key: 'error', type: 'bool', value: true });
  }
  if (span.status.message !== '') tags.push(stringTag('otel.status_description', span.status.message));
  if (span.traceState !== '') tags.push(stringTag('w3c.tracestate', span.traceState));
  return tags;
}

function scopeTags(scope: InstrumentationScope): JaegerKeyValue[] {
  const tags: JaegerKeyValue[] = [];
  if (scope.name !== '') tags.push(stringTag('otel.scope.name', scope.name));
  if (scope.version !== '') tags.push(stringTag('otel.scope.version', scope.version));
  return tags;
}

/** An event's name leads as field `event`, unless the event has an `event` attribute of its own. */
function logOf(event: SpanEvent): JaegerLog {
  const fields: JaegerKeyValue[] = [];
  if (event.name !== '' && !event.attributes.some((kv) => kv.key === 'event')) fields.push(stringTag('event', event.name));
  for (const kv of event.attributes) fields.push(toJaegerKeyValue(kv));
  return { timestamp: Number(event.timeUnixNano / 1000n), fields };
}

function stringTag(key: string, value: string): JaegerKeyValue {
  return { key, type: 'string', value };
}

export function toJaegerKeyValue(kv: KeyValue): JaegerKeyValue {
  const v = kv.value;
  switch (v.type) {
    case 'string':
      return { key: kv.key, type: 'string', value: v.value };
    case 'bool':
      return { key: kv.key, type: 'bool', value: v.value };
    case 'int':
      return { key: kv.key, type: 'int64', value: v.value > MAX_SAFE || v.value < MIN_SAFE ? v.value.toString() : Number(v.value) };
    case 'double':
      // JSON has no NaN/Infinity; Go's encoder would fail outright, we send the text instead.
      return { key: kv.key, type: 'float64', value: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { key: kv.key, type: 'binary', value: Buffer.from(v.value).toString('base64') };
    case 'array':
    case 'kvlist':
      return { key: kv.key, type: 'string', value: attributeJsonText(v) };
    case 'empty':
      return { key: kv.key, type: 'string', value: '' };
  }
}

/**
 * A process is the service name plus the resource's other attributes. Spans usually share
 * Resource objects, so identity is checked first; equal resources read back as separate objects
 * (e.g. from Elasticsearch) still share one process id through the content key.
 */
class ProcessTable {
  private readonly byResource = new Map<Resource, string>();
  private readonly byContent = new Map<string, string>();
  private readonly processes: Record<string, JaegerProcess> = {};

  idOf(span: SpanRecord): string {
    const known = this.byResource.get(span.resource);
    if (known !== undefined && this.processes[known].serviceName === span.serviceName) return known;
    const tags = span.resource.attributes.filter((kv) => kv.key !== 'service.name').map(toJaegerKeyValue);
    // Keyed on the sorted tags: the same process whose SDK listed attributes in another order is one process.
    const contentKey = JSON.stringify([span.serviceName, [...tags].sort(compareKeyValues)]);
    let id = this.byContent.get(contentKey);
    if (id === undefined) {
      id = `p${this.byContent.size + 1}`;
      this.byContent.set(contentKey, id);
      this.processes[id] = { serviceName: span.serviceName, tags };
    }
    this.byResource.set(span.resource, id);
    return id;
  }

  toJson(): Record<string, JaegerProcess> {
    return this.processes;
  }
}
