import { InvalidArgumentError } from '../errors';

/**
 * Jump consistent hash (Lamping & Veach, 2014), bit-exact with the paper's C++:
 *
 *   while (j < buckets) { b = j; key = key * 2862933555777941757ULL + 1;
 *                         j = (b + 1) * (double(1LL << 31) / double((key >> 33) + 1)); }
 *
 * The 64-bit state is kept as two uint32 halves so the hot path never touches BigInt.
 */

const TWO_POW_31 = 0x8000_0000;
const MAX_BUCKETS = 0x7fff_ffff;
const MAX_UINT64 = (1n << 64n) - 1n;

// The LCG multiplier 2862933555777941757 = 0x27BB_2EE6_87B0_B0FD as four 16-bit limbs, low first.
const M0 = 0xb0fd;
const M1 = 0x87b0;
const M2 = 0x2ee6;
const M3 = 0x27bb;

/** Bucket for a 64-bit key. `key` must be in [0, 2^64 - 1]; `buckets` an integer in [1, 2^31 - 1]. */
export function jumpConsistentHash(key: bigint, buckets: number): number {
  if (typeof key !== 'bigint' || key < 0n || key > MAX_UINT64) {
    throw new InvalidArgumentError(`jump hash key must be a bigint in [0, 2^64 - 1], got ${describe(key)}`);
  }
  checkBucketCount(buckets);
  return jumpUnchecked(Number(key >> 32n), Number(key & 0xffff_ffffn), buckets);
}

/** The same, for a key given as its high and low uint32 halves (how xxh64 digests are read). */
export function jumpConsistentHashHalves(hi: number, lo: number, buckets: number): number {
  if (!isUint32(hi) || !isUint32(lo)) {
    throw new InvalidArgumentError(
      `jump hash key halves must be uint32 values, got ${describe(hi)} and ${describe(lo)}`,
    );
  }
  checkBucketCount(buckets);
  return jumpUnchecked(hi, lo, buckets);
}

/** Throws unless `count` is an integer in [1, 2^31 - 1], the range the paper's int32 result allows. */
export function checkBucketCount(count: number, what = 'bucket count'): void {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_BUCKETS) {
    throw new InvalidArgumentError(`${what} must be an integer in [1, 2^31 - 1], got ${describe(count)}`);
  }
}

function jumpUnchecked(keyHi: number, keyLo: number, buckets: number): number {
  let hi = keyHi;
  let lo = keyLo;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;

    // state = state * M + 1 (mod 2^64), schoolbook multiplication on 16-bit limbs: every partial
    // product is below 2^32 and every sum below 2^53, so it is exact, with integer ops only.
    // (Double % and 48-bit splits were 4x slower: V8 compiles % on doubles to a call to fmod.)
    const s3 = hi >>> 16;
    const s2 = hi & 0xffff;
    const s1 = lo >>> 16;
    const s0 = lo & 0xffff;
    let r0 = s0 * M0 + 1;
    let r1 = r0 >>> 16;
    r0 &= 0xffff;
    r1 += s1 * M0;
    let r2 = r1 >>> 16;
    r1 &= 0xffff;
    r1 += s0 * M1;
    r2 += r1 >>> 16;
    r1 &= 0xffff;
    r2 += s2 * M0;
    let r3 = r2 >>> 16;
    r2 &= 0xffff;
    r2 += s1 * M1;
    r3 += r2 >>> 16;
    r2 &= 0xffff;
    r2 += s0 * M2;
    r3 += r2 >>> 16;
    r2 &= 0xffff;
    r3 += s3 * M0 + s2 * M1 + s1 * M2 + s0 * M3;
    r3 &= 0xffff;
    hi = ((r3 << 16) | r2) >>> 0;
    lo = ((r1 << 16) | r0) >>> 0;

    // (key >> 33) is the top 31 bits of the state, i.e. hi >>> 1. Same double arithmetic as the C++.
    j = Math.floor((b + 1) * (TWO_POW_31 / ((hi >>> 1) + 1)));
  }
  return b;
}

function isUint32(value: number): boolean {
  return typeof value === 'number' && value >>> 0 === value;
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  return typeof value;
}
