import type { XXHash64 } from 'xxhash-addon';
import { InvalidArgumentError } from '../errors';
import { findHashTag, type HashTagBounds } from './hash-tag';
import { xxh64Short, type DigestHalves } from './xxh64-short';

/**
 * xxh64 (seed 0) of the bytes a key is routed by: its hash tag, or the whole key.
 *
 * Routed bytes up to SHORT_MAX_BYTES are hashed in JS (xxh64-short.ts): xxhash-addon's call costs
 * ~0.5 µs, mostly the 8-byte Buffer it allocates per result. Longer ones go to xxhash-addon, the
 * reference implementation, which is loaded on first need: `import { Client } from 'respline'` must
 * not load a native module that a single-server user never calls (issue 14).
 *
 * xxhash-addon does no type check of its own (a non-Buffer argument aborts the process), and it hashes
 * the whole Buffer it is given. So every argument reaching it is a Buffer of exactly the routed bytes.
 */

/**
 * Longest input hashed in JS. Up to here the JS hash beats the addon's fixed cost of a native call
 * and a result Buffer (bench/routing.ts measures both); the property test covers every length to it.
 */
export const SHORT_MAX_BYTES = 256;

// String keys are encoded into one scratch Buffer instead of a fresh Buffer per call.
// Safe because hashing is synchronous: nothing else can touch the scratch between write and hash.
const SCRATCH_BYTES = 768;
/** UTF-8 needs at most 3 bytes per UTF-16 code unit, so strings this short always fit. */
const SCRATCH_MAX_CHARS = SCRATCH_BYTES / 3;
const scratch = Buffer.alloc(SCRATCH_BYTES);
const encoder = new TextEncoder();
/** Longest string copied into the scratch by a JS loop: past it, the encoder's native copy is faster. */
const JS_COPY_MAX_CHARS = 16;
const tag: HashTagBounds = { start: 0, end: 0 };
const OPEN_BRACE = 0x7b;
const scratchHalves: DigestHalves = { hi: 0, lo: 0 };

type XXHash64Class = typeof XXHash64;
let addon: XXHash64Class | undefined;

/**
 * xxhash-addon's XXHash64, required on first call. A Cluster calls this when it is constructed, so a
 * broken native build fails there rather than on the first long key.
 */
export function loadXxhashAddon(): XXHash64Class {
  if (addon === undefined) {
    // A lazy require, not an import: an import would load the native module with lib/index.ts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module: typeof import('xxhash-addon') = require('xxhash-addon');
    addon = module.XXHash64;
  }
  return addon;
}

/** Sets `out` to the xxh64 digest of the routed bytes of `key` (UTF-8 for strings), as uint32 halves. */
export function routingHalves(key: string | Buffer, out: DigestHalves): void {
  // Most keys have no '{' and so no tag. String#indexOf and Buffer#indexOf rule one out in ~15 ns
  // whatever the length, where findHashTag's JS scan costs ~1 ns a byte. A string has a '{' exactly
  // where its UTF-8 does: '{' is ASCII, and no multi-byte UTF-8 char uses a byte below 0x80.
  if (typeof key === 'string') {
    const braced = key.indexOf('{') !== -1;
    if (key.length <= SCRATCH_MAX_CHARS) hashRouted(scratch, encodeIntoScratch(key), braced, out);
    else {
      const bytes = Buffer.from(key, 'utf8');
      hashRouted(bytes, bytes.length, braced, out);
    }
  } else if (Buffer.isBuffer(key)) {
    hashRouted(key, key.length, key.indexOf(OPEN_BRACE) !== -1, out);
  } else {
    throw new InvalidArgumentError(`a key must be a string or a Buffer, got ${describe(key)}`);
  }
}

/** 8-byte big-endian xxh64 digest of the routed bytes of `key` (UTF-8 for strings). */
export function routingDigest(key: string | Buffer): Buffer {
  routingHalves(key, scratchHalves);
  const digest = Buffer.allocUnsafe(8);
  digest.writeUInt32BE(scratchHalves.hi, 0);
  digest.writeUInt32BE(scratchHalves.lo, 4);
  return digest;
}

/** The routing digest as an unsigned 64-bit bigint. Convenient, but slower than `routingHalves`. */
export function routingHash(key: string | Buffer): bigint {
  routingHalves(key, scratchHalves);
  return toBigInt(scratchHalves);
}

/** Plain xxh64 with seed 0 of all of `bytes`, with no hash-tag rule. */
export function xxh64(bytes: Buffer): bigint {
  if (!Buffer.isBuffer(bytes)) throw new InvalidArgumentError(`xxh64 needs a Buffer, got ${describe(bytes)}`);
  hashRange(bytes, 0, bytes.length, scratchHalves);
  return toBigInt(scratchHalves);
}

/** Hashes the tag of bytes[0, length), or all of them; `braced` is false if they hold no '{'. */
function hashRouted(bytes: Buffer, length: number, braced: boolean, out: DigestHalves): void {
  if (braced && findHashTag(bytes, length, tag)) hashRange(bytes, tag.start, tag.end, out);
  else hashRange(bytes, 0, length, out);
}

function hashRange(bytes: Buffer, start: number, end: number, out: DigestHalves): void {
  if (end - start <= SHORT_MAX_BYTES) {
    xxh64Short(bytes, start, end, out);
    return;
  }
  const digest = loadXxhashAddon().hash(bytes.subarray(start, end));
  out.hi = digest.readUInt32BE(0);
  out.lo = digest.readUInt32BE(4);
}

/** UTF-8 bytes of `key` into the scratch; returns their count. `key` must fit (SCRATCH_MAX_CHARS). */
function encodeIntoScratch(key: string): number {
  // TextEncoder#encodeInto is a native call with a fixed cost (~40-70 ns, an object for its result
  // included) and then copies fast; a JS loop over charCodeAt costs ~2-4 ns a char. So short ASCII
  // keys are copied in JS, and longer ones, or any with a non-ASCII char, go to the encoder, which
  // writes what Buffer.from(key) would (a lone surrogate becomes U+FFFD's three bytes).
  const length = key.length;
  if (length > JS_COPY_MAX_CHARS) return encoder.encodeInto(key, scratch).written;
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0x7f) return encoder.encodeInto(key, scratch).written;
    scratch[i] = code;
  }
  return length;
}

function toBigInt(halves: DigestHalves): bigint {
  return (BigInt(halves.hi) << 32n) | BigInt(halves.lo);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a Uint8Array that is not a Buffer';
  return typeof value;
}
