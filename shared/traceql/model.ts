/**
 * The TraceQL subset meshtel evaluates, as a small typed model. `compile.ts` builds it from the
 * parse tree of Grafana's own grammar; every span store evaluates it (the memory store with
 * `evaluate.ts`, Elasticsearch by translating it to one search request), so the model — not the
 * query text — is the contract between the Tempo API and the stores.
 *
 * Semantics (Tempo's, for this subset):
 *  - a spanset `{ … }` holds for a trace when every trace-level condition holds for the trace and
 *    at least one span matches the span filter; those spans are the spanset's matches;
 *  - `{A} && {B}` holds when both hold, `{A} || {B}` when either does; the matched spans are
 *    those of the spansets that hold;
 *  - a comparison of a field the span does not have (or has with another type) is false, so
 *    `span.x != "a"` needs `span.x` to exist as a string; `= nil` tests absence, `!= nil` presence.
 */

/** Where an attribute is looked up. `unscoped` (`.x`) is the span's or the resource's. */
export type AttributeScope = 'span' | 'resource' | 'event' | 'link' | 'instrumentation' | 'unscoped';

/** Span-level intrinsics. `eventName` is `event:name` (true when any event has the name). */
export type SpanIntrinsic = 'name' | 'status' | 'kind' | 'duration' | 'statusMessage' | 'eventName';

/** Trace-level intrinsics: one value per trace (its root span, its whole extent). */
export type TraceIntrinsic = 'traceDuration' | 'rootName' | 'rootServiceName';

export type ComparisonOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '=~' | '!~';

/**
 * A literal. Numbers (int, float) and durations compare as numbers — durations in nanoseconds —
 * and match int and double attributes alike. Enums are status (`error`, `ok`, `unset`) and kind
 * (`server`, …) names.
 */
export type Literal =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'status'; readonly value: 'error' | 'ok' | 'unset' }
  | { readonly type: 'kind'; readonly value: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer' }
  | { readonly type: 'nil' };

export type SpanField =
  | { readonly kind: 'attribute'; readonly scope: AttributeScope; readonly key: string }
  | { readonly kind: 'intrinsic'; readonly name: SpanIntrinsic };

/** One comparison; regex operators only with string literals, `nil` only with `=`/`!=`. */
export interface Comparison<F> {
  readonly type: 'compare';
  readonly field: F;
  readonly op: ComparisonOp;
  readonly value: Literal;
}

export type BoolExpr<F> =
  | Comparison<F>
  | { readonly type: 'and' | 'or'; readonly left: BoolExpr<F>; readonly right: BoolExpr<F> };

export type SpanFilter = BoolExpr<SpanField>;
export type TraceFilter = BoolExpr<TraceIntrinsic>;

export interface Spanset {
  /**
   * Trace-level conditions, joined to the span filter with `&&` at the top of the braces
   * (`{ rootServiceName = "a" && span.x = 1 }`). Absent: no trace-level condition.
   */
  readonly trace?: TraceFilter;
  /** Absent (`{}`, or only trace-level conditions): every span matches. */
  readonly span?: SpanFilter;
}

export type SpansetExpr =
  | { readonly type: 'spanset'; readonly spanset: Spanset }
  | { readonly type: 'and' | 'or'; readonly left: SpansetExpr; readonly right: SpansetExpr };

/** A compiled query: its spansets in the order written, and how they combine. */
export interface TraceqlQuery {
  readonly expr: SpansetExpr;
}

/** The spansets of a query, left to right (each store gives them indices in this order). */
export function spansetsOf(expr: SpansetExpr): Spanset[] {
  if (expr.type === 'spanset') return [expr.spanset];
  return [...spansetsOf(expr.left), ...spansetsOf(expr.right)];
}

/** Whether the query holds, given which spansets (by index in {@link spansetsOf} order) hold. */
export function combineSpansets(expr: SpansetExpr, holds: readonly boolean[]): boolean {
  let next = 0;
  const walk = (e: SpansetExpr): boolean => {
    if (e.type === 'spanset') return holds[next++] === true;
    // Both sides are walked so the indices stay aligned with spansetsOf.
    const left = walk(e.left);
    const right = walk(e.right);
    return e.type === 'and' ? left && right : left || right;
  };
  return walk(expr);
}

/** The tag scopes the Tempo tag APIs list (v2 `scope` parameter). */
export type TagScope = 'resource' | 'span' | 'event' | 'link' | 'instrumentation' | 'intrinsic';

/** A tag value as the v2 tag-values API types it. */
export interface TypedTagValue {
  readonly type: 'string' | 'int' | 'float' | 'bool' | 'keyword';
  readonly value: string;
}
