/**
 * A small direct-mapped cache of short ASCII strings decoded from protobuf bytes.
 *
 * Attribute keys and most short values (methods, status codes, service and namespace names)
 * repeat in nearly every span. Hashing and comparing the bytes in JS costs less than a native
 * string decode, and handing out one shared string (and one shared, immutable string AnyValue)
 * instead of fresh copies per span cuts allocation (GC time) and the memory spans hold
 * downstream (memory store, batches).
 *
 * A slot holds the last string that hashed to it; a miss simply replaces it, so unique values
 * (ids in URLs, timestamps) cost one hash and one compare and never grow the cache.
 */
import type { AnyValue } from '../model/span.js';

/** Longer strings are rarely repeated exactly and are decoded directly. */
export const MAX_INTERNED_LENGTH = 32;
const SLOTS = 4096;
const strings: string[] = new Array<string>(SLOTS).fill('');
const values: (AnyValue | undefined)[] = new Array<AnyValue | undefined>(SLOTS).fill(undefined);

/**
 * The slot for ASCII `bytes[start, end)`, or -1 when the bytes are not ASCII (those are not
 * cached: their UTF-16 length differs from the byte length, so the compare below would not work).
 */
export function internSlot(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c >= 0x80) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return (h ^ (h >>> 16)) & (SLOTS - 1);
}

/** True when the slot holds exactly the (ASCII) string of `bytes[start, end)`. */
export function slotHolds(slot: number, bytes: Uint8Array, start: number, end: number): boolean {
  const cached = strings[slot];
  const n = end - start;
  if (cached.length !== n) return false;
  for (let i = 0; i < n; i++) if (cached.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

export function slotString(slot: number): string {
  return strings[slot];
}

export function setSlot(slot: number, s: string): void {
  strings[slot] = s;
  values[slot] = undefined;
}

/** The shared `{ type: 'string' }` AnyValue of the slot's string. */
export function slotValue(slot: number): AnyValue {
  let v = values[slot];
  if (v === undefined) {
    v = { type: 'string', value: strings[slot] };
    values[slot] = v;
  }
  return v;
}
