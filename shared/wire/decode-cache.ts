/**
 * Reuses decoded objects for byte-identical encodings, for the parts of OTLP that repeat across
 * requests: resources and instrumentation scopes. Every span of a service instance carries the
 * same resource bytes, and the ingester decodes one record per trace, each with a copy of the
 * resources of the services the trace crossed; decoding those again and again was the largest
 * cost of decoding per-trace records. A hit costs a sampled hash and a native compare of the
 * bytes, and all spans then share one immutable object, which also saves memory downstream.
 *
 * Bounded: when full, the cache starts over (a cheap way to drop entries no longer seen).
 */

const MAX_ENTRY_BYTES = 4096;

interface Entry<T> {
  readonly bytes: Buffer;
  readonly extra: string;
  readonly value: T;
}

/**
 * A hash of the length, the extra string and a sample of the bytes (at most ~64 positions).
 * Collisions only cost a miss: a hit is confirmed by comparing every byte.
 */
function sampleHash(bytes: Uint8Array, start: number, end: number, extra: string): number {
  const n = end - start;
  let h = Math.imul(0x811c9dc5 ^ n, 0x01000193) ^ extra.length;
  const step = n <= 64 ? 1 : (n >>> 6) + 1;
  for (let i = start; i < end; i += step) h = Math.imul(h ^ bytes[i], 0x01000193);
  // The tail is where records of one service instance usually differ (e.g. pod name suffixes).
  for (let i = Math.max(start, end - 8); i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h;
}

export class DecodeCache<T> {
  private entries = new Map<number, Entry<T>>();

  constructor(private readonly maxEntries: number) {}

  /**
   * The value decoded earlier from the same `bytes[start, end)` and `extra` (a value that is not
   * in the bytes but part of the result, e.g. the schema URL), else `decode()`'s result, stored.
   */
  get(bytes: Buffer, start: number, end: number, extra: string, decode: () => T): T {
    const n = end - start;
    if (n > MAX_ENTRY_BYTES) return decode();
    const key = sampleHash(bytes, start, end, extra);
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.bytes.length === n && hit.extra === extra && bytes.compare(hit.bytes, 0, n, start, end) === 0) {
      return hit.value;
    }
    const value = decode();
    if (this.entries.size >= this.maxEntries) this.entries = new Map();
    this.entries.set(key, { bytes: Buffer.from(bytes.subarray(start, end)), extra, value });
    return value;
  }
}
