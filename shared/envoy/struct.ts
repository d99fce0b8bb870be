/**
 * google.protobuf.Struct / Value / ListValue (protobuf's JSON-like types) decoded to plain
 * values. Envoy uses them for the node metadata Istio fills (NAME, NAMESPACE, LABELS …) and Istio
 * ≥ 1.24 for the peer metadata it keeps in filter state. Field numbers: Struct `fields` 1 (map
 * entry: key 1, value 2); Value `null_value` 1, `number_value` 2, `string_value` 3, `bool_value` 4,
 * `struct_value` 5, `list_value` 6; ListValue `values` 1.
 */
import { DecodeProblem, within } from '../wire/decode-errors.js';
import { MAX_NESTING_DEPTH, ProtoReader } from '../wire/wire-reader.js';
import { dictionary } from './dictionary.js';

export type StructValue = null | number | string | boolean | StructObject | readonly StructValue[];
export interface StructObject {
  readonly [key: string]: StructValue;
}

/** Decodes `bytes[start, end)` as a Struct (a whole buffer by default). */
export function decodeStruct(bytes: Uint8Array, start = 0, end = bytes.length): StructObject {
  const r = new ProtoReader(bytes);
  r.pos = start;
  return readStruct(r, end, 0);
}

/** Reads a Struct from `r.pos` to `end` (the reader's convention: the caller moves past it). */
export function readStruct(r: ProtoReader, end: number, depth: number): StructObject {
  if (depth > MAX_NESTING_DEPTH) throw new DecodeProblem(`Struct values nested deeper than ${MAX_NESTING_DEPTH} levels`);
  const out = dictionary<StructValue>();
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag !== 0x0a) {
      r.skip(tag, end);
      continue;
    }
    const stop = r.lengthDelimited(end);
    let key = '';
    let value: StructValue = null;
    try {
      while (r.pos < stop) {
        const t = r.tag(stop);
        if (t === 0x0a) key = r.string(stop);
        else if (t === 0x12) {
          const valueEnd = r.lengthDelimited(stop);
          value = readValue(r, valueEnd, depth + 1);
          r.pos = valueEnd;
        } else r.skip(t, stop);
      }
    } catch (err) {
      throw within(err, key === '' ? 'fields' : `fields[${JSON.stringify(key)}]`);
    }
    out[key] = value;
  }
  return out;
}

function readValue(r: ProtoReader, end: number, depth: number): StructValue {
  let value: StructValue = null;
  // A oneof: the last member present wins (protobuf merge semantics).
  while (r.pos < end) {
    const tag = r.tag(end);
    switch (tag) {
      case 0x08: r.uint32(end); value = null; break;
      case 0x11: value = r.double(end); break;
      case 0x1a: value = r.string(end); break;
      case 0x20: value = r.bool(end); break;
      case 0x2a: {
        const stop = r.lengthDelimited(end);
        value = readStruct(r, stop, depth + 1);
        r.pos = stop;
        break;
      }
      case 0x32: {
        const stop = r.lengthDelimited(end);
        value = readList(r, stop, depth + 1);
        r.pos = stop;
        break;
      }
      default: r.skip(tag, end);
    }
  }
  return value;
}

function readList(r: ProtoReader, end: number, depth: number): StructValue[] {
  if (depth > MAX_NESTING_DEPTH) throw new DecodeProblem(`Struct values nested deeper than ${MAX_NESTING_DEPTH} levels`);
  const out: StructValue[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag !== 0x0a) {
      r.skip(tag, end);
      continue;
    }
    const stop = r.lengthDelimited(end);
    try {
      out.push(readValue(r, stop, depth + 1));
    } catch (err) {
      throw within(err, 'values', out.length);
    }
    r.pos = stop;
  }
  return out;
}

/** The value under `key` when it is a non-empty string. */
export function stringField(struct: StructObject | undefined, key: string): string | undefined {
  const value = struct?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The value under `key` when it is a Struct. */
export function structField(struct: StructObject | undefined, key: string): StructObject | undefined {
  const value = struct?.[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as StructObject) : undefined;
}

/** The string members of a Struct (pod labels are all strings; anything else is not a label). */
export function stringEntries(struct: StructObject | undefined): Record<string, string> {
  const out = dictionary<string>();
  if (struct) for (const key of Object.keys(struct)) {
    const value = struct[key];
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}
