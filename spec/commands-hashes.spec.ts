/** The hash commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, fieldMapOf, hasNoPrototype, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();

describe('hash commands under every protocol', () => {
  test('set and read fields, Redis spelling and the record and Map forms', async () => {
    const results = await trio.each(async (c) => ({
      hsetPlain: await c.hset('h:user', 'name', 'ada', 'born', 1815),
      hsetRecord: await c.hset('h:user', { lang: 'analytical', year: 1843, __proto__field: 'x' }),
      hsetMap: await c.hset('h:user', new Map([['name', 'lovelace']])),
      hmset: await c.hmset('h:user', { notes: 'G' }),
      hsetnxTaken: await c.hsetnx('h:user', 'name', 'other'),
      hsetnxFree: await c.hsetnx('h:user', 'title', 'countess'),
      hget: await c.hget('h:user', 'name'),
      hgetMissing: await c.hget('h:user', 'nope'),
      hmget: await c.hmget('h:user', 'born', 'nope', 'lang'),
      hexists: await c.hexists('h:user', 'year'),
      hexistsNot: await c.hexists('h:user', 'nope'),
      hlen: await c.hlen('h:user'),
      hstrlen: await c.hstrlen('h:user', 'lang'),
      hkeys: (await c.hkeys('h:user')).sort(),
      hvals: (await c.hvals('h:user')).sort(),
      hdel: await c.hdel('h:user', 'notes', '__proto__field', 'nope'),
      hincrby: await c.hincrby('h:user', 'born', 7),
      hincrbyfloat: await c.hincrbyfloat('h:user', 'year', '0.25'),
      hincrbyfloatBig: await c.hincrbyfloat('h:big', 'f', '12345678901234567.75'),
    }));
    expectSameAndRight(results, {
      hsetPlain: 2,
      hsetRecord: 3,
      hsetMap: 0,
      hmset: 'OK',
      hsetnxTaken: 0,
      hsetnxFree: 1,
      hget: 'lovelace',
      hgetMissing: null,
      hmget: ['1815', null, 'analytical'],
      hexists: 1,
      hexistsNot: 0,
      hlen: 7,
      hstrlen: 10,
      hkeys: ['__proto__field', 'born', 'lang', 'name', 'notes', 'title', 'year'],
      hvals: ['1815', '1843', 'G', 'analytical', 'countess', 'lovelace', 'x'],
      hdel: 2,
      hincrby: 1822,
      hincrbyfloat: '1843.25',
      hincrbyfloatBig: '12345678901234567.75',
    });
  });

  test('HGETALL is a prototype-less object, with Buffers from its twin', async () => {
    const results = await trio.each(async (c) => {
      await c.hset(
        'h:all',
        new Map([
          ['__proto__', 'really data'],
          ['plain', 'value'],
        ]),
      );
      const all = await c.hgetall('h:all');
      const buffers = await c.hgetallBuffer('h:all');
      return {
        all,
        buffers,
        noPrototypes: [hasNoPrototype(all), hasNoPrototype(buffers)],
        protoIsData: all['__proto__'],
        empty: await c.hgetall('h:none'),
      };
    });
    expectSameAndRight(results, {
      all: fieldMapOf([
        ['__proto__', 'really data'],
        ['plain', 'value'],
      ]),
      buffers: fieldMapOf([
        ['__proto__', Buffer.from('really data')],
        ['plain', Buffer.from('value')],
      ]),
      noPrototypes: [true, true],
      protoIsData: 'really data',
      empty: fieldMapOf<string>([]),
    });
  });

  test('HRANDFIELD: a field, fields, [field, value] tuples with repeats', async () => {
    const results = await trio.each(async (c) => {
      await c.hset('h:one', 'only', 'single');
      return {
        one: await c.hrandfield('h:one'),
        missing: await c.hrandfield('h:none'),
        counted: await c.hrandfield('h:one', 2),
        withValues: await c.hrandfield('h:one', -3, 'WITHVALUES'),
        withValuesBuffer: await c.hrandfieldBuffer('h:one', 1, 'withvalues'),
        missingWithValues: await c.hrandfield('h:none', 2, 'WITHVALUES'),
      };
    });
    expectSameAndRight(results, {
      one: 'only',
      missing: null,
      counted: ['only'],
      withValues: [
        ['only', 'single'],
        ['only', 'single'],
        ['only', 'single'],
      ],
      withValuesBuffer: [[Buffer.from('only'), Buffer.from('single')]],
      missingWithValues: [],
    });
  });

  test('HSCAN: [cursor, [field, value] tuples]', async () => {
    const results = await trio.each(async (c) => {
      await c.hset('h:scan', { f1: 'v1', f2: 'v2' });
      const [cursor, entries] = await c.hscan('h:scan', 0);
      const [bufferCursor, bufferEntries] = await c.hscanBuffer('h:scan', '0', 'MATCH', 'f2');
      return { cursor, entries: entries.sort(), bufferCursor, bufferEntries };
    });
    expectSameAndRight(results, {
      cursor: '0',
      entries: [
        ['f1', 'v1'],
        ['f2', 'v2'],
      ],
      bufferCursor: '0',
      bufferEntries: [[Buffer.from('f2'), Buffer.from('v2')]],
    });
  });

  test('a pipeline shapes the same replies as the client', async () => {
    const results = await trio.each(async (c) => {
      await c.hset('h:pipe', 'k', 'v');
      return c.pipeline().hgetall('h:pipe').hrandfield('h:pipe', 1, 'WITHVALUES').hscan('h:pipe', 0).exec();
    });
    expectSameAndRight(results, [fieldMapOf([['k', 'v']]), [['k', 'v']], ['0', [['k', 'v']]]]);
  });

  test('bad friendlier forms are refused before anything is sent', async () => {
    const results = await trio.each(async (c) => {
      const outcomes = await Promise.allSettled([
        c.hset('h:bad', {}),
        c.hset('h:bad', 'odd'),
        c.hset('h:bad'),
      ]);
      return outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'sent'));
    });
    expectSameAndRight(results, [
      'InvalidArgumentError: HSET needs at least one field',
      'InvalidArgumentError: HSET takes pairs: a record, a Map, or an even number of arguments',
      'InvalidArgumentError: HSET needs at least 3 argument(s), got 1',
    ]);
  });
});
