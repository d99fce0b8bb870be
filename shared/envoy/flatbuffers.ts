/**
 * A minimal FlatBuffers reader: just enough to read Istio's `FlatNode` peer metadata, which
 * proxies before Istio 1.24 put in filter state (see flat-node.ts). A whole FlatBuffers library
 * for one small table would be a dependency for a legacy path; the layout it needs is short:
 *
 * - The buffer starts with a uint32 offset to the root table.
 * - A table starts with an int32 `soffset`; its vtable sits at `table - soffset`.
 * - A vtable is uint16s: its own size in bytes, the table's inline size, then one offset per
 *   field (in schema declaration order) from the table start; 0, or a field past the vtable's end,
 *   means the field is absent (FlatBuffers omits defaults, and older writers know fewer fields).
 * - A string, vector or sub-table field holds a uint32 offset from the field's own position.
 *   A string is a uint32 byte length, UTF-8 bytes and a NUL; a vector is a uint32 element count
 *   and the elements — for tables and strings, uint32 offsets from each element's position.
 *
 * All integers are little-endian. Every position is checked against the buffer, so a corrupt
 * or hostile buffer raises a FlatBufferError instead of reading outside it or looping.
 */

export class FlatBufferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlatBufferError';
  }
}

export class FlatBufferReader {
  private readonly view: DataView;
  private readonly text: Buffer;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Position of the root table. */
  rootTable(): number {
    return this.table(this.uoffsetTarget(0, 'root table offset'));
  }

  /**
   * Position of an offset field's value (string, vector or table: 4 bytes) in `table`, or -1 when
   * the field is absent. This reader needs no scalar fields.
   */
  fieldPosition(table: number, fieldIndex: number): number {
    const vtable = table - this.view.getInt32(table, true);
    // Checked once per table in table(); re-reading it here keeps the method self-contained.
    const vtableSize = this.view.getUint16(vtable, true);
    const slot = 4 + 2 * fieldIndex;
    if (slot + 2 > vtableSize) return -1;
    const offset = this.view.getUint16(vtable + slot, true);
    if (offset === 0) return -1;
    const inlineSize = this.view.getUint16(vtable + 2, true);
    if (offset + 4 > inlineSize) throw new FlatBufferError(`field ${fieldIndex} of the table at ${table} lies outside the table`);
    return table + offset;
  }

  /** A string field, or undefined when absent. */
  string(table: number, fieldIndex: number): string | undefined {
    const at = this.fieldPosition(table, fieldIndex);
    return at < 0 ? undefined : this.stringAt(this.uoffsetTarget(at, `string field ${fieldIndex}`));
  }

  /** Positions of the tables in a `[Table]` field; [] when absent. */
  tableVector(table: number, fieldIndex: number): number[] {
    return this.offsetVector(table, fieldIndex).map((p) => this.table(p));
  }

  /** The strings of a `[string]` field; [] when absent. */
  stringVector(table: number, fieldIndex: number): string[] {
    return this.offsetVector(table, fieldIndex).map((p) => this.stringAt(p));
  }

  private offsetVector(table: number, fieldIndex: number): number[] {
    const at = this.fieldPosition(table, fieldIndex);
    if (at < 0) return [];
    const vector = this.uoffsetTarget(at, `vector field ${fieldIndex}`);
    const count = this.uint32(vector, `vector field ${fieldIndex} length`);
    if (count > (this.bytes.length - vector - 4) / 4) {
      throw new FlatBufferError(`vector field ${fieldIndex} claims ${count} elements, more than the buffer holds`);
    }
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const element = vector + 4 + 4 * i;
      out.push(this.uoffsetTarget(element, `element ${i} of vector field ${fieldIndex}`));
    }
    return out;
  }

  /** Validates a table start and its vtable, so field lookups afterwards stay in bounds. */
  private table(position: number): number {
    const soffset = this.int32(position, 'table vtable offset');
    const vtable = position - soffset;
    if (vtable < 0 || vtable + 4 > this.bytes.length) throw new FlatBufferError(`vtable of the table at ${position} lies outside the buffer`);
    const vtableSize = this.view.getUint16(vtable, true);
    const inlineSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > this.bytes.length) {
      throw new FlatBufferError(`malformed vtable (size ${vtableSize}) of the table at ${position}`);
    }
    if (inlineSize < 4 || position + inlineSize > this.bytes.length) {
      throw new FlatBufferError(`table at ${position} (size ${inlineSize}) runs past the buffer`);
    }
    return position;
  }

  private stringAt(position: number): string {
    const length = this.uint32(position, 'string length');
    const start = position + 4;
    if (length > this.bytes.length - start) throw new FlatBufferError(`string at ${position} runs past the buffer`);
    return this.text.toString('utf8', start, start + length);
  }

  /** Where the uint32 offset stored at `position` points (offsets are relative to themselves). */
  private uoffsetTarget(position: number, what: string): number {
    const target = position + this.uint32(position, what);
    if (target >= this.bytes.length) throw new FlatBufferError(`${what} at ${position} points past the buffer`);
    return target;
  }

  private uint32(position: number, what: string): number {
    if (position < 0 || position + 4 > this.bytes.length) throw new FlatBufferError(`${what} at ${position} lies outside the buffer`);
    return this.view.getUint32(position, true);
  }

  private int32(position: number, what: string): number {
    if (position < 0 || position + 4 > this.bytes.length) throw new FlatBufferError(`${what} at ${position} lies outside the buffer`);
    return this.view.getInt32(position, true);
  }
}
