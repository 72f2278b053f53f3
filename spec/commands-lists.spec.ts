/** The list commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);

describe('list commands under every protocol', () => {
  test('push, read, edit and pop', async () => {
    const results = await trio.each(async (c) => ({
      rpush: await c.rpush('l:a', 'a1', 'a2', 'a3'),
      lpush: await c.lpush('l:a', 'a0'),
      rpushx: await c.rpushx('l:a', 'a4'),
      lpushxMissing: await c.lpushx('l:none', 'x'),
      linsert: await c.linsert('l:a', 'BEFORE', 'a2', 'a1.5'),
      llen: await c.llen('l:a'),
      lindex: await c.lindex('l:a', 2),
      lindexMissing: await c.lindex('l:a', 99),
      lset: await c.lset('l:a', 0, 'zero'),
      lrange: await c.lrange('l:a', 0, -1),
      lrangeBuffer: await c.lrangeBuffer('l:a', -2, -1),
      lpos: await c.lpos('l:a', 'a3'),
      lposMissing: await c.lpos('l:a', 'nope'),
      lposCount: await c.lpos('l:a', 'a1', 'COUNT', 0),
      lrem: await c.lrem('l:a', 0, 'a1.5'),
      lpop: await c.lpop('l:a'),
      rpop: await c.rpop('l:a'),
      lpopCount: await c.lpop('l:a', 2),
      rpopCountBuffer: await c.rpopBuffer('l:a', 5),
      lpopMissing: await c.lpop('l:a'),
      lpopCountMissing: await c.lpop('l:a', 2),
      ltrim: await c.rpush('l:t', 't1', 't2', 't3').then(() => c.ltrim('l:t', 1, 1)),
      trimmed: await c.lrange('l:t', 0, -1),
    }));
    expectSameAndRight(results, {
      rpush: 3,
      lpush: 4,
      rpushx: 5,
      lpushxMissing: 0,
      linsert: 6,
      llen: 6,
      lindex: 'a1.5',
      lindexMissing: null,
      lset: 'OK',
      lrange: ['zero', 'a1', 'a1.5', 'a2', 'a3', 'a4'],
      lrangeBuffer: [b('a3'), b('a4')],
      lpos: 4,
      lposMissing: null,
      lposCount: [1],
      lrem: 1,
      lpop: 'zero',
      rpop: 'a4',
      lpopCount: ['a1', 'a2'],
      rpopCountBuffer: [b('a3')],
      lpopMissing: null,
      lpopCountMissing: null,
      ltrim: 'OK',
      trimmed: ['t2'],
    });
  });

  test('moves between lists', async () => {
    const results = await trio.each(async (c) => {
      await c.rpush('l:src', 's1', 's2', 's3', 's4');
      return {
        lmove: await c.lmove('l:src', 'l:dst', 'LEFT', 'RIGHT'),
        rpoplpush: await c.rpoplpush('l:src', 'l:dst'),
        blmove: await c.blmove('l:src', 'l:dst', 'RIGHT', 'LEFT', 0),
        brpoplpushBuffer: await c.brpoplpushBuffer('l:src', 'l:dst', 0),
        lmoveEmpty: await c.lmove('l:src', 'l:dst', 'LEFT', 'LEFT'),
        dst: await c.lrange('l:dst', 0, -1),
      };
    });
    expectSameAndRight(results, {
      lmove: 's1',
      rpoplpush: 's4',
      blmove: 's3',
      brpoplpushBuffer: b('s2'),
      lmoveEmpty: null,
      dst: ['s2', 's3', 's4', 's1'],
    });
  });

  test('pops that name their key: { key, element } and { key, elements }, null when nothing came', async () => {
    const results = await trio.each(async (c) => {
      await c.rpush('l:p', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6');
      return {
        blpop: await c.blpop('l:none', 'l:p', 0),
        brpop: await c.brpop('l:p', 0),
        brpopBuffer: await c.brpopBuffer('l:p', 0),
        lmpop: await c.lmpop(2, 'l:none', 'l:p', 'LEFT', 'COUNT', 2),
        blmpop: await c.blmpop(0, 1, 'l:p', 'RIGHT', 'COUNT', 5),
        lmpopNothing: await c.lmpop(1, 'l:p', 'LEFT'),
        blmpopTimedOut: await c.blmpop(0.01, 1, 'l:p', 'LEFT'),
        blpopTimedOut: await c.blpop('l:p', 0.01),
      };
    });
    expectSameAndRight(results, {
      blpop: { key: 'l:p', element: 'p1' },
      brpop: { key: 'l:p', element: 'p6' },
      brpopBuffer: { key: b('l:p'), element: b('p5') },
      lmpop: { key: 'l:p', elements: ['p2', 'p3'] },
      blmpop: { key: 'l:p', elements: ['p4'] },
      lmpopNothing: null,
      blmpopTimedOut: null,
      blpopTimedOut: null,
    });
  });
});
