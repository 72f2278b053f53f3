/** The server commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { createHash } from 'node:crypto';
import { COMMAND_NAMES } from '../lib/commands/command-table';
import { InvalidArgumentError } from '../lib/errors';
import { expectSameAndRight, fieldMapOf, hasNoPrototype } from './support/protocol-trio';
import { RawClient } from './support/raw-client';
import { useServerTrio } from './support/server-trio';

const trio = useServerTrio();
const b = (text: string): Buffer => Buffer.from(text);
/** A prototype-less copy of an object literal, as map-shaped replies come. */
const bare = <T extends object>(value: T): T => Object.assign(Object.create(null) as T, value);

/** Replaces clock- and connection-dependent values by a marker once their type is checked. */
function varying<T extends object, K extends keyof T & string>(
  record: T,
  type: 'number' | 'string',
  ...names: K[]
): Omit<T, K> & { [P in K]: 'varies' } {
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(record) as object | null);
  Object.assign(out, record);
  for (const name of names) {
    expect(typeof out[name]).toBe(type);
    out[name] = 'varies';
  }
  return out as Omit<T, K> & { [P in K]: 'varies' };
}

describe('server commands under every protocol', () => {
  test('CONFIG GET is a prototype-less field map; SET, RESETSTAT, HELP', async () => {
    const results = await trio.each(async (c) => ({
      set: await c.configSet('maxmemory-samples', '7'),
      get: await c.configGet('maxmemory-samples'),
      many: await c.configGet('maxmemory-samples', 'maxmemory-policy'),
      pattern: await c.configGet('lazyfree-lazy-user-*'),
      viaContainer: await c.config('GET', 'maxmemory-samples'),
      buffer: await c.configGetBuffer('maxmemory-policy'),
      none: await c.configGet('no-such-parameter'),
      resetstat: await c.configResetstat(),
      helpFirst: (await c.configHelp())[0],
      reset: await c.configSet('maxmemory-samples', '5'),
    }));
    expectSameAndRight(results, {
      set: 'OK',
      get: fieldMapOf([['maxmemory-samples', '7']]),
      many: fieldMapOf([
        ['maxmemory-samples', '7'],
        ['maxmemory-policy', 'noeviction'],
      ]),
      pattern: fieldMapOf([
        ['lazyfree-lazy-user-del', 'no'],
        ['lazyfree-lazy-user-flush', 'no'],
      ]),
      viaContainer: fieldMapOf([['maxmemory-samples', '7']]),
      buffer: fieldMapOf([['maxmemory-policy', b('noeviction')]]),
      none: fieldMapOf<string>([]),
      resetstat: 'OK',
      helpFirst: 'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      reset: 'OK',
    });
    expect(hasNoPrototype(results[1].get)).toBe(true);
  });

  test('COMMAND COUNT, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, LIST', async () => {
    const results = await trio.each(async (c) => ({
      count: await c.commandCount(),
      info: await c.commandInfo('get', 'no-such-command'),
      subcommand: (await c.commandInfo('config|get'))[0],
      docs: await c.commandDocs('get'),
      docsNested: (await c.commandDocs('set')).set.arguments?.[2],
      docsHistory: (await c.commandDocs('set')).set.history?.[0],
      getkeys: await c.commandGetkeys('set', 'k1', 'v'),
      getkeysBuffer: await c.commandGetkeysBuffer('mget', 'k1', 'k2'),
      keysAndFlags: await c.commandGetkeysandflags('lmove', 'src', 'dst', 'left', 'right'),
      list: [...(await c.commandList('FILTERBY', 'PATTERN', 'xa*'))].sort(),
    }));
    expectSameAndRight(results, {
      count: COMMAND_NAMES.filter((name) => !name.includes('|')).length,
      info: [
        {
          name: 'get',
          arity: 2,
          flags: ['readonly', 'fast'],
          firstKey: 1,
          lastKey: 1,
          step: 1,
          aclCategories: ['@read', '@string', '@fast'],
          tips: [],
          keySpecifications: [
            bare({
              flags: ['RO', 'access'],
              begin_search: bare({ type: 'index', spec: bare({ index: 1 }) }),
              find_keys: bare({ type: 'range', spec: bare({ lastkey: 0, keystep: 1, limit: 0 }) }),
            }),
          ],
          subcommands: [],
        },
        null,
      ],
      subcommand: {
        name: 'config|get',
        arity: -3,
        flags: ['admin', 'noscript', 'loading', 'stale'],
        firstKey: 0,
        lastKey: 0,
        step: 0,
        aclCategories: ['@admin', '@slow', '@dangerous'],
        tips: [],
        keySpecifications: [],
        subcommands: [],
      },
      docs: bare({
        get: bare({
          summary: 'Get the value of a key',
          since: '1.0.0',
          group: 'string',
          complexity: 'O(1)',
          arguments: [bare({ name: 'key', type: 'key', key_spec_index: 0 })],
        }),
      }),
      docsNested: bare({
        name: 'condition',
        type: 'oneof',
        since: '2.6.12',
        flags: ['optional'],
        arguments: [
          bare({ name: 'nx', type: 'pure-token', token: 'NX' }),
          bare({ name: 'xx', type: 'pure-token', token: 'XX' }),
        ],
      }),
      docsHistory: ['2.6.12', 'Added the `EX`, `PX`, `NX` and `XX` options.'],
      getkeys: ['k1'],
      getkeysBuffer: [b('k1'), b('k2')],
      keysAndFlags: [
        { key: 'src', flags: ['RW', 'access', 'delete'] },
        { key: 'dst', flags: ['RW', 'insert'] },
      ],
      list: ['xack', 'xadd', 'xautoclaim'],
    });
  });

  test('ACL: users as objects, DRYRUN, LOG entries with numbers, RESET', async () => {
    const port = trio.redis().port;
    const results = await trio.each(async (c) => {
      const setuser = await c.aclSetuser('acl:u', 'on', '>secret', '~k*', '+get', '(~x* +set)');
      const getuser = await c.aclGetuser('acl:u');
      const raw = await RawClient.connect(port);
      await raw.command('AUTH', 'acl:nobody', 'wrong').catch(() => undefined);
      raw.destroy();
      const log = await c.aclLog(1);
      const out = {
        setuser,
        getuser,
        missing: await c.aclGetuser('acl:none'),
        defaultUser: await c.aclGetuser('default'),
        dryrunOk: await c.aclDryrun('acl:u', 'get', 'k1'),
        dryrunDenied: await c.aclDryrun('acl:u', 'set', 'k1', 'v'),
        dryrunBuffer: await c.aclDryrunBuffer('acl:u', 'get', 'k1'),
        users: await c.aclUsers(),
        list: await c.aclList(),
        whoami: await c.aclWhoami(),
        catStream: (await c.aclCat('stream')).includes('xadd'),
        catFirst: (await c.aclCat())[0],
        genpass: /^[0-9a-f]{8}$/.test(await c.aclGenpass(32)),
        log: Array.isArray(log)
          ? log.map((entry) => varying(varying(entry, 'number', 'age-seconds'), 'string', 'client-info'))
          : log,
        clientInfo: Array.isArray(log) ? log.map((entry) => /^id=\d+ addr=/.test(entry['client-info'])) : [],
        logReset: await c.aclLog('RESET'),
        logAfter: await c.aclLog(),
        deluser: await c.aclDeluser('acl:u', 'acl:none'),
      };
      return out;
    });
    expectSameAndRight(results, {
      setuser: 'OK',
      getuser: bare({
        flags: ['on'],
        passwords: [createHash('sha256').update('secret').digest('hex')],
        commands: '-@all +get',
        keys: '~k*',
        channels: '',
        selectors: [bare({ commands: '-@all +set', keys: '~x*', channels: '' })],
      }),
      missing: null,
      defaultUser: bare({
        flags: ['on', 'nopass'],
        passwords: [],
        commands: '+@all',
        keys: '~*',
        channels: '&*',
        selectors: [],
      }),
      dryrunOk: 'OK',
      dryrunDenied: "This user has no permissions to access the 'k1' key",
      dryrunBuffer: b('OK'),
      users: ['acl:u', 'default'],
      list: [
        'user acl:u on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~k* resetchannels -@all +get (~x* resetchannels -@all +set)',
        'user default on nopass ~* &* +@all',
      ],
      whoami: 'default',
      catStream: true,
      catFirst: 'keyspace',
      genpass: true,
      log: [
        bare({
          count: 1,
          reason: 'auth',
          context: 'toplevel',
          object: 'AUTH',
          username: 'acl:nobody',
          'age-seconds': 'varies' as const,
          'client-info': 'varies' as const,
        }),
      ],
      clientInfo: [true],
      logReset: 'OK',
      logAfter: [],
      deluser: 1,
    });
  });

  test('LATENCY, SLOWLOG: typed entries', async () => {
    const results = await trio.each(async (c) => {
      await c.configSet('latency-monitor-threshold', '1');
      await c.configSet('slowlog-log-slower-than', '0');
      const latencyReset = await c.latencyReset();
      const slowlogReset = await c.slowlogReset();
      await c.set('sl:k', 'slow');
      const slowlog = await c.slowlogGet(1);
      const slowlogBuffer = await c.slowlogGetBuffer(1);
      // A busy Lua loop: far past the 1 ms threshold, so LATENCY records a 'command' event.
      await c.call('EVAL', 'local i = 0 while i < 3000000 do i = i + 1 end return i', '0');
      const latest = await c.latencyLatest();
      const history = await c.latencyHistory('command');
      await c.configResetstat();
      await c.set('sl:k', 'again');
      const histogram = await c.latencyHistogram('set');
      await c.configSet('latency-monitor-threshold', '0');
      await c.configSet('slowlog-log-slower-than', '10000');
      return {
        latencyReset,
        slowlogReset,
        slowlog: slowlog.map((entry) =>
          varying(varying(entry, 'number', 'id', 'timestamp', 'duration'), 'string', 'clientAddress'),
        ),
        slowlogArgs: slowlogBuffer.map((entry) => entry.args),
        slowlogLenIsNumber: typeof (await c.slowlogLen()),
        latest: latest.map((event) => varying(event, 'number', 'timestamp', 'latest', 'max')),
        history: history.map((sample) => varying(sample, 'number', 'timestamp', 'latency')),
        histogramCalls: histogram.set?.calls,
        histogramTotal: Object.values(histogram.set?.histogram_usec ?? {}).reduce((sum, n) => sum + n, 0),
        histogramIsRecord: hasNoPrototype(histogram) && hasNoPrototype(histogram.set?.histogram_usec),
        graph: (await c.latencyGraph('command')).includes('command'),
        doctor: typeof (await c.latencyDoctor()),
        helpFirst: (await c.latencyHelp())[0],
        slowlogHelpFirst: (await c.slowlogHelp())[0],
        latencyResetAfter: await c.latencyReset(),
      };
    });
    expectSameAndRight(results, {
      latencyReset: 0,
      slowlogReset: 'OK',
      slowlog: [
        {
          id: 'varies',
          timestamp: 'varies',
          duration: 'varies',
          args: ['SET', 'sl:k', 'slow'],
          clientAddress: 'varies',
          clientName: '',
        },
      ],
      slowlogArgs: [[b('SLOWLOG'), b('GET'), b('1')]],
      slowlogLenIsNumber: 'number',
      latest: [{ event: 'command', timestamp: 'varies', latest: 'varies', max: 'varies' }],
      history: [{ timestamp: 'varies', latency: 'varies' }],
      histogramCalls: 1,
      histogramTotal: 1,
      histogramIsRecord: true,
      graph: true,
      doctor: 'string',
      helpFirst: 'LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      slowlogHelpFirst: 'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      latencyResetAfter: 1,
    });
  });

  test('MEMORY, MODULE LIST, ROLE, TIME, LASTSAVE, DBSIZE, SWAPDB, INFO, LOLWUT', async () => {
    const results = await trio.each(async (c) => {
      await c.flushdb();
      await c.set('me:k', 'value');
      const stats = await c.memoryStats();
      const time = await c.time();
      const info = await c.info('server');
      return {
        usage: typeof (await c.memoryUsage('me:k')),
        usageMissing: await c.memoryUsage('me:none'),
        statsAllNumbers: Object.values(stats).every(
          (value) =>
            typeof value === 'number' ||
            (hasNoPrototype(value) && Object.values(value).every((n) => typeof n === 'number')),
        ),
        statsHas: ['peak.allocated', 'dataset.percentage', 'fragmentation'].map((name) => typeof stats[name]),
        statsIsRecord: hasNoPrototype(stats),
        doctor: typeof (await c.memoryDoctor()),
        mallocStats: (await c.memoryMallocStats()).startsWith('___ Begin jemalloc statistics ___'),
        purge: await c.memoryPurge(),
        modules: await c.moduleList(),
        role: await c.role(),
        time: [Number.isInteger(time[0]), Number.isInteger(time[1]) && time[1] < 1_000_000],
        lastsave: typeof (await c.lastsave()),
        dbsize: await c.dbsize(),
        swapdb: await c.swapdb(10, 11),
        swapBack: await c.swapdb(10, 11),
        info: /^# Server\r\nredis_version:7\./.test(info),
        infoBuffer: Buffer.isBuffer(await c.infoBuffer('server')),
        lolwut: (await c.lolwut('VERSION', 5)).includes('Redis ver.'),
        save: await c.save(),
        replicaof: await c.replicaof('NO', 'ONE'),
        failover: await c.failover().catch((error: Error) => error.message),
      };
    });
    expectSameAndRight(results, {
      usage: 'number',
      usageMissing: null,
      statsAllNumbers: true,
      statsHas: ['number', 'number', 'number'],
      statsIsRecord: true,
      doctor: 'string',
      mallocStats: true,
      purge: 'OK',
      modules: [],
      role: { role: 'master', offset: 0, replicas: [] },
      time: [true, true],
      lastsave: 'number',
      dbsize: 1,
      swapdb: 'OK',
      swapBack: 'OK',
      info: true,
      infoBuffer: true,
      lolwut: true,
      save: 'OK',
      replicaof: 'OK',
      failover: 'ERR FAILOVER requires connected replicas.',
    });
  });

  test('MONITOR, SYNC and PSYNC are refused on the shared connection', async () => {
    const results = await trio.each(async (c) => ({
      // client.monitor(listener) has a connection of its own (pubsub.spec.ts); the bare command is refused.
      monitor: await c.call('MONITOR').catch((error: Error) => error instanceof InvalidArgumentError),
      sync: await c.sync().catch((error: Error) => error instanceof InvalidArgumentError),
      psync: await c.psync('?', -1).catch((error: Error) => error instanceof InvalidArgumentError),
    }));
    expectSameAndRight(results, { monitor: true, sync: true, psync: true });
  });
});
