/**
 * OTLP/JSON reading shared by every signal: field access under both spellings, proto3 JSON
 * scalars, AnyValue/KeyValue, Resource and InstrumentationScope.
 *
 * Rules (OTLP spec "JSON Protobuf Encoding", plus what the OTel Collector also accepts, since
 * senders rely on it): keys in lowerCamelCase or the original snake_case; 64-bit integers as
 * decimal strings or numbers; enums as integers or their names; `null` means "not set"; unknown
 * keys are ignored. A value of the wrong type fails the request with a DecodeProblem naming the
 * field (the caller adds the enclosing path).
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../model/span.js';
import { EMPTY_VALUE, NO_ATTRIBUTES } from './common-decode.js';
import { DecodeProblem, within } from '../../wire/decode-errors.js';
import { MAX_NESTING_DEPTH } from '../../wire/wire-reader.js';

export type JsonObject = { readonly [key: string]: unknown };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `the string "${v.slice(0, 40)}…"` : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function fieldProblem(field: string, expected: string, got: unknown): unknown {
  return within(new DecodeProblem(`expected ${expected}, got ${describe(got)}`), field);
}

/** The value under the lowerCamelCase key, else under the snake_case one; null counts as absent. */
export function field(o: JsonObject, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  if (snake === undefined) return undefined;
  const s = o[snake];
  return s === null ? undefined : s;
}

export function readString(o: JsonObject, camel: string, snake?: string): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') throw fieldProblem(camel, 'a string', v);
  return v;
}

/** uint32 / fixed32: a non-negative integer, as a number or a decimal string. */
export function readUint32(o: JsonObject, camel: string, snake?: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw fieldProblem(camel, 'an unsigned 32-bit integer', v);
  }
  return n;
}

const UINT64_LIMIT = 1n << 64n;
const INT64_MIN = -(1n << 63n);
const INT64_LIMIT = 1n << 63n;

/**
 * fixed64 (nanosecond times): a decimal string, or a number. Numbers above 2^53 have already
 * lost precision in JSON.parse; they are accepted as they are, which is why senders use strings.
 */
export function readUint64(o: JsonObject, camel: string, snake?: string): bigint {
  const v = field(o, camel, snake);
  if (v === undefined) return 0n;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const n = BigInt(v);
    if (n < UINT64_LIMIT) return n;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 64) {
    return BigInt(v);
  }
  throw fieldProblem(camel, 'an unsigned 64-bit integer as a decimal string or number', v);
}

function toInt64(v: unknown): bigint | undefined {
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const n = BigInt(v);
    if (n >= INT64_MIN && n < INT64_LIMIT) return n;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) {
    return BigInt(v);
  }
  return undefined;
}

function toDouble(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  // proto3 JSON spells the special values as strings, and allows numbers in strings.
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  const n = v.trim() === '' ? NaN : Number(v);
  return Number.isNaN(n) ? undefined : n;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function toBytes(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'string' || !BASE64.test(v)) return undefined;
  // Standard and URL-safe alphabets, padded or not, as proto3 JSON parsers accept.
  const buf = Buffer.from(v, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * An enum: an integer (also as a string) or one of `names`. Integers the model does not know
 * are read as 0 ("unspecified"), as the protobuf decoder does; unknown names are refused.
 */
export function readEnum(o: JsonObject, camel: string, snake: string | undefined, names: Readonly<Record<string, number>>, max: number): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') n = /^-?\d+$/.test(v) ? Number(v) : names[v];
  if (n === undefined || !Number.isInteger(n)) {
    throw fieldProblem(camel, `an integer or one of ${Object.keys(names).join(', ')}`, v);
  }
  return n >= 0 && n <= max ? n : 0;
}

/** Trace/span ids are hex strings in OTLP/JSON (not base64). Lower-cased; validation judges them. */
export function readId(o: JsonObject, camel: string, snake: string): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') throw fieldProblem(camel, 'a hex string', v);
  return v.toLowerCase();
}

export function readObject(o: JsonObject, camel: string, snake?: string): JsonObject | undefined {
  const v = field(o, camel, snake);
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw fieldProblem(camel, 'an object', v);
  return v;
}

export function readArray(o: JsonObject, camel: string, snake?: string): readonly unknown[] | undefined {
  const v = field(o, camel, snake);
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw fieldProblem(camel, 'an array', v);
  return v;
}

/** Each element of the array at `camel`/`snake`, which must be an object, mapped by `read`. */
export function readObjects<T>(o: JsonObject, camel: string, snake: string | undefined, read: (item: JsonObject) => T): T[] | undefined {
  const list = readArray(o, camel, snake);
  if (list === undefined || list.length === 0) return undefined;
  const out: T[] = new Array<T>(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isJsonObject(item)) throw within(new DecodeProblem(`expected an object, got ${describe(item)}`), camel, i);
    try {
      out[i] = read(item);
    } catch (err) {
      throw within(err, camel, i);
    }
  }
  return out;
}

export function readAnyValue(v: unknown, depth: number): AnyValue {
  if (v === undefined || v === null) return EMPTY_VALUE;
  if (!isJsonObject(v)) throw new DecodeProblem(`expected an AnyValue object, got ${describe(v)}`);
  if (depth > MAX_NESTING_DEPTH) throw new DecodeProblem(`attribute values nested deeper than ${MAX_NESTING_DEPTH} levels`);
  let x = field(v, 'stringValue', 'string_value');
  if (x !== undefined) {
    if (typeof x !== 'string') throw fieldProblem('stringValue', 'a string', x);
    return { type: 'string', value: x };
  }
  x = field(v, 'intValue', 'int_value');
  if (x !== undefined) {
    const n = toInt64(x);
    if (n === undefined) throw fieldProblem('intValue', 'a signed 64-bit integer as a decimal string or number', x);
    return { type: 'int', value: n };
  }
  x = field(v, 'boolValue', 'bool_value');
  if (x !== undefined) {
    if (typeof x !== 'boolean') throw fieldProblem('boolValue', 'true or false', x);
    return { type: 'bool', value: x };
  }
  x = field(v, 'doubleValue', 'double_value');
  if (x !== undefined) {
    const n = toDouble(x);
    if (n === undefined) throw fieldProblem('doubleValue', 'a number', x);
    return { type: 'double', value: n };
  }
  x = field(v, 'arrayValue', 'array_value');
  if (x !== undefined) {
    if (!isJsonObject(x)) throw fieldProblem('arrayValue', 'an object with "values"', x);
    try {
      return { type: 'array', value: readArrayValues(x, depth + 1) };
    } catch (err) {
      throw within(err, 'arrayValue');
    }
  }
  x = field(v, 'kvlistValue', 'kvlist_value');
  if (x !== undefined) {
    if (!isJsonObject(x)) throw fieldProblem('kvlistValue', 'an object with "values"', x);
    try {
      return { type: 'kvlist', value: readObjects(x, 'values', undefined, (kv) => readKeyValue(kv, depth + 1)) ?? [] };
    } catch (err) {
      throw within(err, 'kvlistValue');
    }
  }
  x = field(v, 'bytesValue', 'bytes_value');
  if (x !== undefined) {
    const bytes = toBytes(x);
    if (bytes === undefined) throw fieldProblem('bytesValue', 'a base64 string', x);
    return { type: 'bytes', value: bytes };
  }
  return EMPTY_VALUE;
}

function readArrayValues(o: JsonObject, depth: number): AnyValue[] {
  const list = readArray(o, 'values');
  if (list === undefined) return [];
  const out: AnyValue[] = new Array<AnyValue>(list.length);
  for (let i = 0; i < list.length; i++) {
    try {
      out[i] = readAnyValue(list[i], depth);
    } catch (err) {
      throw within(err, 'values', i);
    }
  }
  return out;
}

export function readKeyValue(o: JsonObject, depth = 0): KeyValue {
  const key = readString(o, 'key');
  let value: AnyValue;
  try {
    value = readAnyValue(o.value, depth + 1);
  } catch (err) {
    throw within(err, 'value');
  }
  return { key, value };
}

export function readAttributes(o: JsonObject): readonly KeyValue[] {
  return readObjects(o, 'attributes', undefined, readKeyValue) ?? NO_ATTRIBUTES;
}

export function readResource(o: JsonObject | undefined, schemaUrl: string): Resource {
  if (o === undefined) return { attributes: NO_ATTRIBUTES, droppedAttributesCount: 0, schemaUrl };
  try {
    return {
      attributes: readAttributes(o),
      droppedAttributesCount: readUint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
      schemaUrl,
    };
  } catch (err) {
    throw within(err, 'resource');
  }
}

export function readScope(o: JsonObject | undefined, schemaUrl: string, fieldName = 'scope'): InstrumentationScope {
  if (o === undefined) return { name: '', version: '', attributes: NO_ATTRIBUTES, droppedAttributesCount: 0, schemaUrl };
  try {
    return {
      name: readString(o, 'name'),
      version: readString(o, 'version'),
      attributes: readAttributes(o),
      droppedAttributesCount: readUint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
      schemaUrl,
    };
  } catch (err) {
    throw within(err, fieldName);
  }
}

/**
 * OTLP/JSON's AnyValue as meshtel writes it: 64-bit ints as decimal strings, bytes as base64,
 * non-finite and negative-zero doubles as strings (JSON has neither) — everything readAnyValue
 * reads back exactly.
 */
export type OtlpJsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number | string }
  | { bytesValue: string }
  | { arrayValue: { values: OtlpJsonAnyValue[] } }
  | { kvlistValue: { values: OtlpJsonKeyValue[] } }
  | Record<string, never>;

export interface OtlpJsonKeyValue {
  key: string;
  value: OtlpJsonAnyValue;
}

export function anyValueToJson(v: AnyValue): OtlpJsonAnyValue {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: v.value.toString() };
    case 'double':
      if (Object.is(v.value, -0)) return { doubleValue: '-0' };
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { bytesValue: Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') };
    case 'array':
      return { arrayValue: { values: v.value.map(anyValueToJson) } };
    case 'kvlist':
      return { kvlistValue: { values: keyValuesToJson(v.value) } };
    case 'empty':
      return {};
  }
}

export function keyValuesToJson(kvs: readonly KeyValue[]): OtlpJsonKeyValue[] {
  return kvs.map((kv) => ({ key: kv.key, value: anyValueToJson(kv.value) }));
}

/** The inverse of keyValuesToJson (any OTLP/JSON attribute list, in fact). Throws OtlpDecodeError-style DecodeProblems. */
export function keyValuesFromJson(kvs: readonly unknown[]): KeyValue[] {
  return kvs.map((kv, i) => {
    if (!isJsonObject(kv)) throw within(new DecodeProblem(`expected a KeyValue object, got ${describe(kv)}`), 'attributes', i);
    return readKeyValue(kv);
  });
}
