/** The stream commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { expectSameAndRight, fieldMapOf, hasNoPrototype, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);

/** A stream entry as every stream reply gives it. */
function entry<S>(id: string, ...flat: S[]): { id: string; fields: Record<string, S>; flat: S[] } {
  const pairs: [string, S][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([String(flat[i]), flat[i + 1]]);
  return { id, fields: fieldMapOf(pairs), flat };
}

/** Replaces clock-dependent numbers by 'ms' once they are checked to be numbers. */
function timesOut<T extends object, K extends keyof T & string>(
  record: T,
  ...names: K[]
): Omit<T, K> & { [P in K]: 'ms' } {
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(record) as object | null);
  Object.assign(out, record);
  for (const name of names) {
    expect(typeof out[name]).toBe('number');
    out[name] = 'ms';
  }
  return out as Omit<T, K> & { [P in K]: 'ms' };
}

describe('stream commands under every protocol', () => {
  test('add, range, read, trim; repeated fields stay in flat', async () => {
    const results = await trio.each(async (c) => ({
      add1: await c.xadd('st:s', '1-1', 'a', '1', 'a', '2'),
      add2: await c.xadd('st:s', '2-1', 'b', 'x'),
      addBuffer: await c.xaddBuffer('st:s', '3-1', 'c', 'y'),
      addNoStream: await c.xadd('st:none', 'NOMKSTREAM', '*', 'f', 'v'),
      len: await c.xlen('st:s'),
      range: await c.xrange('st:s', '-', '+'),
      revrange: await c.xrevrange('st:s', '+', '-', 'COUNT', 1),
      rangeBuffer: await c.xrangeBuffer('st:s', '2-1', '2-1'),
      rangeEmpty: await c.xrange('st:none', '-', '+'),
      read: await c.xread('COUNT', 1, 'STREAMS', 'st:s', 'st:t', '1-1', '0'),
      readBuffer: await c.xreadBuffer('STREAMS', 'st:s', '2-1'),
      readNothing: await c.xread('STREAMS', 'st:s', '3-1'),
      setid: await c.xsetid('st:s', '9-9'),
      del: await c.xdel('st:s', '2-1', '8-8'),
      trim: await c.xtrim('st:s', 'MAXLEN', 1),
      afterTrim: await c.xrange('st:s', '-', '+'),
    }));
    expectSameAndRight(results, {
      add1: '1-1',
      add2: '2-1',
      addBuffer: b('3-1'),
      addNoStream: null,
      len: 3,
      range: [entry('1-1', 'a', '1', 'a', '2'), entry('2-1', 'b', 'x'), entry('3-1', 'c', 'y')],
      revrange: [entry('3-1', 'c', 'y')],
      rangeBuffer: [entry('2-1', b('b'), b('x'))],
      rangeEmpty: [],
      read: [{ key: 'st:s', entries: [entry('2-1', 'b', 'x')] }],
      readBuffer: [{ key: b('st:s'), entries: [entry('3-1', b('c'), b('y'))] }],
      readNothing: null,
      setid: 'OK',
      del: 1,
      trim: 1,
      afterTrim: [entry('3-1', 'c', 'y')],
    });
    const [first] = results[0].range;
    expect(first.fields.a).toBe('2');
    expect(hasNoPrototype(first.fields)).toBe(true);
  });

  test('consumer groups: read, pending, claim, autoclaim, ack; a deleted entry in the history', async () => {
    const results = await trio.each(async (c) => {
      await c.xadd('gr:s', '1-1', 'k', 'one');
      await c.xadd('gr:s', '2-1', 'k', 'two');
      await c.xadd('gr:s', '3-1', 'k', 'three');
      const create = await c.xgroupCreate('gr:s', 'grp', '0');
      const container = await c.xgroup('CREATECONSUMER', 'gr:s', 'grp', 'idle-one');
      const read = await c.xreadgroup('GROUP', 'grp', 'c1', 'COUNT', 2, 'STREAMS', 'gr:s', '>');
      const readNothing = await c.xreadgroup('GROUP', 'grp', 'c1', 'STREAMS', 'gr:s', '9-9');
      const del = await c.xdel('gr:s', '1-1');
      const history = await c.xreadgroup('GROUP', 'grp', 'c1', 'STREAMS', 'gr:s', '0');
      const summary = await c.xpending('gr:s', 'grp');
      const extended = await c.xpending('gr:s', 'grp', '-', '+', 10);
      const extendedBuffer = await c.xpendingBuffer('gr:s', 'grp', '2-1', '2-1', 1, 'c1');
      const claim = await c.xclaim('gr:s', 'grp', 'c2', 0, '2-1');
      const claimIds = await c.xclaim('gr:s', 'grp', 'c2', 0, '2-1', 'JUSTID');
      const autoclaim = await c.xautoclaim('gr:s', 'grp', 'c3', 0, '0-0');
      const autoclaimIds = await c.xautoclaimBuffer('gr:s', 'grp', 'c4', 0, '0-0', 'JUSTID');
      const ack = await c.xack('gr:s', 'grp', '2-1', '7-7');
      const summaryAfter = await c.xpending('gr:s', 'grp');
      const setid = await c.xgroupSetid('gr:s', 'grp', '0');
      const delconsumer = await c.xgroupDelconsumer('gr:s', 'grp', 'idle-one');
      const createconsumer = await c.xgroupCreateconsumer('gr:s', 'grp', 'c9');
      const destroy = await c.xgroupDestroy('gr:s', 'grp');
      const destroyAgain = await c.xgroupDestroy('gr:s', 'grp');
      return {
        create,
        container,
        read,
        readNothing,
        del,
        history,
        summary,
        extended: extended instanceof Array ? extended.map((item) => timesOut(item, 'idle')) : extended,
        extendedBuffer:
          extendedBuffer instanceof Array
            ? extendedBuffer.map((item) => timesOut(item, 'idle'))
            : extendedBuffer,
        claim,
        claimIds,
        autoclaim,
        autoclaimIds,
        ack,
        summaryAfter,
        setid,
        delconsumer,
        createconsumer,
        destroy,
        destroyAgain,
      };
    });
    expectSameAndRight(results, {
      create: 'OK',
      container: 1,
      read: [{ key: 'gr:s', entries: [entry('1-1', 'k', 'one'), entry('2-1', 'k', 'two')] }],
      readNothing: [{ key: 'gr:s', entries: [] }],
      del: 1,
      history: [
        { key: 'gr:s', entries: [{ id: '1-1', fields: null, flat: null }, entry('2-1', 'k', 'two')] },
      ],
      summary: { pending: 2, lowest: '1-1', highest: '2-1', consumers: [{ name: 'c1', pending: 2 }] },
      extended: [
        // Reading the history does not deliver an entry deleted meanwhile again.
        { id: '1-1', consumer: 'c1', idle: 'ms', deliveries: 1 },
        { id: '2-1', consumer: 'c1', idle: 'ms', deliveries: 2 },
      ],
      extendedBuffer: [{ id: '2-1', consumer: b('c1'), idle: 'ms', deliveries: 2 }],
      claim: [entry('2-1', 'k', 'two')],
      claimIds: ['2-1'],
      autoclaim: { next: '0-0', entries: [entry('2-1', 'k', 'two')], deleted: ['1-1'] },
      autoclaimIds: { next: '0-0', entries: ['2-1'], deleted: [] },
      ack: 1,
      summaryAfter: { pending: 0, lowest: null, highest: null, consumers: [] },
      setid: 'OK',
      delconsumer: 0,
      createconsumer: 1,
      destroy: 1,
      destroyAgain: 0,
    });
  });

  test('XINFO STREAM, STREAM FULL, GROUPS and CONSUMERS keep Redis field names, with numbers', async () => {
    const results = await trio.each(async (c) => {
      await c.xadd('in:s', '5-1', 'f', 'v1');
      await c.xadd('in:s', '6-1', 'f', 'v2', 'g', 'w2');
      await c.xgroupCreate('in:s', 'readers', '0');
      await c.xreadgroup('GROUP', 'readers', 'alice', 'COUNT', 1, 'STREAMS', 'in:s', '>');
      const full = await c.xinfoStream('in:s', 'FULL');
      const groups = 'entries' in full ? full.groups : [];
      return {
        stream: await c.xinfoStream('in:s'),
        viaContainer: await c.xinfo('STREAM', 'in:s'),
        streamBuffer: await c.xinfoStreamBuffer('in:s'),
        full: {
          ...full,
          groups: groups.map((group) => ({
            ...group,
            pending: group.pending.map((item) => timesOut(item, 'deliveryTime')),
            consumers: group.consumers.map((consumer) => ({
              ...timesOut(consumer, 'seen-time'),
              pending: consumer.pending.map((item) => timesOut(item, 'deliveryTime')),
            })),
          })),
        },
        groups: await c.xinfoGroups('in:s'),
        consumers: (await c.xinfoConsumers('in:s', 'readers')).map((consumer) => timesOut(consumer, 'idle')),
        consumersBuffer: (await c.xinfoConsumersBuffer('in:s', 'readers')).map((consumer) => consumer.name),
      };
    });
    const stream = {
      length: 2,
      'radix-tree-keys': 1,
      'radix-tree-nodes': 2,
      'last-generated-id': '6-1',
      'max-deleted-entry-id': '0-0',
      'entries-added': 2,
      'recorded-first-entry-id': '5-1',
    };
    expectSameAndRight(results, {
      stream: {
        ...stream,
        groups: 1,
        'first-entry': entry('5-1', 'f', 'v1'),
        'last-entry': entry('6-1', 'f', 'v2', 'g', 'w2'),
      },
      viaContainer: {
        ...stream,
        groups: 1,
        'first-entry': entry('5-1', 'f', 'v1'),
        'last-entry': entry('6-1', 'f', 'v2', 'g', 'w2'),
      },
      streamBuffer: {
        ...stream,
        groups: 1,
        'first-entry': entry('5-1', b('f'), b('v1')),
        'last-entry': entry('6-1', b('f'), b('v2'), b('g'), b('w2')),
      },
      full: {
        ...stream,
        entries: [entry('5-1', 'f', 'v1'), entry('6-1', 'f', 'v2', 'g', 'w2')],
        groups: [
          {
            name: 'readers',
            'last-delivered-id': '5-1',
            'entries-read': 1,
            lag: 1,
            'pel-count': 1,
            pending: [{ id: '5-1', consumer: 'alice', deliveryTime: 'ms', deliveries: 1 }],
            consumers: [
              {
                name: 'alice',
                'seen-time': 'ms',
                'pel-count': 1,
                pending: [{ id: '5-1', deliveryTime: 'ms', deliveries: 1 }],
              },
            ],
          },
        ],
      },
      groups: [
        { name: 'readers', consumers: 1, pending: 1, 'last-delivered-id': '5-1', 'entries-read': 1, lag: 1 },
      ],
      consumers: [{ name: 'alice', pending: 1, idle: 'ms' }],
      consumersBuffer: [b('alice')],
    });
    expect(hasNoPrototype(results[0].stream)).toBe(true);
    expect(hasNoPrototype(results[0].groups[0])).toBe(true);
  });

  test('XADD takes its fields as a record or a Map after the id and options, and refuses a misplaced one', async () => {
    const results = await trio.each(async (c) => ({
      record: await c.xadd('xa:s', '1-0', { temp: 21.5, unit: 'C' }),
      map: await c.xadd(
        'xa:s',
        'MAXLEN',
        '=',
        5,
        '2-0',
        new Map<string | Buffer, string>([['city', 'Oslo']]),
      ),
      plain: await c.xadd('xa:s', '3-0', 'a', 1),
      entries: await c.xrange('xa:s', '-', '+'),
      empty: await c.xadd('xa:s', '4-0', {}).catch((error: Error) => error.message),
      noId: await c.xadd('xa:s', { f: 1 }).catch((error: Error) => error.message),
    }));
    expectSameAndRight(results, {
      record: '1-0',
      map: '2-0',
      plain: '3-0',
      entries: [
        entry('1-0', 'temp', '21.5', 'unit', 'C'),
        entry('2-0', 'city', 'Oslo'),
        entry('3-0', 'a', '1'),
      ],
      empty: 'XADD needs at least one field',
      noId: 'XADD needs an id (* for a new one) before its fields',
    });
  });

  test('errors reject that command alone', async () => {
    const results = await trio.each(async (c) => ({
      noGroup: await c.xpending('er:none', 'g').catch((error: Error) => error.message),
      wrongId: await c.xadd('er:s', 'not-an-id', 'f', 'v').catch((error: Error) => error.message),
      after: await c.xlen('er:s'),
    }));
    expectSameAndRight(results, {
      noGroup: "NOGROUP No such key 'er:none' or consumer group 'g'",
      wrongId: 'ERR Invalid stream ID specified as stream command argument',
      after: 0,
    });
  });
});
