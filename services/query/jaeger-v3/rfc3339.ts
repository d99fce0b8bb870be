/**
 * RFC 3339 timestamps with up to nanosecond fractions (Go's time.RFC3339Nano layout, which
 * Jaeger's api_v3 parses): `2026-03-01T00:00:00.123456789Z`, `…+02:00`. Date.parse would lose
 * everything below the millisecond.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds since the epoch, or undefined when `text` is not an RFC 3339 timestamp. */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = m;
  const fields = [y, mo, d, h, mi, s].map(Number);
  const ms = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  // Date.UTC rolls over out-of-range fields (Feb 30 → Mar 2); Go refuses them, so do we.
  const back = new Date(ms);
  if (Number.isNaN(ms) || back.getUTCDate() !== fields[2] || back.getUTCHours() !== fields[3] || fields[5] > 59 || fields[4] > 59) {
    return undefined;
  }
  const offsetMinutes = zulu !== undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const nanos = BigInt(ms - offsetMinutes * 60_000) * 1_000_000n;
  return nanos + BigInt((fraction ?? '').padEnd(9, '0') || '0');
}
