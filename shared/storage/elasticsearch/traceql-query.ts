/**
 * A TraceQL span filter as an Elasticsearch query over `traceqlTerms` (traceql-terms.ts), with the
 * rules of shared/traceql/evaluate.ts: positive operators match when any value of the place
 * does; `!=`/`!~` mean "present with that type and no value equals / matches"; unscoped `.x` is
 * the span's or the resource's attribute.
 */
import type { estypes } from '@elastic/elasticsearch';
import type { BoolExpr, Comparison, ComparisonOp, Literal, SpanField, SpanFilter, TraceIntrinsic } from '../../traceql/model.js';
import { keyPrefix, sortableNumber, typedBlockEnd, typedPrefix, type TermScope, type TermType } from './traceql-terms.js';

type Query = estypes.QueryDslQueryContainer;

const FIELD = 'traceqlTerms';

const MATCH_NONE: Query = { bool: { must_not: { match_all: {} } } };

/** Lucene regexp syntax treats these as operators; a literal prefix escapes every one. */
function escapeLuceneLiteral(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`);
}

/**
 * RE2 (as a user writes it for TraceQL) → Lucene regexp: both are anchored; Lucene has no `^`/`$`
 * anchors (dropped at the ends), no `(?:` groups (plain groups match the same), no `(?i)` flag
 * (mapped to case_insensitive), and reads `"` as a quote (escaped). The query is sent with
 * flags NONE, so `~ & @ < > #` stay literal characters as in RE2.
 */
export function luceneRegex(source: string): { pattern: string; caseInsensitive: boolean } {
  let s = source;
  const caseInsensitive = s.startsWith('(?i)');
  if (caseInsensitive) s = s.slice(4);
  if (s.startsWith('^')) s = s.slice(1);
  if (s.endsWith('$') && !s.endsWith('\\$')) s = s.slice(0, -1);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      out += c + s[++i];
    } else if (c === '(' && s.startsWith('(?:', i)) {
      out += '(';
      i += 2;
    } else if (c === '"') {
      out += '\\"';
    } else {
      out += c;
    }
  }
  return { pattern: out, caseInsensitive };
}

function typesOf(literal: Literal): TermType[] {
  switch (literal.type) {
    case 'string':
    case 'status':
    case 'kind':
      return ['s'];
    case 'number':
      return ['i', 'f'];
    case 'bool':
      return ['b'];
    case 'nil':
      return [];
  }
}

function valueText(literal: Literal, type: TermType): string {
  switch (literal.type) {
    case 'number':
      return sortableNumber(literal.value);
    case 'bool':
      return String(literal.value);
    case 'string':
    case 'status':
    case 'kind':
      return literal.value;
    case 'nil':
      throw new Error(`nil has no ${type} value`);
  }
}

function any(queries: Query[]): Query {
  if (queries.length === 0) return MATCH_NONE;
  return queries.length === 1 ? queries[0] : { bool: { should: queries, minimum_should_match: 1 } };
}

/** A positive comparison (=, <, <=, >, >=, =~) in one scope and key. */
function positive(scope: TermScope, key: string, op: ComparisonOp, literal: Literal): Query {
  if (op === '=~') {
    const { pattern, caseInsensitive } = luceneRegex((literal as Literal & { type: 'string' }).value);
    return {
      regexp: {
        [FIELD]: {
          value: `${escapeLuceneLiteral(typedPrefix(scope, key, 's'))}(${pattern})`,
          flags: 'NONE',
          ...(caseInsensitive && { case_insensitive: true }),
        },
      },
    };
  }
  return any(
    typesOf(literal).map((type): Query => {
      const prefix = typedPrefix(scope, key, type);
      const value = prefix + valueText(literal, type);
      if (op === '=') return { term: { [FIELD]: value } };
      const end = typedBlockEnd(scope, key, type);
      // Keyword ranges compare terms as bytes; within one typed block that is the value order.
      switch (op) {
        case '>':
          return { range: { [FIELD]: { gt: value, lt: end } } };
        case '>=':
          return { range: { [FIELD]: { gte: value, lt: end } } };
        case '<':
          return { range: { [FIELD]: { gte: prefix, lt: value } } };
        case '<=':
          return { range: { [FIELD]: { gte: prefix, lte: value } } };
        default:
          throw new Error(`not a positive operator: ${op}`);
      }
    }),
  );
}

function present(scope: TermScope, key: string, types?: TermType[]): Query {
  if (types === undefined) return { prefix: { [FIELD]: keyPrefix(scope, key) } };
  return any(types.map((t): Query => ({ prefix: { [FIELD]: typedPrefix(scope, key, t) } })));
}

function compareIn(scope: TermScope, key: string, op: ComparisonOp, literal: Literal): Query {
  if (literal.type === 'nil') return op === '=' ? { bool: { must_not: present(scope, key) } } : present(scope, key);
  if (op === '!=' || op === '!~') {
    return { bool: { filter: present(scope, key, typesOf(literal)), must_not: positive(scope, key, op === '!=' ? '=' : '=~', literal) } };
  }
  return positive(scope, key, op, literal);
}

function comparison(c: Comparison<SpanField>): Query {
  const f = c.field;
  if (f.kind === 'intrinsic') return compareIn('intrinsic', f.name, c.op, c.value);
  if (f.scope === 'unscoped') {
    const both = [compareIn('span', f.key, c.op, c.value), compareIn('resource', f.key, c.op, c.value)];
    // `.x = nil`: absent from both places; anything else: found in either (evaluate.ts).
    return c.value.type === 'nil' && c.op === '=' ? { bool: { filter: both } } : any(both);
  }
  return compareIn(f.scope, f.key, c.op, c.value);
}

function bool(expr: BoolExpr<SpanField>): Query {
  if (expr.type === 'compare') return comparison(expr);
  if (expr.type === 'and') return { bool: { filter: [bool(expr.left), bool(expr.right)] } };
  return any([bool(expr.left), bool(expr.right)]);
}

/** The query matching exactly the spans the filter matches (every span when absent). */
export function spanFilterQuery(filter: SpanFilter | undefined): Query {
  return filter === undefined ? { match_all: {} } : bool(filter);
}

/** A comparison on the `serviceName` keyword (every span has one, so `!=`/`!~` need no presence test). */
function serviceNameComparison(op: ComparisonOp, literal: Literal): Query {
  if (literal.type !== 'string') return MATCH_NONE;
  const field = 'serviceName';
  const regex = (): Query => {
    const { pattern, caseInsensitive } = luceneRegex(literal.value);
    return { regexp: { [field]: { value: pattern, flags: 'NONE', ...(caseInsensitive && { case_insensitive: true }) } } };
  };
  switch (op) {
    case '=':
      return { term: { [field]: literal.value } };
    case '!=':
      return { bool: { must_not: { term: { [field]: literal.value } } } };
    case '=~':
      return regex();
    case '!~':
      return { bool: { must_not: regex() } };
    case '>':
      return { range: { [field]: { gt: literal.value } } };
    case '>=':
      return { range: { [field]: { gte: literal.value } } };
    case '<':
      return { range: { [field]: { lt: literal.value } } };
    case '<=':
      return { range: { [field]: { lte: literal.value } } };
  }
}

/**
 * What a trace's root span must satisfy for the trace filter to hold (`rootName` and
 * `rootServiceName` read on the root span itself; `traceDuration` does not narrow it), so a
 * search asks only for root spans that can make a trace hold.
 */
export function rootSpanQuery(filter: BoolExpr<TraceIntrinsic> | undefined): Query {
  if (filter === undefined) return { match_all: {} };
  if (filter.type === 'compare') {
    if (filter.field === 'rootName') return compareIn('intrinsic', 'name', filter.op, filter.value);
    if (filter.field === 'rootServiceName') return serviceNameComparison(filter.op, filter.value);
    return { match_all: {} };
  }
  const left = rootSpanQuery(filter.left);
  const right = rootSpanQuery(filter.right);
  return filter.type === 'and' ? { bool: { filter: [left, right] } } : any([left, right]);
}
