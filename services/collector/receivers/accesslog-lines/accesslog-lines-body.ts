/**
 * Splits a `/v1/accesslogs` body into its entries. Senders use three shapes: newline-separated
 * lines (TEXT or JSON, what Fluent Bit's json_lines and Vector's newline framing produce), a JSON
 * array of lines or records (Fluent Bit's `json` format), or one JSON object. Each entry keeps the
 * number the sender can find it by (physical line, or array position), and a line over the size
 * limit is marked as such without being decoded, so one huge line costs no more than its bytes.
 */
import { BodyEncodingError, decodeUtf8 } from '../../transport/http-body.js';

export interface BodyEntryLimits {
  readonly maxLineBytes: number;
  readonly maxLinesPerRequest: number;
}

/**
 * A line or array element: `value` is a string (a line) or a parsed JSON element; or why it could
 * not even be read (over the size limit, not UTF-8) — reported for that line alone.
 */
export type BodyEntry =
  | { readonly kind: 'entry'; readonly line: number; readonly value: unknown }
  | { readonly kind: 'too_long'; readonly line: number; readonly bytes: number }
  | { readonly kind: 'invalid_utf8'; readonly line: number };

/** More entries than maxLinesPerRequest: the request is refused whole (413), like too many spans. */
export class TooManyLinesError extends Error {
  constructor(readonly limit: number) {
    super(`request carries more than ${limit} access-log lines (MESHTEL_MAX_ACCESSLOG_LINES_PER_REQUEST); send smaller batches`);
    this.name = 'TooManyLinesError';
  }
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `json` is true for an application/json body: then a body that is one JSON document (an array,
 * or a single possibly pretty-printed object) is read whole; anything else is read line by line.
 */
export function splitAccessLogBody(body: Buffer, json: boolean, limits: BodyEntryLimits): BodyEntry[] {
  if (json) {
    const whole = wholeJsonDocument(body);
    if (whole !== undefined) return entriesOfDocument(whole, limits);
  }
  return lineEntries(body, limits);
}

function wholeJsonDocument(body: Buffer): unknown {
  const first = firstNonSpace(body);
  if (first !== 0x5b /* [ */ && first !== 0x7b /* { */) return undefined;
  const text = decodeUtf8(body);
  try {
    return JSON.parse(text);
  } catch (err) {
    // An array must be one document; an object that does not parse whole may be NDJSON.
    if (first === 0x5b) throw new BodyEncodingError(`body is not a valid JSON array: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

function entriesOfDocument(document: unknown, limits: BodyEntryLimits): BodyEntry[] {
  const elements = Array.isArray(document) ? document : [document];
  if (elements.length > limits.maxLinesPerRequest) throw new TooManyLinesError(limits.maxLinesPerRequest);
  const entries: BodyEntry[] = [];
  elements.forEach((value, index) => {
    if (value === null || (typeof value === 'string' && value.trim() === '')) return;
    const bytes = Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
    entries.push(bytes > limits.maxLineBytes ? { kind: 'too_long', line: index + 1, bytes } : { kind: 'entry', line: index + 1, value });
  });
  return entries;
}

function lineEntries(body: Buffer, limits: BodyEntryLimits): BodyEntry[] {
  const entries: BodyEntry[] = [];
  let start = 0;
  for (let lineNumber = 1; start < body.length; lineNumber++) {
    let end = body.indexOf(NEWLINE, start);
    if (end < 0) end = body.length;
    const next = end + 1;
    if (end > start && body[end - 1] === CR) end--;
    const length = end - start;
    if (!isBlank(body, start, end)) {
      if (entries.length === limits.maxLinesPerRequest) throw new TooManyLinesError(limits.maxLinesPerRequest);
      entries.push(length > limits.maxLineBytes ? { kind: 'too_long', line: lineNumber, bytes: length } : decodeLine(body.subarray(start, end), lineNumber));
    }
    start = next;
  }
  return entries;
}

/** Invalid UTF-8 spoils its own line only. */
function decodeLine(bytes: Buffer, line: number): BodyEntry {
  try {
    return { kind: 'entry', line, value: utf8.decode(bytes) };
  } catch {
    return { kind: 'invalid_utf8', line };
  }
}

function isBlank(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}

function firstNonSpace(body: Buffer): number | undefined {
  for (const c of body) if (c !== 0x20 && c !== 0x09 && c !== CR && c !== NEWLINE) return c;
  return undefined;
}
