/**
 * Bytes that arrive in pieces, gathered into one Buffer whose capacity doubles as needed. Memory stays
 * within twice what was received and every byte is copied a bounded number of times, however small
 * the pieces; nothing is reserved for a length a peer merely declared.
 */
export class ByteAccumulator {
  private buffer: Buffer;
  length = 0;

  constructor(
    first: Buffer,
    /** Never grow past this, the most the frame can hold. */
    private readonly limit: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.min(limit, Math.max(256, first.length * 2)));
    this.append(first);
  }

  append(piece: Buffer): void {
    const needed = this.length + piece.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.limit, Math.max(needed, this.buffer.length * 2)));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += piece.copy(this.buffer, this.length);
  }

  /** The first byte gathered, or -1 when empty. */
  firstByte(): number {
    return this.length === 0 ? -1 : (this.buffer[0] as number);
  }

  /** The last byte gathered, or -1 when empty. */
  lastByte(): number {
    return this.length === 0 ? -1 : (this.buffer[this.length - 1] as number);
  }

  /** The bytes gathered, followed by `extra`, as one Buffer. */
  concat(extra: Buffer): Buffer {
    return Buffer.concat([this.buffer.subarray(0, this.length), extra], this.length + extra.length);
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
