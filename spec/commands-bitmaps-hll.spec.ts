/** The bitmap and hyperloglog commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();

describe('bitmap commands under every protocol', () => {
  test('bits, counts, positions and BITOP', async () => {
    const results = await trio.each(async (c) => ({
      setbit: await c.setbit('b:a', 7, 1),
      setbitAgain: await c.setbit('b:a', 7, 0),
      setbitMore: await c.setbit('b:a', 12, 1),
      getbit: await c.getbit('b:a', 12),
      getbitOff: await c.getbit('b:a', 7),
      bitcount: await c.set('b:text', 'foobar').then(() => c.bitcount('b:text')),
      bitcountRange: await c.bitcount('b:text', 1, 1),
      bitcountBits: await c.bitcount('b:text', 5, 30, 'BIT'),
      bitpos: await c.bitpos('b:a', 1),
      bitposMissing: await c.bitpos('b:none', 1),
      bitop: await c.bitop('OR', 'b:or', 'b:a', 'b:text'),
      orLength: await c.strlen('b:or'),
    }));
    expectSameAndRight(results, {
      setbit: 0,
      setbitAgain: 1,
      setbitMore: 0,
      getbit: 1,
      getbitOff: 0,
      bitcount: 26,
      bitcountRange: 6,
      bitcountBits: 17,
      bitpos: 12,
      bitposMissing: -1,
      bitop: 6,
      orLength: 6,
    });
  });

  test('BITFIELD and BITFIELD_RO: (number | null)[], null where OVERFLOW FAIL refused', async () => {
    const results = await trio.each(async (c) => ({
      bitfield: await c.bitfield('b:f', 'SET', 'u8', 0, 200, 'GET', 'u4', 0, 'INCRBY', 'u2', 100, 1),
      overflow: await c.bitfield('b:f', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', 102, 5, 'INCRBY', 'i8', 16, -3),
      readOnly: await c.bitfieldRo('b:f', 'GET', 'u8', 0, 'GET', 'i8', 16),
      readOnlyBuffer: await c.bitfieldRoBuffer('b:f', 'GET', 'u2', 100),
    }));
    expectSameAndRight(results, {
      bitfield: [0, 12, 1],
      overflow: [null, -3],
      readOnly: [200, -3],
      readOnlyBuffer: [1],
    });
  });
});

describe('hyperloglog commands under every protocol', () => {
  test('add, count, merge', async () => {
    const results = await trio.each(async (c) => ({
      pfadd: await c.pfadd('h:1', 'a', 'b', 'c'),
      pfaddSame: await c.pfadd('h:1', 'a'),
      pfaddOther: await c.pfadd('h:2', 'c', 'd', 'e', 'f', 'g'),
      pfcount: await c.pfcount('h:1'),
      pfcountBoth: await c.pfcount('h:1', 'h:2'),
      pfmerge: await c.pfmerge('h:all', 'h:1', 'h:2'),
      merged: await c.pfcount('h:all'),
      pfcountMissing: await c.pfcount('h:none'),
    }));
    expectSameAndRight(results, {
      pfadd: 1,
      pfaddSame: 0,
      pfaddOther: 1,
      pfcount: 3,
      pfcountBoth: 7,
      pfmerge: 'OK',
      merged: 7,
      pfcountMissing: 0,
    });
  });
});
