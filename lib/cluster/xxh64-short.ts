/**
 * xxh64 with seed 0 in plain JS, for the short keys routing sees: no native call, no Buffer per result.
 *
 * xxhash-addon stays the reference (spec/xxh64-short.spec.ts checks this against it at every length
 * from 0 to 300) and hashes long keys. Its call costs ~0.5 µs, mostly the 8-byte Buffer it allocates
 * for every result.
 *
 * The 64-bit state is two 32-bit halves, so the hot path never touches BigInt. Every product is by
 * one of the xxh64 primes P, and is written out where it is needed as the same block of lines:
 *
 *   low half  = Math.imul(xLo, P_LO)
 *   high half = (high 32 bits of xLo * P_LO) + Math.imul(xHi, P_LO) + Math.imul(xLo, P_HI), mod 2^32
 *
 * The high 32 bits of xLo * P_LO come from 16-bit limbs: a1:a0 of xLo and P_LO1:P_LO0 of P_LO. Each
 * limb product is below 2^32, so the int32 bits Math.imul gives, read with `>>>` and `&`, are exact.
 * Integer ops only, in short dependency chains: a short key's hash is a chain of dependent products,
 * so their latency is what costs. (A double product corrected by the exact low half takes fewer ops,
 * but in a longer chain of slower ones: int to double, multiply, subtract, scale, round, double to int.)
 *
 * Written out, not in helpers: a helper returning 64 bits needs module-level registers or an object,
 * and V8 inlines at most ~900 bytes of bytecode into one function, so most of ~30 multiply helpers
 * stayed calls (with them, each 8-byte tail step cost as much as ~3 lane rounds of a stripe).
 * `read32` is small enough to be inlined at its call sites.
 *
 * Every half is kept as a signed int32 (`| 0`, never `>>> 0`) until the result: an int32 is a small
 * integer to V8, while a uint32 above 2^31 is a heap number. Only the caller's output is made unsigned.
 */

// The xxh64 primes as high and low 32-bit halves (int32 bits), and the low half's two 16-bit limbs.
const P1_HI = 0x9e3779b1 | 0;
const P1_LO = 0x85ebca87 | 0;
const P1_LO1 = 0x85eb;
const P1_LO0 = 0xca87;
const P2_HI = 0xc2b2ae3d | 0;
const P2_LO = 0x27d4eb4f | 0;
const P2_LO1 = 0x27d4;
const P2_LO0 = 0xeb4f;
const P3_HI = 0x165667b1 | 0;
const P3_LO = 0x9e3779f9 | 0;
const P3_LO1 = 0x9e37;
const P3_LO0 = 0x79f9;
const P4_HI = 0x85ebca77 | 0;
const P4_LO = 0xc2b2ae63 | 0;
const P5_HI = 0x27d4eb2f | 0;
const P5_LO = 0x165667c5 | 0;
const P5_LO_UNSIGNED = 0x165667c5;
const TWO_POW_MINUS_32 = 2 ** -32;

/** stripes' result: h after the stripes and the merge of the lanes, before the length and the tail. */
let stripeHi = 0;
let stripeLo = 0;

/** A 64-bit digest as uint32 halves; the caller passes one to reuse, so hashing allocates nothing. */
export interface DigestHalves {
  hi: number;
  lo: number;
}

/** Little-endian 32 bits at `i`, as int32 bits. */
function read32(bytes: Uint8Array, i: number): number {
  return bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
}

/**
 * xxh64(bytes[start, end), seed 0) into `out`. Any length works; the router sends only short inputs
 * here (see key-hash.ts for where the addon takes over).
 *
 * In the comments, round(acc, k) = rotl(acc + k * P2, 31) * P1, xxh64's lane round.
 */
export function xxh64Short(bytes: Uint8Array, start: number, end: number, out: DigestHalves): void {
  const length = end - start;
  let i = start;
  let hHi: number;
  let hLo: number;
  // x is a multiply's left operand, p its product; a0, a1 are x's low half as 16-bit limbs and
  // t0, t1, t2 partial products. Shared by every multiply below.
  let xHi: number;
  let xLo: number;
  let pHi: number;
  let pLo: number;
  let a0: number;
  let a1: number;
  let t0: number;
  let t1: number;
  let t2: number;

  if (length >= 32) {
    i = stripes(bytes, start, end);
    hHi = stripeHi;
    hLo = stripeLo;
  } else {
    hHi = P5_HI;
    hLo = P5_LO;
  }

  // h += length (below 2^32, so only a carry reaches the high half)
  pLo = hLo;
  hLo = (hLo + length) | 0;
  hHi = (hHi + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;

  // 8 bytes at a time: h = rotl(h ^ round(0, k), 27) * P1 + P4
  while (i + 8 <= end) {
    xLo = read32(bytes, i);
    xHi = read32(bytes, i + 4);
    // p = x * P2
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P2_LO0);
    t1 = Math.imul(a1, P2_LO0);
    t2 = Math.imul(a0, P2_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
    pLo = Math.imul(xLo, P2_LO);
    xHi = (pHi << 31) | (pLo >>> 1);
    xLo = (pLo << 31) | (pHi >>> 1);
    // p = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    pLo = Math.imul(xLo, P1_LO);
    xHi = hHi ^ pHi;
    xLo = hLo ^ pLo;
    pHi = (xHi << 27) | (xLo >>> 5);
    xLo = (xLo << 27) | (xHi >>> 5);
    xHi = pHi;
    // p = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    pLo = Math.imul(xLo, P1_LO);
    hLo = (pLo + P4_LO) | 0;
    hHi = (pHi + P4_HI + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
    i += 8;
  }

  // 4 bytes: h = rotl(h ^ (k * P1), 23) * P2 + P3, with k a uint32 (high half 0)
  if (i + 4 <= end) {
    xHi = 0;
    xLo = read32(bytes, i);
    // p = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    pLo = Math.imul(xLo, P1_LO);
    xHi = hHi ^ pHi;
    xLo = hLo ^ pLo;
    pHi = (xHi << 23) | (xLo >>> 9);
    xLo = (xLo << 23) | (xHi >>> 9);
    xHi = pHi;
    // p = x * P2
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P2_LO0);
    t1 = Math.imul(a1, P2_LO0);
    t2 = Math.imul(a0, P2_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
    pLo = Math.imul(xLo, P2_LO);
    hLo = (pLo + P3_LO) | 0;
    hHi = (pHi + P3_HI + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
    i += 4;
  }

  // Each remaining byte: h = rotl(h ^ (byte * P5), 11) * P1. byte * P5_LO is below 2^40, so the
  // double product is exact and its high half a plain division.
  while (i < end) {
    const k = bytes[i];
    xHi = hHi ^ (((k * P5_LO_UNSIGNED * TWO_POW_MINUS_32) | 0) + Math.imul(k, P5_HI));
    xLo = hLo ^ Math.imul(k, P5_LO);
    pHi = (xHi << 11) | (xLo >>> 21);
    xLo = (xLo << 11) | (xHi >>> 21);
    xHi = pHi;
    // h = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    hHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    hHi = (hHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    hLo = Math.imul(xLo, P1_LO);
    i++;
  }

  // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32
  xHi = hHi;
  xLo = hLo ^ (hHi >>> 1);
  // p = x * P2
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P2_LO0);
  t1 = Math.imul(a1, P2_LO0);
  t2 = Math.imul(a0, P2_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
  pLo = Math.imul(xLo, P2_LO);
  xHi = pHi ^ (pHi >>> 29);
  xLo = pLo ^ ((pLo >>> 29) | (pHi << 3));
  // p = x * P3
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P3_LO0);
  t1 = Math.imul(a1, P3_LO0);
  t2 = Math.imul(a0, P3_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P3_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P3_LO) + Math.imul(xLo, P3_HI)) | 0;
  pLo = Math.imul(xLo, P3_LO);
  out.hi = pHi >>> 0;
  out.lo = (pLo ^ pHi) >>> 0;
}

/**
 * The 32-byte stripes of bytes[start, end) and the merge of the four lanes into h (left in
 * stripeHi/stripeLo); returns where the tail begins. A function of its own, so xxh64Short stays small:
 * V8 optimizes a function once it has run long enough for its bytecode size, and with this inline,
 * a 10-byte key ran unoptimized for millions of calls.
 */
function stripes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  let hHi: number;
  let hLo: number;
  let xHi: number;
  let xLo: number;
  let pHi: number;
  let pLo: number;
  let a0: number;
  let a1: number;
  let t0: number;
  let t1: number;
  let t2: number;
  // Seed 0: v1 = P1 + P2 (mod 2^64), v2 = P2, v3 = 0, v4 = -P1 (= ~P1 + 1; P1_LO is not 0, so no carry).
  let v1Hi = 0x60ea27ee;
  let v1Lo = 0xadc0b5d6 | 0;
  let v2Hi = P2_HI;
  let v2Lo = P2_LO;
  let v3Hi = 0;
  let v3Lo = 0;
  let v4Hi = ~P1_HI;
  let v4Lo = (~P1_LO + 1) | 0;
  const limit = end - 32;
  while (i <= limit) {
    // v1 = round(v1, the stripe's bytes 0 to 7)
    xLo = read32(bytes, i);
    xHi = read32(bytes, i + 4);
    // p = x * P2
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P2_LO0);
    t1 = Math.imul(a1, P2_LO0);
    t2 = Math.imul(a0, P2_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
    pLo = Math.imul(xLo, P2_LO);
    xLo = (v1Lo + pLo) | 0;
    xHi = (v1Hi + pHi + (xLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
    pHi = (xHi << 31) | (xLo >>> 1);
    xLo = (xLo << 31) | (xHi >>> 1);
    xHi = pHi;
    // v1 = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    v1Hi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    v1Hi = (v1Hi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    v1Lo = Math.imul(xLo, P1_LO);
    // v2 = round(v2, the stripe's bytes 8 to 15)
    xLo = read32(bytes, i + 8);
    xHi = read32(bytes, i + 12);
    // p = x * P2
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P2_LO0);
    t1 = Math.imul(a1, P2_LO0);
    t2 = Math.imul(a0, P2_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
    pLo = Math.imul(xLo, P2_LO);
    xLo = (v2Lo + pLo) | 0;
    xHi = (v2Hi + pHi + (xLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
    pHi = (xHi << 31) | (xLo >>> 1);
    xLo = (xLo << 31) | (xHi >>> 1);
    xHi = pHi;
    // v2 = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    v2Hi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    v2Hi = (v2Hi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    v2Lo = Math.imul(xLo, P1_LO);
    // v3 = round(v3, the stripe's bytes 16 to 23)
    xLo = read32(bytes, i + 16);
    xHi = read32(bytes, i + 20);
    // p = x * P2
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P2_LO0);
    t1 = Math.imul(a1, P2_LO0);
    t2 = Math.imul(a0, P2_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
    pLo = Math.imul(xLo, P2_LO);
    xLo = (v3Lo + pLo) | 0;
    xHi = (v3Hi + pHi + (xLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
    pHi = (xHi << 31) | (xLo >>> 1);
    xLo = (xLo << 31) | (xHi >>> 1);
    xHi = pHi;
    // v3 = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    v3Hi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    v3Hi = (v3Hi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    v3Lo = Math.imul(xLo, P1_LO);
    // v4 = round(v4, the stripe's bytes 24 to 31)
    xLo = read32(bytes, i + 24);
    xHi = read32(bytes, i + 28);
    // p = x * P2
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P2_LO0);
    t1 = Math.imul(a1, P2_LO0);
    t2 = Math.imul(a0, P2_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
    pLo = Math.imul(xLo, P2_LO);
    xLo = (v4Lo + pLo) | 0;
    xHi = (v4Hi + pHi + (xLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
    pHi = (xHi << 31) | (xLo >>> 1);
    xLo = (xLo << 31) | (xHi >>> 1);
    xHi = pHi;
    // v4 = x * P1
    a0 = xLo & 0xffff;
    a1 = xLo >>> 16;
    t0 = Math.imul(a0, P1_LO0);
    t1 = Math.imul(a1, P1_LO0);
    t2 = Math.imul(a0, P1_LO1);
    t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
    v4Hi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
    v4Hi = (v4Hi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
    v4Lo = Math.imul(xLo, P1_LO);
    i += 32;
  }

  // h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)
  hHi = (v1Hi << 1) | (v1Lo >>> 31);
  hLo = (v1Lo << 1) | (v1Hi >>> 31);
  xLo = (v2Lo << 7) | (v2Hi >>> 25);
  hLo = (hLo + xLo) | 0;
  hHi = (hHi + ((v2Hi << 7) | (v2Lo >>> 25)) + (hLo >>> 0 < xLo >>> 0 ? 1 : 0)) | 0;
  xLo = (v3Lo << 12) | (v3Hi >>> 20);
  hLo = (hLo + xLo) | 0;
  hHi = (hHi + ((v3Hi << 12) | (v3Lo >>> 20)) + (hLo >>> 0 < xLo >>> 0 ? 1 : 0)) | 0;
  xLo = (v4Lo << 18) | (v4Hi >>> 14);
  hLo = (hLo + xLo) | 0;
  hHi = (hHi + ((v4Hi << 18) | (v4Lo >>> 14)) + (hLo >>> 0 < xLo >>> 0 ? 1 : 0)) | 0;

  // Each lane in turn, where round(0, v) = rotl(v * P2, 31) * P1:
  // h = (h ^ round(0, v1)) * P1 + P4
  xHi = v1Hi;
  xLo = v1Lo;
  // p = x * P2
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P2_LO0);
  t1 = Math.imul(a1, P2_LO0);
  t2 = Math.imul(a0, P2_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
  pLo = Math.imul(xLo, P2_LO);
  xHi = (pHi << 31) | (pLo >>> 1);
  xLo = (pLo << 31) | (pHi >>> 1);
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  xHi = hHi ^ pHi;
  xLo = hLo ^ pLo;
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  hLo = (pLo + P4_LO) | 0;
  hHi = (pHi + P4_HI + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;

  // h = (h ^ round(0, v2)) * P1 + P4
  xHi = v2Hi;
  xLo = v2Lo;
  // p = x * P2
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P2_LO0);
  t1 = Math.imul(a1, P2_LO0);
  t2 = Math.imul(a0, P2_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
  pLo = Math.imul(xLo, P2_LO);
  xHi = (pHi << 31) | (pLo >>> 1);
  xLo = (pLo << 31) | (pHi >>> 1);
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  xHi = hHi ^ pHi;
  xLo = hLo ^ pLo;
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  hLo = (pLo + P4_LO) | 0;
  hHi = (pHi + P4_HI + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;

  // h = (h ^ round(0, v3)) * P1 + P4
  xHi = v3Hi;
  xLo = v3Lo;
  // p = x * P2
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P2_LO0);
  t1 = Math.imul(a1, P2_LO0);
  t2 = Math.imul(a0, P2_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
  pLo = Math.imul(xLo, P2_LO);
  xHi = (pHi << 31) | (pLo >>> 1);
  xLo = (pLo << 31) | (pHi >>> 1);
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  xHi = hHi ^ pHi;
  xLo = hLo ^ pLo;
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  hLo = (pLo + P4_LO) | 0;
  hHi = (pHi + P4_HI + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;

  // h = (h ^ round(0, v4)) * P1 + P4
  xHi = v4Hi;
  xLo = v4Lo;
  // p = x * P2
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P2_LO0);
  t1 = Math.imul(a1, P2_LO0);
  t2 = Math.imul(a0, P2_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P2_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P2_LO) + Math.imul(xLo, P2_HI)) | 0;
  pLo = Math.imul(xLo, P2_LO);
  xHi = (pHi << 31) | (pLo >>> 1);
  xLo = (pLo << 31) | (pHi >>> 1);
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  xHi = hHi ^ pHi;
  xLo = hLo ^ pLo;
  // p = x * P1
  a0 = xLo & 0xffff;
  a1 = xLo >>> 16;
  t0 = Math.imul(a0, P1_LO0);
  t1 = Math.imul(a1, P1_LO0);
  t2 = Math.imul(a0, P1_LO1);
  t0 = (t0 >>> 16) + (t1 & 0xffff) + (t2 & 0xffff);
  pHi = (Math.imul(a1, P1_LO1) + (t1 >>> 16) + (t2 >>> 16) + (t0 >>> 16)) | 0;
  pHi = (pHi + Math.imul(xHi, P1_LO) + Math.imul(xLo, P1_HI)) | 0;
  pLo = Math.imul(xLo, P1_LO);
  hLo = (pLo + P4_LO) | 0;
  hHi = (pHi + P4_HI + (hLo >>> 0 < pLo >>> 0 ? 1 : 0)) | 0;
  stripeHi = hHi;
  stripeLo = hLo;
  return i;
}
