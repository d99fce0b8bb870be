/**
 * How an attribute value reads as text — the one rule every part uses: tag search (Jaeger and
 * Grafana send every tag value as a string, so `true`, `42` and `1.5` must match bool, int and
 * double values), the Jaeger trace model, access-log fields (kept as strings so every store
 * indexes them alike), span-metric dimensions and the Elasticsearch tag terms. Two copies of
 * this rule are how two APIs come to disagree about the same span.
 */
import type { AnyValue } from './span.js';

/**
 * A value as text: strings as they are; numbers and booleans as their literal (ints exact, also
 * beyond 2^53); bytes as base64 (how the Jaeger UI shows binary tags, so users can search for
 * what they see); arrays and maps as JSON text ({@link attributeJsonText}); an empty value as ''.
 */
export function attributeText(value: AnyValue): string {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value.toString();
    case 'double':
      return String(value.value);
    case 'bytes':
      return base64Of(value.value);
    case 'array':
    case 'kvlist':
      return attributeJsonText(value);
    case 'empty':
      return '';
  }
}

/**
 * JSON text of a value, the way the Jaeger model shows array and map attributes (pdata's
 * `AsString`): ints as exact digits even beyond 2^53, bytes as base64, non-finite doubles as
 * quoted text, map keys sorted as Go's encoder prints them (a repeated key keeps its last value,
 * as in a Go map). Written by hand because JSON.stringify cannot print a bigint as a bare number.
 */
export function attributeJsonText(value: AnyValue): string {
  switch (value.type) {
    case 'string':
      return JSON.stringify(value.value);
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value.toString();
    case 'double':
      // JSON has no NaN/Infinity: their text, quoted.
      return Number.isFinite(value.value) ? JSON.stringify(value.value) : JSON.stringify(String(value.value));
    case 'bytes':
      return JSON.stringify(base64Of(value.value));
    case 'array':
      return `[${value.value.map(attributeJsonText).join(',')}]`;
    case 'kvlist': {
      const byKey = new Map<string, AnyValue>();
      for (const kv of value.value) byKey.set(kv.key, kv.value);
      const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((k) => `${JSON.stringify(k)}:${attributeJsonText(byKey.get(k) as AnyValue)}`).join(',')}}`;
    }
    case 'empty':
      return 'null';
  }
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
