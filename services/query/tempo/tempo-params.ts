/**
 * Query-string schemas and parsing for the Tempo API (grafana/tempo docs, api_docs): unix-second
 * `start`/`end`, Go durations, `limit`/`spss`, the logfmt `tags` of the pre-TraceQL search and
 * the TraceQL tag identifiers of the v2 tag-values path. Every refusal is a
 * {@link TempoParamError} naming the parameter; the route answers it with 400.
 */
import { z } from 'zod';
import { parseDurationNanos } from '../../../shared/model/go-duration.js';
import { parseTraceId } from '../jaeger/ids.js';
import type { TagRef } from '../../../shared/storage/spanstore.js';
import { compileTraceql } from '../../../shared/traceql/compile.js';
import type { BoolExpr, SpanField, SpanFilter, SpansetExpr, TraceFilter, TraceqlQuery } from '../../../shared/traceql/model.js';

export class TempoParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TempoParamError';
  }
}

/** Repeated parameters arrive as arrays (fastify's query parser); the first one counts. */
const param = z.union([z.string(), z.array(z.string())]).optional();

export const traceByIdQuerySchema = z.object({ start: param, end: param });
export const searchQuerySchema = z.object({
  q: param,
  tags: param,
  minDuration: param,
  maxDuration: param,
  limit: param,
  spss: param,
  start: param,
  end: param,
});
export const tagsQuerySchema = z.object({ scope: param, q: param, limit: param, start: param, end: param, maxStaleValues: param });
export const tagValuesQuerySchema = z.object({ q: param, limit: param, start: param, end: param, maxStaleValues: param });

type Param = z.infer<typeof param>;

export function single(value: Param): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

function integer(name: string, value: Param, min: number): number | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new TempoParamError(`invalid ${name}: ${JSON.stringify(text)} is not an integer`);
  const n = Number(text);
  if (n < min) throw new TempoParamError(`invalid ${name}: must be at least ${min}, got ${n}`);
  return n;
}

/** How far back searches and tag lists look when the request gives no `start` (Grafana always sends it for searches). */
export const DEFAULT_LOOKBACK_S = 24 * 3600;
export const DEFAULT_SEARCH_LIMIT = 20;
export const DEFAULT_SPSS = 3;
export const DEFAULT_TAG_LIMIT = 1000;
export const MAX_SEARCH_LIMIT = 1000;
/** Grafana asks for 5000 tags (its default tagLimit). */
export const MAX_TAG_LIMIT = 10_000;

/** `start`/`end` in unix seconds → a µs window; end defaults to now, start to end − a day. */
export function parseWindow(q: { start?: Param; end?: Param }, nowMs: number): { startTimeMinUs: number; startTimeMaxUs: number } {
  const end = integer('end', q.end, 0) ?? Math.ceil(nowMs / 1000);
  const start = integer('start', q.start, 0) ?? end - DEFAULT_LOOKBACK_S;
  if (start > end) throw new TempoParamError(`invalid start: ${start} is after end ${end}`);
  // The whole end second is inside the window.
  return { startTimeMinUs: start * 1_000_000, startTimeMaxUs: end * 1_000_000 + 999_999 };
}

export function parseTraceIdParam(text: string): string {
  try {
    return parseTraceId(text);
  } catch (err) {
    throw new TempoParamError((err as Error).message);
  }
}

/** Trace-by-id `start`/`end` (seconds) as the store's µs hint; both or neither. */
export function parseTraceHint(q: z.infer<typeof traceByIdQuerySchema>): { startTimeUs?: number; endTimeUs?: number } {
  const start = integer('start', q.start, 0);
  const end = integer('end', q.end, 0);
  if (start === undefined || end === undefined) return {};
  return { startTimeUs: start * 1_000_000, endTimeUs: end * 1_000_000 + 999_999 };
}

/**
 * `limit`, clamped to `max` rather than refused (Tempo caps it the same way with its max_limit
 * settings): one request cannot make the store group an unbounded number of traces or values.
 */
export function parseLimit(value: Param, fallback: number, max: number): number {
  return Math.min(integer('limit', value, 1) ?? fallback, max);
}

function durationNanos(name: string, value: Param): number | undefined {
  const text = single(value);
  if (text === undefined) return undefined;
  try {
    return parseDurationNanos(text);
  } catch (err) {
    throw new TempoParamError(`invalid ${name}: ${(err as Error).message}`);
  }
}

const and = <F>(a: BoolExpr<F> | undefined, b: BoolExpr<F> | undefined): BoolExpr<F> | undefined =>
  a === undefined ? b : b === undefined ? a : { type: 'and', left: a, right: b };

/** Regex metacharacters escaped, for the substring match of the logfmt `tags` search. */
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The pre-TraceQL `tags` search as a query: `key=value` pairs (logfmt; values may be quoted),
 * each a case-insensitive substring match of the span's or resource's attribute (Tempo), `name`
 * meaning the span name.
 */
export function tagsAsSpanFilter(text: string): SpanFilter | undefined {
  let filter: SpanFilter | undefined;
  const pair = /\s*([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/y;
  let rest = text.trim();
  while (rest !== '') {
    pair.lastIndex = 0;
    const m = pair.exec(rest);
    if (m === null) throw new TempoParamError(`invalid tags: expected key=value pairs separated by spaces, got ${JSON.stringify(rest)}`);
    const [whole, key, raw] = m;
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    const field: SpanField = key === 'name' ? { kind: 'intrinsic', name: 'name' } : { kind: 'attribute', scope: 'unscoped', key };
    filter = and<SpanField>(filter, { type: 'compare', field, op: '=~', value: { type: 'string', value: `(?i).*${escapeRegex(value)}.*` } });
    rest = rest.slice(whole.length).trim();
  }
  return filter;
}

function withTrace(expr: SpansetExpr, trace: TraceFilter | undefined): SpansetExpr {
  if (trace === undefined) return expr;
  if (expr.type === 'spanset') return { type: 'spanset', spanset: { ...expr.spanset, trace: and(expr.spanset.trace, trace) } };
  return { type: expr.type, left: withTrace(expr.left, trace), right: withTrace(expr.right, trace) };
}

export interface SearchRequest {
  readonly query: TraceqlQuery;
  readonly limit: number;
  readonly spansPerSpanset: number;
  readonly startTimeMinUs: number;
  readonly startTimeMaxUs: number;
}

/**
 * `q` (TraceQL) or else `tags` (logfmt); `minDuration`/`maxDuration` bound the trace's duration
 * (Tempo's meaning), added to every spanset as trace-level conditions.
 */
export function parseSearch(q: z.infer<typeof searchQuerySchema>, nowMs: number): SearchRequest {
  const text = single(q.q);
  let query: TraceqlQuery;
  if (text !== undefined) query = compileTraceql(text);
  else {
    const tags = single(q.tags);
    const span = tags === undefined ? undefined : tagsAsSpanFilter(tags);
    query = { expr: { type: 'spanset', spanset: span === undefined ? {} : { span } } };
  }
  const min = durationNanos('minDuration', q.minDuration);
  const max = durationNanos('maxDuration', q.maxDuration);
  if (min !== undefined && max !== undefined && max < min) throw new TempoParamError('invalid maxDuration: must be greater than minDuration');
  let trace: TraceFilter | undefined;
  if (min !== undefined) trace = { type: 'compare', field: 'traceDuration', op: '>=', value: { type: 'number', value: min } };
  if (max !== undefined) trace = and(trace, { type: 'compare', field: 'traceDuration', op: '<=', value: { type: 'number', value: max } });
  return {
    query: { expr: withTrace(query.expr, trace) },
    limit: parseLimit(q.limit, DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT),
    spansPerSpanset: integer('spss', q.spss, 1) ?? DEFAULT_SPSS,
    ...parseWindow(q, nowMs),
  };
}

const SPAN_INTRINSIC_TAGS: Readonly<Record<string, TagRef>> = {
  name: { kind: 'intrinsic', name: 'name' },
  'span:name': { kind: 'intrinsic', name: 'name' },
  status: { kind: 'intrinsic', name: 'status' },
  'span:status': { kind: 'intrinsic', name: 'status' },
  kind: { kind: 'intrinsic', name: 'kind' },
  'span:kind': { kind: 'intrinsic', name: 'kind' },
  statusMessage: { kind: 'intrinsic', name: 'statusMessage' },
  'span:statusMessage': { kind: 'intrinsic', name: 'statusMessage' },
  'event:name': { kind: 'intrinsic', name: 'eventName' },
};

/** The intrinsics listed in the v2 `intrinsic` scope: the ones TraceQL here accepts, in each spelling. */
export const INTRINSIC_TAG_NAMES = [
  'duration', 'event:name', 'kind', 'name', 'rootName', 'rootServiceName', 'span:duration', 'span:kind', 'span:name',
  'span:status', 'span:statusMessage', 'status', 'statusMessage', 'trace:duration', 'trace:rootName', 'trace:rootService', 'traceDuration',
];

const SCOPE_PREFIXES = ['resource', 'span', 'event', 'link', 'instrumentation'] as const;

/**
 * A v2 tag identifier (`resource.service.name`, `.http.method`, `span."a b"`, `status`, `event:name`)
 * → what the store lists values of; undefined for intrinsics without listable values (durations,
 * trace-level ones).
 */
export function parseTagIdentifier(text: string): TagRef | undefined {
  const intrinsic = SPAN_INTRINSIC_TAGS[text];
  if (intrinsic !== undefined) return intrinsic;
  if (INTRINSIC_TAG_NAMES.includes(text)) return undefined;
  const unquote = (key: string) => (key.startsWith('"') && key.endsWith('"') && key.length >= 2 ? (JSON.parse(key) as string) : key);
  if (text.startsWith('.') && text.length > 1) return { kind: 'attribute', scope: 'unscoped', key: unquote(text.slice(1)) };
  for (const scope of SCOPE_PREFIXES) {
    if (text.startsWith(`${scope}.`) && text.length > scope.length + 1) return { kind: 'attribute', scope, key: unquote(text.slice(scope.length + 1)) };
  }
  throw new TempoParamError(`unknown tag ${JSON.stringify(text)}: expected a TraceQL attribute (resource.x, span.x, .x, …) or intrinsic`);
}

/** The path segment, once more URL-decoded when a client (some Grafana versions) encoded it twice. */
export function decodeTagSegment(segment: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(segment)) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
