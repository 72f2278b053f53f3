/** The set commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);

/**
 * Set replies come in no particular order; sorting makes them comparable. Only arrays are sorted:
 * spreading a RESP3 Set would hide that it was not converted.
 */
function sortedText(items: string[]): string[] {
  if (!Array.isArray(items)) throw new Error(`expected an array, got ${String(items)}`);
  return [...items].sort();
}

function sortedBuffers(items: Buffer[]): Buffer[] {
  if (!Array.isArray(items)) throw new Error(`expected an array, got ${String(items)}`);
  return [...items].sort(Buffer.compare);
}

describe('set commands under every protocol', () => {
  test('add, test and remove members', async () => {
    const results = await trio.each(async (c) => ({
      sadd: await c.sadd('s:a', 'x', 'y', 'z'),
      saddAgain: await c.sadd('s:a', 'z', 'w'),
      scard: await c.scard('s:a'),
      sismember: await c.sismember('s:a', 'w'),
      sismemberNot: await c.sismember('s:a', 'q'),
      smismember: await c.smismember('s:a', 'q', 'x', 'r', 'y'),
      srem: await c.srem('s:a', 'w', 'q'),
      smove: await c.smove('s:a', 's:moved', 'z'),
      smoveMissing: await c.smove('s:a', 's:moved', 'q'),
      smembers: sortedText(await c.smembers('s:a')),
      smembersBuffer: sortedBuffers(await c.smembersBuffer('s:moved')),
      smembersMissing: await c.smembers('s:none'),
    }));
    expectSameAndRight(results, {
      sadd: 3,
      saddAgain: 1,
      scard: 4,
      sismember: 1,
      sismemberNot: 0,
      smismember: [0, 1, 0, 1],
      srem: 1,
      smove: 1,
      smoveMissing: 0,
      smembers: ['x', 'y'],
      smembersBuffer: [b('z')],
      smembersMissing: [],
    });
  });

  test('algebra: arrays, never RESP3 sets', async () => {
    const results = await trio.each(async (c) => {
      await c.sadd('s:1', 'a', 'b', 'c', 'd');
      await c.sadd('s:2', 'c', 'd', 'e');
      return {
        sinter: sortedText(await c.sinter('s:1', 's:2')),
        sunion: sortedText(await c.sunion('s:1', 's:2')),
        sdiff: sortedText(await c.sdiff('s:1', 's:2')),
        sdiffBuffer: sortedBuffers(await c.sdiffBuffer('s:2', 's:1')),
        sintercard: await c.sintercard(2, 's:1', 's:2'),
        sinterstore: await c.sinterstore('s:i', 's:1', 's:2'),
        sunionstore: await c.sunionstore('s:u', 's:1', 's:2'),
        sdiffstore: await c.sdiffstore('s:d', 's:1', 's:2', 's:none'),
      };
    });
    expectSameAndRight(results, {
      sinter: ['c', 'd'],
      sunion: ['a', 'b', 'c', 'd', 'e'],
      sdiff: ['a', 'b'],
      sdiffBuffer: [b('e')],
      sintercard: 2,
      sinterstore: 2,
      sunionstore: 5,
      sdiffstore: 2,
    });
  });

  test('SPOP and SRANDMEMBER: a member, nil, or an array with a count', async () => {
    const results = await trio.each(async (c) => {
      await c.sadd('s:one', 'solo');
      await c.sadd('s:two', 'duo');
      return {
        srandmember: await c.srandmember('s:one'),
        srandmemberRepeats: await c.srandmember('s:one', -3),
        srandmemberMissing: await c.srandmember('s:none'),
        srandmemberCountMissing: await c.srandmember('s:none', 2),
        spopCount: await c.spop('s:one', 5),
        spop: await c.spopBuffer('s:two'),
        spopMissing: await c.spop('s:none'),
        spopCountMissing: await c.spop('s:none', 2),
      };
    });
    expectSameAndRight(results, {
      srandmember: 'solo',
      srandmemberRepeats: ['solo', 'solo', 'solo'],
      srandmemberMissing: null,
      srandmemberCountMissing: [],
      spopCount: ['solo'],
      spop: b('duo'),
      spopMissing: null,
      spopCountMissing: [],
    });
  });

  test('SSCAN: [cursor, members], the cursor text from the Buffer twin too', async () => {
    const results = await trio.each(async (c) => {
      await c.sadd('s:scan', 'm1', 'm2', 'other');
      const [cursor, members] = await c.sscan('s:scan', 0, 'MATCH', 'm*');
      const [bufferCursor, bufferMembers] = await c.sscanBuffer('s:scan', 0, 'MATCH', 'o*');
      return { cursor, members: sortedText(members), bufferCursor, bufferMembers };
    });
    expectSameAndRight(results, {
      cursor: '0',
      members: ['m1', 'm2'],
      bufferCursor: '0',
      bufferMembers: [b('other')],
    });
  });
});
