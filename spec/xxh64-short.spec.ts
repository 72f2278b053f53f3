import fc from 'fast-check';
import { XXHash64 } from 'xxhash-addon';
import { findHashTag } from '../lib/cluster/hash-tag';
import { routingDigest, routingHash, SHORT_MAX_BYTES, xxh64 } from '../lib/cluster/key-hash';
import { xxh64Short, type DigestHalves } from '../lib/cluster/xxh64-short';

/** The reference: xxhash-addon on exactly `bytes`, as 16 hex digits. */
const reference = (bytes: Buffer): string => XXHash64.hash(Buffer.from(bytes)).toString('hex');

const hex = (halves: DigestHalves): string =>
  halves.hi.toString(16).padStart(8, '0') + halves.lo.toString(16).padStart(8, '0');

function shortHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const out = { hi: -1, lo: -1 };
  xxh64Short(bytes, start, end, out);
  return hex(out);
}

/** What routing hashes, by the rule itself: the tag's bytes if there is one, else all of them. */
function routedBytes(key: string | Buffer): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const bounds = { start: 0, end: 0 };
  return findHashTag(bytes, bytes.length, bounds) ? bytes.subarray(bounds.start, bounds.end) : bytes;
}

// Where xxh64 changes code path: the 4- and 8-byte tails, the 32-byte stripes, and the JS/addon cut.
const BOUNDARIES = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 39, 40, 63, 64, 65, 96, 127, 128];
const CUT = [SHORT_MAX_BYTES - 1, SHORT_MAX_BYTES, SHORT_MAX_BYTES + 1];

describe('xxh64Short (pure JS) against xxhash-addon', () => {
  it('matches the published seed-0 values', () => {
    expect(shortHex(Buffer.alloc(0))).toBe('ef46db3751d8e999');
    expect(shortHex(Buffer.from('abc'))).toBe('44bc2cf5ad770999');
  });

  it('matches at every length where the algorithm changes path, with random and extreme bytes', () => {
    for (const length of [...BOUNDARIES, ...CUT]) {
      for (const fill of [0x00, 0xff, 0x80, 0x7f]) {
        const bytes = Buffer.alloc(length, fill);
        expect({ length, fill, hash: shortHex(bytes) }).toEqual({ length, fill, hash: reference(bytes) });
      }
      fc.assert(
        fc.property(fc.uint8Array({ minLength: length, maxLength: length }), (array) => {
          expect(shortHex(array)).toBe(reference(Buffer.from(array)));
        }),
        { numRuns: 40 },
      );
    }
  });

  it('matches at every length from 0 to 300 (every tail shape, 0 to 9 stripes)', () => {
    for (let length = 0; length <= 300; length++) {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: length, maxLength: length }), (array) => {
          expect({ length, hash: shortHex(array) }).toEqual({ length, hash: reference(Buffer.from(array)) });
        }),
        { numRuns: 8 },
      );
    }
  });

  it('matches on random byte strings of every length up to the JS/addon cut', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: SHORT_MAX_BYTES }), (array) => {
        expect(shortHex(array)).toBe(reference(Buffer.from(array)));
      }),
      { numRuns: 1500 },
    );
  });

  it('hashes only bytes[start, end) of a larger array', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.nat(), (array, a, b) => {
        const start = array.length === 0 ? 0 : a % (array.length + 1);
        const end = start + (b % (array.length - start + 1));
        expect(shortHex(array, start, end)).toBe(reference(Buffer.from(array.subarray(start, end))));
      }),
      { numRuns: 1000 },
    );
  });
});

/** A string of `length` chars drawn from `alphabet`. */
const stringOf = (alphabet: fc.Arbitrary<string>, length: number): fc.Arbitrary<string> =>
  fc.array(alphabet, { minLength: length, maxLength: length }).map((chars) => chars.join(''));

const ascii = fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code));
const asciiNoBraces = ascii.filter((char) => char !== '{' && char !== '}');
/** Chars that are not ASCII: 2- and 3-byte UTF-8, surrogate pairs, and lone surrogates (U+FFFD). */
const nonAscii = fc.oneof(
  fc.integer({ min: 0x80, max: 0xd7ff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xe000, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
);

describe('routing digests with the JS path, against xxhash-addon on the routed bytes', () => {
  const digestOf = (key: string | Buffer): string => routingDigest(key).toString('hex');

  it('hashes ASCII strings of every length from 0 to 300, with and without a brace', () => {
    for (let length = 0; length <= 300; length++) {
      fc.assert(
        fc.property(stringOf(asciiNoBraces, length), stringOf(ascii, length), (plain, any) => {
          expect({ plain, digest: digestOf(plain) }).toEqual({
            plain,
            digest: reference(routedBytes(plain)),
          });
          expect({ any, digest: digestOf(any) }).toEqual({ any, digest: reference(routedBytes(any)) });
        }),
        { numRuns: 4 },
      );
    }
  });

  it('hashes strings with a non-ASCII char at any position, of every length from 1 to 300', () => {
    // The ASCII copy gives up at the first non-ASCII char and hands the key to the encoder, so the
    // char goes at every position: first, in the middle, last.
    for (let length = 1; length <= 300; length++) {
      fc.assert(
        fc.property(fc.nat(length - 1), stringOf(ascii, length), nonAscii, (at, base, char) => {
          const key = base.slice(0, at) + char + base.slice(at + 1);
          expect({ key, digest: digestOf(key) }).toEqual({ key, digest: reference(routedBytes(key)) });
        }),
        { numRuns: 3 },
      );
    }
  });

  it('hashes lone surrogates as Buffer.from does: as U+FFFD', () => {
    for (const key of [
      '\ud800',
      'a\udc00',
      '\udfff'.repeat(20),
      'x'.repeat(40) + '\ud83d',
      '\ud83d{\ude00}x',
    ]) {
      expect(Buffer.from(key).includes(Buffer.from('\ufffd'))).toBe(true);
      expect({ key, digest: digestOf(key) }).toEqual({ key, digest: reference(routedBytes(key)) });
    }
  });

  it('hashes Buffers of every length from 0 to 300, with and without a brace', () => {
    const noBraces = (array: Uint8Array): Uint8Array =>
      array.map((byte) => (byte === 0x7b || byte === 0x7d ? 0 : byte));
    for (let length = 0; length <= 300; length++) {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: length, maxLength: length }).map(noBraces),
          fc.uint8Array({ minLength: length, maxLength: length }),
          (plain, any) => {
            for (const key of [Buffer.from(plain), Buffer.from(any)]) {
              const hexKey = key.toString('hex');
              expect({ hexKey, digest: digestOf(key) }).toEqual({
                hexKey,
                digest: reference(routedBytes(key)),
              });
            }
          },
        ),
        { numRuns: 4 },
      );
    }
  });

  it('hashes the tag of tagged keys, ASCII or not, at every tag length from 1 to 300', () => {
    for (let length = 1; length <= 300; length++) {
      fc.assert(
        fc.property(
          stringOf(fc.oneof(asciiNoBraces, nonAscii), length),
          fc.string({ maxLength: 20 }).map((text) => text.replaceAll('{', '')),
          fc.string({ maxLength: 20 }),
          (tag, before, after) => {
            const key = `${before}{${tag}}${after}`;
            expect({ key, digest: digestOf(key) }).toEqual({ key, digest: reference(Buffer.from(tag)) });
            const bytes = Buffer.from(key);
            expect({ key, digest: digestOf(bytes) }).toEqual({ key, digest: reference(Buffer.from(tag)) });
          },
        ),
        { numRuns: 2 },
      );
    }
  });

  it('is not misled by bytes a longer key left in the scratch', () => {
    const long = 'q'.repeat(200);
    const nonAsciiLong = 'é'.repeat(200);
    for (const key of ['', 'a', 'abcdefgh', 'x'.repeat(31), 'é', '{a}']) {
      for (const before of [long, nonAsciiLong]) {
        routingDigest(before);
        expect({ key, digest: digestOf(key) }).toEqual({ key, digest: reference(routedBytes(key)) });
      }
    }
  });

  const keyArbitrary = fc.oneof(
    fc.string({ maxLength: 64 }),
    fc.string({ unit: 'grapheme', maxLength: 64 }),
    fc.string({ unit: 'binary', maxLength: 64 }), // lone surrogates included
    fc.string({ maxLength: 300 }), // across the JS/addon cut
    fc
      .tuple(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string())
      .map(([before, tag, after]) => `${before}{${tag}}${after}`),
    fc.constantFrom('{', '}', '{}', '{{}}', 'a{b}c', '{ключ}:1', '😀{😀}'),
  );

  it('gives string keys the addon digest of their routed UTF-8 bytes', () => {
    fc.assert(
      fc.property(keyArbitrary, (key) => {
        expect(routingDigest(key).toString('hex')).toBe(reference(routedBytes(key)));
      }),
      { numRuns: 1500 },
    );
  });

  it('gives Buffer keys the addon digest of their routed bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2 * SHORT_MAX_BYTES }), (array) => {
        const key = Buffer.from(array);
        expect(routingDigest(key).toString('hex')).toBe(reference(routedBytes(key)));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps routingHash and xxh64 equal to the addon on both sides of the cut', () => {
    for (const length of [...BOUNDARIES, ...CUT, 700, 800, 5000]) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 131 + length) & 0xff));
      const expected = BigInt(`0x${reference(bytes)}`);
      expect({ length, hash: xxh64(bytes) }).toEqual({ length, hash: expected });
      const text = 'k'.repeat(length);
      expect({ length, hash: routingHash(text) }).toEqual({
        length,
        hash: BigInt(`0x${reference(Buffer.from(text))}`),
      });
    }
  });
});
