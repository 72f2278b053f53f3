import { XXHash64 } from 'xxhash-addon';
import { InvalidArgumentError } from '../errors';
import { findHashTag, type HashTagBounds } from './hash-tag';

/**
 * xxh64 (seed 0) of the bytes a key is routed by: its hash tag, or the whole key.
 *
 * xxhash-addon does no type check of its own (a non-Buffer argument aborts the process), and it hashes
 * the whole Buffer it is given. So every argument reaching it is a Buffer of exactly the routed bytes.
 */

// String keys are encoded into one scratch Buffer instead of a fresh Buffer per call. Views of each
// length are cached, so the exact-length Buffer xxhash-addon needs costs no allocation either.
// Safe because hashing is synchronous: nothing else can touch the scratch between write and hash.
const SCRATCH_BYTES = 768;
/** UTF-8 needs at most 3 bytes per UTF-16 code unit, so strings this short always fit. */
const SCRATCH_MAX_CHARS = SCRATCH_BYTES / 3;
const scratch = Buffer.alloc(SCRATCH_BYTES);
const scratchViews: Buffer[] = [];
const tag: HashTagBounds = { start: 0, end: 0 };

/** 8-byte big-endian xxh64 digest of the routed bytes of `key` (UTF-8 for strings). */
export function routingDigest(key: string | Buffer): Buffer {
  if (typeof key === 'string') {
    return key.length <= SCRATCH_MAX_CHARS ? digestViaScratch(key) : digestBytes(Buffer.from(key, 'utf8'));
  }
  if (Buffer.isBuffer(key)) return digestBytes(key);
  throw new InvalidArgumentError(`a key must be a string or a Buffer, got ${describe(key)}`);
}

/** The routing digest as an unsigned 64-bit bigint. Convenient, but slower than `routingDigest`. */
export function routingHash(key: string | Buffer): bigint {
  return routingDigest(key).readBigUInt64BE(0);
}

/** Plain xxh64 with seed 0 of all of `bytes`, with no hash-tag rule. */
export function xxh64(bytes: Buffer): bigint {
  if (!Buffer.isBuffer(bytes)) throw new InvalidArgumentError(`xxh64 needs a Buffer, got ${describe(bytes)}`);
  return XXHash64.hash(bytes).readBigUInt64BE(0);
}

function digestViaScratch(key: string): Buffer {
  let length = encodeIntoScratch(key);
  if (findHashTag(scratch, length, tag)) {
    // Move the tag to the front so a cached zero-offset view covers it exactly.
    length = tag.end - tag.start;
    for (let i = 0; i < length; i++) scratch[i] = scratch[tag.start + i];
  }
  return XXHash64.hash(scratchView(length));
}

/** UTF-8 bytes of `key` into the scratch; returns their count. `key` must fit (SCRATCH_MAX_CHARS). */
function encodeIntoScratch(key: string): number {
  // Most keys are ASCII, and copying their char codes in JS is ~2.5x faster than Buffer#write,
  // a native call. The first non-ASCII char hands the whole key to Buffer#write instead.
  const length = key.length;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return scratch.write(key);
    scratch[i] = code;
  }
  return length;
}

function digestBytes(key: Buffer): Buffer {
  if (!findHashTag(key, key.length, tag)) return XXHash64.hash(key);
  return XXHash64.hash(key.subarray(tag.start, tag.end));
}

function scratchView(length: number): Buffer {
  let view = scratchViews[length];
  if (view === undefined) {
    view = scratch.subarray(0, length);
    scratchViews[length] = view;
  }
  return view;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a Uint8Array that is not a Buffer';
  return typeof value;
}
