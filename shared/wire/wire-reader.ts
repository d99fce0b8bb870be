/**
 * A minimal protobuf wire-format reader for hand-written decoders. It exists because decoding
 * straight into meshtel's model is several times faster than protobufjs reflection followed by
 * a conversion pass (see test/bench/codec.ts), and the collector decodes every span it receives.
 *
 * Every read is bounded by the `end` of the enclosing message, so a length that runs past its
 * parent is reported as truncation instead of reading a neighbour's bytes.
 */
import type { AnyValue } from '../model/span.js';
import { DecodeProblem } from './decode-errors.js';
import { hexOfBytes } from './hex.js';
import { MAX_INTERNED_LENGTH, internSlot, setSlot, slotHolds, slotString, slotValue } from './string-intern.js';

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** protobuf's usual recursion limit; deeper nesting is refused instead of exhausting the stack. */
export const MAX_NESTING_DEPTH = 100;

const TWO_32 = 4294967296;

/**
 * Node's Buffer has native `utf8Slice`/`hexSlice` (what `toString` calls after checking its
 * arguments); protobufjs uses them the same way. Measured ~25% faster per short string than
 * `toString`, and far less garbage than building strings in JS.
 */
interface SliceableBuffer extends Buffer {
  utf8Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
}
const HAS_NATIVE_SLICES = typeof (Buffer.prototype as Partial<SliceableBuffer>).utf8Slice === 'function'
  && typeof (Buffer.prototype as Partial<SliceableBuffer>).hexSlice === 'function';

export class ProtoReader {
  pos = 0;
  private readonly view: DataView;
  private readonly text: SliceableBuffer;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as SliceableBuffer;
  }

  /** The same bytes as a DataView (for reading whole words). */
  get dataView(): DataView {
    return this.view;
  }

  /** The same bytes as a Buffer (for native compares). */
  get buffer(): Buffer {
    return this.text;
  }

  get length(): number {
    return this.bytes.length;
  }

  private truncated(what: string, need: number, end: number): DecodeProblem {
    if (what === 'varint') return new DecodeProblem(`truncated varint at offset ${this.pos}: its enclosing message ends at offset ${end}`);
    return new DecodeProblem(`truncated ${what}: needs ${need} bytes from offset ${this.pos}, but its enclosing message ends at offset ${end}`);
  }

  /** A varint as an unsigned 32-bit number (tags, lengths, uint32); higher bits are discarded. */
  uint32(end: number): number {
    const b = this.bytes;
    let pos = this.pos;
    if (end - pos >= 10) {
      // Unchecked fast path: a varint is at most 10 bytes.
      let c = b[pos++];
      let v = c & 0x7f;
      if (c >= 0x80) {
        c = b[pos++]; v |= (c & 0x7f) << 7;
        if (c >= 0x80) {
          c = b[pos++]; v |= (c & 0x7f) << 14;
          if (c >= 0x80) {
            c = b[pos++]; v |= (c & 0x7f) << 21;
            if (c >= 0x80) {
              c = b[pos++]; v |= c << 28;
              if (c >= 0x80) {
                // Upper bits of a 64-bit varint (e.g. a negative int32): skip them.
                let n = 0;
                while (b[pos++] >= 0x80) if (++n === 5) throw new DecodeProblem(`varint longer than 10 bytes at offset ${this.pos}`);
              }
            }
          }
        }
      }
      this.pos = pos;
      return v >>> 0;
    }
    let v = 0;
    for (let i = 0; ; i++) {
      if (pos >= end) throw this.truncated('varint', i + 1, end);
      if (i === 10) throw new DecodeProblem(`varint longer than 10 bytes at offset ${this.pos}`);
      const c = b[pos++];
      if (i < 5) v |= i === 4 ? c << 28 : (c & 0x7f) << (7 * i);
      if (c < 0x80) break;
    }
    this.pos = pos;
    return v >>> 0;
  }

  /** A varint as a signed 64-bit integer (int64). */
  int64(end: number): bigint {
    const b = this.bytes;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (pos >= end) throw this.truncated('varint', i + 1, end);
      if (i === 10) throw new DecodeProblem(`varint longer than 10 bytes at offset ${this.pos}`);
      const c = b[pos++];
      if (i < 4) lo |= (c & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (c & 0x7f) << 28;
        hi = (c & 0x7f) >>> 4;
      } else hi |= (c & 0x7f) << (7 * i - 32);
      if (c < 0x80) break;
    }
    this.pos = pos;
    if (hi === 0) return BigInt(lo >>> 0);
    // Small negatives (hi all ones, lo's sign bit set) are common enough to skip the BigInt shifts.
    if (hi === -1 && lo < 0) return BigInt(lo);
    // Below 2^53 the value is exact as a double; beyond it, assemble the halves as BigInts.
    if (hi > 0 && hi < 0x200000) return BigInt(hi * TWO_32 + (lo >>> 0));
    return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }

  bool(end: number): boolean {
    const pos = this.pos;
    if (pos < end && this.bytes[pos] < 0x80) {
      this.pos = pos + 1;
      return this.bytes[pos] !== 0;
    }
    return this.int64(end) !== 0n;
  }

  fixed32(end: number): number {
    if (end - this.pos < 4) throw this.truncated('fixed32', 4, end);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(end: number): bigint {
    if (end - this.pos < 8) throw this.truncated('fixed64', 8, end);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(end: number): number {
    if (end - this.pos < 8) throw this.truncated('double', 8, end);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix; returns the end offset of the field's bytes, which start at `pos`. */
  lengthDelimited(end: number): number {
    const len = this.uint32(end);
    if (len > end - this.pos) throw this.truncated('length-delimited field', len, end);
    return this.pos + len;
  }

  string(end: number): string {
    const stop = this.lengthDelimited(end);
    const start = this.pos;
    this.pos = stop;
    if (start === stop) return '';
    if (stop - start <= MAX_INTERNED_LENGTH) {
      const slot = internSlot(this.bytes, start, stop);
      if (slot >= 0) {
        if (slotHolds(slot, this.bytes, start, stop)) return slotString(slot);
        const s = this.decodeUtf8(start, stop);
        setSlot(slot, s);
        return s;
      }
    }
    return this.decodeUtf8(start, stop);
  }

  /** A string field as a string AnyValue; short repeated values share one immutable object. */
  stringValue(end: number): AnyValue {
    const stop = this.lengthDelimited(end);
    const start = this.pos;
    this.pos = stop;
    if (stop - start <= MAX_INTERNED_LENGTH && start !== stop) {
      const slot = internSlot(this.bytes, start, stop);
      if (slot >= 0) {
        if (!slotHolds(slot, this.bytes, start, stop)) setSlot(slot, this.decodeUtf8(start, stop));
        return slotValue(slot);
      }
    }
    return { type: 'string', value: start === stop ? '' : this.decodeUtf8(start, stop) };
  }

  private decodeUtf8(start: number, stop: number): string {
    return HAS_NATIVE_SLICES ? this.text.utf8Slice(start, stop) : this.text.toString('utf8', start, stop);
  }

  /** A copy, so values kept in the model do not pin the whole request body in memory. */
  bytesCopy(end: number): Uint8Array {
    const stop = this.lengthDelimited(end);
    const out = this.bytes.slice(this.pos, stop);
    this.pos = stop;
    return out;
  }

  /** A bytes field as lower-case hex (ids), whatever its length. */
  hex(end: number): string {
    const stop = this.lengthDelimited(end);
    const start = this.pos;
    this.pos = stop;
    if (start === stop) return '';
    return HAS_NATIVE_SLICES ? this.text.hexSlice(start, stop) : hexOfBytes(this.bytes, start, stop);
  }

  /** Skips the value of a field this decoder does not know (unknown fields must be ignored). */
  skip(tag: number, end: number, depth = 0): void {
    switch (tag & 7) {
      case WireType.VARINT:
        this.int64(end);
        return;
      case WireType.I64:
        if (end - this.pos < 8) throw this.truncated('fixed64', 8, end);
        this.pos += 8;
        return;
      case WireType.LEN:
        this.pos = this.lengthDelimited(end);
        return;
      case WireType.I32:
        if (end - this.pos < 4) throw this.truncated('fixed32', 4, end);
        this.pos += 4;
        return;
      case WireType.SGROUP: {
        if (depth >= MAX_NESTING_DEPTH) throw new DecodeProblem(`groups nested deeper than ${MAX_NESTING_DEPTH} levels`);
        const field = tag >>> 3;
        for (;;) {
          if (this.pos >= end) throw new DecodeProblem(`group of field ${field} is not closed before offset ${end}`);
          const inner = this.tag(end);
          if ((inner & 7) === WireType.EGROUP) {
            if (inner >>> 3 !== field) throw new DecodeProblem(`group of field ${field} closed by an end-group of field ${inner >>> 3}`);
            return;
          }
          this.skip(inner, end, depth + 1);
        }
      }
      case WireType.EGROUP:
        throw new DecodeProblem(`unexpected end-group tag of field ${tag >>> 3} at offset ${this.pos}`);
      default:
        throw new DecodeProblem(`invalid wire type ${tag & 7} (field ${tag >>> 3}) at offset ${this.pos}`);
    }
  }

  /** Reads a tag, refusing field number 0 (never valid, and usually a sign of garbage input). */
  tag(end: number): number {
    const at = this.pos;
    const tag = this.uint32(end);
    if (tag >>> 3 === 0) throw new DecodeProblem(`invalid tag ${tag} (field number 0) at offset ${at}`);
    return tag;
  }
}
