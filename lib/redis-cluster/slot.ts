import { InvalidArgumentError } from '../errors';
import { findHashTag, type HashTagBounds } from '../cluster/hash-tag';
import type { CommandArg } from '../resp/types';

/** Redis Cluster's slot count: a key's slot is CRC16(key) mod 16384. */
export const SLOT_COUNT = 16384;

/** CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection), as Redis's crc16.c: one byte per lookup. */
const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
}

/** CRC16-XMODEM of bytes [start, end). */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

// String keys are encoded into one scratch buffer: routing a GET allocates nothing. Safe because
// hashing is synchronous. UTF-8 needs at most 3 bytes per UTF-16 code unit.
const SCRATCH_BYTES = 1024;
const scratch = Buffer.alloc(SCRATCH_BYTES);
const tag: HashTagBounds = { start: 0, end: 0 };

/** The slot of a key: CRC16 of its {hash tag} when it has a non-empty one, else of the whole key (UTF-8). */
export function slotOf(key: CommandArg): number {
  if (typeof key === 'string') {
    let length: number;
    if (key.length * 3 <= SCRATCH_BYTES) length = encodeIntoScratch(key);
    else return slotOfBytes(Buffer.from(key, 'utf8'));
    return findHashTag(scratch, length, tag)
      ? crc16(scratch, tag.start, tag.end) & (SLOT_COUNT - 1)
      : crc16(scratch, 0, length) & (SLOT_COUNT - 1);
  }
  if (Buffer.isBuffer(key)) return slotOfBytes(key);
  if (typeof key === 'number' && Number.isFinite(key)) return slotOf(String(key));
  throw new InvalidArgumentError(
    `a key must be a string or a Buffer, got ${key === null ? 'null' : typeof key}`,
  );
}

function slotOfBytes(bytes: Buffer): number {
  return findHashTag(bytes, bytes.length, tag)
    ? crc16(bytes, tag.start, tag.end) & (SLOT_COUNT - 1)
    : crc16(bytes, 0, bytes.length) & (SLOT_COUNT - 1);
}

function encodeIntoScratch(key: string): number {
  // Most keys are ASCII; copying char codes beats Buffer#write (a native call) on short keys.
  const length = key.length;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return scratch.write(key);
    scratch[i] = code;
  }
  return length;
}
