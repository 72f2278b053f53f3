import { InvalidArgumentError } from '../errors';

/**
 * Jump consistent hash (Lamping & Veach, 2014), bit-exact with the paper's C++:
 *
 *   while (j < buckets) { b = j; key = key * 2862933555777941757ULL + 1;
 *                         j = (b + 1) * (double(1LL << 31) / double((key >> 33) + 1)); }
 *
 * The 64-bit state is kept as two 32-bit halves so the hot path never touches BigInt.
 */

const TWO_POW_31 = 0x8000_0000;
const MAX_BUCKETS = 0x7fff_ffff;
const MAX_UINT64 = (1n << 64n) - 1n;

// The LCG multiplier 2862933555777941757 = 0x27BB_2EE6_87B0_B0FD as 32-bit halves (int32 bits), and
// the low half's two 16-bit limbs.
const M_HI = 0x27bb2ee6;
const M_LO = 0x87b0b0fd | 0;
const M_LO1 = 0x87b0;
const M_LO0 = 0xb0fd;

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
  // The halves are int32 bits inside the loop (see xxh64-short.ts on why V8 prefers them).
  let hi = keyHi | 0;
  let lo = keyLo | 0;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;

    // state = state * M + 1 (mod 2^64), on 32-bit halves as in xxh64-short.ts: the low half is imul;
    // the high half is the high 32 bits of lo * M_LO, from 16-bit limbs whose products are exact
    // uint32 bits, plus the two cross terms. Integer ops only. (Double % and 48-bit splits were 4x
    // slower: V8 compiles % on doubles to a call to fmod.) The + 1 carries only if the low half wraps.
    const a0 = lo & 0xffff;
    const a1 = lo >>> 16;
    const t1 = Math.imul(a1, M_LO0);
    const t2 = Math.imul(a0, M_LO1);
    const middle = (Math.imul(a0, M_LO0) >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    hi =
      (Math.imul(a1, M_LO1) +
        (t1 >>> 16) +
        (t2 >>> 16) +
        (middle >>> 16) +
        Math.imul(hi, M_LO) +
        Math.imul(lo, M_HI)) |
      0;
    lo = (Math.imul(lo, M_LO) + 1) | 0;
    if (lo === 0) hi = (hi + 1) | 0;

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
