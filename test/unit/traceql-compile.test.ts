import { describe, expect, it } from 'vitest';
import { TraceqlError, compileSpanFilter, compileTraceql } from '../../shared/traceql/compile.js';
import type { SpanFilter, Spanset, TraceqlQuery } from '../../shared/traceql/model.js';

const spanset = (s: Spanset): TraceqlQuery => ({ expr: { type: 'spanset', spanset: s } });
const attr = (scope: 'span' | 'resource' | 'event' | 'link' | 'instrumentation' | 'unscoped', key: string) => ({ kind: 'attribute', scope, key }) as const;

function refusal(query: string): string {
  try {
    compileTraceql(query);
  } catch (err) {
    expect(err).toBeInstanceOf(TraceqlError);
    return (err as Error).message;
  }
  throw new Error(`${query} compiled`);
}

describe('TraceQL compile: what Grafana writes becomes the query model', () => {
  it('reads an empty spanset as "every span"', () => {
    expect(compileTraceql('{}')).toEqual(spanset({}));
    expect(compileTraceql('  { }  ')).toEqual(spanset({}));
  });

  it('reads the search builder default rows: scoped attributes, intrinsics, durations, enums', () => {
    expect(compileTraceql('{resource.service.name="cart" && name="GET /" && status=error && duration>100ms && duration<=1.5s}')).toEqual(
      spanset({
        span: {
          type: 'and',
          left: {
            type: 'and',
            left: {
              type: 'and',
              left: {
                type: 'and',
                left: { type: 'compare', field: attr('resource', 'service.name'), op: '=', value: { type: 'string', value: 'cart' } },
                right: { type: 'compare', field: { kind: 'intrinsic', name: 'name' }, op: '=', value: { type: 'string', value: 'GET /' } },
              },
              right: { type: 'compare', field: { kind: 'intrinsic', name: 'status' }, op: '=', value: { type: 'status', value: 'error' } },
            },
            right: { type: 'compare', field: { kind: 'intrinsic', name: 'duration' }, op: '>', value: { type: 'number', value: 100_000_000 } },
          },
          right: { type: 'compare', field: { kind: 'intrinsic', name: 'duration' }, op: '<=', value: { type: 'number', value: 1_500_000_000 } },
        },
      }),
    );
  });

  it('reads every scope, the span: and event: forms, literals of each type and nil', () => {
    const leaf = (q: string) => (compileTraceql(`{ ${q} }`).expr as { spanset: Spanset }).spanset.span;
    expect(leaf('span.n >= -5')).toEqual({ type: 'compare', field: attr('span', 'n'), op: '>=', value: { type: 'number', value: -5 } });
    expect(leaf('.x != 1.25')).toEqual({ type: 'compare', field: attr('unscoped', 'x'), op: '!=', value: { type: 'number', value: 1.25 } });
    expect(leaf('event.e = true')).toEqual({ type: 'compare', field: attr('event', 'e'), op: '=', value: { type: 'bool', value: true } });
    expect(leaf('link.l = nil')).toEqual({ type: 'compare', field: attr('link', 'l'), op: '=', value: { type: 'nil' } });
    expect(leaf('instrumentation.i =~ "a.*"')).toEqual({ type: 'compare', field: attr('instrumentation', 'i'), op: '=~', value: { type: 'string', value: 'a.*' } });
    expect(leaf('span:kind != server')).toEqual({ type: 'compare', field: { kind: 'intrinsic', name: 'kind' }, op: '!=', value: { type: 'kind', value: 'server' } });
    expect(leaf('event:name !~ "ex.*"')).toEqual({ type: 'compare', field: { kind: 'intrinsic', name: 'eventName' }, op: '!~', value: { type: 'string', value: 'ex.*' } });
    expect(leaf('span:statusMessage = "a\\"b\\\\c"')).toEqual({
      type: 'compare', field: { kind: 'intrinsic', name: 'statusMessage' }, op: '=', value: { type: 'string', value: 'a"b\\c' },
    });
    expect(leaf('span."with space" = `raw\\s`')).toEqual({ type: 'compare', field: attr('span', 'with space'), op: '=', value: { type: 'string', value: 'raw\\s' } });
    // A value written first is read as the field's comparison, mirrored.
    expect(leaf('500 < span.code')).toEqual({ type: 'compare', field: attr('span', 'code'), op: '>', value: { type: 'number', value: 500 } });
  });

  it('ignores comments', () => {
    expect(compileTraceql('{ /* who */ resource.service.name = "a" } // the cart')).toEqual(compileTraceql('{ resource.service.name = "a" }'));
  });

  it('keeps parentheses and || inside a spanset', () => {
    const eq = (key: string, v: string): SpanFilter => ({ type: 'compare', field: attr('span', key), op: '=', value: { type: 'string', value: v } });
    expect(compileTraceql('{ (span.a="1" || span.a="2") && span.b="3" }')).toEqual(
      spanset({ span: { type: 'and', left: { type: 'or', left: eq('a', '1'), right: eq('a', '2') }, right: eq('b', '3') } }),
    );
  });

  it('moves trace-level intrinsics joined with && into the spanset trace condition, in each spelling', () => {
    expect(compileTraceql('{ trace:rootService = "a" && span.x = 1 && traceDuration > 1s && rootName =~ "GET.*" }')).toEqual(
      spanset({
        trace: {
          type: 'and',
          left: {
            type: 'and',
            left: { type: 'compare', field: 'rootServiceName', op: '=', value: { type: 'string', value: 'a' } },
            right: { type: 'compare', field: 'traceDuration', op: '>', value: { type: 'number', value: 1e9 } },
          },
          right: { type: 'compare', field: 'rootName', op: '=~', value: { type: 'string', value: 'GET.*' } },
        },
        span: { type: 'compare', field: attr('span', 'x'), op: '=', value: { type: 'number', value: 1 } },
      }),
    );
    expect(compileTraceql('{ trace:duration < 2m }')).toEqual(
      spanset({ trace: { type: 'compare', field: 'traceDuration', op: '<', value: { type: 'number', value: 120e9 } } }),
    );
  });

  it('joins spansets with && and || across one trace', () => {
    const q = compileTraceql('({ span.a = 1 } && { span.b = 2 }) || {}');
    expect(q.expr.type).toBe('or');
    expect(q.expr).toMatchObject({ left: { type: 'and', left: { type: 'spanset' }, right: { type: 'spanset' } }, right: { type: 'spanset', spanset: {} } });
  });

  it.each([
    ['{ .a = 1 } | count() > 1', 'pipelines (`|`)'],
    ['{ .a = 1 } | select(span.b)', 'pipelines (`|`)'],
    ['{ .a = 1 } | rate()', 'metrics functions ("rate()")'],
    ['{ .a = 1 } >> { .b = 2 }', 'structural operator `>>`'],
    ['{ .a = 1 } > { .b = 2 }', 'structural operator `>`'],
    ['{ .a = 1 } ~ { .b = 2 }', 'structural operator `~`'],
    ['{ .a = 1 } !< { .b = 2 }', 'structural operator `!<`'],
    ['{ .a = 1 + 2 }', 'arithmetic operator `+`'],
    ['{ !(.a = 1) }', 'negation `!`'],
    ['{ span.a = span.b }', 'comparing two fields'],
    ['{ span.a }', 'needs conditions'],
    ['{ span:id = "x" }', 'intrinsic `span:id`'],
    ['{ parent.a = 1 }', 'parent'],
    ['{ rootName = "x" || span.a = 1 }', 'joined with ||'],
    ['{ status > error }', 'compared with = or != only'],
    ['{ status = server }', 'status takes error, ok, unset'],
    ['{ duration > "1s" }', 'takes a duration'],
    ['{ name =~ 5 }', 'needs a string'],
    ['{ name =~ "(" }', 'bad regular expression'],
    ['{ .a > nil }', 'nil is only compared'],
    ['{ .a = error }', 'status value'],
    ['{ .a = "x" ', 'syntax error'],
    ['', 'empty query'],
  ])('refuses %s, naming the construct', (query, construct) => {
    expect(refusal(query)).toContain(construct);
  });

  it('takes one spanset as a tag-values filter', () => {
    expect(compileSpanFilter('{ span.a = "x" }')).toEqual({ type: 'compare', field: attr('span', 'a'), op: '=', value: { type: 'string', value: 'x' } });
    expect(compileSpanFilter('{}')).toBeUndefined();
    expect(() => compileSpanFilter('{ .a = 1 } && { .b = 1 }')).toThrow(TraceqlError);
  });
});
