/**
 * Hex <-> bytes for trace and span ids. Ids are converted for every span on the hot path, so
 * these use lookup tables instead of Buffer round trips (measured faster for 8- and 16-byte ids).
 */

const BYTE_TO_HEX: string[] = [];
for (let i = 0; i < 256; i++) BYTE_TO_HEX.push(i.toString(16).padStart(2, '0'));

/** -1 for characters that are not hex digits; both cases accepted. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[97 + i] = 10 + i;
  HEX_VALUE[65 + i] = 10 + i;
}

/** Lower-case hex of `bytes[start, end)`. */
export function hexOfBytes(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += BYTE_TO_HEX[bytes[i]];
  return out;
}

/** Value of the hex digit at `s[i]`, or -1. */
export function hexDigitAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? HEX_VALUE[c] : -1;
}

/** True when `s` is exactly `length` lower-case hex characters and not all zeros. */
export function isValidLowerHexId(s: string, length: number): boolean {
  if (s.length !== length) return false;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c === 48) continue;
    if ((c > 48 && c <= 57) || (c >= 97 && c <= 102)) nonZero = true;
    else return false;
  }
  return nonZero;
}

/** Bytes of an even-length hex string, or undefined when it is not one. */
export function bytesOfHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigitAt(s, 2 * i);
    const lo = hexDigitAt(s, 2 * i + 1);
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}
