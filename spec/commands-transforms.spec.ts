/**
 * The reply transforms and argument builders of the data-type groups, without a server: each
 * transform gets the RESP2 and the RESP3 shape of its reply as the decoder produces them (strings,
 * and Buffers for the …Buffer twins) and must give one value for both.
 */
import { pairsArgs, zaddArgs } from '../lib/commands/arguments';
import type { CommandDef } from '../lib/commands/define';
import { bitmaps, geo, hashes, hyperloglog, lists, sets, sortedSets, strings } from '../lib/commands/groups';
import {
  afterNumkeys,
  geoWith,
  hasTokenFrom,
  toLcsIndex,
  toPairs,
  toScanPage,
  toArray,
} from '../lib/commands/reply';
import { InvalidArgumentError, ReplyError } from '../lib/errors';
import type { CommandArg, RespValue } from '../lib/resp/types';

const b = (text: string): Buffer => Buffer.from(text);

/** The caller's value for a raw reply, as the def's transform (or none) makes it. */
function shaped(def: CommandDef<unknown, unknown>, args: CommandArg[], raw: RespValue): unknown {
  return def.transform === null ? raw : def.transform(raw, args);
}

/** Both protocols' raw replies must give `expected`. */
function expectBoth(
  def: CommandDef<unknown, unknown>,
  args: CommandArg[],
  resp2: RespValue,
  resp3: RespValue,
  expected: unknown,
): void {
  expect(shaped(def, args, resp2)).toEqual(expected);
  expect(shaped(def, args, resp3)).toEqual(expected);
}

describe('replies identical under both protocols need no transform', () => {
  test.each([
    ['GET', strings.GET],
    ['MGET', strings.MGET],
    ['INCRBYFLOAT', strings.INCRBYFLOAT],
    ['HGET', hashes.HGET],
    ['HKEYS', hashes.HKEYS],
    ['HMGET', hashes.HMGET],
    ['HINCRBYFLOAT', hashes.HINCRBYFLOAT],
    ['LRANGE', lists.LRANGE],
    ['LPOP', lists.LPOP],
    ['LPOS', lists.LPOS],
    ['SRANDMEMBER', sets.SRANDMEMBER],
    ['SMISMEMBER', sets.SMISMEMBER],
    ['ZRANGEBYLEX', sortedSets.ZRANGEBYLEX],
    ['BITFIELD', bitmaps.BITFIELD],
    ['PFCOUNT', hyperloglog.PFCOUNT],
    ['GEOHASH', geo.GEOHASH],
  ])('%s', (_, def) => {
    expect(def.transform).toBeNull();
  });

  test('INCRBYFLOAT keeps the exact text Redis stored, past what a double holds', () => {
    expect(shaped(strings.INCRBYFLOAT, ['INCRBYFLOAT', 'k', '0.25'], '12345678901234567.75')).toBe(
      '12345678901234567.75',
    );
  });
});

describe('hashes', () => {
  test('HGETALL: a flat array or a map becomes a prototype-less object', () => {
    const out = shaped(hashes.HGETALL, ['HGETALL', 'h'], ['a', '1', '__proto__', '2']);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.entries(out as object)).toEqual([
      ['a', '1'],
      ['__proto__', '2'],
    ]);
    const fromMap = shaped(hashes.HGETALL, ['HGETALL', 'h'], new Map<RespValue, RespValue>([['a', '1']]));
    expect(Object.getPrototypeOf(fromMap)).toBeNull();
    expect({ ...(fromMap as object) }).toEqual({ a: '1' });
    const buffers = shaped(hashes.HGETALL, ['HGETALL', 'h'], new Map([[b('f'), b('v')]]));
    expect({ ...(buffers as object) }).toEqual({ f: b('v') });
  });

  test('HRANDFIELD: one field, fields, or [field, value] tuples that keep repeats', () => {
    expectBoth(hashes.HRANDFIELD, ['HRANDFIELD', 'h'], 'a', 'a', 'a');
    expectBoth(hashes.HRANDFIELD, ['HRANDFIELD', 'h'], null, null, null);
    expectBoth(hashes.HRANDFIELD, ['HRANDFIELD', 'h', 2], ['a', 'b'], ['a', 'b'], ['a', 'b']);
    const args: CommandArg[] = ['HRANDFIELD', 'h', -3, 'withvalues'];
    expectBoth(
      hashes.HRANDFIELD,
      args,
      ['a', '1', 'a', '1', 'b', '2'],
      [
        ['a', '1'],
        ['a', '1'],
        ['b', '2'],
      ],
      [
        ['a', '1'],
        ['a', '1'],
        ['b', '2'],
      ],
    );
    expectBoth(hashes.HRANDFIELD, args, [b('f'), b('v')], [[b('f'), b('v')]], [[b('f'), b('v')]]);
    expectBoth(hashes.HRANDFIELD, args, [], [], []);
    // A key named like the token is not the token.
    expectBoth(hashes.HRANDFIELD, ['HRANDFIELD', 'WITHVALUES', 2], ['x', 'y'], ['x', 'y'], ['x', 'y']);
  });

  test('HSCAN: [cursor, [field, value] tuples], the cursor text even from the Buffer twin', () => {
    expectBoth(
      hashes.HSCAN,
      ['HSCAN', 'h', 0],
      ['17', ['a', '1', 'b', '2']],
      ['17', ['a', '1', 'b', '2']],
      [
        '17',
        [
          ['a', '1'],
          ['b', '2'],
        ],
      ],
    );
    expectBoth(
      hashes.HSCAN,
      ['HSCAN', 'h', 0],
      [b('0'), [b('f'), b('v')]],
      [b('0'), [b('f'), b('v')]],
      ['0', [[b('f'), b('v')]]],
    );
  });
});

describe('sets', () => {
  test('SMEMBERS, SINTER, SUNION, SDIFF: RESP3 sets become arrays', () => {
    for (const def of [sets.SMEMBERS, sets.SINTER, sets.SUNION, sets.SDIFF]) {
      expectBoth(def, [def.name, 's'], ['x', 'y'], new Set(['x', 'y']), ['x', 'y']);
      expectBoth(def, [def.name, 's'], [], new Set(), []);
      expectBoth(def, [def.name, 's'], [b('x')], new Set([b('x')]), [b('x')]);
    }
  });

  test('SPOP: a member, nil, or (RESP3: a set of) members with a count', () => {
    expectBoth(sets.SPOP, ['SPOP', 's'], 'x', 'x', 'x');
    expectBoth(sets.SPOP, ['SPOP', 's'], null, null, null);
    expectBoth(sets.SPOP, ['SPOP', 's', 2], ['x', 'y'], new Set(['x', 'y']), ['x', 'y']);
    expectBoth(sets.SPOP, ['SPOP', 's', 2], [], new Set(), []);
  });

  test('SSCAN: [cursor, members]', () => {
    expectBoth(sets.SSCAN, ['SSCAN', 's', 0], ['5', ['x']], ['5', ['x']], ['5', ['x']]);
  });
});

describe('lists', () => {
  test('BLPOP/BRPOP: { key, element } or null', () => {
    for (const def of [lists.BLPOP, lists.BRPOP]) {
      expectBoth(def, [def.name, 'l', 0], ['l', 'c'], ['l', 'c'], { key: 'l', element: 'c' });
      expectBoth(def, [def.name, 'l', 0], null, null, null);
      expectBoth(def, [def.name, 'l', 0], [b('l'), b('c')], [b('l'), b('c')], {
        key: b('l'),
        element: b('c'),
      });
    }
  });

  test('LMPOP/BLMPOP: { key, elements } or null', () => {
    for (const def of [lists.LMPOP, lists.BLMPOP]) {
      expectBoth(def, [def.name], ['l', ['a', 'b']], ['l', ['a', 'b']], { key: 'l', elements: ['a', 'b'] });
      expectBoth(def, [def.name], null, null, null);
    }
  });

  test('a reply of the wrong shape is a ReplyError, not a wrong value', () => {
    expect(() => shaped(lists.BLPOP, ['BLPOP'], 'oops')).toThrow(ReplyError);
    expect(() => shaped(lists.LMPOP, ['LMPOP'], 3)).toThrow(/a key and its elements/);
  });
});

describe('sorted sets', () => {
  test('ZSCORE, ZINCRBY, ZADD … INCR: numbers (Infinity for inf), null for nil', () => {
    expectBoth(sortedSets.ZSCORE, ['ZSCORE', 'z', 'm'], '2.5', 2.5, 2.5);
    expectBoth(sortedSets.ZSCORE, ['ZSCORE', 'z', 'm'], 'inf', Infinity, Infinity);
    expectBoth(sortedSets.ZSCORE, ['ZSCORE', 'z', 'm'], '-inf', -Infinity, -Infinity);
    expectBoth(sortedSets.ZSCORE, ['ZSCORE', 'z', 'm'], '0.10000000000000001', 0.1, 0.1);
    expectBoth(sortedSets.ZSCORE, ['ZSCORE', 'z', 'm'], null, null, null);
    expect(shaped(sortedSets.ZSCORE, ['ZSCORE', 'z', 'm'], b('7.25'))).toBe(7.25);
    expectBoth(
      sortedSets.ZINCRBY,
      ['ZINCRBY', 'z', 1, 'm'],
      '123456789.22345679',
      123456789.22345679,
      123456789.22345679,
    );
    expectBoth(sortedSets.ZADD, ['ZADD', 'z', 'INCR', 1, 'm'], '4', 4, 4);
    expectBoth(sortedSets.ZADD, ['ZADD', 'z', 'NX', 'INCR', 1, 'm'], null, null, null);
    expectBoth(sortedSets.ZADD, ['ZADD', 'z', 1, 'm'], 1, 1, 1);
  });

  test('ZMSCORE: (number | null)[]', () => {
    expectBoth(sortedSets.ZMSCORE, ['ZMSCORE', 'z', 'a', 'b'], ['2', null], [2, null], [2, null]);
  });

  test('WITHSCORES forms: { member, score }[]; otherwise members', () => {
    const pairs2 = ['a', '1', 'b', 'inf'];
    const pairs3 = [
      ['a', 1],
      ['b', Infinity],
    ];
    const scored = [
      { member: 'a', score: 1 },
      { member: 'b', score: Infinity },
    ];
    for (const def of [
      sortedSets.ZRANGE,
      sortedSets.ZRANGEBYSCORE,
      sortedSets.ZREVRANGE,
      sortedSets.ZREVRANGEBYSCORE,
    ]) {
      expectBoth(def, [def.name, 'z', 0, -1, 'WITHSCORES'], pairs2, pairs3, scored);
      expectBoth(def, [def.name, 'z', 0, -1], ['a', 'b'], ['a', 'b'], ['a', 'b']);
      // The key is not an option.
      expectBoth(def, [def.name, 'withscores', 0, -1], ['a'], ['a'], ['a']);
    }
    for (const def of [sortedSets.ZUNION, sortedSets.ZINTER, sortedSets.ZDIFF]) {
      expectBoth(def, [def.name, 2, 'x', 'y', 'WITHSCORES'], pairs2, pairs3, scored);
      expectBoth(def, [def.name, 1, 'WITHSCORES'], ['a'], ['a'], ['a']);
      expectBoth(def, [def.name, 2, 'x', 'WITHSCORES', 'AGGREGATE', 'MAX'], ['a'], ['a'], ['a']);
    }
    expectBoth(
      sortedSets.ZRANGE,
      ['ZRANGE', 'z', 0, -1, 'WITHSCORES'],
      [b('m'), b('2')],
      [[b('m'), 2]],
      [{ member: b('m'), score: 2 }],
    );
  });

  test('ZRANDMEMBER: one member, members, or { member, score }[] WITHSCORES', () => {
    const def = sortedSets.ZRANDMEMBER;
    expectBoth(def, ['ZRANDMEMBER', 'z'], 'a', 'a', 'a');
    expectBoth(def, ['ZRANDMEMBER', 'z'], null, null, null);
    expectBoth(def, ['ZRANDMEMBER', 'z', 2], ['a', 'b'], ['a', 'b'], ['a', 'b']);
    expectBoth(
      def,
      ['ZRANDMEMBER', 'z', -2, 'WITHSCORES'],
      ['a', '1', 'a', '1'],
      [
        ['a', 1],
        ['a', 1],
      ],
      [
        { member: 'a', score: 1 },
        { member: 'a', score: 1 },
      ],
    );
  });

  test('ZPOPMIN/ZPOPMAX: { member, score }[], RESP3 flat without a count and nested with one', () => {
    for (const def of [sortedSets.ZPOPMIN, sortedSets.ZPOPMAX]) {
      expectBoth(def, [def.name, 'z'], ['a', '1'], ['a', 1], [{ member: 'a', score: 1 }]);
      expectBoth(def, [def.name, 'z', 1], ['a', '1'], [['a', 1]], [{ member: 'a', score: 1 }]);
      expectBoth(def, [def.name, 'z'], [], [], []);
    }
  });

  test('ZMPOP/BZMPOP: { key, members } or null', () => {
    for (const def of [sortedSets.ZMPOP, sortedSets.BZMPOP]) {
      expectBoth(def, [def.name], ['z', [['c', '3']]], ['z', [['c', 3]]], {
        key: 'z',
        members: [{ member: 'c', score: 3 }],
      });
      expectBoth(def, [def.name], null, null, null);
    }
  });

  test('BZPOPMIN/BZPOPMAX: { key, member, score } or null', () => {
    for (const def of [sortedSets.BZPOPMIN, sortedSets.BZPOPMAX]) {
      expectBoth(def, [def.name, 'z', 0], ['z', 'a', '1.5'], ['z', 'a', 1.5], {
        key: 'z',
        member: 'a',
        score: 1.5,
      });
      expectBoth(def, [def.name, 'z', 0], null, null, null);
      expect(shaped(def, [def.name, 'z', 0], [b('z'), b('a'), b('-inf')])).toEqual({
        key: b('z'),
        member: b('a'),
        score: -Infinity,
      });
    }
  });

  test('ZRANK/ZREVRANK: a rank or null, { rank, score } WITHSCORE', () => {
    for (const def of [sortedSets.ZRANK, sortedSets.ZREVRANK]) {
      expectBoth(def, [def.name, 'z', 'm'], 3, 3, 3);
      expectBoth(def, [def.name, 'z', 'm'], null, null, null);
      expectBoth(def, [def.name, 'z', 'm', 'WITHSCORE'], [3, '2.5'], [3, 2.5], { rank: 3, score: 2.5 });
      expectBoth(def, [def.name, 'z', 'm', 'WITHSCORE'], null, null, null);
      expectBoth(def, [def.name, 'z', 'WITHSCORE'], 0, 0, 0);
    }
  });

  test('ZSCAN: [cursor, { member, score }[]], scores text under both protocols', () => {
    expectBoth(
      sortedSets.ZSCAN,
      ['ZSCAN', 'z', 0],
      ['0', ['q', '1', 'r', 'inf']],
      ['0', ['q', '1', 'r', 'inf']],
      [
        '0',
        [
          { member: 'q', score: 1 },
          { member: 'r', score: Infinity },
        ],
      ],
    );
  });
});

describe('strings', () => {
  test('LCS: the text, its length, or { matches, len } with IDX', () => {
    const def = strings.LCS;
    expectBoth(def, ['LCS', 'a', 'b'], 'mytext', 'mytext', 'mytext');
    expectBoth(def, ['LCS', 'a', 'b', 'LEN'], 6, 6, 6);
    const matches = [
      [[4, 7], [5, 8], 4],
      [[2, 3], [0, 1], 2],
    ];
    expectBoth(
      def,
      ['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'],
      ['matches', matches, 'len', 6],
      new Map<RespValue, RespValue>([
        ['matches', matches],
        ['len', 6],
      ]),
      {
        matches: [
          { key1: [4, 7], key2: [5, 8], len: 4 },
          { key1: [2, 3], key2: [0, 1], len: 2 },
        ],
        len: 6,
      },
    );
    const plain = shaped(
      def,
      ['LCS', 'a', 'b', 'IDX'],
      [
        b('matches'),
        [
          [
            [0, 1],
            [2, 3],
          ],
        ],
        b('len'),
        2,
      ],
    );
    expect(plain).toEqual({ matches: [{ key1: [0, 1], key2: [2, 3] }], len: 2 });
    expect(Object.keys((plain as { matches: object[] }).matches[0])).toEqual(['key1', 'key2']);
    expect(toLcsIndex(['matches', [], 'len', 0])).toEqual({ matches: [], len: 0 });
    expect(() => toLcsIndex(['matches', [[5]], 'len', 0])).toThrow(ReplyError);
  });
});

describe('geo', () => {
  test('GEOPOS: [longitude, latitude] numbers or null', () => {
    expectBoth(
      geo.GEOPOS,
      ['GEOPOS', 'g', 'a', 'b'],
      [['13.36138933897018433', '38.11555639549629859'], null],
      [[13.361389338970184, 38.1155563954963], null],
      [[13.361389338970184, 38.1155563954963], null],
    );
  });

  test('GEODIST: a number or null', () => {
    expectBoth(geo.GEODIST, ['GEODIST', 'g', 'a', 'b'], '166274.1516', '166274.1516', 166274.1516);
    expectBoth(geo.GEODIST, ['GEODIST', 'g', 'a', 'b'], null, null, null);
  });

  test('GEOSEARCH and GEORADIUS: names, or hits with what WITH… asked for', () => {
    const all = ['WITHCOORD', 'WITHDIST', 'WITHHASH'];
    const search: CommandArg[] = ['GEOSEARCH', 'g', 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', ...all];
    const raw2 = [['Catania', '56.4413', 3479447370796909, ['15.08726745843887329', '37.50266842333162032']]];
    const raw3 = [['Catania', '56.4413', 3479447370796909, [15.087267458438873, 37.50266842333162]]];
    const hit = {
      member: 'Catania',
      distance: 56.4413,
      hash: 3479447370796909,
      coordinates: [15.087267458438873, 37.50266842333162],
    };
    expectBoth(geo.GEOSEARCH, search, raw2, raw3, [hit]);
    const radius: CommandArg[] = ['GEORADIUS', 'g', 15, 37, 200, 'km', ...all];
    expectBoth(geo.GEORADIUS, radius, raw2, raw3, [hit]);
    expectBoth(geo.GEORADIUS_RO, ['GEORADIUS_RO', 'g', 15, 37, 200, 'km', ...all], raw2, raw3, [hit]);
    const byMember: CommandArg[] = ['GEORADIUSBYMEMBER', 'g', 'Palermo', 200, 'km', ...all];
    expectBoth(geo.GEORADIUSBYMEMBER, byMember, raw2, raw3, [hit]);
    expectBoth(geo.GEORADIUSBYMEMBER_RO, ['GEORADIUSBYMEMBER_RO', ...byMember.slice(1)], raw2, raw3, [hit]);

    const onlyHash = shaped(
      geo.GEOSEARCH,
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'x', 'BYBOX', 1, 1, 'km', 'WITHHASH'],
      [['Palermo', 3479099956230698]],
    );
    expect(onlyHash).toEqual([{ member: 'Palermo', hash: 3479099956230698 }]);
    expect(Object.keys((onlyHash as object[])[0])).toEqual(['member', 'hash']);
    expectBoth(
      geo.GEOSEARCH,
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'x', 'BYRADIUS', 1, 'km'],
      ['x'],
      ['x'],
      ['x'],
    );
    // A member called like an option is a name: GEOSEARCH … FROMMEMBER withdist.
    expectBoth(
      geo.GEOSEARCH,
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'withdist', 'BYRADIUS', 1, 'km'],
      ['y'],
      ['y'],
      ['y'],
    );
    expectBoth(geo.GEORADIUS, ['GEORADIUS', 'g', 15, 37, 200, 'km', 'STORE', 'out'], 2, 2, 2);
    expect(
      shaped(
        geo.GEOSEARCH,
        ['GEOSEARCH', 'g', 'FROMLONLAT', 1, 2, 'BYRADIUS', 1, 'km', 'WITHDIST'],
        [[b('m'), b('0.5')]],
      ),
    ).toEqual([{ member: b('m'), distance: 0.5 }]);
  });
});

describe('reply helpers', () => {
  test('toPairs reads flat and nested pairs and drops an odd trailing item', () => {
    expect(toPairs(['a', '1', 'b'])).toEqual([['a', '1']]);
    expect(toPairs([['a', '1']])).toEqual([['a', '1']]);
    expect(toPairs(null)).toEqual([]);
  });

  test('toScanPage insists on a cursor and a page', () => {
    expect(() => toScanPage(['0'], toArray)).toThrow(/a cursor and a page/);
    expect(() => toScanPage(null, toArray)).toThrow(ReplyError);
  });

  test('hasTokenFrom looks only from its index on, and is case-insensitive', () => {
    expect(hasTokenFrom(['ZRANGE', 'WITHSCORES', 0, 1], 4, 'WITHSCORES')).toBe(false);
    expect(hasTokenFrom(['ZRANGE', 'k', 0, 1, 'rev', 'WithScores'], 4, 'WITHSCORES')).toBe(true);
    expect(hasTokenFrom(['X', b('WITHSCORES')], 1, 'WITHSCORES')).toBe(false);
  });

  test('afterNumkeys: where options start after CMD numkeys key…', () => {
    expect(afterNumkeys(['ZUNION', 2, 'a', 'b', 'WITHSCORES'])).toBe(4);
    expect(afterNumkeys(['ZUNION', '1', 'a'])).toBe(3);
    expect(afterNumkeys(['ZUNION', b('1'), 'a'])).toBe(3);
    expect(afterNumkeys(['ZUNION', 'x', 'WITHSCORES'])).toBe(3);
    expect(afterNumkeys(['ZUNION'])).toBe(1);
  });

  test('geoWith skips the FROMMEMBER operand', () => {
    expect(geoWith(['GEOSEARCH', 'g', 'FROMMEMBER', 'WITHHASH', 'withcoord'], 2)).toEqual({
      distance: false,
      hash: false,
      coordinates: true,
    });
  });
});

describe('argument builders', () => {
  test('HSET/HMSET: Redis spelling, a record, or a Map', () => {
    expect(hashes.HSET.build('h', 'a', 1, 'b', 'two')).toEqual(['HSET', 'h', 'a', 1, 'b', 'two']);
    expect(hashes.HSET.build('h', { a: 1, b: 'two' })).toEqual(['HSET', 'h', 'a', 1, 'b', 'two']);
    expect(hashes.HSET.build(b('h'), new Map([[b('f'), b('v')]]))).toEqual(['HSET', b('h'), b('f'), b('v')]);
    expect(hashes.HMSET.build('h', { x: 'y' })).toEqual(['HMSET', 'h', 'x', 'y']);
    // Nothing to set: left to the argument-count check, which names what is missing.
    expect(hashes.HSET.build('h')).toEqual(['HSET', 'h']);
    expect(hashes.HSET.build('h', {})).toEqual(new InvalidArgumentError('HSET needs at least one field'));
    expect(hashes.HSET.build('h', 'a')).toBeInstanceOf(InvalidArgumentError);
    expect(strings.MSETNX.build({ a: '1' })).toEqual(['MSETNX', 'a', '1']);
  });

  test('pairsArgs refuses what is not an argument', () => {
    expect(pairsArgs(['HSET', 'h'], ['a', undefined])).toBeInstanceOf(InvalidArgumentError);
  });

  test('ZADD: Redis spelling, or tokens then { score, member }[]', () => {
    expect(zaddArgs('z', 1, 'a', 2.5, 'b')).toEqual(['ZADD', 'z', 1, 'a', 2.5, 'b']);
    expect(zaddArgs('z', 'NX', 'CH', 1, 'a')).toEqual(['ZADD', 'z', 'NX', 'CH', 1, 'a']);
    expect(
      zaddArgs('z', [
        { score: 1, member: 'a' },
        { score: '2', member: b('b') },
      ]),
    ).toEqual(['ZADD', 'z', 1, 'a', '2', b('b')]);
    expect(zaddArgs('z', 'GT', 'CH', [{ score: 3, member: 'c' }])).toEqual(['ZADD', 'z', 'GT', 'CH', 3, 'c']);
    expect(
      zaddArgs('z', [
        { score: Infinity, member: 'hi' },
        { score: -Infinity, member: 'lo' },
      ]),
    ).toEqual(['ZADD', 'z', '+inf', 'hi', '-inf', 'lo']);
    expect(zaddArgs('z', [])).toEqual(new InvalidArgumentError('ZADD needs at least one member'));
    expect(zaddArgs('z', [{ score: NaN, member: 'a' }])).toBeInstanceOf(InvalidArgumentError);
    const notAnEntry = ['a'] as unknown as { score: number; member: string }[];
    expect(zaddArgs('z', notAnEntry)).toEqual(
      new InvalidArgumentError('ZADD members must be { score, member } objects'),
    );
    const badOption = [{}, [{ score: 1, member: 'a' }]] as unknown as [{ score: number; member: string }[]];
    expect(zaddArgs('z', ...badOption)).toBeInstanceOf(InvalidArgumentError);
    const undefinedArg = [1, undefined] as unknown as CommandArg[];
    expect(zaddArgs('z', ...undefinedArg)).toBeInstanceOf(InvalidArgumentError);
  });
});
