/**
 * Typed errors of the access-log parsers. Receivers count them per line (or entry) and report the
 * message to the sender, so each one names where the problem was and what value was found there.
 */

/** One access-log line or field could not be understood. */
export class AccessLogParseError extends Error {
  constructor(
    message: string,
    /** The field, JSON key or operator at fault, when one is known (e.g. `response_code`, `%DURATION%`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AccessLogParseError';
  }
}

/** A configured Envoy format string cannot be compiled (bad operator syntax, unterminated `%`). */
export class EnvoyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvoyFormatError';
  }
}

/** A value quoted for an error message: shortened, so a huge bad value cannot flood logs and responses. */
export function quoteValue(value: unknown, max = 80): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
