/** The string commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);

describe('string commands under every protocol', () => {
  test('set, read and edit values', async () => {
    const results = await trio.each(async (c) => ({
      set: await c.set('s:a', 'alpha'),
      setGet: await c.set('s:a', 'alpha2', 'GET'),
      setnxTaken: await c.setnx('s:a', 'x'),
      setnxFree: await c.setnx('s:b', 'bravo'),
      append: await c.append('s:b', '-more'),
      strlen: await c.strlen('s:b'),
      getrange: await c.getrange('s:b', 1, 3),
      substr: await c.substr('s:b', -4, -1),
      setrange: await c.setrange('s:b', 0, 'BR'),
      get: await c.get('s:b'),
      getBuffer: await c.getBuffer('s:b'),
      getMissing: await c.get('s:none'),
      getset: await c.getset('s:a', 'alpha3'),
      getdel: await c.getdel('s:a'),
      getdelGone: await c.getdel('s:a'),
      setex: await c.setex('s:ex', 500, 'echo'),
      psetex: await c.psetex('s:px', 600_000, 'papa'),
      getex: await c.getex('s:ex', 'PERSIST'),
      getexMissing: await c.getex('s:none'),
      getrangeMissing: await c.getrangeBuffer('s:none', 0, 5),
    }));
    expectSameAndRight(results, {
      set: 'OK',
      setGet: 'alpha',
      setnxTaken: 0,
      setnxFree: 1,
      append: 10,
      strlen: 10,
      getrange: 'rav',
      substr: 'more',
      setrange: 10,
      get: 'BRavo-more',
      getBuffer: b('BRavo-more'),
      getMissing: null,
      getset: 'alpha2',
      getdel: 'alpha3',
      getdelGone: null,
      setex: 'OK',
      psetex: 'OK',
      getex: 'echo',
      getexMissing: null,
      getrangeMissing: b(''),
    });
  });

  test('counters; INCRBYFLOAT keeps the exact text Redis stored', async () => {
    const results = await trio.each(async (c) => ({
      incr: await c.incr('s:n'),
      incrby: await c.incrby('s:n', 41),
      decr: await c.decr('s:n'),
      decrby: await c.decrby('s:n', 100),
      incrbyfloat: await c.incrbyfloat('s:f', '0.1'),
      incrbyfloatMore: await c.incrbyfloat('s:f', 2),
      big: await c.incrbyfloat('s:big', '12345678901234567.5'),
      bigger: await c.incrbyfloat('s:big', '0.25'),
      bigBuffer: await c.incrbyfloatBuffer('s:big', '1'),
    }));
    expectSameAndRight(results, {
      incr: 1,
      incrby: 42,
      decr: 41,
      decrby: -59,
      incrbyfloat: '0.1',
      incrbyfloatMore: '2.1',
      big: '12345678901234567.5',
      bigger: '12345678901234567.75',
      bigBuffer: b('12345678901234568.75'),
    });
  });

  test('MSET, MSETNX and MGET, in Redis spelling and the friendlier forms', async () => {
    const results = await trio.each(async (c) => ({
      mset: await c.mset('m:a', 'one', 'm:b', 'two'),
      msetRecord: await c.mset({ 'm:c': 'three' }),
      msetnxTaken: await c.msetnx({ 'm:a': 'x', 'm:new': 'y' }),
      msetnxFree: await c.msetnx('m:d', 'four', 'm:e', 'five'),
      mget: await c.mget('m:a', 'm:new', 'm:d'),
      mgetArray: await c.mget(['m:e', 'm:c', 'm:b']),
      mgetBuffer: await c.mgetBuffer(['m:a', 'm:none']),
    }));
    expectSameAndRight(results, {
      mset: 'OK',
      msetRecord: 'OK',
      msetnxTaken: 0,
      msetnxFree: 1,
      mget: ['one', null, 'four'],
      mgetArray: ['five', 'three', 'two'],
      mgetBuffer: [b('one'), null],
    });
  });

  test('LCS: the text, its length, and { matches, len } with IDX', async () => {
    const results = await trio.each(async (c) => {
      await c.mset({ 'l:1': 'ohmytext', 'l:2': 'mynewtext' });
      return {
        text: await c.lcs('l:1', 'l:2'),
        textBuffer: await c.lcsBuffer('l:1', 'l:2'),
        len: await c.lcs('l:1', 'l:2', 'LEN'),
        idx: await c.lcs('l:1', 'l:2', 'IDX'),
        idxWithLen: await c.lcsBuffer('l:1', 'l:2', 'IDX', 'MINMATCHLEN', 3, 'WITHMATCHLEN'),
      };
    });
    expectSameAndRight(results, {
      text: 'mytext',
      textBuffer: b('mytext'),
      len: 6,
      idx: {
        matches: [
          { key1: [4, 7], key2: [5, 8] },
          { key1: [2, 3], key2: [0, 1] },
        ],
        len: 6,
      },
      idxWithLen: { matches: [{ key1: [4, 7], key2: [5, 8], len: 4 }], len: 6 },
    });
  });
});
