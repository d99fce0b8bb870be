/**
 * Zipkin v2 JSON (openzipkin/zipkin-api zipkin2-api.yaml: a JSON array of spans) → ZipkinSpan[].
 *
 * Strict where a wrong value would silently change meaning (ids, timestamps, kind), lenient
 * where Zipkin's own server is: null optional fields count as absent, unknown fields are
 * ignored, and number or boolean tag values are kept as their text (Zipkin's reader accepts
 * them; the model says string → string). The first problem refuses the whole request, as
 * Zipkin does, naming the span index and field.
 */
import { DecodeProblem, within } from '../wire/decode-errors.js';
import { toZipkinDecodeError, ZipkinDecodeError } from './errors.js';
import { parentIdOfHex, spanIdOfHex, traceIdOfHex } from './ids.js';
import { ipv4OfText, ipv6OfText } from './ip.js';
import type { ZipkinAnnotation, ZipkinEndpoint, ZipkinKind, ZipkinSpan } from './model.js';

const KINDS: ReadonlySet<string> = new Set<ZipkinKind>(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

type JsonObject = { readonly [key: string]: unknown };

/** Decodes a request body; '' or only whitespace is an empty list. Throws ZipkinDecodeError. */
export function decodeZipkinJson(body: string): ZipkinSpan[] {
  if (body.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    throw new ZipkinDecodeError(`body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(parsed)) {
    throw new ZipkinDecodeError(`body must be a JSON array of Zipkin v2 spans, got ${describe(parsed)}`);
  }
  const spans: ZipkinSpan[] = new Array<ZipkinSpan>(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    try {
      spans[i] = spanOf(parsed[i]);
    } catch (err) {
      throw toZipkinDecodeError(within(err, 'spans', i), 'invalid Zipkin v2 JSON');
    }
  }
  return spans;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Runs `read` on field `key`, adding the key to the path of any problem. */
function field<T>(obj: JsonObject, key: string, read: (value: unknown) => T): T {
  try {
    return read(obj[key]);
  } catch (err) {
    throw within(err, key);
  }
}

function requiredString(value: unknown): string {
  if (value === undefined || value === null) throw new DecodeProblem('is required');
  if (typeof value !== 'string') throw new DecodeProblem(`must be a string, got ${describe(value)}`);
  return value;
}

function optionalString(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new DecodeProblem(`must be a string, got ${describe(value)}`);
  return value;
}

function optionalBoolean(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new DecodeProblem(`must be true or false, got ${describe(value)}`);
  return value;
}

/**
 * A non-negative whole number of microseconds. JSON numbers are doubles, which hold every
 * integer up to 2^53 exactly: epoch microseconds stay below that until the year 2255.
 */
function microseconds(value: unknown): bigint {
  if (typeof value !== 'number') throw new DecodeProblem(`must be an integer number of microseconds, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DecodeProblem(`must be a non-negative integer number of microseconds, got ${value}`);
  }
  return BigInt(value);
}

function optionalMicroseconds(value: unknown): bigint {
  return value === undefined || value === null ? 0n : microseconds(value);
}

function kindOf(value: unknown): ZipkinKind | undefined {
  const text = optionalString(value);
  if (text === '') return undefined;
  if (!KINDS.has(text)) throw new DecodeProblem(`must be CLIENT, SERVER, PRODUCER or CONSUMER, got ${JSON.stringify(text.slice(0, 40))}`);
  return text as ZipkinKind;
}

function endpointOf(value: unknown): ZipkinEndpoint | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new DecodeProblem(`must be an object, got ${describe(value)}`);
  const serviceName = field(value, 'serviceName', optionalString);
  const ipv4 = field(value, 'ipv4', (v) => {
    const text = optionalString(v);
    return text === '' ? '' : ipv4OfText(text);
  });
  const ipv6 = field(value, 'ipv6', (v) => {
    const text = optionalString(v);
    return text === '' ? '' : ipv6OfText(text);
  });
  const port = field(value, 'port', (v) => {
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
      throw new DecodeProblem(`must be an integer from 0 to 65535, got ${typeof v === 'number' ? v : describe(v)}`);
    }
    return v;
  });
  // `{}` says nothing; Zipkin drops an empty endpoint too.
  if (serviceName === '' && ipv4 === '' && ipv6 === '' && port === 0) return undefined;
  return { serviceName, ipv4, ipv6, port };
}

function annotationsOf(value: unknown): ZipkinAnnotation[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new DecodeProblem(`must be an array, got ${describe(value)}`);
  return value.map((item: unknown, i) => {
    try {
      if (!isObject(item)) throw new DecodeProblem(`must be an object, got ${describe(item)}`);
      const timestampUs = field(item, 'timestamp', (v) => {
        if (v === undefined || v === null) throw new DecodeProblem('is required');
        const us = microseconds(v);
        if (us === 0n) throw new DecodeProblem('must be positive');
        return us;
      });
      const annotationValue = field(item, 'value', requiredString);
      return { timestampUs, value: annotationValue };
    } catch (err) {
      throw within(err, '', i);
    }
  });
}

function tagsOf(value: unknown): Map<string, string> {
  const tags = new Map<string, string>();
  if (value === undefined || value === null) return tags;
  if (!isObject(value)) throw new DecodeProblem(`must be an object of string values, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') tags.set(key, v);
    else if (typeof v === 'number' || typeof v === 'boolean') tags.set(key, String(v));
    else throw within(new DecodeProblem(`must be a string, got ${describe(v)}`), `[${JSON.stringify(key)}]`);
  }
  return tags;
}

function spanOf(value: unknown): ZipkinSpan {
  if (!isObject(value)) throw new DecodeProblem(`must be a JSON object, got ${describe(value)}`);
  const traceId = field(value, 'traceId', (v) => traceIdOfHex(requiredString(v)));
  const id = field(value, 'id', (v) => spanIdOfHex(requiredString(v)));
  const parentId = field(value, 'parentId', (v) => parentIdOfHex(optionalString(v)));
  const timestampUs = field(value, 'timestamp', optionalMicroseconds);
  return {
    traceId,
    id,
    // A span naming itself as parent would loop forever in a tree; Zipkin and the Collector drop it.
    parentId: parentId === id ? '' : parentId,
    name: field(value, 'name', optionalString),
    kind: field(value, 'kind', kindOf),
    timestampUs: timestampUs === 0n ? undefined : timestampUs,
    durationUs: field(value, 'duration', optionalMicroseconds),
    localEndpoint: field(value, 'localEndpoint', endpointOf),
    remoteEndpoint: field(value, 'remoteEndpoint', endpointOf),
    annotations: field(value, 'annotations', annotationsOf),
    tags: field(value, 'tags', tagsOf),
    debug: field(value, 'debug', optionalBoolean),
    shared: field(value, 'shared', optionalBoolean),
  };
}
