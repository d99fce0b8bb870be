/**
 * A minimal protobuf wire-format writer for hand-written encoders (the collector encodes one
 * record per trace, so this is on the hot path).
 *
 * Nested messages are written in place: `fork()` reserves one byte for the length, and
 * `join()` fills it in — moving the message's bytes right in the rare case the length needs more
 * than one byte. That avoids a separate sizing pass over the whole tree. One scratch buffer is
 * reused across calls (encoding is synchronous), and `finish()` returns an exact-size copy.
 */
import { hexDigitAt } from './hex.js';

const INITIAL_CAPACITY = 64 * 1024;
/** A scratch buffer grown beyond this for one big request is not kept for the next one. */
const RETAINED_CAPACITY = 1024 * 1024;

export class ProtoWriter {
  private bytes: Uint8Array<ArrayBuffer>;
  private text: Buffer;
  private view: DataView;
  pos = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.bytes = new Uint8Array(capacity);
    this.text = Buffer.from(this.bytes.buffer);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `n` more bytes. */
  private ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.pos + n) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.text = Buffer.from(next.buffer);
    this.view = new DataView(next.buffer);
  }

  /** An exact-size copy of what was written; the writer is reset for reuse. */
  finish(): Uint8Array<ArrayBuffer> {
    const out = this.bytes.slice(0, this.pos);
    this.pos = 0;
    if (this.bytes.length > RETAINED_CAPACITY) {
      this.bytes = new Uint8Array(INITIAL_CAPACITY);
      this.text = Buffer.from(this.bytes.buffer);
      this.view = new DataView(this.bytes.buffer);
    }
    return out;
  }

  reset(): void {
    this.pos = 0;
  }

  /**
   * What was written so far, as a view of the scratch buffer (no copy): valid only until the
   * writer is used again, so the caller copies it at once.
   */
  written(): Uint8Array<ArrayBuffer> {
    return this.bytes.subarray(0, this.pos);
  }

  /** A varint of an unsigned 32-bit value (tags, lengths, uint32, enums ≥ 0). */
  uint32(v: number): void {
    this.ensure(5);
    const b = this.bytes;
    let pos = this.pos;
    v >>>= 0;
    while (v >= 0x80) {
      b[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[pos++] = v;
    this.pos = pos;
  }

  /** A tag: field number and wire type. */
  tag(field: number, wireType: number): void {
    this.uint32((field << 3) | wireType);
  }

  /** A varint of a signed 64-bit value (int64): negatives take ten bytes, per protobuf. */
  int64(v: bigint): void {
    if (v >= 0n && v < 0x80000000n) {
      this.uint32(Number(v));
      return;
    }
    let u = BigInt.asUintN(64, v);
    this.ensure(10);
    const b = this.bytes;
    let pos = this.pos;
    while (u >= 0x80n) {
      b[pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    b[pos++] = Number(u);
    this.pos = pos;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  /** Values outside the unsigned 64-bit range wrap, as protobuf's fixed64 does. */
  fixed64(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string (lone surrogates become U+FFFD, as everywhere in Node). */
  string(s: string): void {
    const n = s.length;
    this.ensure(n * 3 + 5);
    const b = this.bytes;
    if (n < 43) {
      // At most 42 UTF-16 units encode to at most 126 bytes: the length is one byte. Try ASCII
      // in JS first; that is most keys and values and avoids a native call per string.
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        b[this.pos] = n;
        this.pos = start + n;
        return;
      }
      const len = this.text.write(s, start, 'utf8');
      b[this.pos] = len;
      this.pos = start + len;
      return;
    }
    this.uint32(Buffer.byteLength(s, 'utf8'));
    this.pos += this.text.write(s, this.pos, 'utf8');
  }

  /** A length-delimited byte string. */
  bytesField(v: Uint8Array): void {
    this.uint32(v.length);
    this.ensure(v.length);
    this.bytes.set(v, this.pos);
    this.pos += v.length;
  }

  /**
   * A hex string as length-delimited bytes (trace and span ids). Throws for a string that is
   * not even-length hex: validation keeps such ids out, so reaching this is a caller's bug.
   */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    if (hex.length !== n * 2) throw new TypeError(`cannot encode id "${hex.slice(0, 64)}": odd number of hex digits`);
    this.ensure(n + 5);
    this.uint32(n);
    const b = this.bytes;
    let pos = this.pos;
    for (let i = 0; i < hex.length; i += 2) {
      const hi = hexDigitAt(hex, i);
      const lo = hexDigitAt(hex, i + 1);
      if (hi < 0 || lo < 0) throw new TypeError(`cannot encode id "${hex.slice(0, 64)}": not hex`);
      b[pos++] = (hi << 4) | lo;
    }
    this.pos = pos;
  }

  /** Bytes already encoded elsewhere (e.g. a cached message), copied in as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A copy of what was written from `start` to now (complete fields only). */
  copySince(start: number): Uint8Array {
    return this.bytes.slice(start, this.pos);
  }

  /** Starts a nested message (after its tag); pass the result to `join`. */
  fork(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends a nested message started at `mark`, writing its length before it. */
  join(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.bytes[mark] = len;
      return;
    }
    const extra = len < 0x4000 ? 1 : len < 0x200000 ? 2 : len < 0x10000000 ? 3 : 4;
    this.ensure(extra);
    const b = this.bytes;
    b.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let v = len;
    let pos = mark;
    while (v >= 0x80) {
      b[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[pos] = v;
    this.pos += extra;
  }
}
