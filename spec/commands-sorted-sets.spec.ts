/** The sorted-set commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);

describe('sorted-set commands under every protocol', () => {
  test('ZADD in Redis spelling and with { score, member }[]; scores as numbers', async () => {
    const results = await trio.each(async (c) => ({
      zadd: await c.zadd('z:a', 1, 'one', 2.5, 'two'),
      zaddEntries: await c.zadd('z:a', [
        { score: Infinity, member: 'top' },
        { score: -Infinity, member: 'bottom' },
        { score: '0.1', member: 'tenth' },
      ]),
      zaddChanged: await c.zadd('z:a', 'CH', [{ score: 3, member: 'two' }]),
      zaddIncr: await c.zadd('z:a', 'INCR', 4, 'one'),
      zaddIncrRefused: await c.zadd('z:a', 'NX', 'INCR', 1, 'one'),
      zincrby: await c.zincrby('z:a', -0.5, 'two'),
      zscore: await c.zscore('z:a', 'one'),
      zscoreTop: await c.zscore('z:a', 'top'),
      zscoreTenth: await c.zscore('z:a', 'tenth'),
      zscoreMissing: await c.zscore('z:a', 'nope'),
      zmscore: await c.zmscore('z:a', 'bottom', 'nope', 'two'),
      zcard: await c.zcard('z:a'),
      zcount: await c.zcount('z:a', 0, '(5'),
      zrank: await c.zrank('z:a', 'two'),
      zrevrank: await c.zrevrank('z:a', 'bottom'),
      zrankMissing: await c.zrank('z:a', 'nope'),
    }));
    expectSameAndRight(results, {
      zadd: 2,
      zaddEntries: 3,
      zaddChanged: 1,
      zaddIncr: 5,
      zaddIncrRefused: null,
      zincrby: 2.5,
      zscore: 5,
      zscoreTop: Infinity,
      zscoreTenth: 0.1,
      zscoreMissing: null,
      zmscore: [-Infinity, null, 2.5],
      zcard: 5,
      zcount: 2,
      zrank: 2,
      zrevrank: 4,
      zrankMissing: null,
    });
  });

  test('ranges: members, or { member, score }[] WITHSCORES', async () => {
    const results = await trio.each(async (c) => {
      await c.zadd('z:r', [
        { score: 1, member: 'r1' },
        { score: 2, member: 'r2' },
        { score: 3, member: 'r3' },
        { score: Infinity, member: 'rinf' },
      ]);
      return {
        zrange: await c.zrange('z:r', 0, 1),
        zrangeScores: await c.zrange('z:r', 2, -1, 'WITHSCORES'),
        zrangeByScoreRev: await c.zrange('z:r', '+inf', 2, 'BYSCORE', 'REV', 'LIMIT', 0, 2, 'withscores'),
        zrangeBuffer: await c.zrangeBuffer('z:r', 0, 0, 'WITHSCORES'),
        zrangebyscore: await c.zrangebyscore('z:r', '(1', 3),
        zrangebyscoreScores: await c.zrangebyscore('z:r', 3, '+inf', 'WITHSCORES'),
        zrevrange: await c.zrevrange('z:r', 0, 0, 'WITHSCORES'),
        zrevrangeMembers: await c.zrevrange('z:r', 1, 2),
        zrevrangebyscore: await c.zrevrangebyscore('z:r', 2, '-inf', 'WITHSCORES'),
        zrangestore: await c.zrangestore('z:r2', 'z:r', 0, 2),
        zremrangebyrank: await c.zremrangebyrank('z:r2', 0, 0),
        zremrangebyscore: await c.zremrangebyscore('z:r2', 3, 3),
        zrem: await c.zrem('z:r2', 'r2', 'nope'),
        emptied: await c.zrange('z:r2', 0, -1, 'WITHSCORES'),
      };
    });
    expectSameAndRight(results, {
      zrange: ['r1', 'r2'],
      zrangeScores: [
        { member: 'r3', score: 3 },
        { member: 'rinf', score: Infinity },
      ],
      zrangeByScoreRev: [
        { member: 'rinf', score: Infinity },
        { member: 'r3', score: 3 },
      ],
      zrangeBuffer: [{ member: b('r1'), score: 1 }],
      zrangebyscore: ['r2', 'r3'],
      zrangebyscoreScores: [
        { member: 'r3', score: 3 },
        { member: 'rinf', score: Infinity },
      ],
      zrevrange: [{ member: 'rinf', score: Infinity }],
      zrevrangeMembers: ['r3', 'r2'],
      zrevrangebyscore: [
        { member: 'r2', score: 2 },
        { member: 'r1', score: 1 },
      ],
      zrangestore: 3,
      zremrangebyrank: 1,
      zremrangebyscore: 1,
      zrem: 1,
      emptied: [],
    });
  });

  test('lexicographic ranges', async () => {
    const results = await trio.each(async (c) => {
      await c.zadd('z:lex', 0, 'apple', 0, 'banana', 0, 'cherry', 0, 'date');
      return {
        zrangebylex: await c.zrangebylex('z:lex', '[b', '(d'),
        zrevrangebylex: await c.zrevrangebylex('z:lex', '+', '[c', 'LIMIT', 0, 1),
        zrevrangebylexBuffer: await c.zrevrangebylexBuffer('z:lex', '(b', '-'),
        zlexcount: await c.zlexcount('z:lex', '-', '+'),
        zremrangebylex: await c.zremrangebylex('z:lex', '[a', '[b'),
      };
    });
    expectSameAndRight(results, {
      zrangebylex: ['banana', 'cherry'],
      zrevrangebylex: ['date'],
      zrevrangebylexBuffer: [b('apple')],
      zlexcount: 4,
      zremrangebylex: 1,
    });
  });

  test('ZUNION, ZINTER, ZDIFF and their STORE and CARD forms', async () => {
    const results = await trio.each(async (c) => {
      await c.zadd('z:x', 1, 'a', 2, 'b', 3, 'c');
      await c.zadd('z:y', 10, 'b', 20, 'c', 30, 'd');
      return {
        zunion: await c.zunion(2, 'z:x', 'z:y', 'WITHSCORES'),
        zunionMembers: await c.zunion(2, 'z:x', 'z:y', 'AGGREGATE', 'MIN'),
        zinter: await c.zinter(2, 'z:x', 'z:y', 'WEIGHTS', 2, 0.5, 'WITHSCORES'),
        zinterBuffer: await c.zinterBuffer(2, 'z:x', 'z:y', 'withscores'),
        zdiff: await c.zdiff(2, 'z:x', 'z:y', 'WITHSCORES'),
        zdiffMembers: await c.zdiff(2, 'z:y', 'z:x'),
        zintercard: await c.zintercard(2, 'z:x', 'z:y', 'LIMIT', 1),
        zunionstore: await c.zunionstore('z:u', 2, 'z:x', 'z:y'),
        zinterstore: await c.zinterstore('z:i', 2, 'z:x', 'z:y'),
        zdiffstore: await c.zdiffstore('z:d', 1, 'z:y'),
      };
    });
    expectSameAndRight(results, {
      zunion: [
        { member: 'a', score: 1 },
        { member: 'b', score: 12 },
        { member: 'c', score: 23 },
        { member: 'd', score: 30 },
      ],
      zunionMembers: ['a', 'b', 'c', 'd'],
      zinter: [
        { member: 'b', score: 9 },
        { member: 'c', score: 16 },
      ],
      zinterBuffer: [
        { member: b('b'), score: 12 },
        { member: b('c'), score: 23 },
      ],
      zdiff: [{ member: 'a', score: 1 }],
      zdiffMembers: ['d'],
      zintercard: 1,
      zunionstore: 4,
      zinterstore: 2,
      zdiffstore: 3,
    });
  });

  test('pops: { member, score }[], and with the key for ZMPOP and the blocking pops', async () => {
    const results = await trio.each(async (c) => {
      await c.zadd('z:p', 1, 'p1', 2, 'p2', 3, 'p3', 4, 'p4', 5, 'p5', 6, 'p6', 7, 'p7', 8, 'p8', 9, 'p9');
      return {
        zpopmin: await c.zpopmin('z:p'),
        zpopmax: await c.zpopmax('z:p', 2),
        zpopminBuffer: await c.zpopminBuffer('z:p', 1),
        zmpop: await c.zmpop(2, 'z:none', 'z:p', 'MIN'),
        bzmpop: await c.bzmpop(0, 1, 'z:p', 'MAX', 'COUNT', 2),
        bzpopmin: await c.bzpopmin('z:none', 'z:p', 0),
        bzpopmaxBuffer: await c.bzpopmaxBuffer('z:p', 0),
        zpopminEmpty: await c.zpopmin('z:p'),
        zmpopNothing: await c.zmpop(1, 'z:p', 'MAX'),
        bzpopminTimedOut: await c.bzpopmin('z:p', 0.01),
        bzmpopTimedOut: await c.bzmpop(0.01, 1, 'z:p', 'MIN'),
      };
    });
    expectSameAndRight(results, {
      zpopmin: [{ member: 'p1', score: 1 }],
      zpopmax: [
        { member: 'p9', score: 9 },
        { member: 'p8', score: 8 },
      ],
      zpopminBuffer: [{ member: b('p2'), score: 2 }],
      zmpop: { key: 'z:p', members: [{ member: 'p3', score: 3 }] },
      bzmpop: {
        key: 'z:p',
        members: [
          { member: 'p7', score: 7 },
          { member: 'p6', score: 6 },
        ],
      },
      bzpopmin: { key: 'z:p', member: 'p4', score: 4 },
      bzpopmaxBuffer: { key: b('z:p'), member: b('p5'), score: 5 },
      zpopminEmpty: [],
      zmpopNothing: null,
      bzpopminTimedOut: null,
      bzmpopTimedOut: null,
    });
  });

  test('ZRANDMEMBER and ZSCAN', async () => {
    const results = await trio.each(async (c) => {
      await c.zadd('z:one', 0.75, 'only');
      const [cursor, page] = await c.zscan('z:one', 0);
      const [bufferCursor, bufferPage] = await c.zscanBuffer('z:one', '0', 'COUNT', 10);
      return {
        zrandmember: await c.zrandmember('z:one'),
        zrandmemberMissing: await c.zrandmember('z:none'),
        zrandmemberCount: await c.zrandmember('z:one', 2),
        zrandmemberScores: await c.zrandmember('z:one', -2, 'WITHSCORES'),
        zrandmemberScoresMissing: await c.zrandmember('z:none', 2, 'WITHSCORES'),
        zscan: { cursor, page },
        zscanBuffer: { cursor: bufferCursor, page: bufferPage },
      };
    });
    expectSameAndRight(results, {
      zrandmember: 'only',
      zrandmemberMissing: null,
      zrandmemberCount: ['only'],
      zrandmemberScores: [
        { member: 'only', score: 0.75 },
        { member: 'only', score: 0.75 },
      ],
      zrandmemberScoresMissing: [],
      zscan: { cursor: '0', page: [{ member: 'only', score: 0.75 }] },
      zscanBuffer: { cursor: '0', page: [{ member: b('only'), score: 0.75 }] },
    });
  });
});
