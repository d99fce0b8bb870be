/**
 * The partition of a record key as Kafka's Java client (and kafkajs's DefaultPartitioner) picks
 * it: murmur2 of the key's UTF-8 bytes, made positive, modulo the partition count.
 *
 * Our own implementation because the Kafka buffer must know a key's partition before it hands
 * records to kafkajs (it packs the records of one partition into one Kafka record), and because
 * kafkajs's version does its 32-bit arithmetic through a Long object per step — a few hundred
 * allocations per key. 32-bit integer math (Math.imul) gives the same result.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

const encoder = new TextEncoder();
/** Trace ids are 32 ASCII hex characters; keys longer than this are encoded on their own. */
const scratch = new Uint8Array(256);

/** Kafka's murmur2 (32-bit, seed 0x9747b28c) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array, length = data.length): number {
  let h = (SEED ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // The last 1–3 bytes (Java's switch falls through from the highest one).
  const rest = length & 3;
  if (rest > 0) {
    const tail = length & ~3;
    if (rest === 3) h ^= data[tail + 2] << 16;
    if (rest >= 2) h ^= data[tail + 1] << 8;
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner gives `key` on a topic of `partitions` partitions. */
export function partitionOfKey(key: string, partitions: number): number {
  let bytes: Uint8Array;
  let length: number;
  if (key.length <= scratch.length / 3) {
    // At most 3 UTF-8 bytes per UTF-16 unit, so the key always fits the scratch buffer.
    length = encoder.encodeInto(key, scratch).written;
    bytes = scratch;
  } else {
    bytes = encoder.encode(key);
    length = bytes.length;
  }
  return (murmur2(bytes, length) & 0x7fffffff) % partitions;
}
