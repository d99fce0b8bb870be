/**
 * TraceQL text → {@link TraceqlQuery}. The text is parsed with `@grafana/lezer-traceql`, the
 * grammar Grafana's own query editor uses, so whatever Grafana writes parses the same here; this
 * module only walks the tree. The tree covers all of TraceQL; whatever falls outside meshtel's
 * subset (pipelines, structural operators, aggregates, metrics functions, arithmetic, negation…)
 * is refused with a {@link TraceqlError} naming the construct, which the API answers with 400.
 */
import { parser } from '@grafana/lezer-traceql';
import { parseDurationNanos } from '../model/go-duration.js';
import { compileRegex } from './regex.js';
import type {
  AttributeScope,
  BoolExpr,
  Comparison,
  ComparisonOp,
  Literal,
  SpanField,
  SpanFilter,
  SpanIntrinsic,
  Spanset,
  SpansetExpr,
  TraceFilter,
  TraceIntrinsic,
  TraceqlQuery,
} from './model.js';

/** A query meshtel cannot run: a syntax error or a construct outside the supported subset. */
export class TraceqlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceqlError';
  }
}

const SPAN_INTRINSICS: Readonly<Record<string, SpanIntrinsic>> = {
  name: 'name',
  'span:name': 'name',
  status: 'status',
  'span:status': 'status',
  kind: 'kind',
  'span:kind': 'kind',
  duration: 'duration',
  'span:duration': 'duration',
  statusMessage: 'statusMessage',
  'span:statusMessage': 'statusMessage',
  'event:name': 'eventName',
};

const TRACE_INTRINSICS: Readonly<Record<string, TraceIntrinsic>> = {
  traceDuration: 'traceDuration',
  'trace:duration': 'traceDuration',
  rootName: 'rootName',
  'trace:rootName': 'rootName',
  rootServiceName: 'rootServiceName',
  'trace:rootService': 'rootServiceName',
  'trace:rootServiceName': 'rootServiceName',
};

const SCOPES: Readonly<Record<string, AttributeScope>> = {
  Span: 'span',
  Resource: 'resource',
  Event: 'event',
  Link: 'link',
  Instrumentation: 'instrumentation',
};

/** The grammar's tree node type (from @lezer/common, reached through the parser's own types). */
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

type StatusValue = (Literal & { type: 'status' })['value'];
type KindValue = (Literal & { type: 'kind' })['value'];

const STATUS_VALUES = ['error', 'ok', 'unset'] as const;
const KIND_VALUES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const COMPARISON_OPS: readonly string[] = ['=', '!=', '>', '>=', '<', '<='] satisfies ComparisonOp[];
const REGEX_OPS: readonly string[] = ['=~', '!~'] satisfies ComparisonOp[];

/** Names of the grammar's nodes for constructs outside the subset, as the error message says them. */
const UNSUPPORTED_NODES: Readonly<Record<string, string>> = {
  ScalarFilter: 'aggregate filters (count(), avg(), … compared to a value)',
  Aggregate: 'aggregates (count(), avg(), …)',
  GroupOperation: 'by()',
  SelectOperation: 'select()',
  CoalesceOperation: 'coalesce()',
  MetricsOperation: 'metrics functions (rate(), count_over_time(), …)',
  MetricsExpression: 'metrics functions (rate(), count_over_time(), …)',
  MetricsAggregatorFunctions: 'metrics functions (topk(), bottomk(), …)',
  WithHint: 'query hints (with(…))',
  WrappedSpansetPipeline: 'a parenthesized pipeline',
  TemplateVariable: 'template variables',
  Parent: 'the parent. scope',
};

type AnyField = SpanField | { readonly kind: 'trace'; readonly name: TraceIntrinsic };

type Operand =
  | { readonly kind: 'field'; readonly field: AnyField }
  | { readonly kind: 'literal'; readonly literal: Literal }
  | { readonly kind: 'bool'; readonly expr: BoolExpr<AnyField> };

function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  // Comments may sit anywhere in the tree; they mean nothing to the query.
  for (let c = node.firstChild; c !== null; c = c.nextSibling) if (c.name !== 'LineComment' && c.name !== 'BlockComment') out.push(c);
  return out;
}

class Compiler {
  constructor(private readonly text: string) {}

  private textOf(node: { from: number; to: number }): string {
    return this.text.slice(node.from, node.to);
  }

  compile(): TraceqlQuery {
    const tree = parser.parse(this.text);
    let syntaxError: SyntaxNode | undefined;
    tree.iterate({
      enter: (n) => {
        if (n.type.isError && syntaxError === undefined) syntaxError = n.node;
      },
    });
    if (syntaxError !== undefined) {
      const at = syntaxError.from;
      const near = this.text.slice(at, at + 20);
      throw new TraceqlError(`syntax error at position ${at + 1}${near === '' ? ' (unexpected end of query)' : ` near ${JSON.stringify(near)}`}`);
    }
    const top = tree.topNode.firstChild;
    if (top === null) throw new TraceqlError('empty query: write a spanset such as {} or { resource.service.name = "x" }');
    return { expr: this.spansetExpr(top) };
  }

  private unsupported(node: SyntaxNode): never {
    const what = UNSUPPORTED_NODES[node.name] ?? node.name;
    throw new TraceqlError(`unsupported TraceQL: ${what} (in ${JSON.stringify(this.textOf(node))})`);
  }

  private spansetExpr(node: SyntaxNode): SpansetExpr {
    if (node.name === 'SpansetPipeline') return this.pipeline(node);
    if (node.name === 'WrappedSpansetPipeline') this.unsupported(node);
    if (node.name !== 'SpansetPipelineExpression') this.unsupported(node);
    const kids = childrenOf(node);
    if (kids.length === 1) return this.spansetExpr(kids[0]); // parentheses or a lone pipeline
    if (kids.length === 3 && (kids[1].name === 'And' || kids[1].name === 'Or')) {
      return { type: kids[1].name === 'And' ? 'and' : 'or', left: this.spansetExpr(kids[0]), right: this.spansetExpr(kids[2]) };
    }
    if (kids.length >= 2) {
      // The operator is a named node (Pipe, Desc, Gt, …) or, for `~`, an unnamed token between them.
      const op = kids.length === 3 ? this.textOf(kids[1]) : this.text.slice(kids[0].to, kids[1].from).trim();
      if (op === '|') {
        const metrics = kids[2].getChild('SpansetPipeline')?.getChild('MetricsOperation') ?? kids[2].getChild('SpansetPipeline')?.getChild('MetricsExpression');
        if (metrics) throw new TraceqlError(`unsupported TraceQL: metrics functions (${JSON.stringify(this.textOf(metrics))}); TraceQL metrics are not served`);
        throw new TraceqlError('unsupported TraceQL: pipelines (`|`); only spanset filters { … } joined with && or || are supported');
      }
      throw new TraceqlError(`unsupported TraceQL: structural operator \`${op}\`; only spanset filters { … } joined with && or || are supported`);
    }
    this.unsupported(node);
  }

  private pipeline(node: SyntaxNode): SpansetExpr {
    const kids = childrenOf(node);
    if (kids.length !== 1 || kids[0].name !== 'SpansetFilter') {
      this.unsupported(kids.find((k) => k.name !== 'SpansetFilter') ?? node);
    }
    return { type: 'spanset', spanset: this.spanset(kids[0]) };
  }

  private spanset(node: SyntaxNode): Spanset {
    const kids = childrenOf(node);
    if (kids.length === 0) return {};
    if (kids.length !== 1 || kids[0].name !== 'FieldExpression') this.unsupported(kids[0]);
    const operand = this.operand(kids[0]);
    if (operand.kind !== 'bool') {
      throw new TraceqlError(`unsupported TraceQL: a spanset needs conditions such as \`field = value\`, got ${JSON.stringify(this.textOf(kids[0]))}`);
    }
    return splitTraceConditions(operand.expr);
  }

  private operand(node: SyntaxNode): Operand {
    const kids = childrenOf(node);
    const text = this.textOf(node);
    if (kids.length === 1) {
      const only = kids[0];
      if (only.name === 'FieldExpression') {
        if (text.startsWith('(')) return this.operand(only);
        if (text.startsWith('-')) {
          const inner = this.operand(only);
          if (inner.kind === 'literal' && inner.literal.type === 'number') return { kind: 'literal', literal: { type: 'number', value: -inner.literal.value } };
          throw new TraceqlError(`unsupported TraceQL: unary minus outside a number literal (in ${JSON.stringify(text)})`);
        }
        if (text.startsWith('!')) throw new TraceqlError(`unsupported TraceQL: negation \`!\` (in ${JSON.stringify(text)}); use != or !~`);
        this.unsupported(node);
      }
      if (only.name === 'AttributeField') return { kind: 'field', field: this.attribute(only) };
      if (only.name === 'IntrinsicField') return { kind: 'field', field: this.intrinsic(only) };
      if (only.name === 'Static') return { kind: 'literal', literal: this.literal(only) };
      this.unsupported(only);
    }
    if (kids.length === 3 && (kids[1].name === 'And' || kids[1].name === 'Or')) {
      const left = this.condition(kids[0]);
      const right = this.condition(kids[2]);
      return { kind: 'bool', expr: { type: kids[1].name === 'And' ? 'and' : 'or', left, right } };
    }
    if (kids.length === 3 && kids[1].name === 'FieldOp') return { kind: 'bool', expr: this.comparison(kids[0], this.textOf(kids[1]), kids[2], text) };
    this.unsupported(node);
  }

  private condition(node: SyntaxNode): BoolExpr<AnyField> {
    const operand = this.operand(node);
    if (operand.kind !== 'bool') {
      throw new TraceqlError(`unsupported TraceQL: ${JSON.stringify(this.textOf(node))} is not a condition; compare it with a value (e.g. != nil)`);
    }
    return operand.expr;
  }

  private comparison(leftNode: SyntaxNode, opText: string, rightNode: SyntaxNode, text: string): Comparison<AnyField> {
    if (!COMPARISON_OPS.includes(opText) && !REGEX_OPS.includes(opText)) {
      throw new TraceqlError(`unsupported TraceQL: arithmetic operator \`${opText}\` (in ${JSON.stringify(text)})`);
    }
    let op = opText as ComparisonOp;
    let left = this.operand(leftNode);
    let right = this.operand(rightNode);
    if (left.kind === 'literal' && right.kind === 'field') {
      // `"x" = span.a` reads as `span.a = "x"`, with the order comparison mirrored.
      [left, right] = [right, left];
      op = ({ '>': '<', '<': '>', '>=': '<=', '<=': '>=' } as Record<string, ComparisonOp>)[op] ?? op;
    }
    if (left.kind !== 'field' || right.kind !== 'literal') {
      if (left.kind === 'field' && right.kind === 'field') {
        throw new TraceqlError(`unsupported TraceQL: comparing two fields (in ${JSON.stringify(text)}); compare a field with a value`);
      }
      throw new TraceqlError(`unsupported TraceQL: ${JSON.stringify(text)}; a comparison is \`field op value\``);
    }
    checkTypes(left.field, op, right.literal, text);
    return { type: 'compare', field: left.field, op, value: right.literal };
  }

  private attribute(node: SyntaxNode): AnyField {
    const kids = childrenOf(node);
    const ident = kids.find((k) => k.name === 'Identifier');
    const scopeNode = kids.find((k) => k.name !== 'Identifier');
    if (ident === undefined) this.unsupported(node);
    let scope: AttributeScope = 'unscoped';
    if (scopeNode !== undefined) {
      const s = SCOPES[scopeNode.name];
      if (s === undefined) this.unsupported(scopeNode);
      scope = s;
    }
    return { kind: 'attribute', scope, key: unquoteIdentifier(this.textOf(ident)) };
  }

  private intrinsic(node: SyntaxNode): AnyField {
    const name = this.textOf(node);
    const span = SPAN_INTRINSICS[name];
    if (span !== undefined) return { kind: 'intrinsic', name: span };
    const trace = TRACE_INTRINSICS[name];
    if (trace !== undefined) return { kind: 'trace', name: trace };
    throw new TraceqlError(
      `unsupported TraceQL: intrinsic \`${name}\`; supported: ${[...Object.keys(SPAN_INTRINSICS), ...Object.keys(TRACE_INTRINSICS)].join(', ')}`,
    );
  }

  private literal(node: SyntaxNode): Literal {
    const text = this.textOf(node);
    const typed = node.firstChild;
    if (typed !== null) {
      switch (typed.name) {
        case 'String':
          return { type: 'string', value: unquoteString(text) };
        case 'Integer':
        case 'Float': {
          const value = Number(text);
          if (!Number.isFinite(value)) throw new TraceqlError(`invalid number ${JSON.stringify(text)}`);
          return { type: 'number', value };
        }
        case 'Duration':
          try {
            return { type: 'number', value: parseDurationNanos(text) };
          } catch (err) {
            throw new TraceqlError(`invalid duration ${JSON.stringify(text)}: ${(err as Error).message}`);
          }
        default:
          this.unsupported(typed);
      }
    }
    if (text === 'true' || text === 'false') return { type: 'bool', value: text === 'true' };
    if (text === 'nil') return { type: 'nil' };
    if ((STATUS_VALUES as readonly string[]).includes(text)) return { type: 'status', value: text as StatusValue };
    if ((KIND_VALUES as readonly string[]).includes(text)) return { type: 'kind', value: text as KindValue };
    throw new TraceqlError(`unsupported TraceQL: value ${JSON.stringify(text)}`);
  }
}

function fieldText(field: AnyField): string {
  if (field.kind === 'attribute') return field.scope === 'unscoped' ? `.${field.key}` : `${field.scope}.${field.key}`;
  return field.name;
}

/** The operand types and operators each field accepts (Tempo's rules for this subset). */
function checkTypes(field: AnyField, op: ComparisonOp, value: Literal, text: string): void {
  const refuse = (why: string): never => {
    throw new TraceqlError(`invalid comparison ${JSON.stringify(text)}: ${why}`);
  };
  const regex = op === '=~' || op === '!~';
  const equality = op === '=' || op === '!=';
  if (regex) {
    if (value.type !== 'string') refuse(`${op} needs a string (regular expression)`);
    else {
      try {
        compileRegex(value.value);
      } catch (err) {
        refuse(`bad regular expression: ${(err as Error).message}`);
      }
    }
  }
  if (value.type === 'nil' && (!equality || field.kind !== 'attribute')) refuse('nil is only compared with = or != to an attribute');
  if (value.type === 'bool' && !equality) refuse(`booleans are compared with = or != only`);
  if (field.kind === 'attribute') {
    if (value.type === 'status' || value.type === 'kind') refuse(`${value.value} is a ${value.type} value, compared with ${value.type} only`);
    return;
  }
  const name = field.name;
  if (name === 'status' || name === 'kind') {
    if (!equality) refuse(`${fieldText(field)} is compared with = or != only`);
    if (value.type !== name) refuse(`${fieldText(field)} takes ${name === 'status' ? STATUS_VALUES.join(', ') : KIND_VALUES.join(', ')}`);
    return;
  }
  if (name === 'duration' || name === 'traceDuration') {
    if (value.type !== 'number') refuse(`${fieldText(field)} takes a duration such as 100ms`);
    return;
  }
  if (value.type !== 'string') refuse(`${fieldText(field)} takes a string`);
}

function unquoteIdentifier(text: string): string {
  return text.startsWith('"') ? unquoteString(text) : text;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', "'": "'", '`': '`' };

/**
 * `"…"` with Go's escapes (a regex's backslash is written doubled: `"\\d+"` means `\d+`), or a
 * `` `raw` `` string. The grammar already refused any other escape; should one get through, it is
 * kept as written.
 */
function unquoteString(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1);
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const next = body[++i];
    if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else {
      out += ESCAPES[next] ?? `\\${next}`;
    }
  }
  return out;
}

function toTraceFilter(expr: BoolExpr<AnyField>): TraceFilter {
  if (expr.type !== 'compare') return { type: expr.type, left: toTraceFilter(expr.left), right: toTraceFilter(expr.right) };
  if (expr.field.kind !== 'trace') throw new Error('not a trace-level condition');
  return { type: 'compare', field: expr.field.name, op: expr.op, value: expr.value };
}

function isTrace(expr: BoolExpr<AnyField>): 'trace' | 'span' | 'mixed' {
  if (expr.type === 'compare') return expr.field.kind === 'trace' ? 'trace' : 'span';
  const l = isTrace(expr.left);
  const r = isTrace(expr.right);
  return l === r ? l : 'mixed';
}

/**
 * Splits the top-level `&&` conjuncts of a spanset's condition into trace-level and span-level
 * parts. Trace-level conditions under `||` with span-level ones would need a per-trace decision
 * for each span, which the Elasticsearch translation cannot express in one request: refused.
 */
function splitTraceConditions(expr: BoolExpr<AnyField>): Spanset {
  const kind = isTrace(expr);
  if (kind === 'trace') return { trace: toTraceFilter(expr) };
  if (kind === 'span') return { span: expr as SpanFilter };
  if (expr.type !== 'and') {
    throw new TraceqlError(
      'unsupported TraceQL: trace-level intrinsics (traceDuration, rootName, rootServiceName) joined with || to span conditions; join them with &&',
    );
  }
  const l = splitTraceConditions(expr.left);
  const r = splitTraceConditions(expr.right);
  const and = <F>(a: BoolExpr<F> | undefined, b: BoolExpr<F> | undefined): BoolExpr<F> | undefined =>
    a === undefined ? b : b === undefined ? a : { type: 'and', left: a, right: b };
  const trace = and(l.trace, r.trace);
  const span = and(l.span, r.span);
  return { ...(trace !== undefined && { trace }), ...(span !== undefined && { span }) };
}

/** Parses and compiles a TraceQL query; throws {@link TraceqlError} for anything outside the subset. */
export function compileTraceql(text: string): TraceqlQuery {
  if (text.trim() === '') throw new TraceqlError('empty query: write a spanset such as {} or { resource.service.name = "x" }');
  return new Compiler(text).compile();
}

/**
 * The span-level condition of a single-spanset query (the tag-values `q` filter): Tempo allows
 * only one `{ … }` there. Trace-level conditions are ignored, as they do not narrow a span.
 */
export function compileSpanFilter(text: string): SpanFilter | undefined {
  const query = compileTraceql(text);
  if (query.expr.type !== 'spanset') throw new TraceqlError('the q filter takes one spanset { … }');
  return query.expr.spanset.span;
}
