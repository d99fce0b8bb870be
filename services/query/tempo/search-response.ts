/**
 * Tempo's `SearchResponse` JSON (tempo.proto; api_docs example) from the store's matches: per
 * trace its root service and name (`<root span not yet received>` without a root, as Tempo
 * writes), start and duration over all its spans, the matched spans as a spanset — in
 * `spanSets` and, like Tempo, again as the deprecated `spanSet` that Grafana reads first — and
 * span/error counts per service.
 */
import type { AnyValue, KeyValue, SpanRecord } from '../../../shared/model/span.js';
import { StatusCode } from '../../../shared/model/span.js';
import { anyValueToJson as anyValueJson, type OtlpJsonKeyValue as JsonKeyValue } from '../../../shared/otlp/common/common-json.js';
import type { TraceqlTraceMatch } from '../../../shared/storage/spanstore.js';
import { KIND_NAMES, STATUS_NAMES, spanDurationNanos } from '../../../shared/traceql/evaluate.js';
import { spansetsOf, type BoolExpr, type SpanField, type TraceqlQuery } from '../../../shared/traceql/model.js';

export const ROOT_NOT_YET_RECEIVED = '<root span not yet received>';

export interface SearchSpanJson {
  spanID: string;
  name: string;
  startTimeUnixNano: string;
  durationNanos: string;
  attributes?: JsonKeyValue[];
}

export interface TraceSearchMetadataJson {
  traceID: string;
  rootServiceName: string;
  rootTraceName: string;
  startTimeUnixNano: string;
  durationMs?: number;
  spanSet: { spans: SearchSpanJson[]; matched: number };
  spanSets: { spans: SearchSpanJson[]; matched: number }[];
  serviceStats: Record<string, { spanCount: number; errorCount?: number }>;
}

export interface SearchResponseJson {
  traces: TraceSearchMetadataJson[];
  metrics: { inspectedTraces: number; completedJobs: number; totalJobs: number };
}

function fieldsOf(expr: BoolExpr<SpanField> | undefined, out: SpanField[]): SpanField[] {
  if (expr === undefined) return out;
  if (expr.type === 'compare') out.push(expr.field);
  else {
    fieldsOf(expr.left, out);
    fieldsOf(expr.right, out);
  }
  return out;
}

function firstValue(kvs: readonly KeyValue[], key: string): AnyValue | undefined {
  return kvs.find((kv) => kv.key === key)?.value;
}

/**
 * A matched span's attributes in the answer: those the query tested and the span has (Tempo
 * returns the fields a spanset filtered on), plus `service.name`, which Grafana shows per span.
 */
function spanAttributes(span: SpanRecord, fields: readonly SpanField[]): JsonKeyValue[] {
  const out = new Map<string, AnyValue>();
  const service = firstValue(span.resource.attributes, 'service.name');
  if (service !== undefined) out.set('service.name', service);
  for (const f of fields) {
    if (f.kind === 'intrinsic') {
      if (f.name === 'status') out.set('status', { type: 'string', value: STATUS_NAMES[span.status.code] ?? 'unset' });
      else if (f.name === 'kind') out.set('kind', { type: 'string', value: KIND_NAMES[span.kind] ?? 'unspecified' });
      else if (f.name === 'statusMessage' && span.status.message !== '') out.set('statusMessage', { type: 'string', value: span.status.message });
      continue;
    }
    const places =
      f.scope === 'span' ? [span.attributes]
        : f.scope === 'resource' ? [span.resource.attributes]
          : f.scope === 'instrumentation' ? [span.scope.attributes]
            : f.scope === 'unscoped' ? [span.attributes, span.resource.attributes]
              : [];
    for (const kvs of places) {
      const v = firstValue(kvs, f.key);
      if (v !== undefined) {
        out.set(f.key, v);
        break;
      }
    }
  }
  return [...out].map(([key, value]) => ({ key, value: anyValueJson(value) }));
}

function searchSpan(span: SpanRecord, fields: readonly SpanField[]): SearchSpanJson {
  const attributes = spanAttributes(span, fields);
  return {
    spanID: span.spanId,
    name: span.name,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    durationNanos: String(spanDurationNanos(span)),
    ...(attributes.length > 0 && { attributes }),
  };
}

function traceMetadata(match: TraceqlTraceMatch, fields: readonly SpanField[]): TraceSearchMetadataJson {
  const spans = match.spans.length > 0 ? match.spans : match.matched;
  let start: bigint | undefined;
  let end: bigint | undefined;
  let root: SpanRecord | undefined;
  const serviceStats: Record<string, { spanCount: number; errorCount?: number }> = {};
  for (const s of spans) {
    if (start === undefined || s.startTimeUnixNano < start) start = s.startTimeUnixNano;
    if (end === undefined || s.endTimeUnixNano > end) end = s.endTimeUnixNano;
    if (s.parentSpanId === '' && (root === undefined || s.startTimeUnixNano < root.startTimeUnixNano)) root = s;
    const stats = (serviceStats[s.serviceName] ??= { spanCount: 0 });
    stats.spanCount++;
    if (s.status.code === StatusCode.ERROR) stats.errorCount = (stats.errorCount ?? 0) + 1;
  }
  // uint32 milliseconds; proto3 JSON leaves out a zero, and Grafana shows < 1 ms as empty.
  const durationMs = start !== undefined && end !== undefined && end > start ? Number((end - start) / 1_000_000n) : 0;
  const spanSet = { spans: match.matched.map((s) => searchSpan(s, fields)), matched: match.matchedCount };
  return {
    traceID: match.traceId,
    rootServiceName: root?.serviceName ?? ROOT_NOT_YET_RECEIVED,
    rootTraceName: root?.name ?? ROOT_NOT_YET_RECEIVED,
    startTimeUnixNano: (start ?? 0n).toString(),
    ...(durationMs > 0 && { durationMs }),
    spanSet,
    spanSets: [spanSet],
    serviceStats,
  };
}

export function searchResponse(query: TraceqlQuery, matches: readonly TraceqlTraceMatch[]): SearchResponseJson {
  const fields: SpanField[] = [];
  for (const set of spansetsOf(query.expr)) fieldsOf(set.span, fields);
  return {
    traces: matches.map((m) => traceMetadata(m, fields)),
    metrics: { inspectedTraces: matches.length, completedJobs: 1, totalJobs: 1 },
  };
}
