/**
 * The order Jaeger sorts tags, process tags and log fields in (its KeyValues sort): by key, then
 * by value type (string, bool, int64, float64, binary), then by value. Keys and strings compare
 * as UTF-8 bytes, as Go compares strings.
 */
import type { JaegerKeyValue, JaegerValueType } from './model.js';

const TYPE_RANK: Readonly<Record<JaegerValueType, number>> = { string: 0, bool: 1, int64: 2, float64: 3, binary: 4 };

// Non-ASCII text: compare UTF-8 bytes (JS `<` compares UTF-16 units, which orders astral characters differently).
const NON_ASCII = /[^ -~\t\n\r]/;

export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  if (NON_ASCII.test(a) || NON_ASCII.test(b)) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  return a < b ? -1 : 1;
}

export function compareKeyValues(a: JaegerKeyValue, b: JaegerKeyValue): number {
  const byKey = compareUtf8(a.key, b.key);
  if (byKey !== 0) return byKey;
  if (a.type !== b.type) return TYPE_RANK[a.type] - TYPE_RANK[b.type];
  switch (a.type) {
    case 'string':
      return compareUtf8(String(a.value), String(b.value));
    case 'bool':
      return Number(a.value) - Number(b.value);
    case 'int64': {
      // Beyond ±(2^53−1) the value is decimal text.
      const x = BigInt(a.value as number | string);
      const y = BigInt(b.value as number | string);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'float64': {
      const x = Number(a.value);
      const y = Number(b.value);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'binary':
      return Buffer.compare(Buffer.from(String(a.value), 'base64'), Buffer.from(String(b.value), 'base64'));
  }
}

export function sortKeyValues(kvs: JaegerKeyValue[]): JaegerKeyValue[] {
  return kvs.sort(compareKeyValues);
}
