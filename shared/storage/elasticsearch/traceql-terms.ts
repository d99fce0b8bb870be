/**
 * The indexed form TraceQL searches run on: `traceqlTerms`, one keyword per attribute (and per
 * span-level intrinsic) of a span, `<scope>.<key>=<type>:<value>`, e.g.
 * `resource.service.name=s:cart`, `span.http.status_code=i:c07f400000000000`,
 * `intrinsic.status=s:error`; and `traceqlKeys`, one `<scope>.<key>` per attribute (the tag list).
 *
 * One keyword field answers every comparison of the subset with plain term-dictionary queries:
 * equality is a `term`, presence a `prefix` on `<scope>.<key>=`, a regex a `regexp` whose literal
 * prefix pins scope and key (Lucene regexes are anchored, like TraceQL's), and an order comparison
 * a `range` inside the `<scope>.<key>=<type>:` block. Numbers (`i:` int, `f:` double; ns for
 * durations) are written as 16 hex digits that sort like the numbers they encode, so a keyword
 * range is a numeric range. Types stay apart (`"500"` never equals `500`), as in Tempo.
 * Keys are escaped like `tags` (tags.ts) so `=` in a key cannot fake another key's term.
 */
import type { AnyValue, KeyValue, SpanRecord } from '../../model/span.js';
import { KIND_NAMES, STATUS_NAMES, spanDurationNanos } from '../../traceql/evaluate.js';
import type { TypedTagValue } from '../../traceql/model.js';
import { TAG_TERM_MAX_CHARS } from './templates.js';

export type TermScope = 'span' | 'resource' | 'event' | 'link' | 'instrumentation' | 'intrinsic';
export type TermType = 's' | 'i' | 'f' | 'b';

function escapeKey(key: string): string {
  return /[\\=]/.test(key) ? key.replace(/[\\=]/g, (c) => `\\${c}`) : key;
}

/** `<scope>.<key>=`: every term of that attribute starts so. */
export function keyPrefix(scope: TermScope, key: string): string {
  return `${scope}.${escapeKey(key)}=`;
}

/** `<scope>.<key>=<type>:`: every term of that attribute with that type starts so. */
export function typedPrefix(scope: TermScope, key: string, type: TermType): string {
  return `${keyPrefix(scope, key)}${type}:`;
}

/** The first string after every term of a typed block (':' + 1 = ';'), for exclusive range ends. */
export function typedBlockEnd(scope: TermScope, key: string, type: TermType): string {
  return `${keyPrefix(scope, key)}${type};`;
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * A double as 16 hex digits ordered like the numbers: IEEE-754 bits with the sign bit flipped for
 * positives and all bits flipped for negatives. -0 is written as 0 so they compare equal.
 */
export function sortableNumber(value: number): string {
  scratch.setFloat64(0, value === 0 ? 0 : value);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const negative = (hi & 0x80000000) !== 0;
  const h = negative ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
  const l = negative ? ~lo >>> 0 : lo;
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
}

export function numberFromSortable(hex: string): number {
  let hi = parseInt(hex.slice(0, 8), 16) >>> 0;
  let lo = parseInt(hex.slice(8, 16), 16) >>> 0;
  if ((hi & 0x80000000) !== 0) hi = (hi & 0x7fffffff) >>> 0;
  else {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  }
  scratch.setUint32(0, hi);
  scratch.setUint32(4, lo);
  return scratch.getFloat64(0);
}

/** The typed value part of a term (`s:text`, `i:<hex>`…), or undefined for values no literal compares with. */
export function valueTerm(value: AnyValue): string | undefined {
  switch (value.type) {
    case 'string':
      return `s:${value.value}`;
    case 'int':
      return `i:${sortableNumber(Number(value.value))}`;
    case 'double':
      return Number.isNaN(value.value) ? undefined : `f:${sortableNumber(value.value)}`;
    case 'bool':
      return `b:${value.value}`;
    default:
      return undefined;
  }
}

/** The typed value a term's value part stands for (tag-values API). Status and kind are keywords. */
export function typedValueOfTerm(scope: TermScope, key: string, valuePart: string): TypedTagValue | undefined {
  const type = valuePart.slice(0, 2);
  const text = valuePart.slice(2);
  if (type === 's:') {
    const keyword = scope === 'intrinsic' && (key === 'status' || key === 'kind');
    return { type: keyword ? 'keyword' : 'string', value: text };
  }
  if (type === 'i:') return { type: 'int', value: String(numberFromSortable(text)) };
  if (type === 'f:') return { type: 'float', value: String(numberFromSortable(text)) };
  if (type === 'b:') return { type: 'bool', value: text };
  return undefined;
}

/** Every term and key of a span (without repeats); terms longer than the index takes are left out. */
export function traceqlFieldsOf(span: SpanRecord): { terms: string[]; keys: string[] } {
  const terms = new Set<string>();
  const keys = new Set<string>();
  const add = (scope: TermScope, kvs: readonly KeyValue[]) => {
    for (const kv of kvs) {
      const prefix = keyPrefix(scope, kv.key);
      keys.add(`${scope}.${kv.key}`);
      // Present even when the type has no literal: `!= nil` still finds it.
      const typed = valueTerm(kv.value);
      terms.add(typed === undefined ? `${prefix}x:` : prefix + typed);
    }
  };
  add('span', span.attributes);
  add('resource', span.resource.attributes);
  add('instrumentation', span.scope.attributes);
  for (const e of span.events) add('event', e.attributes);
  for (const l of span.links) add('link', l.attributes);
  terms.add(`${typedPrefix('intrinsic', 'name', 's')}${span.name}`);
  terms.add(`${typedPrefix('intrinsic', 'status', 's')}${STATUS_NAMES[span.status.code] ?? 'unset'}`);
  terms.add(`${typedPrefix('intrinsic', 'kind', 's')}${KIND_NAMES[span.kind] ?? 'unspecified'}`);
  terms.add(`${typedPrefix('intrinsic', 'duration', 'i')}${sortableNumber(spanDurationNanos(span))}`);
  if (span.status.message !== '') terms.add(`${typedPrefix('intrinsic', 'statusMessage', 's')}${span.status.message}`);
  for (const e of span.events) terms.add(`${typedPrefix('intrinsic', 'eventName', 's')}${e.name}`);
  return { terms: [...terms].filter((t) => t.length <= TAG_TERM_MAX_CHARS), keys: [...keys] };
}
