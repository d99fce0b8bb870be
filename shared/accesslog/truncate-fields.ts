/**
 * MESHTEL_MAX_ATTRIBUTE_VALUE_LENGTH applied to every string of an access-log record, whatever
 * input it came from (Envoy ALS, OTLP logs, Istio lines): top-level fields (path, authority,
 * user agent, body…), both workloads, response flags and the free-form attributes. Without it, 400
 * ALS entries with a 1 MiB path held 1 GB. The record id stays the one computed from the
 * original entry, so a re-sent entry still overwrites its copy.
 */
import type { AccessLogRecord } from '../model/access-log.js';

export interface TruncationResult {
  readonly record: AccessLogRecord;
  /** Strings that were cut. */
  readonly truncated: number;
}

export function truncateAccessLogFields(record: AccessLogRecord, maxLength: number): TruncationResult {
  let truncated = 0;
  const cut = (value: string): string => {
    if (value.length <= maxLength) return value;
    truncated++;
    return value.slice(0, maxLength);
  };
  const strings = <T extends object>(obj: T): T => {
    let copy: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(obj)) {
      if (typeof value === 'string' && value.length > maxLength) {
        copy ??= { ...obj } as Record<string, unknown>;
        copy[key] = cut(value);
      }
    }
    return (copy as T | undefined) ?? obj;
  };

  let out = strings(record);
  const source = strings(record.source);
  const destination = strings(record.destination);
  const flags = record.responseFlags.some((f) => f.length > maxLength) ? record.responseFlags.map(cut) : record.responseFlags;
  let attributes = record.attributes;
  for (const [key, value] of Object.entries(record.attributes)) {
    if (key.length > maxLength || value.length > maxLength) {
      attributes = Object.fromEntries(Object.entries(record.attributes).map(([k, v]) => [cut(k), cut(v)]));
      break;
    }
  }
  if (truncated === 0) return { record, truncated: 0 };
  out = { ...out, source, destination, responseFlags: flags, attributes, id: record.id };
  return { record: out, truncated };
}
