import fc from 'fast-check';
import { InvalidArgumentError } from '../lib/errors';
import { findHashTag } from '../lib/cluster/hash-tag';
import { jumpConsistentHash, jumpConsistentHashHalves } from '../lib/cluster/jump-hash';
import { routingDigest, routingHash, xxh64 } from '../lib/cluster/key-hash';
import { shardOf } from '../lib/cluster/routing';
import shardVectors from './fixtures/shard-vectors.json';

/** The paper's algorithm, transcribed literally in BigInt: slow, but obviously right. */
function referenceJump(key: bigint, buckets: number): number {
  const mask = (1n << 64n) - 1n;
  let state = key;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    state = (state * 2862933555777941757n + 1n) & mask;
    j = Math.floor((b + 1) * (2 ** 31 / Number((state >> 33n) + 1n)));
  }
  return b;
}

interface ShardVector {
  key?: string;
  keyHex: string;
  routedHex: string;
  xxh64: string;
  shards: Record<string, number>;
}

const vectors: ShardVector[] = shardVectors.vectors;

describe('jumpConsistentHash', () => {
  it.each([
    [1n, 1, 0],
    [42n, 57, 43],
    [0xdead10ccn, 666, 361],
    [256n, 1024, 520],
    [2n ** 64n - 1n, 128, 92],
  ])('jump(%s, %d) = %d', (key, buckets, expected) => {
    expect(jumpConsistentHash(key, buckets)).toBe(expected);
    expect(referenceJump(key, buckets)).toBe(expected);
  });

  it('agrees with the BigInt reference on random keys and bucket counts', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (key, n) => {
          expect(jumpConsistentHash(key, n)).toBe(referenceJump(key, n));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('agrees with the reference where carries are most likely: keys near word boundaries', () => {
    const edges = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_0000_0000n, 2n ** 63n, 2n ** 64n - 2n];
    for (const key of edges) {
      for (const n of [1, 2, 3, 10, 1000, 65_536, 2 ** 31 - 1]) {
        expect(jumpConsistentHash(key, n)).toBe(referenceJump(key, n));
      }
    }
  });

  it('carries the + 1 into the high half when the low half of key * M wraps to 0xffffffff', () => {
    // 0x666313ab * 0x87b0b0fd (the multiplier's low half) = 0xffffffff (mod 2^32).
    for (const hi of [0n, 1n, 0x7fff_ffffn, 0xffff_fffen, 0xffff_ffffn, 0x1234_5678n]) {
      const key = (hi << 32n) | 0x6663_13abn;
      for (const n of [2, 1000, 65_536, 2 ** 31 - 1]) {
        expect({ key, n, bucket: jumpConsistentHash(key, n) }).toEqual({
          key,
          n,
          bucket: referenceJump(key, n),
        });
      }
    }
  });

  it('takes the key as uint32 halves with the same result', () => {
    const key = 0x0123_4567_89ab_cdefn;
    expect(jumpConsistentHashHalves(0x0123_4567, 0x89ab_cdef, 1000)).toBe(jumpConsistentHash(key, 1000));
  });

  it('moves a key only to the new bucket when buckets grow (the consistency property)', () => {
    for (let i = 0n; i < 2000n; i++) {
      const key = (i * 0x9e37_79b9_7f4a_7c15n) & ((1n << 64n) - 1n);
      const before = jumpConsistentHash(key, 10);
      const after = jumpConsistentHash(key, 11);
      if (after !== before) expect(after).toBe(10);
    }
  });

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 31, '3' as unknown as number, undefined as unknown as number])(
    'rejects bucket count %p',
    (buckets) => {
      expect(() => jumpConsistentHash(1n, buckets)).toThrow(InvalidArgumentError);
    },
  );

  it.each([-1n, 2n ** 64n, 5 as unknown as bigint, '5' as unknown as bigint, null as unknown as bigint])(
    'rejects key %p',
    (key) => {
      expect(() => jumpConsistentHash(key, 3)).toThrow(InvalidArgumentError);
    },
  );

  it('rejects halves that are not uint32', () => {
    expect(() => jumpConsistentHashHalves(-1, 0, 3)).toThrow(InvalidArgumentError);
    expect(() => jumpConsistentHashHalves(0, 2 ** 32, 3)).toThrow(InvalidArgumentError);
    expect(() => jumpConsistentHashHalves(0.5, 0, 3)).toThrow(InvalidArgumentError);
  });
});

describe('xxh64', () => {
  it('matches the published seed-0 values', () => {
    expect(xxh64(Buffer.alloc(0)).toString(16)).toBe('ef46db3751d8e999');
    expect(xxh64(Buffer.from('abc')).toString(16)).toBe('44bc2cf5ad770999');
    expect(routingHash('')).toBe(0xef46db3751d8e999n);
    expect(routingHash('abc')).toBe(0x44bc2cf5ad770999n);
  });

  it('hashes only the bytes of a Buffer view, not its backing memory', () => {
    const backing = Buffer.from('xxabcxx');
    expect(xxh64(backing.subarray(2, 5))).toBe(0x44bc2cf5ad770999n);
  });

  it('rejects anything but a Buffer instead of crashing the process', () => {
    expect(() => xxh64('abc' as unknown as Buffer)).toThrow(InvalidArgumentError);
    expect(() => xxh64(new Uint8Array(3) as unknown as Buffer)).toThrow(InvalidArgumentError);
  });
});

describe('findHashTag', () => {
  const tagOf = (key: string): string | null => {
    const bytes = Buffer.from(key);
    const bounds = { start: -1, end: -1 };
    return findHashTag(bytes, bytes.length, bounds) ? bytes.toString('utf8', bounds.start, bounds.end) : null;
  };

  it.each([
    ['{user}:1', 'user'],
    ['a{b}c{d}', 'b'],
    ['}{a}', 'a'],
    ['{{a}}', '{a'],
    ['x{}y{z}', null],
    ['{}', null],
    ['{a', null],
    ['a}', null],
    ['plain', null],
    ['{ключ}:1', 'ключ'],
  ])('%p has tag %p', (key, expected) => {
    expect(tagOf(key)).toBe(expected);
  });

  it('only looks at the first `length` bytes', () => {
    const bytes = Buffer.from('{ab}');
    expect(findHashTag(bytes, 3, { start: 0, end: 0 })).toBe(false);
  });
});

describe('shardOf', () => {
  it('covers every committed vector, for both string and Buffer keys', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(60);
    for (const vector of vectors) {
      const bytes = Buffer.from(vector.keyHex, 'hex');
      expect(routingDigest(bytes).toString('hex')).toBe(vector.xxh64);
      if (vector.key !== undefined) {
        expect(Buffer.from(vector.key).toString('hex')).toBe(vector.keyHex);
        expect(routingDigest(vector.key).toString('hex')).toBe(vector.xxh64);
      }
      for (const count of shardVectors.shardCounts) {
        const expected = vector.shards[String(count)];
        expect({ key: vector.keyHex, count, shard: shardOf(bytes, count) }).toEqual({
          key: vector.keyHex,
          count,
          shard: expected,
        });
        if (vector.key !== undefined) expect(shardOf(vector.key, count)).toBe(expected);
      }
    }
  });

  it('routes keys sharing a hash tag together', () => {
    const shard = shardOf('{user:42}:profile', 1000);
    expect(shardOf('{user:42}:sessions', 1000)).toBe(shard);
    expect(shardOf('user:42', 1000)).toBe(shard);
    expect(shardOf(Buffer.from('x{user:42}y'), 1000)).toBe(shard);
  });

  it('gives a Buffer key the shard of the string with the same bytes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 1, max: 5000 }),
        (key, n) => {
          expect(shardOf(Buffer.from(key, 'utf8'), n)).toBe(shardOf(key, n));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('encodes awkward strings exactly as Buffer.from does (ASCII prefix, lone surrogates)', () => {
    for (const key of [
      'naïve',
      'abc\u{1F600}',
      '\ud800',
      'a\udc00{b}',
      '{\ud83d}',
      '中'.repeat(256),
      'x'.repeat(256) + 'é',
    ]) {
      expect(routingHash(key)).toBe(routingHash(Buffer.from(key, 'utf8')));
    }
  });

  it('routes a long string key (past the scratch buffer) by its UTF-8 bytes', () => {
    const key = `${'ключ'.repeat(100)}{tag}${'键'.repeat(100)}`;
    expect(routingDigest(key).toString('hex')).toBe(routingDigest(Buffer.from('tag')).toString('hex'));
    const untagged = 'é'.repeat(1000);
    expect(routingHash(untagged)).toBe(xxh64(Buffer.from(untagged)));
  });

  it('spreads 3000 keys over 3 shards within ±10% of even', () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[shardOf(`key:${i}`, 3)]++;
    for (const count of counts) {
      expect(count).toBeGreaterThanOrEqual(900);
      expect(count).toBeLessThanOrEqual(1100);
    }
  });

  it.each([123, null, undefined, {}, [], new Uint8Array([1, 2]), Symbol('k')])('rejects key %p', (key) => {
    expect(() => shardOf(key as unknown as string, 3)).toThrow(InvalidArgumentError);
  });

  it.each([0, -3, 2.5, NaN, 2 ** 31, '3', null])('rejects shard count %p', (shards) => {
    expect(() => shardOf('k', shards as unknown as number)).toThrow(InvalidArgumentError);
  });
});
