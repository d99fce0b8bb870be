/**
 * One access-log entry as a sender delivers it: an Istio TEXT line, an Istio JSON line, or either
 * wrapped in a log shipper's record (shipper-envelope.ts). JSON is told from TEXT by the first
 * character: Envoy's JSON formatter always writes an object, Istio's TEXT format starts with `[`.
 */
import type { AccessLogRecord } from '../model/access-log.js';
import { AccessLogParseError, quoteValue } from './errors.js';
import { parseIstioJsonObject, parseJsonObject } from './istio-json.js';
import { parseIstioTextLine, type LineParseOptions } from './istio-text.js';
import { unwrapShipperRecord } from './shipper-envelope.js';

export type { LineParseOptions } from './istio-text.js';

/** Parses one line; AccessLogParseError (naming the field and value) when it is not an access-log entry. */
export function parseAccessLogLine(line: string, options: LineParseOptions = {}): AccessLogRecord {
  // A custom TEXT format may itself start with '{'; its lines are then TEXT, not JSON.
  const textLooksLikeJson = options.format?.format.trimStart().startsWith('{') ?? false;
  if (!line.trimStart().startsWith('{') || textLooksLikeJson) return parseIstioTextLine(line, options);
  return parseAccessLogEntry(parseJsonObject(line), options);
}

/**
 * One parsed entry: a JSON object (Istio JSON, or a shipper record around a line) or a string
 * (a line, e.g. an element of a JSON array of lines).
 */
export function parseAccessLogEntry(entry: unknown, options: LineParseOptions = {}): AccessLogRecord {
  if (typeof entry === 'string') return parseAccessLogLine(entry, options);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new AccessLogParseError(`an access-log entry must be a line or a JSON object, found ${quoteValue(entry)}`);
  }
  const unwrapped = unwrapShipperRecord(entry as Record<string, unknown>);
  const withWorkload = unwrapped.reportingWorkload ? { ...options, reportingWorkload: options.reportingWorkload ?? unwrapped.reportingWorkload } : options;
  if (unwrapped.line === undefined) return parseIstioJsonObject(unwrapped.fields, withWorkload);
  // A shipped line is never itself a shipper record; JSON inside is Istio JSON.
  const inner = unwrapped.line;
  const textLooksLikeJson = options.format?.format.trimStart().startsWith('{') ?? false;
  return inner.trimStart().startsWith('{') && !textLooksLikeJson
    ? parseIstioJsonObject(parseJsonObject(inner), withWorkload)
    : parseIstioTextLine(inner, withWorkload);
}
