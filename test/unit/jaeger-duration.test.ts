import { describe, expect, it } from 'vitest';
import { DurationParseError, parseDurationNanos } from '../../shared/model/go-duration.js';

describe('Jaeger (Go) duration strings', () => {
  it.each([
    ['0', 0],
    ['500ns', 500],
    ['500us', 500_000],
    ['500µs', 500_000],
    ['500μs', 500_000],
    ['1.5ms', 1_500_000],
    ['.5s', 500_000_000],
    ['2s', 2_000_000_000],
    ['1.s', 1_000_000_000],
    ['3m', 180_000_000_000],
    ['1h', 3_600_000_000_000],
    ['1h30m', 5_400_000_000_000],
    ['1m0.5s', 60_500_000_000],
    ['2h45m10s100ms', 9_910_100_000_000],
    ['+1s', 1_000_000_000],
    ['-1.5s', -1_500_000_000],
  ])('reads %s as %d ns', (text, nanos) => {
    expect(parseDurationNanos(text)).toBe(nanos);
  });

  it.each([
    ['', 'invalid duration'],
    ['abc', 'invalid duration'],
    ['10', 'missing unit in duration'],
    ['1.5', 'missing unit in duration'],
    ['5d', 'unknown unit "d" in duration'],
    ['.s', 'invalid duration'],
    ['1s5', 'missing unit in duration'],
    ['-', 'invalid duration'],
    ['1 s', 'unknown unit " s" in duration'],
    ['9999999999h', 'invalid duration'],
  ])('refuses %j (%s), quoting the input', (text, reason) => {
    let error: unknown;
    try {
      parseDurationNanos(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DurationParseError);
    expect((error as Error).message).toBe(`time: ${reason} ${JSON.stringify(text)}`);
  });
});
