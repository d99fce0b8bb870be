/**
 * Evaluates a {@link TraceqlQuery} over decoded spans: the memory store's engine and the
 * reference the Elasticsearch translation is held to (one contract suite runs both).
 *
 * Rules every store follows:
 *  - an attribute compares only with a literal of its type (string; int and double both as
 *    numbers, int64 beyond 2^53 rounded to the nearest double; bool); arrays, maps and bytes
 *    never match a comparison but count as present for `!= nil`;
 *  - a place holding several values (event and link attributes, `event:name`, and unscoped `.x`
 *    which looks in the span's then the resource's attributes) matches a positive operator when
 *    any value does; `!=` and `!~` mean "present with that type, and no value equals / matches";
 *  - durations are nanoseconds (`end - start`, never below 0).
 */
import type { AnyValue, KeyValue, SpanRecord } from '../model/span.js';
import { compileRegex } from './regex.js';
import type {
  AttributeScope,
  BoolExpr,
  Comparison,
  ComparisonOp,
  Literal,
  SpanField,
  SpanFilter,
  Spanset,
  TraceFilter,
  TraceIntrinsic,
  TypedTagValue,
} from './model.js';

export const STATUS_NAMES = ['unset', 'ok', 'error'] as const;
export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

/** What a regex literal compiles to, cached per literal object (queries are compiled once). */
const regexes = new WeakMap<Literal, RegExp>();

function regexOf(literal: Literal & { type: 'string' }): RegExp {
  let re = regexes.get(literal);
  if (re === undefined) {
    re = compileRegex(literal.value);
    regexes.set(literal, re);
  }
  return re;
}

/** The comparable form of an attribute value, or undefined for types no literal compares with. */
type Scalar = { type: 'string'; value: string } | { type: 'number'; value: number } | { type: 'bool'; value: boolean };

export function scalarOf(value: AnyValue): Scalar | undefined {
  switch (value.type) {
    case 'string':
      return { type: 'string', value: value.value };
    case 'int':
      return { type: 'number', value: Number(value.value) };
    case 'double':
      return Number.isNaN(value.value) ? undefined : { type: 'number', value: value.value };
    case 'bool':
      return { type: 'bool', value: value.value };
    default:
      return undefined;
  }
}

function order(op: ComparisonOp, cmp: number): boolean {
  switch (op) {
    case '=':
      return cmp === 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    default:
      return false;
  }
}

/** True when one value satisfies a POSITIVE operator (=, <, >, <=, >=, =~) against the literal. */
function satisfies(value: Scalar, op: ComparisonOp, literal: Literal): boolean {
  if (op === '=~') return literal.type === 'string' && value.type === 'string' && regexOf(literal).test(value.value);
  switch (literal.type) {
    case 'string':
      return value.type === 'string' && order(op, value.value < literal.value ? -1 : value.value > literal.value ? 1 : 0);
    case 'number':
      return value.type === 'number' && order(op, value.value - literal.value);
    case 'bool':
      return value.type === 'bool' && op === '=' && value.value === literal.value;
    // Status and kind names are strings of the intrinsic.
    case 'status':
    case 'kind':
      return value.type === 'string' && op === '=' && value.value === literal.value;
    case 'nil':
      return false;
  }
}

/** The type a literal compares with (for "present with that type" of != and !~). */
function sameType(value: Scalar, literal: Literal): boolean {
  if (literal.type === 'status' || literal.type === 'kind') return value.type === 'string';
  return value.type === literal.type;
}

const POSITIVE: Partial<Record<ComparisonOp, ComparisonOp>> = { '!=': '=', '!~': '=~' };

/** A comparison over all the values one place holds (see the module comment for the rules). */
export function compareValues(values: readonly (Scalar | undefined)[], present: boolean, op: ComparisonOp, literal: Literal): boolean {
  if (literal.type === 'nil') return op === '=' ? !present : present;
  const positive = POSITIVE[op];
  if (positive === undefined) {
    for (const v of values) if (v !== undefined && satisfies(v, op, literal)) return true;
    return false;
  }
  let typed = false;
  for (const v of values) {
    if (v === undefined || !sameType(v, literal)) continue;
    typed = true;
    if (satisfies(v, positive, literal)) return false;
  }
  return typed;
}

function attributeValues(span: SpanRecord, scope: Exclude<AttributeScope, 'unscoped'>, key: string): AnyValue[] {
  const out: AnyValue[] = [];
  const collect = (kvs: readonly KeyValue[]) => {
    for (const kv of kvs) if (kv.key === key) out.push(kv.value);
  };
  switch (scope) {
    case 'span':
      collect(span.attributes);
      break;
    case 'resource':
      collect(span.resource.attributes);
      break;
    case 'instrumentation':
      collect(span.scope.attributes);
      break;
    case 'event':
      for (const e of span.events) collect(e.attributes);
      break;
    case 'link':
      for (const l of span.links) collect(l.attributes);
      break;
  }
  return out;
}

function compareAttribute(span: SpanRecord, scope: Exclude<AttributeScope, 'unscoped'>, key: string, op: ComparisonOp, literal: Literal): boolean {
  const values = attributeValues(span, scope, key);
  return compareValues(values.map(scalarOf), values.length > 0, op, literal);
}

export function spanDurationNanos(span: Pick<SpanRecord, 'startTimeUnixNano' | 'endTimeUnixNano'>): number {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? Number(d) : 0;
}

function intrinsicValues(span: SpanRecord, field: SpanField & { kind: 'intrinsic' }): Scalar[] {
  switch (field.name) {
    case 'name':
      return [{ type: 'string', value: span.name }];
    case 'status':
      return [{ type: 'string', value: STATUS_NAMES[span.status.code] ?? 'unset' }];
    case 'kind':
      return [{ type: 'string', value: KIND_NAMES[span.kind] ?? 'unspecified' }];
    case 'duration':
      return [{ type: 'number', value: spanDurationNanos(span) }];
    case 'statusMessage':
      // An empty message is no message: `statusMessage != "x"` does not match spans without one.
      return span.status.message === '' ? [] : [{ type: 'string', value: span.status.message }];
    case 'eventName':
      return span.events.map((e) => ({ type: 'string', value: e.name }));
  }
}

function compareSpan(span: SpanRecord, c: Comparison<SpanField>): boolean {
  const f = c.field;
  if (f.kind === 'intrinsic') {
    const values = intrinsicValues(span, f);
    return compareValues(values, values.length > 0, c.op, c.value);
  }
  if (f.scope === 'unscoped') {
    const inSpan = compareAttribute(span, 'span', f.key, c.op, c.value);
    const inResource = compareAttribute(span, 'resource', f.key, c.op, c.value);
    // `.x = nil`: absent from both places; anything else: found in either.
    return c.value.type === 'nil' && c.op === '=' ? inSpan && inResource : inSpan || inResource;
  }
  return compareAttribute(span, f.scope, f.key, c.op, c.value);
}

function evalBool<F>(expr: BoolExpr<F>, leaf: (c: Comparison<F>) => boolean): boolean {
  if (expr.type === 'compare') return leaf(expr);
  if (expr.type === 'and') return evalBool(expr.left, leaf) && evalBool(expr.right, leaf);
  return evalBool(expr.left, leaf) || evalBool(expr.right, leaf);
}

export function spanMatches(filter: SpanFilter | undefined, span: SpanRecord): boolean {
  return filter === undefined || evalBool(filter, (c) => compareSpan(span, c));
}

/** A trace's trace-level intrinsics. No root span (not received yet): root fields undefined. */
export interface TraceFacts {
  readonly durationNanos: number;
  readonly rootName?: string;
  readonly rootServiceName?: string;
}

export function traceFactsOf(spans: readonly SpanRecord[]): TraceFacts {
  let start: bigint | undefined;
  let end: bigint | undefined;
  let root: SpanRecord | undefined;
  for (const s of spans) {
    if (start === undefined || s.startTimeUnixNano < start) start = s.startTimeUnixNano;
    if (end === undefined || s.endTimeUnixNano > end) end = s.endTimeUnixNano;
    if (s.parentSpanId === '' && (root === undefined || s.startTimeUnixNano < root.startTimeUnixNano)) root = s;
  }
  const durationNanos = start !== undefined && end !== undefined && end > start ? Number(end - start) : 0;
  return { durationNanos, ...(root !== undefined && { rootName: root.name, rootServiceName: root.serviceName }) };
}

function compareTrace(facts: TraceFacts, c: Comparison<TraceIntrinsic>): boolean {
  const value = (name: TraceIntrinsic): Scalar | undefined => {
    if (name === 'traceDuration') return { type: 'number', value: facts.durationNanos };
    const v = name === 'rootName' ? facts.rootName : facts.rootServiceName;
    return v === undefined ? undefined : { type: 'string', value: v };
  };
  const v = value(c.field);
  return compareValues(v === undefined ? [] : [v], v !== undefined, c.op, c.value);
}

export function traceMatches(filter: TraceFilter | undefined, facts: TraceFacts): boolean {
  return filter === undefined || evalBool(filter, (c) => compareTrace(facts, c));
}

/** The spans of `candidates` matching the spanset, or undefined when the spanset does not hold. */
export function spansetMatches(spanset: Spanset, facts: TraceFacts, candidates: readonly SpanRecord[]): SpanRecord[] | undefined {
  if (!traceMatches(spanset.trace, facts)) return undefined;
  const matched = candidates.filter((s) => spanMatches(spanset.span, s));
  return matched.length > 0 ? matched : undefined;
}

/** Matched spans are listed earliest first, ties by span id (every store). */
export function compareSpansByStart(a: SpanRecord, b: SpanRecord): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/** Tag values are listed by type, then value (every store). */
export function compareTypedValues(a: TypedTagValue, b: TypedTagValue): number {
  return a.type < b.type ? -1 : a.type > b.type ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * What a store knows about a span without decoding it: name, kind, a µs duration (the ns one
 * lies in [durationUs × 1000, durationUs × 1000 + 999]), resource and scope.
 */
export interface SpanSummary {
  readonly name: string;
  readonly kind: SpanRecord['kind'];
  readonly durationUs: number;
  readonly resource: SpanRecord['resource'];
  readonly scope: SpanRecord['scope'];
}

type Maybe = 'yes' | 'no' | 'maybe';

function durationMay(us: number, op: ComparisonOp, literal: Literal): Maybe {
  if (literal.type !== 'number') return 'no';
  const low = us * 1000;
  const high = us * 1000 + 999;
  const v = literal.value;
  switch (op) {
    case '>':
      return low > v ? 'yes' : high <= v ? 'no' : 'maybe';
    case '>=':
      return low >= v ? 'yes' : high < v ? 'no' : 'maybe';
    case '<':
      return high < v ? 'yes' : low >= v ? 'no' : 'maybe';
    case '<=':
      return high <= v ? 'yes' : low > v ? 'no' : 'maybe';
    default:
      return v < low || v > high ? (op === '=' ? 'no' : 'yes') : 'maybe';
  }
}

function summaryComparison(s: SpanSummary, c: Comparison<SpanField>): Maybe {
  const f = c.field;
  const known = (b: boolean): Maybe => (b ? 'yes' : 'no');
  if (f.kind === 'intrinsic') {
    if (f.name === 'name') return known(compareValues([{ type: 'string', value: s.name }], true, c.op, c.value));
    if (f.name === 'kind') return known(compareValues([{ type: 'string', value: KIND_NAMES[s.kind] ?? 'unspecified' }], true, c.op, c.value));
    if (f.name === 'duration') return durationMay(s.durationUs, c.op, c.value);
    return 'maybe';
  }
  if (f.scope === 'resource' || f.scope === 'instrumentation') {
    const values = (f.scope === 'resource' ? s.resource.attributes : s.scope.attributes).filter((kv) => kv.key === f.key).map((kv) => kv.value);
    return known(compareValues(values.map(scalarOf), values.length > 0, c.op, c.value));
  }
  return 'maybe';
}

function summaryBool(s: SpanSummary, expr: SpanFilter): Maybe {
  if (expr.type === 'compare') return summaryComparison(s, expr);
  const l = summaryBool(s, expr.left);
  if (expr.type === 'and' && l === 'no') return 'no';
  if (expr.type === 'or' && l === 'yes') return 'yes';
  const r = summaryBool(s, expr.right);
  if (expr.type === 'and') return r === 'no' ? 'no' : l === 'yes' && r === 'yes' ? 'yes' : 'maybe';
  return r === 'yes' ? 'yes' : l === 'no' && r === 'no' ? 'no' : 'maybe';
}

/**
 * False only when the span certainly does not match the filter, judged from its summary: lets a
 * store skip decoding spans (and traces) a query cannot select.
 */
export function spanMayMatch(filter: SpanFilter | undefined, summary: SpanSummary): boolean {
  return filter === undefined || summaryBool(summary, filter) !== 'no';
}
