/**
 * Unit spec for the reply transforms of the stream, generic, server, connection, pubsub and cluster
 * groups: each is fed the RESP2 and the RESP3 shape of its reply, as the decoder gives them (maps as
 * Map, sets as Set, doubles as numbers), and must give one value for both.
 */
import { CommandFlags } from '../lib/connection/pending-command';
import { container } from '../lib/commands/container';
import { cluster, connection, generic, pubsub, server, streams } from '../lib/commands/groups';
import type { Transform } from '../lib/commands/reply';
import { loose, num, textual, toNumberMap, toRecord } from '../lib/commands/replies-records';
import { parseClusterNode } from '../lib/commands/replies-cluster';
import { ReplyError } from '../lib/errors';
import type { CommandArg, RespValue } from '../lib/resp/types';

const b = (text: string): Buffer => Buffer.from(text);
const bare = <T extends object>(value: T): T => Object.assign(Object.create(null) as T, value);
const map = (...pairs: [RespValue, RespValue][]): Map<RespValue, RespValue> => new Map(pairs);

function transformOf(def: { transform: Transform | null; name?: string }): Transform {
  if (def.transform === null) throw new Error(`${def.name ?? 'a container'} has no transform`);
  return def.transform;
}

/** The RESP2 and RESP3 shapes both give `expected`, equal down to prototypes. */
function expectBoth(
  def: { transform: Transform | null; name: string },
  resp2: RespValue,
  resp3: RespValue,
  expected: unknown,
  args: CommandArg[] = def.name.split('|'),
): void {
  const transform = transformOf(def);
  const two = transform(resp2, args);
  const three = transform(resp3, args);
  expect(two).toEqual(expected);
  expect(three).toStrictEqual(two);
}

function entry<S>(id: string, ...flat: S[]): { id: string; fields: Record<string, S>; flat: S[] } {
  const fields: Record<string, S> = Object.create(null);
  for (let i = 0; i < flat.length; i += 2) fields[String(flat[i])] = flat[i + 1];
  return { id, fields, flat };
}

describe('record building blocks', () => {
  test('toRecord reads a map or a flat list into a prototype-less object; __proto__ is data', () => {
    const flat = toRecord(['__proto__', 'x', 'constructor', 1]);
    const mapped = toRecord(map(['__proto__', 'x'], ['constructor', 1]));
    expect(Object.getPrototypeOf(flat)).toBeNull();
    expect(Object.keys(flat)).toEqual(['__proto__', 'constructor']);
    expect(mapped).toStrictEqual(flat);
    // A field named like an Object.prototype member is not mistaken for a converter.
    expect(toRecord(['toString', 'v'], {})).toEqual(bare({ toString: 'v' }));
    expect(() => toRecord(['odd'])).toThrow(ReplyError);
    expect(() => toRecord(3)).toThrow(/expected a map/);
  });

  test('loose keeps Buffers, textual turns them into strings; both turn maps and sets into objects and arrays', () => {
    const raw = map([b('k'), new Set<RespValue>([b('v')])]);
    expect(loose(raw)).toEqual(bare({ k: [b('v')] }));
    expect(textual(raw)).toEqual(bare({ k: ['v'] }));
  });

  test('num reads integers, doubles, bignums and text; nil stays null; an aggregate is an error', () => {
    expect([num(3), num('2.5'), num(b('inf')), num('-inf'), num(12n), num(null)]).toEqual([
      3,
      2.5,
      Infinity,
      -Infinity,
      12,
      null,
    ]);
    expect(() => num([])).toThrow(ReplyError);
    expect(toNumberMap(['a', 1, 'b', '2.5'])).toStrictEqual(toNumberMap(map(['a', 1], ['b', 2.5])));
  });
});

describe('stream transforms', () => {
  const rawEntries: RespValue = [
    ['1-1', ['a', '1', 'a', '2']],
    ['2-1', ['b', 'x']],
  ];

  test('XRANGE: entries keep repeated fields in flat, the last value in fields', () => {
    expectBoth(streams.XRANGE, rawEntries, rawEntries, [
      entry('1-1', 'a', '1', 'a', '2'),
      entry('2-1', 'b', 'x'),
    ]);
    expectBoth(streams.XREVRANGE, [], [], []);
    const [first] = transformOf(streams.XRANGE)(rawEntries, []) as { fields: Record<string, string> }[];
    expect(first.fields.a).toBe('2');
    expect(() => transformOf(streams.XRANGE)([['1-1', 'x']], [])).toThrow(ReplyError);
  });

  test('XREAD: a RESP2 list of [key, entries] and a RESP3 map give { key, entries }[]; nil stays null', () => {
    expectBoth(
      streams.XREAD,
      [
        ['s1', rawEntries],
        ['s2', []],
      ],
      map(['s1', rawEntries], ['s2', []]),
      [
        { key: 's1', entries: [entry('1-1', 'a', '1', 'a', '2'), entry('2-1', 'b', 'x')] },
        { key: 's2', entries: [] },
      ],
    );
    expectBoth(streams.XREAD, null, null, null);
    expectBoth(
      streams.XREAD,
      [[b('k'), [[b('3-0'), [b('f'), b('v')]]]]],
      map([b('k'), [[b('3-0'), [b('f'), b('v')]]]]),
      [{ key: b('k'), entries: [entry('3-0', b('f'), b('v'))] }],
    );
  });

  test('XREADGROUP: an entry deleted since delivery comes as { id, fields: null, flat: null }', () => {
    const history: RespValue = [
      ['1-1', null],
      ['2-1', ['b', 'x']],
    ];
    expectBoth(streams.XREADGROUP, [['s', history]], map(['s', history]), [
      { key: 's', entries: [{ id: '1-1', fields: null, flat: null }, entry('2-1', 'b', 'x')] },
    ]);
  });

  test('XCLAIM: entries, or ids with JUSTID; a nil from an older server is dropped', () => {
    expectBoth(streams.XCLAIM, [['2-1', ['b', 'x']], null], [['2-1', ['b', 'x']]], [entry('2-1', 'b', 'x')]);
    expectBoth(streams.XCLAIM, ['1-1', b('2-1')], ['1-1', b('2-1')], ['1-1', '2-1']);
  });

  test('XAUTOCLAIM: { next, entries, deleted }; Redis 6.2 sent no deleted list', () => {
    const raw: RespValue = ['0-0', [['2-1', ['b', 'x']]], ['1-1']];
    expectBoth(streams.XAUTOCLAIM, raw, raw, {
      next: '0-0',
      entries: [entry('2-1', 'b', 'x')],
      deleted: ['1-1'],
    });
    expectBoth(streams.XAUTOCLAIM, ['5-0', ['2-1']], ['5-0', ['2-1']], {
      next: '5-0',
      entries: ['2-1'],
      deleted: [],
    });
  });

  test('XPENDING: the summary (counts as text become numbers) and the extended form', () => {
    const summary: RespValue = [
      3,
      '1-1',
      '2-1',
      [
        ['c1', '2'],
        ['c2', '1'],
      ],
    ];
    expectBoth(streams.XPENDING, summary, summary, {
      pending: 3,
      lowest: '1-1',
      highest: '2-1',
      consumers: [
        { name: 'c1', pending: 2 },
        { name: 'c2', pending: 1 },
      ],
    });
    expectBoth(streams.XPENDING, [0, null, null, null], [0, null, null, null], {
      pending: 0,
      lowest: null,
      highest: null,
      consumers: [],
    });
    const extended: RespValue = [['1-1', 'c1', 7, 1]];
    expectBoth(streams.XPENDING, extended, extended, [{ id: '1-1', consumer: 'c1', idle: 7, deliveries: 1 }]);
    expectBoth(streams.XPENDING, [], [], []);
  });

  test('XINFO STREAM, plain and FULL, and through the XINFO container', () => {
    const head: [string, RespValue][] = [
      ['length', 2],
      ['radix-tree-keys', 1],
      ['radix-tree-nodes', 2],
      ['last-generated-id', '2-1'],
      ['max-deleted-entry-id', '0-0'],
      ['entries-added', 2],
      ['recorded-first-entry-id', '1-1'],
    ];
    const plain: [string, RespValue][] = [
      ...head,
      ['groups', 0],
      ['first-entry', ['1-1', ['a', '1']]],
      ['last-entry', null],
    ];
    const expectedHead = {
      length: 2,
      'radix-tree-keys': 1,
      'radix-tree-nodes': 2,
      'last-generated-id': '2-1',
      'max-deleted-entry-id': '0-0',
      'entries-added': 2,
      'recorded-first-entry-id': '1-1',
    };
    const expectedPlain = bare({
      ...expectedHead,
      groups: 0,
      'first-entry': entry('1-1', 'a', '1'),
      'last-entry': null,
    });
    expectBoth(streams['XINFO|STREAM'], plain.flat(), map(...plain), expectedPlain);
    expect(transformOf(container)(plain.flat(), ['XINFO', 'STREAM', 's'])).toEqual(expectedPlain);

    const group2: RespValue = [
      'name',
      'g',
      'last-delivered-id',
      '1-1',
      'entries-read',
      1,
      'lag',
      null,
      'pel-count',
      1,
      'pending',
      [['1-1', 'c', 1700000000000, 1]],
      'consumers',
      [['name', 'c', 'seen-time', 1700000000001, 'pel-count', 1, 'pending', [['1-1', 1700000000000, 1]]]],
    ];
    const group3 = map(
      ['name', 'g'],
      ['last-delivered-id', '1-1'],
      ['entries-read', 1],
      ['lag', null],
      ['pel-count', 1],
      ['pending', [['1-1', 'c', 1700000000000, 1]]],
      [
        'consumers',
        [
          map(
            ['name', 'c'],
            ['seen-time', 1700000000001],
            ['pel-count', 1],
            ['pending', [['1-1', 1700000000000, 1]]],
          ),
        ],
      ],
    );
    const full2 = [...head.flat(), 'entries', [['1-1', ['a', '1']]], 'groups', [group2]];
    const full3 = map(...head, ['entries', [['1-1', ['a', '1']]]], ['groups', [group3]]);
    expectBoth(
      streams['XINFO|STREAM'],
      full2,
      full3,
      bare({
        ...expectedHead,
        entries: [entry('1-1', 'a', '1')],
        groups: [
          bare({
            name: 'g',
            'last-delivered-id': '1-1',
            'entries-read': 1,
            lag: null,
            'pel-count': 1,
            pending: [{ id: '1-1', consumer: 'c', deliveryTime: 1700000000000, deliveries: 1 }],
            consumers: [
              bare({
                name: 'c',
                'seen-time': 1700000000001,
                'pel-count': 1,
                pending: [{ id: '1-1', deliveryTime: 1700000000000, deliveries: 1 }],
              }),
            ],
          }),
        ],
      }),
    );
  });

  test('XINFO GROUPS and CONSUMERS: records; names are data, Buffers from the twins', () => {
    expectBoth(
      streams['XINFO|GROUPS'],
      [
        [
          'name',
          b('g'),
          'consumers',
          1,
          'pending',
          0,
          'last-delivered-id',
          b('1-1'),
          'entries-read',
          1,
          'lag',
          0,
        ],
      ],
      [
        map(
          ['name', b('g')],
          ['consumers', 1],
          ['pending', 0],
          ['last-delivered-id', b('1-1')],
          ['entries-read', 1],
          ['lag', 0],
        ),
      ],
      [
        bare({
          name: b('g'),
          consumers: 1,
          pending: 0,
          'last-delivered-id': '1-1',
          'entries-read': 1,
          lag: 0,
        }),
      ],
    );
    expectBoth(
      streams['XINFO|CONSUMERS'],
      [['name', 'c', 'pending', 2, 'idle', 5, 'inactive', 4]],
      [map(['name', 'c'], ['pending', 2], ['idle', 5], ['inactive', 4])],
      [bare({ name: 'c', pending: 2, idle: 5, inactive: 4 })],
    );
  });
});

describe('generic transforms and definitions', () => {
  test('DUMP always asks for Buffers; the other generic commands only with the twin', () => {
    expect(generic.DUMP.flags & CommandFlags.Buffers).toBe(CommandFlags.Buffers);
    expect(generic.DEL.flags & CommandFlags.Buffers).toBe(0);
  });

  test('SCAN: [cursor, keys], the cursor as text even past 2^53', () => {
    expectBoth(
      generic.SCAN,
      ['18446744073709551615', ['a']],
      ['18446744073709551615', ['a']],
      ['18446744073709551615', ['a']],
    );
    expectBoth(generic.SCAN, [b('0'), [b('k')]], [b('0'), [b('k')]], ['0', [b('k')]]);
  });
});

describe('server transforms', () => {
  test('ACL GETUSER: a record with flags as an array (a RESP3 set), selectors as records; nil stays null', () => {
    const flat: RespValue = [
      'flags',
      ['on'],
      'passwords',
      [],
      'commands',
      '-@all +get',
      'keys',
      '~k*',
      'channels',
      '',
      'selectors',
      [['commands', '-@all +set', 'keys', '~x*', 'channels', '']],
    ];
    const mapped = map(
      ['flags', new Set<RespValue>(['on'])],
      ['passwords', []],
      ['commands', '-@all +get'],
      ['keys', '~k*'],
      ['channels', ''],
      ['selectors', [map(['commands', '-@all +set'], ['keys', '~x*'], ['channels', ''])]],
    );
    const user = bare({
      flags: ['on'],
      passwords: [],
      commands: '-@all +get',
      keys: '~k*',
      channels: '',
      selectors: [bare({ commands: '-@all +set', keys: '~x*', channels: '' })],
    });
    expectBoth(server['ACL|GETUSER'], flat, mapped, user);
    expectBoth(server['ACL|GETUSER'], null, null, null);
  });

  test('ACL LOG: entries with age-seconds as a number (text in RESP2, a double in RESP3); RESET gives OK', () => {
    const fields = (age: RespValue): [string, RespValue][] => [
      ['count', 1],
      ['reason', 'auth'],
      ['context', 'toplevel'],
      ['object', 'AUTH'],
      ['username', 'u'],
      ['age-seconds', age],
      ['client-info', 'id=3 addr=127.0.0.1:1'],
    ];
    expectBoth(
      server['ACL|LOG'],
      [fields('0.25').flat()],
      [map(...fields(0.25))],
      [
        bare({
          count: 1,
          reason: 'auth',
          context: 'toplevel',
          object: 'AUTH',
          username: 'u',
          'age-seconds': 0.25,
          'client-info': 'id=3 addr=127.0.0.1:1',
        }),
      ],
    );
    expectBoth(server['ACL|LOG'], 'OK', 'OK', 'OK');
  });

  test('COMMAND INFO: positional tuples as described commands, key specs as records; unknown → null', () => {
    const spec2: RespValue = [
      'flags',
      ['RO', 'access'],
      'begin_search',
      ['type', 'index', 'spec', ['index', 1]],
      'find_keys',
      ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]],
    ];
    const spec3 = map(
      ['flags', new Set<RespValue>(['RO', 'access'])],
      ['begin_search', map(['type', 'index'], ['spec', map(['index', 1])])],
      ['find_keys', map(['type', 'range'], ['spec', map(['lastkey', 0], ['keystep', 1], ['limit', 0])])],
    );
    const sub: RespValue = ['x|y', 2, [], 0, 0, 0, [], [], [], []];
    const two: RespValue = [['get', 2, ['readonly'], 1, 1, 1, ['@read'], ['tip'], [spec2], [sub]], null];
    const three: RespValue = [
      [
        'get',
        2,
        new Set<RespValue>(['readonly']),
        1,
        1,
        1,
        new Set<RespValue>(['@read']),
        new Set<RespValue>(['tip']),
        new Set<RespValue>([spec3]),
        [sub],
      ],
      null,
    ];
    const described = (name: string, arity: number, extra: object): object => ({
      name,
      arity,
      flags: [],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      aclCategories: [],
      tips: [],
      keySpecifications: [],
      subcommands: [],
      ...extra,
    });
    expectBoth(server['COMMAND|INFO'], two, three, [
      described('get', 2, {
        flags: ['readonly'],
        firstKey: 1,
        lastKey: 1,
        step: 1,
        aclCategories: ['@read'],
        tips: ['tip'],
        keySpecifications: [
          bare({
            flags: ['RO', 'access'],
            begin_search: bare({ type: 'index', spec: bare({ index: 1 }) }),
            find_keys: bare({ type: 'range', spec: bare({ lastkey: 0, keystep: 1, limit: 0 }) }),
          }),
        ],
        subcommands: [described('x|y', 2, {})],
      }),
      null,
    ]);
    // A server before Redis 7 sent six or seven elements.
    expect(transformOf(server['COMMAND|INFO'])([['get', 2, ['readonly'], 1, 1, 1]], [])).toEqual([
      described('get', 2, { flags: ['readonly'], firstKey: 1, lastKey: 1, step: 1 }),
    ]);
  });

  test('COMMAND DOCS: name → doc with nested arguments and subcommands, from a flat list or a map', () => {
    const arg2: RespValue = [
      'name',
      'c',
      'type',
      'oneof',
      'flags',
      ['optional'],
      'arguments',
      [['name', 'nx', 'type', 'pure-token', 'token', 'NX']],
    ];
    const arg3 = map(
      ['name', 'c'],
      ['type', 'oneof'],
      ['flags', new Set<RespValue>(['optional'])],
      ['arguments', [map(['name', 'nx'], ['type', 'pure-token'], ['token', 'NX'])]],
    );
    const two: RespValue = [
      'cmd',
      [
        'summary',
        'S',
        'history',
        [['1.0', 'h']],
        'arguments',
        [arg2],
        'subcommands',
        ['cmd|sub', ['summary', 'T']],
      ],
    ];
    const three = map([
      'cmd',
      map(
        ['summary', 'S'],
        ['history', new Set<RespValue>([['1.0', 'h']])],
        ['arguments', [arg3]],
        ['subcommands', map(['cmd|sub', map(['summary', 'T'])])],
      ),
    ]);
    expectBoth(
      server['COMMAND|DOCS'],
      two,
      three,
      bare({
        cmd: bare({
          summary: 'S',
          history: [['1.0', 'h']],
          arguments: [
            bare({
              name: 'c',
              type: 'oneof',
              flags: ['optional'],
              arguments: [bare({ name: 'nx', type: 'pure-token', token: 'NX' })],
            }),
          ],
          subcommands: bare({ 'cmd|sub': bare({ summary: 'T' }) }),
        }),
      }),
    );
  });

  test('COMMAND GETKEYSANDFLAGS: keys are data, flags an array (a RESP3 set)', () => {
    expectBoth(
      server['COMMAND|GETKEYSANDFLAGS'],
      [[b('a'), ['RW', 'insert']]],
      [[b('a'), new Set<RespValue>(['RW', 'insert'])]],
      [{ key: b('a'), flags: ['RW', 'insert'] }],
    );
  });

  test('LATENCY LATEST, HISTORY and HISTOGRAM', () => {
    expectBoth(
      server['LATENCY|LATEST'],
      [['command', 1700000000, 12, 30]],
      [['command', 1700000000, 12, 30]],
      [{ event: 'command', timestamp: 1700000000, latest: 12, max: 30 }],
    );
    expectBoth(
      server['LATENCY|HISTORY'],
      [[1700000000, 12]],
      [[1700000000, 12]],
      [{ timestamp: 1700000000, latency: 12 }],
    );
    expectBoth(
      server['LATENCY|HISTOGRAM'],
      ['set', ['calls', 3, 'histogram_usec', [1, 1, 4, 2]]],
      map(['set', map(['calls', 3], ['histogram_usec', map([1, 1], [4, 2])])]),
      bare({ set: bare({ calls: 3, histogram_usec: bare({ 1: 1, 4: 2 }) }) }),
    );
    expectBoth(server['LATENCY|HISTOGRAM'], [], map(), bare({}));
  });

  test('SLOWLOG GET: entries; the recorded arguments are data', () => {
    const raw: RespValue = [[14, 1700000000, 12, [b('SET'), b('k')], '127.0.0.1:5000', 'app']];
    expectBoth(server['SLOWLOG|GET'], raw, raw, [
      {
        id: 14,
        timestamp: 1700000000,
        duration: 12,
        args: [b('SET'), b('k')],
        clientAddress: '127.0.0.1:5000',
        clientName: 'app',
      },
    ]);
    expectBoth(
      server['SLOWLOG|GET'],
      [[1, 2, 3, ['PING']]],
      [[1, 2, 3, ['PING']]],
      [{ id: 1, timestamp: 2, duration: 3, args: ['PING'], clientAddress: '', clientName: '' }],
    );
  });

  test('MEMORY STATS: numbers from text (RESP2) and doubles (RESP3); per-database counters nested', () => {
    expectBoth(
      server['MEMORY|STATS'],
      [
        'peak.allocated',
        100,
        'dataset.percentage',
        '83.5',
        'db.0',
        ['overhead.hashtable.main', 72, 'overhead.hashtable.expires', 0],
      ],
      map(
        ['peak.allocated', 100],
        ['dataset.percentage', 83.5],
        ['db.0', map(['overhead.hashtable.main', 72], ['overhead.hashtable.expires', 0])],
      ),
      bare({
        'peak.allocated': 100,
        'dataset.percentage': 83.5,
        'db.0': bare({ 'overhead.hashtable.main': 72, 'overhead.hashtable.expires': 0 }),
      }),
    );
  });

  test('MODULE LIST: records of text', () => {
    expectBoth(
      server['MODULE|LIST'],
      [['name', b('search'), 'ver', 20000, 'path', '/m.so', 'args', []]],
      [map(['name', b('search')], ['ver', 20000], ['path', '/m.so'], ['args', []])],
      [bare({ name: 'search', ver: 20000, path: '/m.so', args: [] })],
    );
  });

  test('ROLE: master with replicas (ports and offsets as text), replica, sentinel', () => {
    const master: RespValue = [
      'master',
      3129659,
      [
        ['127.0.0.1', '9001', '3129242'],
        ['127.0.0.1', '9002', '3129543'],
      ],
    ];
    expectBoth(server.ROLE, master, master, {
      role: 'master',
      offset: 3129659,
      replicas: [
        { host: '127.0.0.1', port: 9001, offset: 3129242 },
        { host: '127.0.0.1', port: 9002, offset: 3129543 },
      ],
    });
    const replica: RespValue = ['slave', '127.0.0.1', 9000, 'connected', 3167038];
    expectBoth(server.ROLE, replica, replica, {
      role: 'slave',
      masterHost: '127.0.0.1',
      masterPort: 9000,
      state: 'connected',
      offset: 3167038,
    });
    expectBoth(server.ROLE, ['sentinel', ['mymaster']], ['sentinel', ['mymaster']], {
      role: 'sentinel',
      masters: ['mymaster'],
    });
    expect(() => transformOf(server.ROLE)(['arbiter', 1], [])).toThrow(ReplyError);
  });

  test('TIME: seconds and microseconds as numbers', () => {
    expectBoth(server.TIME, ['1700000000', '123456'], [b('1700000000'), b('123456')], [1700000000, 123456]);
  });
});

describe('connection transforms', () => {
  test('HELLO: a record with proto and id as numbers, modules as records', () => {
    const fields: [string, RespValue][] = [
      ['server', 'redis'],
      ['version', '7.0.15'],
      ['proto', 3],
      ['id', 12],
      ['mode', 'standalone'],
      ['role', 'master'],
      ['modules', [['name', 'm', 'ver', 1, 'path', '/m.so', 'args', []]]],
    ];
    const mapped = map(...fields.slice(0, 6), [
      'modules',
      [map(['name', 'm'], ['ver', 1], ['path', '/m.so'], ['args', []])],
    ]);
    expectBoth(
      connection.HELLO,
      fields.flat(),
      mapped,
      bare({
        server: 'redis',
        version: '7.0.15',
        proto: 3,
        id: 12,
        mode: 'standalone',
        role: 'master',
        modules: [bare({ name: 'm', ver: 1, path: '/m.so', args: [] })],
      }),
    );
  });

  test('CLIENT TRACKINGINFO: flags from a set, prefixes kept as data', () => {
    expectBoth(
      connection['CLIENT|TRACKINGINFO'],
      ['flags', ['on', 'bcast'], 'redirect', 0, 'prefixes', [b('user:')]],
      map(['flags', new Set<RespValue>(['on', 'bcast'])], ['redirect', 0], ['prefixes', [b('user:')]]),
      bare({ flags: ['on', 'bcast'], redirect: 0, prefixes: [b('user:')] }),
    );
  });
});

describe('pubsub transforms', () => {
  test('PUBSUB NUMSUB and SHARDNUMSUB: channel → count, prototype-less', () => {
    expectBoth(
      pubsub['PUBSUB|NUMSUB'],
      ['a', 1, '__proto__', 2],
      ['a', 1, '__proto__', 2],
      bare({ a: 1, ['__proto__']: 2 }),
    );
    expectBoth(pubsub['PUBSUB|SHARDNUMSUB'], [], [], bare({}));
    const counts = transformOf(pubsub['PUBSUB|NUMSUB'])(['__proto__', 2], []) as Record<string, number>;
    expect(Object.getPrototypeOf(counts)).toBeNull();
    expect(Object.keys(counts)).toEqual(['__proto__']);
  });
});

describe('cluster transforms', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);

  test('CLUSTER SHARDS: slot ranges as pairs, nodes as records, from a flat list or a map', () => {
    const node2: RespValue = [
      'id',
      A,
      'port',
      7000,
      'ip',
      '10.0.0.1',
      'endpoint',
      'h1',
      'hostname',
      'h1',
      'role',
      'master',
      'replication-offset',
      72,
      'health',
      'online',
    ];
    const node3 = map(
      ['id', A],
      ['port', 7000],
      ['ip', '10.0.0.1'],
      ['endpoint', 'h1'],
      ['hostname', 'h1'],
      ['role', 'master'],
      ['replication-offset', 72],
      ['health', 'online'],
    );
    expectBoth(
      cluster['CLUSTER|SHARDS'],
      [['slots', [0, 5460, 10923, 10923], 'nodes', [node2]]],
      [map(['slots', [0, 5460, 10923, 10923]], ['nodes', [node3]])],
      [
        bare({
          slots: [
            [0, 5460],
            [10923, 10923],
          ],
          nodes: [
            bare({
              id: A,
              port: 7000,
              ip: '10.0.0.1',
              endpoint: 'h1',
              hostname: 'h1',
              role: 'master',
              'replication-offset': 72,
              health: 'online',
            }),
          ],
        }),
      ],
    );
  });

  test('CLUSTER SLOTS: ranges with master and replicas; metadata from a flat list or a map; an unknown endpoint is null', () => {
    const two: RespValue = [[0, 5460, ['10.0.0.1', 7000, A, ['hostname', 'h1']], [null, 7001, B, []]]];
    const three: RespValue = [
      [0, 5460, ['10.0.0.1', 7000, A, map(['hostname', 'h1'])], [null, 7001, B, map()]],
    ];
    expectBoth(cluster['CLUSTER|SLOTS'], two, three, [
      {
        start: 0,
        end: 5460,
        master: { host: '10.0.0.1', port: 7000, id: A, metadata: bare({ hostname: 'h1' }) },
        replicas: [{ host: null, port: 7001, id: B, metadata: bare({}) }],
      },
    ]);
    // Before Redis 7 a node had no metadata, and before 4 no id.
    expect(transformOf(cluster['CLUSTER|SLOTS'])([[0, 1, ['h', 1]]], [])).toEqual([
      { start: 0, end: 1, master: { host: 'h', port: 1, id: '', metadata: bare({}) }, replicas: [] },
    ]);
  });

  test('CLUSTER NODES: a line per node, with hostnames, IPv6, single slots, migrating and importing slots', () => {
    const text =
      `${A} 127.0.0.1:30001@31001,host-a myself,master - 0 1700000000000 1 connected 0-5460 6000 [5461->-${B}] [7000-<-${B}]\n` +
      `${B} ::1:30002@31002 slave,fail? ${A} 1700000000001 1700000000002 2 disconnected\n`;
    const expected = [
      {
        id: A,
        address: '127.0.0.1:30001@31001,host-a',
        host: '127.0.0.1',
        port: 30001,
        busPort: 31001,
        hostname: 'host-a',
        flags: ['myself', 'master'],
        master: null,
        pingSent: 0,
        pongReceived: 1700000000000,
        configEpoch: 1,
        linkState: 'connected',
        slots: [
          [0, 5460],
          [6000, 6000],
        ],
        migrating: [{ slot: 5461, node: B }],
        importing: [{ slot: 7000, node: B }],
      },
      {
        id: B,
        address: '::1:30002@31002',
        host: '::1',
        port: 30002,
        busPort: 31002,
        hostname: null,
        flags: ['slave', 'fail?'],
        master: A,
        pingSent: 1700000000001,
        pongReceived: 1700000000002,
        configEpoch: 2,
        linkState: 'disconnected',
        slots: [],
        migrating: [],
        importing: [],
      },
    ];
    // RESP3 sends the text as a verbatim string, which decodes to the same string.
    expectBoth(cluster['CLUSTER|NODES'], text, b(text), expected);
    expectBoth(cluster['CLUSTER|REPLICAS'], [text.split('\n')[1]], [b(text.split('\n')[1])], [expected[1]]);
    expect(parseClusterNode(`${A} :0@0 noaddr,master - 0 0 0 disconnected`)).toMatchObject({
      host: '',
      port: 0,
      busPort: 0,
      flags: ['noaddr', 'master'],
    });
    expect(() => parseClusterNode('too short')).toThrow(ReplyError);
  });

  test('CLUSTER LINKS: records with numbers', () => {
    const fields: [string, RespValue][] = [
      ['direction', 'to'],
      ['node', A],
      ['create-time', 1700000000000],
      ['events', 'rw'],
      ['send-buffer-allocated', 4096],
      ['send-buffer-used', 0],
    ];
    expectBoth(
      cluster['CLUSTER|LINKS'],
      [fields.flat()],
      [map(...fields)],
      [
        bare({
          direction: 'to',
          node: A,
          'create-time': 1700000000000,
          events: 'rw',
          'send-buffer-allocated': 4096,
          'send-buffer-used': 0,
        }),
      ],
    );
  });
});
