/**
 * Bounds-checked access to a FlatBuffer's tables on top of the `flatbuffers` runtime's ByteBuffer. The runtime
 * trusts its input (it has no verifier in JavaScript), so every offset is checked here before it is followed:
 * a cut or corrupt file throws ImportError('truncated') instead of reading garbage past the end.
 *
 * Fields are addressed by slot (their index in the schema's table, counting a union as two slots: its type
 * then its value); the vtable entry of slot s sits at byte 4 + 2s of the vtable.
 */
import { ByteBuffer } from 'flatbuffers';
import { ImportError } from './types';

export class FlatReader {
  private readonly bb: ByteBuffer;
  private readonly size: number;

  constructor(
    bytes: Uint8Array,
    private readonly fileName: string,
  ) {
    this.bb = new ByteBuffer(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    this.size = bytes.length;
  }

  identifier(): string {
    this.need(4, 4);
    return this.bb.getBufferIdentifier();
  }

  /** Position of the root table. */
  root(): number {
    this.need(0, 4);
    return this.tableAt(this.bb.readUint32(0));
  }

  private need(offset: number, bytes: number): void {
    if (!Number.isInteger(offset) || offset < 0 || bytes < 0 || offset + bytes > this.size)
      throw new ImportError(
        'truncated',
        `${this.fileName}: the file is truncated or corrupt (an offset points past its ${this.size} bytes)`,
      );
  }

  /** Checks a table and its vtable lie inside the buffer and returns its position. */
  private tableAt(pos: number): number {
    this.need(pos, 4);
    const vtable = pos - this.bb.readInt32(pos);
    this.need(vtable, 4);
    this.need(vtable, this.bb.readUint16(vtable));
    return pos;
  }

  /** Absolute offset of a field, or 0 when absent (then the schema's default applies). */
  private field(table: number, slot: number, bytes: number): number {
    const rel = this.bb.__offset(table, 4 + 2 * slot);
    if (rel === 0) return 0;
    this.need(table + rel, bytes);
    return table + rel;
  }

  int8(table: number, slot: number, dflt = 0): number {
    const at = this.field(table, slot, 1);
    return at ? this.bb.readInt8(at) : dflt;
  }
  uint8(table: number, slot: number, dflt = 0): number {
    const at = this.field(table, slot, 1);
    return at ? this.bb.readUint8(at) : dflt;
  }
  bool(table: number, slot: number, dflt = false): boolean {
    const at = this.field(table, slot, 1);
    return at ? this.bb.readUint8(at) !== 0 : dflt;
  }
  int32(table: number, slot: number, dflt = 0): number {
    const at = this.field(table, slot, 4);
    return at ? this.bb.readInt32(at) : dflt;
  }
  uint32(table: number, slot: number, dflt = 0): number {
    const at = this.field(table, slot, 4);
    return at ? this.bb.readUint32(at) : dflt;
  }
  uint64(table: number, slot: number): bigint {
    const at = this.field(table, slot, 8);
    return at ? this.bb.readUint64(at) : 0n;
  }
  float32(table: number, slot: number, dflt = 0): number {
    const at = this.field(table, slot, 4);
    return at ? this.bb.readFloat32(at) : dflt;
  }

  /** Position of a sub-table, or null when absent. */
  table(table: number, slot: number): number | null {
    const at = this.field(table, slot, 4);
    return at ? this.tableAt(at + this.bb.readUint32(at)) : null;
  }

  /** Start and length of a vector field whose elements are `elemBytes` wide; null when absent. */
  private vector(table: number, slot: number, elemBytes: number): { start: number; length: number } | null {
    const at = this.field(table, slot, 4);
    if (!at) return null;
    const vec = at + this.bb.readUint32(at);
    this.need(vec, 4);
    const length = this.bb.readUint32(vec);
    this.need(vec + 4, length * elemBytes);
    return { start: vec + 4, length };
  }

  int32s(table: number, slot: number): number[] | null {
    const v = this.vector(table, slot, 4);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i)) : null;
  }
  float32s(table: number, slot: number): number[] | null {
    const v = this.vector(table, slot, 4);
    return v ? Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i)) : null;
  }
  int64s(table: number, slot: number): number[] | null {
    const v = this.vector(table, slot, 8);
    return v ? Array.from({ length: v.length }, (_, i) => Number(this.bb.readInt64(v.start + 8 * i))) : null;
  }
  /** A [ubyte] vector as a view into the file (no copy). */
  bytes(table: number, slot: number): Uint8Array | null {
    const v = this.vector(table, slot, 1);
    return v ? this.bb.bytes().subarray(v.start, v.start + v.length) : null;
  }
  /** Positions of the tables of a [Table] vector. */
  tables(table: number, slot: number): number[] {
    const v = this.vector(table, slot, 4);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const at = v.start + 4 * i;
      return this.tableAt(at + this.bb.readUint32(at));
    });
  }
  string(table: number, slot: number): string {
    const v = this.vector(table, slot, 1);
    if (!v) return '';
    return new TextDecoder().decode(this.bb.bytes().subarray(v.start, v.start + v.length));
  }
  /** A slice of the whole file (TFLite's out-of-band buffers), bounds-checked. */
  slice(offset: number, length: number): Uint8Array {
    this.need(offset, length);
    return this.bb.bytes().subarray(offset, offset + length);
  }
}
