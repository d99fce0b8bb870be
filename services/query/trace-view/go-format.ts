/**
 * Go's text for durations (`time.Duration.String`) and instants (`time.Time.String`, UTC), so the
 * span warnings we write read exactly as Jaeger's: "…adjusted by 1.5ms", "…end timestamp:
 * 2026-03-01 00:00:00.5 +0000 UTC".
 */

const NS_PER_S = 1_000_000_000n;

/** `digits`-digit fixed point: 1500 with 3 digits → "1.5"; trailing zeros and a bare point dropped. */
function fixedPoint(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const fraction = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/** Go's `Duration.String`: `0s`, `750ns`, `1.5µs`, `2ms`, `1.5s`, `1m30s`, `2h0m0.5s`, `-3ms`. */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  let u = nanos < 0n ? -nanos : nanos;
  if (u < NS_PER_S) {
    if (u < 1000n) return `${sign}${u}ns`;
    // Go writes the micro sign U+00B5.
    if (u < 1_000_000n) return `${sign}${fixedPoint(u, 3)}µs`;
    return `${sign}${fixedPoint(u, 6)}ms`;
  }
  const hours = u / (3600n * NS_PER_S);
  u %= 3600n * NS_PER_S;
  const minutes = u / (60n * NS_PER_S);
  const rest = u % (60n * NS_PER_S);
  const h = hours > 0n ? `${hours}h` : '';
  const m = hours > 0n || minutes > 0n ? `${minutes}m` : '';
  return `${sign}${h}${m}${fixedPoint(rest, 9)}s`;
}

/** Go's `Time.String` of a UTC instant: `2006-01-02 15:04:05.999999999 +0000 UTC` (fraction trimmed). */
export function formatGoTimeUtc(unixNano: bigint): string {
  const ms = unixNano / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2006-01-02T15:04:05.000Z
  const fraction = (((unixNano % NS_PER_S) + NS_PER_S) % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}
