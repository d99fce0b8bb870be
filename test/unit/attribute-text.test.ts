import { describe, expect, it } from 'vitest';
import { attributeJsonText, attributeText } from '../../shared/model/attribute-text.js';
import type { AnyValue } from '../../shared/model/span.js';
import { findAttribute } from '../../shared/metrics/spanmetrics/dimensions.js';
import { keyValuesFromJson, keyValuesToJson } from '../../shared/otlp/common/common-json.js';
import { tagTermsOf } from '../../shared/storage/elasticsearch/tags.js';
import { spanHasTag } from '../../shared/storage/span-match.js';
import { span } from '../fixtures/spans.js';

const big = 2n ** 62n + 1n;
const nested: AnyValue = {
  type: 'kvlist',
  value: [
    { key: 'z', value: { type: 'int', value: big } },
    { key: 'a', value: { type: 'array', value: [{ type: 'string', value: 'x' }, { type: 'bool', value: true }] } },
  ],
};

describe('attribute values as text (one rule for every part)', () => {
  it('reads scalars as their literal and bytes as base64', () => {
    expect(attributeText({ type: 'string', value: 'GET' })).toBe('GET');
    expect(attributeText({ type: 'bool', value: false })).toBe('false');
    expect(attributeText({ type: 'int', value: big })).toBe('4611686018427387905');
    expect(attributeText({ type: 'double', value: 0.25 })).toBe('0.25');
    expect(attributeText({ type: 'bytes', value: new Uint8Array([1, 2, 255]) })).toBe('AQL/');
    expect(attributeText({ type: 'empty' })).toBe('');
  });

  it('prints maps with sorted keys and ints beyond 2^53 with every digit', () => {
    expect(attributeText(nested)).toBe('{"a":["x",true],"z":4611686018427387905}');
    expect(attributeJsonText({ type: 'double', value: Infinity })).toBe('"Infinity"');
    expect(attributeJsonText({ type: 'empty' })).toBe('null');
  });

  it('is what tag search, Elasticsearch tag terms and span-metric dimensions all see', () => {
    const s = span({ attrs: { 'http.status_code': 503 } });
    const withMap = { ...s, attributes: [...s.attributes, { key: 'm', value: nested }] };
    const text = attributeText(nested);
    expect(spanHasTag(withMap, 'm', text)).toBe(true);
    expect(tagTermsOf(withMap)).toContain(`m=${text}`);
    expect(findAttribute(withMap, 'm')).toBe(text);
    expect(spanHasTag(withMap, 'http.status_code', '503')).toBe(true);
  });

  it('round-trips through OTLP/JSON exactly (the Elasticsearch document form)', () => {
    const kvs = [
      { key: 'm', value: nested },
      { key: 'neg0', value: { type: 'double', value: -0 } as AnyValue },
      { key: 'nan', value: { type: 'double', value: NaN } as AnyValue },
      { key: 'b', value: { type: 'bytes', value: new Uint8Array([0, 1]) } as AnyValue },
      { key: 'e', value: { type: 'empty' } as AnyValue },
    ];
    const back = keyValuesFromJson(JSON.parse(JSON.stringify(keyValuesToJson(kvs))) as unknown[]);
    expect(back.map((kv) => kv.key)).toEqual(kvs.map((kv) => kv.key));
    expect(attributeText(back[0]!.value)).toBe(attributeText(nested));
    expect(Object.is((back[1]!.value as { value: number }).value, -0)).toBe(true);
    expect(Number.isNaN((back[2]!.value as { value: number }).value)).toBe(true);
    expect(back[3]!.value).toEqual({ type: 'bytes', value: new Uint8Array([0, 1]) });
    expect(back[4]!.value).toEqual({ type: 'empty' });
  });
});
