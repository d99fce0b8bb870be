/**
 * Go's duration syntax (`time.ParseDuration`), which the Jaeger API uses for `minDuration` and
 * `maxDuration`: an optional sign, then one or more decimal numbers each with a unit —
 * `ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h` — e.g. `1.5ms`, `1h30m`. A bare `0` is allowed.
 */

export class DurationParseError extends Error {
  constructor(readonly input: string, reason: string) {
    // Same wording as Go, which Jaeger users see in its error messages.
    super(`time: ${reason} ${JSON.stringify(input)}`);
    this.name = 'DurationParseError';
  }
}

const NANOS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek small letter mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's limit: durations are int64 nanoseconds. */
const MAX_NANOS = 2 ** 63;

const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/** Parses a Go duration string into nanoseconds (fractions of a nanosecond are dropped). */
export function parseDurationNanos(input: string): number {
  let rest = input;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationParseError(input, 'invalid duration');
  let total = 0;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    if (m === null) {
      throw new DurationParseError(input, /^[\d.]+$/.test(rest) ? 'missing unit in duration' : 'invalid duration');
    }
    const [whole, intPart, fracPart, unit] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) {
      throw new DurationParseError(input, 'invalid duration');
    }
    const scale = NANOS_PER_UNIT[unit];
    if (scale === undefined) throw new DurationParseError(input, `unknown unit ${JSON.stringify(unit)} in duration`);
    const value = Number(intPart || '0') * scale + (fracPart ? Math.trunc(Number(`0.${fracPart}`) * scale) : 0);
    total += value;
    if (total >= MAX_NANOS) throw new DurationParseError(input, 'invalid duration');
    rest = rest.slice(whole.length);
  }
  return sign * total;
}
