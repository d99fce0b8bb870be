/**
 * A small direct-mapped cache of whole attributes (KeyValue messages) decoded from protobuf bytes.
 *
 * Most attributes of a span repeat, key and value alike, across the spans of a service
 * (`http.request.method=GET`, `server.port=8080`, `db.system=postgresql`, `peer.service=cart`):
 * recognising the KeyValue's bytes and handing out the one immutable KeyValue decoded before
 * skips its tags, both string look-ups, the value object and the KeyValue object. Fewer objects
 * per decoded span is what counts: spans live from the collector's decode until the ingester has
 * stored them, across several young-generation collections that copy every live object.
 *
 * A slot holds the last attribute that hashed to it; a miss replaces it, so unique values (ids,
 * URLs with ids, sizes) cost one hash and one copy and never grow the cache. A hit is confirmed
 * by comparing every byte, so a collision costs only a miss. Bytes are hashed and compared four at
 * a time. Only scalar values (string, bool, int, double, empty) are cached: bytes values are
 * Uint8Arrays, which callers could mutate, and array and map values are rare.
 */
import type { KeyValue } from '../../model/span.js';

/** Longer attributes are rarely repeated exactly (long URLs, statements) and are decoded directly. */
export const MAX_CACHED_KEYVALUE_BYTES = 64;
/** Shorter ones are not worth it (and the word-wise compare below needs four bytes). */
export const MIN_CACHED_KEYVALUE_BYTES = 4;
const SLOTS = 4096;
const WORDS_PER_SLOT = MAX_CACHED_KEYVALUE_BYTES / 4;
// Slot i's words sit at words[i * WORDS_PER_SLOT …]: one allocation, no per-entry copies. A slot
// keeps its attribute's whole words plus, separately, its last four bytes as one word (which may
// overlap the whole words), so any length from 4 bytes on compares in words.
const words = new Int32Array(SLOTS * WORDS_PER_SLOT);
const lastWords = new Int32Array(SLOTS);
/** Byte length of each slot's attribute; 0 = empty. */
const lengths = new Uint8Array(SLOTS);
const keyValues: (KeyValue | undefined)[] = new Array<KeyValue | undefined>(SLOTS).fill(undefined);

/**
 * The slot for the KeyValue message at `start` (`n` bytes, MIN…MAX_CACHED_KEYVALUE_BYTES), read
 * from `view` (little-endian words).
 */
export function keyValueSlot(view: DataView, start: number, n: number): number {
  let h = 0x811c9dc5 ^ n;
  const whole = start + (n & ~3);
  for (let i = start; i < whole; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 0x01000193);
  h = Math.imul(h ^ view.getInt32(start + n - 4, true), 0x01000193);
  return (h ^ (h >>> 15)) & (SLOTS - 1);
}

/** The KeyValue decoded earlier from exactly these bytes, if the slot still holds it. */
export function cachedKeyValue(slot: number, view: DataView, start: number, n: number): KeyValue | undefined {
  if (lengths[slot] !== n || lastWords[slot] !== view.getInt32(start + n - 4, true)) return undefined;
  const base = slot * WORDS_PER_SLOT;
  const count = n >>> 2;
  for (let w = 0; w < count; w++) if (words[base + w] !== view.getInt32(start + 4 * w, true)) return undefined;
  return keyValues[slot];
}

/** Remembers `kv`, decoded from the `n` bytes at `start`, in `slot` (when its value is a scalar). */
export function rememberKeyValue(slot: number, view: DataView, start: number, n: number, kv: KeyValue): void {
  const type = kv.value.type;
  if (type === 'bytes' || type === 'array' || type === 'kvlist') return;
  const base = slot * WORDS_PER_SLOT;
  const count = n >>> 2;
  for (let w = 0; w < count; w++) words[base + w] = view.getInt32(start + 4 * w, true);
  lastWords[slot] = view.getInt32(start + n - 4, true);
  lengths[slot] = n;
  keyValues[slot] = kv;
}
