import { routableKeyPositions } from '../lib/commands/movable-keys';

describe('keys of commands whose keys move with their arguments', () => {
  test.each([
    [
      ['LMPOP', 2, 'a', 'b', 'LEFT'],
      [2, 3],
    ],
    [['ZMPOP', 1, 'z', 'MIN', 'COUNT', 2], [2]],
    [
      ['SINTERCARD', 3, 'a', 'b', 'c', 'LIMIT', 1],
      [2, 3, 4],
    ],
    [
      ['ZUNION', 2, 'a', 'b', 'WITHSCORES'],
      [2, 3],
    ],
    [
      ['BLMPOP', 0.5, 2, 'a', 'b', 'RIGHT'],
      [3, 4],
    ],
    [['BZMPOP', 1, 1, 'z', 'MAX'], [3]],
    [
      ['ZUNIONSTORE', 'dest', 2, 'a', 'b', 'WEIGHTS', 1, 2],
      [1, 3, 4],
    ],
    [
      ['EVAL', 'return 1', 2, 'k1', 'k2', 'arg'],
      [3, 4],
    ],
    [['FCALL_RO', 'fn', 0, 'arg'], []],
    [
      ['XREAD', 'COUNT', 2, 'STREAMS', 's1', 's2', '0', '0'],
      [4, 5],
    ],
    [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 0, 'STREAMS', 's', '>'], [7]],
    [
      ['SORT', 'list', 'LIMIT', 0, 10, 'STORE', 'dst'],
      [1, 6],
    ],
    [['SORT_RO', 'list', 'ALPHA'], [1]],
    [
      ['GEORADIUS', 'g', 1, 2, 3, 'km', 'STOREDIST', 'd'],
      [1, 7],
    ],
    // A value spelled like a token stays a value, as Redis parses it.
    [['GEORADIUSBYMEMBER', '{t}g', 'store', 500, 'km'], [1]],
    [
      ['GEORADIUSBYMEMBER', '{t}g', 'STOREDIST', 500, 'km', 'STORE', '{t}d'],
      [1, 6],
    ],
    [
      ['GEORADIUS', 'g', 1, 2, 3, 'km', 'WITHDIST', 'COUNT', 5, 'ANY', 'DESC', 'STORE', 'd'],
      [1, 12],
    ],
    [['SORT', '{t}l', 'BY', 'store', 'ALPHA'], [1]],
    [
      ['SORT', '{t}l', 'GET', 'STORE', 'GET', '#', 'STORE', '{t}dst'],
      [1, 7],
    ],
    [['XREADGROUP', 'GROUP', 'streams', 'c', 'STREAMS', '{t}x', '>'], [5]],
    [['XREADGROUP', 'GROUP', 'g', 'STREAMS', 'STREAMS', '{t}x', '>'], [5]],
    [
      ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 1, 'NOACK', 'STREAMS', 'a', 'b', '0', '0'],
      [8, 9],
    ],
    [['GET', 'plain'], [1]],
    [
      ['MSET', 'a', 1, 'b', 2],
      [1, 3],
    ],
  ] as const)('%j → %j', (args, expected) => {
    expect(routableKeyPositions(args)).toEqual(expected);
  });

  test.each([
    [['LMPOP', 3, 'a', 'LEFT']],
    [['ZUNION', 'x', 'a']],
    [['XREAD', 'STREAMS', 's1', 's2', '0']],
    [['XREAD', 'COUNT', 2]],
    [['SORT', 'l', 'BY']],
    [['SORT', 'l', 'SHUFFLE']],
    [['GEORADIUS', 'g', 1, 2, 3, 'km', 'STORE']],
    [['MIGRATE', 'h', 1, '', 0, 100, 'KEYS', 'a']],
  ] as const)('%j cannot be routed', (args) => {
    expect(routableKeyPositions(args)).toBeUndefined();
  });
});
