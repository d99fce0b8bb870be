/**
 * Protobuf decoding of the OTLP messages every signal shares (common/v1 and resource/v1):
 * AnyValue, KeyValue, InstrumentationScope, Resource — straight into meshtel's model.
 *
 * Conventions of the hand-written decoders: each function starts at `r.pos` and stops at `end`
 * (the end of the message's bytes); the caller moves `r.pos` past the message afterwards. Tags
 * are compared whole (field number and wire type), so a known field sent with an unexpected wire
 * type is skipped like an unknown field, as the reference implementations do.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../model/span.js';
import { DecodeProblem, within } from '../../wire/decode-errors.js';
import { MAX_CACHED_KEYVALUE_BYTES, MIN_CACHED_KEYVALUE_BYTES, cachedKeyValue, keyValueSlot, rememberKeyValue } from './keyvalue-cache.js';
import { MAX_NESTING_DEPTH, type ProtoReader } from '../../wire/wire-reader.js';

// AnyValues are immutable, so the common ones are shared instead of allocated per attribute.
export const EMPTY_VALUE: AnyValue = Object.freeze({ type: 'empty' });
const TRUE_VALUE: AnyValue = Object.freeze({ type: 'bool', value: true });
const FALSE_VALUE: AnyValue = Object.freeze({ type: 'bool', value: false });

/** Rethrows a problem met while reading field `tag`, naming the field (and its index). */
export function rethrowIn(err: unknown, names: readonly (string | undefined)[], tag: number, index?: number): never {
  const name = names[tag >>> 3];
  throw name === undefined ? err : within(err, name, index);
}

// Field names (lowerCamelCase, as OTLP/JSON spells them) by field number, for error paths.
// Repeated fields are left out: their readers add `name[index]` themselves.
const ANY_VALUE_FIELDS = [undefined, 'stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];
const KEY_VALUE_FIELDS = [undefined, 'key', 'value'];
const RESOURCE_FIELDS = [undefined, undefined, 'droppedAttributesCount'];
const SCOPE_FIELDS = [undefined, 'name', 'version', undefined, 'droppedAttributesCount'];

export function decodeAnyValue(r: ProtoReader, end: number, depth: number): AnyValue {
  if (depth > MAX_NESTING_DEPTH) throw new DecodeProblem(`attribute values nested deeper than ${MAX_NESTING_DEPTH} levels`);
  let value = EMPTY_VALUE;
  let tag = 0;
  try {
    // A oneof: when several members are present, the last one wins (protobuf merge semantics).
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a: value = r.stringValue(end); break;
        case 0x10: value = r.bool(end) ? TRUE_VALUE : FALSE_VALUE; break;
        case 0x18: value = { type: 'int', value: r.int64(end) }; break;
        case 0x21: value = { type: 'double', value: r.double(end) }; break;
        case 0x2a: {
          const stop = r.lengthDelimited(end);
          value = { type: 'array', value: decodeArrayValue(r, stop, depth + 1) };
          r.pos = stop;
          break;
        }
        case 0x32: {
          const stop = r.lengthDelimited(end);
          value = { type: 'kvlist', value: decodeKeyValueList(r, stop, depth + 1) };
          r.pos = stop;
          break;
        }
        case 0x3a: value = { type: 'bytes', value: r.bytesCopy(end) }; break;
        // 8 (string_value_strindex) is for profiles only; other signals ignore it.
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    rethrowIn(err, ANY_VALUE_FIELDS, tag);
  }
  return value;
}

function decodeArrayValue(r: ProtoReader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      try {
        const stop = r.lengthDelimited(end);
        values.push(decodeAnyValue(r, stop, depth));
        r.pos = stop;
      } catch (err) {
        throw within(err, 'values', values.length);
      }
    } else r.skip(tag, end);
  }
  return values;
}

function decodeKeyValueList(r: ProtoReader, end: number, depth: number): KeyValue[] {
  const values: KeyValue[] = [];
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag === 0x0a) {
      try {
        const stop = r.lengthDelimited(end);
        values.push(decodeKeyValue(r, stop, depth));
        r.pos = stop;
      } catch (err) {
        throw within(err, 'values', values.length);
      }
    } else r.skip(tag, end);
  }
  return values;
}

export function decodeKeyValue(r: ProtoReader, end: number, depth = 0): KeyValue {
  let key = '';
  let value = EMPTY_VALUE;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) key = r.string(end);
      else if (tag === 0x12) {
        const stop = r.lengthDelimited(end);
        value = decodeAnyValue(r, stop, depth + 1);
        r.pos = stop;
      } else r.skip(tag, end); // 3 (key_strindex) is for profiles only.
    }
  } catch (err) {
    rethrowIn(err, KEY_VALUE_FIELDS, tag);
  }
  return { key, value };
}

/**
 * Reads one `repeated KeyValue` element at `r.pos` (after its tag) into `list`, naming
 * `field[index]` in errors. Returns the list so callers can start from `undefined`.
 */
export function readKeyValueInto(r: ProtoReader, end: number, list: KeyValue[] | undefined, field: string): KeyValue[] {
  const out = list ?? [];
  try {
    const stop = r.lengthDelimited(end);
    const start = r.pos;
    const n = stop - start;
    if (n <= MAX_CACHED_KEYVALUE_BYTES && n >= MIN_CACHED_KEYVALUE_BYTES) {
      // Repeated attributes come out of the cache whole (keyvalue-cache.ts).
      const view = r.dataView;
      const slot = keyValueSlot(view, start, n);
      let kv = cachedKeyValue(slot, view, start, n);
      if (kv === undefined) {
        kv = decodeKeyValue(r, stop);
        rememberKeyValue(slot, view, start, n, kv);
      }
      out.push(kv);
    } else {
      out.push(decodeKeyValue(r, stop));
    }
    r.pos = stop;
  } catch (err) {
    throw within(err, field, out.length);
  }
  return out;
}

/** Shared empty list for the many spans, events and scopes without attributes. */
export const NO_ATTRIBUTES: readonly KeyValue[] = Object.freeze([]);

export function decodeResource(r: ProtoReader, end: number, schemaUrl: string): Resource {
  let attributes: KeyValue[] | undefined;
  let droppedAttributesCount = 0;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) attributes = readKeyValueInto(r, end, attributes, 'attributes');
      else if (tag === 0x10) droppedAttributesCount = r.uint32(end);
      else r.skip(tag, end); // 3 (entity_refs) is in development; not kept.
    }
  } catch (err) {
    rethrowIn(err, RESOURCE_FIELDS, tag);
  }
  return { attributes: attributes ?? NO_ATTRIBUTES, droppedAttributesCount, schemaUrl };
}

export function emptyResource(schemaUrl: string): Resource {
  return { attributes: NO_ATTRIBUTES, droppedAttributesCount: 0, schemaUrl };
}

export function decodeScope(r: ProtoReader, end: number, schemaUrl: string): InstrumentationScope {
  let name = '';
  let version = '';
  let attributes: KeyValue[] | undefined;
  let droppedAttributesCount = 0;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      switch (tag) {
        case 0x0a: name = r.string(end); break;
        case 0x12: version = r.string(end); break;
        case 0x1a: attributes = readKeyValueInto(r, end, attributes, 'attributes'); break;
        case 0x20: droppedAttributesCount = r.uint32(end); break;
        default: r.skip(tag, end);
      }
    }
  } catch (err) {
    rethrowIn(err, SCOPE_FIELDS, tag);
  }
  return { name, version, attributes: attributes ?? NO_ATTRIBUTES, droppedAttributesCount, schemaUrl };
}

export function emptyScope(schemaUrl: string): InstrumentationScope {
  return { name: '', version: '', attributes: NO_ATTRIBUTES, droppedAttributesCount: 0, schemaUrl };
}

/** ResourceSpans / ResourceLogs / ResourceMetrics field 1000: the pre-1.0 instrumentation_library_*. */
const TAG_INSTRUMENTATION_LIBRARY_GROUP = (1000 << 3) | 2;
const RESOURCE_GROUP_FIELDS = [undefined, 'resource', undefined, 'schemaUrl'];

/** Where the parts of one Resource{Spans,Logs,Metrics} message are, found in a first pass. */
export interface ResourceGroupLayout {
  /** -1 when the message has no resource. */
  readonly resourceStart: number;
  readonly resourceEnd: number;
  readonly schemaUrl: string;
  /** [start, end] pairs of the scope messages to decode, in order. */
  readonly scopeRanges: readonly number[];
  /** The JSON name of the field the ranges came from, for error paths. */
  readonly scopesField: string;
}

/**
 * First pass over a Resource{Spans,Logs,Metrics} message: every OTLP signal shares its layout
 * (resource = 1, scope groups = 2, schema_url = 3, legacy groups = 1000), and fields may come in any
 * order (scopes before their resource, schema_url last — common in practice), so callers note where
 * the parts are here and decode them afterwards in the order the model needs. Like the OTel
 * Collector, the deprecated legacy field is read only from senders that do not send the new one.
 */
export function locateResourceGroup(
  r: ProtoReader, end: number, names: { readonly scopes: string; readonly legacyScopes: string },
): ResourceGroupLayout {
  let resourceStart = -1;
  let resourceEnd = -1;
  let schemaUrl = '';
  const scopeRanges: number[] = [];
  let legacyRanges: number[] | undefined;
  let tag = 0;
  try {
    while (r.pos < end) {
      tag = 0;
      tag = r.tag(end);
      if (tag === 0x0a) {
        resourceEnd = r.lengthDelimited(end);
        resourceStart = r.pos;
        r.pos = resourceEnd;
      } else if (tag === 0x12) {
        const stop = r.lengthDelimited(end);
        scopeRanges.push(r.pos, stop);
        r.pos = stop;
      } else if (tag === 0x1a) {
        schemaUrl = r.string(end);
      } else if (tag === TAG_INSTRUMENTATION_LIBRARY_GROUP) {
        const stop = r.lengthDelimited(end);
        (legacyRanges ??= []).push(r.pos, stop);
        r.pos = stop;
      } else r.skip(tag, end);
    }
  } catch (err) {
    if (tag === 0x12) throw within(err, names.scopes, scopeRanges.length / 2);
    if (tag === TAG_INSTRUMENTATION_LIBRARY_GROUP) throw within(err, names.legacyScopes, (legacyRanges?.length ?? 0) / 2);
    rethrowIn(err, RESOURCE_GROUP_FIELDS, tag);
  }
  const useLegacy = scopeRanges.length === 0 && legacyRanges !== undefined;
  return {
    resourceStart,
    resourceEnd,
    schemaUrl,
    scopeRanges: useLegacy ? legacyRanges! : scopeRanges,
    scopesField: useLegacy ? names.legacyScopes : names.scopes,
  };
}
