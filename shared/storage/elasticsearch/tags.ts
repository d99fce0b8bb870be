/**
 * The `tags` keyword terms: one `key=value` string per attribute, so a Jaeger tag query
 * (all pairs on one span) is one exact `term` per pair on the same document. Values are the
 * strings every store compares (`attributeText`: `true`, `42`, `1.5`, JSON text for
 * arrays and maps), so the memory and Elasticsearch stores answer a tag query alike.
 */
import type { KeyValue, SpanRecord } from '../../model/span.js';
import { attributeText } from '../../model/attribute-text.js';

const NEEDS_ESCAPE = /[\\=]/;

/**
 * `=` and `\` in the KEY are backslash-escaped: otherwise key `a=b` with value `c` and key `a`
 * with value `b=c` would both become `a=b=c` and match each other's queries. Values need no
 * escaping, as the first unescaped `=` ends the key. Keys rarely hold either character, so terms
 * stay readable in Kibana.
 */
export function tagTerm(key: string, value: string): string {
  const escaped = NEEDS_ESCAPE.test(key) ? key.replace(/[\\=]/g, (c) => `\\${c}`) : key;
  return `${escaped}=${value}`;
}

/** Terms of every attribute in the five places a tag query looks (span, resource, scope, events, links), without repeats. */
export function tagTermsOf(span: SpanRecord): string[] {
  const terms = new Set<string>();
  const add = (kvs: readonly KeyValue[]) => {
    for (const kv of kvs) terms.add(tagTerm(kv.key, attributeText(kv.value)));
  };
  add(span.attributes);
  add(span.resource.attributes);
  add(span.scope.attributes);
  for (const e of span.events) add(e.attributes);
  for (const l of span.links) add(l.attributes);
  return [...terms];
}
