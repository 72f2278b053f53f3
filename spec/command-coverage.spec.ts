import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import { COMMAND_NAMES, commandInfo } from '../lib/commands/command-table';
import { definitionOf } from '../lib/commands/groups';
import { methodNameOf, REPLY_MODE_METHODS, SURFACE_OWNED_METHODS } from '../lib/commands/method-names';
import { InvalidArgumentError } from '../lib/errors';
import { IsolatedConnection } from '../lib/client/isolated-connection';
import { Transaction } from '../lib/client/transaction';
import { Pipeline } from '../lib/pipeline';
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';

/** Every surface that carries the command methods, by the prototype its instances use. */
const SURFACES: [string, object][] = [
  ['Client', Client.prototype],
  ['Pipeline', Pipeline.prototype],
  ['Cluster', Cluster.prototype],
  ['RedisCluster', RedisCluster.prototype],
  ['Transaction', Transaction.prototype],
  ['IsolatedConnection', IsolatedConnection.prototype],
];

describe('every command in the table is a method', () => {
  test('the table lists every Redis 7 command and subcommand', () => {
    expect(COMMAND_NAMES.length).toBeGreaterThanOrEqual(366);
    expect(COMMAND_NAMES).toContain('CONFIG|GET');
    expect(COMMAND_NAMES).toContain('XINFO|STREAM');
  });

  test.each(SURFACES)('%s has a method and a …Buffer twin for each', (_, prototype) => {
    const missing: string[] = [];
    for (const name of COMMAND_NAMES) {
      const method = methodNameOf(name);
      if (SURFACE_OWNED_METHODS.has(method)) continue;
      for (const candidate of [method, `${method}Buffer`]) {
        if (typeof (prototype as Record<string, unknown>)[candidate] !== 'function') missing.push(candidate);
      }
    }
    expect(missing).toEqual([]);
  });

  test.each(SURFACES)(
    '%s has the SUBSCRIBE family and MONITOR: a listener form on Client, refusing twins elsewhere',
    (surface, prototype) => {
      const names =
        surface === 'Client' || surface === 'Cluster' || surface === 'RedisCluster'
          ? [...REPLY_MODE_METHODS]
          : [...REPLY_MODE_METHODS].flatMap((method) => [method, `${method}Buffer`]);
      const missing = names.filter(
        (name) => typeof (prototype as Record<string, unknown>)[name] !== 'function',
      );
      expect(missing).toEqual([]);
      expect(names.length).toBe(
        surface === 'Client' || surface === 'Cluster' || surface === 'RedisCluster' ? 7 : 14,
      );
    },
  );

  test('each has a definition whose flags come from the table', () => {
    for (const name of COMMAND_NAMES) {
      const located = definitionOf(name);
      expect({ name, defined: located !== undefined }).toEqual({ name, defined: true });
      const info = commandInfo(name);
      expect({ name, readOnly: (located!.def.flags & 1) !== 0 }).toEqual({ name, readOnly: info!.readonly });
    }
  });

  test('method names follow the naming rules', () => {
    expect(methodNameOf('CONFIG|GET')).toBe('configGet');
    expect(methodNameOf('CLIENT|NO-EVICT')).toBe('clientNoEvict');
    expect(methodNameOf('RESTORE-ASKING')).toBe('restoreAsking');
    expect(methodNameOf('XINFO|STREAM')).toBe('xinfoStream');
    expect(methodNameOf('EVALSHA_RO')).toBe('evalshaRo');
  });

  test('PING is not resent after a lost connection: the table, not a hand mark, says so', () => {
    expect(commandInfo('PING')!.readonly).toBe(false);
    expect(definitionOf('PING')!.def.flags).toBe(0);
    // ReadOnly (1), and Cacheable (16): GET may be answered from a client-side cache.
    expect(definitionOf('GET')!.def.flags).toBe(17);
    expect(definitionOf('GET')!.def.cacheable).toBe(true);
    expect(definitionOf('TTL')!.def.flags).toBe(1);
  });
});

describe('commands are built as Redis spells them, before anything is sent', () => {
  const recorded = (build: (pipeline: Pipeline) => void): unknown[] => {
    const sent: unknown[] = [];
    const pipeline = new Pipeline((args, _flags, settle) => {
      sent.push(args instanceof InvalidArgumentError ? args.message : args);
      settle(null);
    });
    build(pipeline);
    void pipeline.exec();
    return sent;
  };

  test('plain forms, subcommands and containers', () => {
    expect(
      recorded((p) =>
        p
          .zadd('z', 1, 'a', 2.5, 'b')
          .set('k', 'v', 'EX', 10, 'NX')
          .configGet('maxmemory')
          .config('GET', 'maxmemory')
          .clientNoEvict('on')
          .xinfoStream('s')
          .del('a', 'b'),
      ),
    ).toEqual([
      ['ZADD', 'z', 1, 'a', 2.5, 'b'],
      ['SET', 'k', 'v', 'EX', 10, 'NX'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['XINFO', 'STREAM', 's'],
      ['DEL', 'a', 'b'],
    ]);
  });

  test('friendlier forms are additions', () => {
    expect(
      recorded((p) =>
        p.set('k', 'v', { px: 5, nx: true }).mget(['a', 'b']).mget('a', 'b').mset({ a: 1, b: '2' }),
      ),
    ).toEqual([
      ['SET', 'k', 'v', 'PX', 5, 'NX'],
      ['MGET', 'a', 'b'],
      ['MGET', 'a', 'b'],
      ['MSET', 'a', 1, 'b', '2'],
    ]);
  });

  test('too few arguments and connection-state commands are refused with the API to use instead', () => {
    const [few, multi, select, watch, tracking, subscribe] = recorded((p) =>
      p.hset('h').call('MULTI').select(2).watch('k').clientTracking('ON').subscribe('news'),
    );
    expect(few).toMatch(/HSET needs at least 3 argument/);
    expect(multi).toMatch(/use multi\(\)/);
    expect(select).toMatch(/use the db option/);
    expect(watch).toMatch(/use isolated\(\)/);
    expect(tracking).toMatch(/use the cache option/);
    expect(subscribe).toMatch(/SUBSCRIBE changes the state of the connection/);
  });

  test('the Transaction refuses the SUBSCRIBE family and MONITOR too', async () => {
    const client = new Client('redis://127.0.0.1:1', { reconnect: false, offlineQueue: false });
    const refusals = [
      client.multi().psubscribeBuffer('p*').exec(),
      client.multi().sunsubscribe().exec(),
      client.multi().monitor().exec(),
    ];
    for (const refusal of refusals) {
      await expect(refusal).rejects.toThrow(/changes the state of the connection/);
    }
    client.disconnect();
  });
});
