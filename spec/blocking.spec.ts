/**
 * Blocking commands on a Client (BLPOP, XREAD BLOCK, WAIT…), against real redis-server: each runs on a
 * connection leased from the pool, so the shared pipeline is never held up; its deadline is its own
 * blocking time plus commandTimeout; the pool's bound; a server lost under a blocked command.
 * Orderings are asserted by completion sequence, never by elapsed time.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import { flagsOf } from '../lib/commands/api';
import { blockingTime } from '../lib/commands/blocking';
import type { ClientOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import {
  ConnectionClosedError,
  ConnectionError,
  InvalidArgumentError,
  QueueFullError,
  TimeoutError,
} from '../lib/errors';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { sleep } from './support/wait';

let redis: RedisProcess;
let victim: RedisProcess;
const track = cleanupAfterEachTest();

beforeAll(async () => {
  [redis, victim] = await Promise.all([startRedis(), startRedis()]);
});

function client(options: ClientOptions = {}, server: RedisProcess = redis): Client {
  return track(new Client(server.url, options));
}

/** A value no other test or run can produce. */
function unique(what: string): string {
  return `${what}:${randomUUID()}`;
}

/** CLIENT LIST lines of the connections named `name`, as field → value. */
async function connectionsNamed(server: RedisProcess, name: string): Promise<Record<string, string>[]> {
  const list = String(await server.command('CLIENT', 'LIST'));
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) =>
      Object.fromEntries(
        line
          .trim()
          .split(' ')
          .map((pair) => pair.split('=', 2)),
      ),
    );
}

/** Polls until `count` connections named `name` are blocked (flag b) on the server; fails after 5 s. */
async function untilBlocked(
  server: RedisProcess,
  name: string,
  count = 1,
): Promise<Record<string, string>[]> {
  for (let i = 0; i < 500; i++) {
    const blocked = (await connectionsNamed(server, name)).filter((fields) => fields.flags?.includes('b'));
    if (blocked.length === count) return blocked;
    await sleep(10);
  }
  throw new Error(`${count} connection(s) named ${name} never were blocked`);
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`${what} did not happen`);
}

describe('which calls block, and for how long (command knowledge)', () => {
  test.each([
    [['BLPOP', 'a', 'b', 1.5], 1500],
    [['brpop', 'a', '0'], 0],
    [['BZPOPMIN', 'z', '0.0001'], 1],
    [['BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '2'], 2000],
    [['BRPOPLPUSH', 's', 'd', 3], 3000],
    [['BLMPOP', '0.25', 1, 'k', 'LEFT'], 250],
    [['BZMPOP', 0, 1, 'z', 'MIN'], 0],
    [['XREAD', 'COUNT', 1, 'BLOCK', 250, 'STREAMS', 's', '$'], 250],
    [['xread', 'block', '0', 'streams', 's', '$'], 0],
    [['XREAD', 'COUNT', 1, 'STREAMS', 'BLOCK', '$'], undefined],
    [['XREADGROUP', 'GROUP', 'g', 'c', Buffer.from('BLOCK'), 40, 'STREAMS', 's', '>'], 40],
    [['WAIT', 1, 300], 300],
    [['WAITAOF', 1, 0, '200'], 200],
    [['BLPOP', 'k', '-1'], undefined],
    [['BLPOP', 'k', 'soon'], undefined],
    [['GET', 'k'], undefined],
  ] as const)('%j blocks for %s ms', (args, expected) => {
    expect(blockingTime(args)).toBe(expected);
  });

  test('the table lookup call() already does marks blocking commands; GET and XADD are not', () => {
    for (const name of ['BLPOP', 'bzpopmax', 'XREAD', 'XREADGROUP', 'WAIT', 'WAITAOF', 'BLMPOP']) {
      expect([name, flagsOf(name) & CommandFlags.Blocking]).toEqual([name, CommandFlags.Blocking]);
    }
    for (const name of ['GET', 'XADD', 'LPOP', 'NOSUCHCOMMAND']) {
      expect([name, flagsOf(name) & CommandFlags.Blocking]).toEqual([name, 0]);
    }
    expect(flagsOf('XREAD') & CommandFlags.ReadOnly).toBe(CommandFlags.ReadOnly);
  });
});

describe('a blocking command never holds up the shared pipeline', () => {
  test('1,000 GETs on the same Client all complete before a BLPOP blocking for 2 s', async () => {
    const c = client();
    const prefix = unique('order');
    const values: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) values[`${prefix}:${i}`] = `value-${i}-${prefix}`;
    await c.mset(values);
    const completions: string[] = [];
    const pop = c.blpop(unique('empty'), 2).then((reply) => {
      completions.push('BLPOP');
      return reply;
    });
    const gets = Object.keys(values).map((key) =>
      c.get(key).then((value) => {
        completions.push('GET');
        return value;
      }),
    );
    expect(await Promise.all(gets)).toEqual(Object.values(values));
    expect(await pop).toBeNull();
    expect(completions).toHaveLength(1001);
    expect(completions.indexOf('BLPOP')).toBe(1000);
    expect(c.stats().pool.open).toBe(1);
  });

  test('BLPOP with timeout 1 and commandTimeout 500 resolves null, as does call()', async () => {
    const c = client({ commandTimeout: 500 });
    const [typed, called] = await Promise.all([
      c.blpop(unique('empty'), 1),
      c.call('BLPOP', unique('empty'), '1'),
    ]);
    expect(typed).toBeNull();
    expect(called).toBeNull();
    expect(c.stats().timeouts).toBe(0);
  });

  test('a blocked connection outlives stallTimeout while its own blocking time runs', async () => {
    const c = client({ commandTimeout: 200, stallTimeout: 200 });
    expect(await c.brpop(unique('empty'), 1)).toBeNull();
    expect(c.stats().pool.open).toBe(1);
  });

  test("a BLPOP answered by another client's LPUSH gets exactly that value", async () => {
    const name = unique('answered').replace(/[^a-z0-9]/gi, '');
    const c = client({ name });
    const pusher = client();
    const key = unique('list');
    const value = unique('value');
    const pop = c.blpop(key, 10);
    await untilBlocked(redis, name);
    expect(await pusher.lpush(key, value)).toBe(1);
    expect(await pop).toEqual({ key, element: value });
    expect(await pusher.llen(key)).toBe(0);
  });

  test('timeout 0 and BLOCK 0 wait past commandTimeout and stallTimeout, and are served', async () => {
    const name = unique('forever').replace(/[^a-z0-9]/gi, '');
    const c = client({ name, commandTimeout: 150, stallTimeout: 150 });
    const pusher = client();
    const key = unique('list');
    const stream = unique('stream');
    const value = unique('value');
    let settled = 0;
    const pop = c.blpop(key, 0).finally(() => settled++);
    const read = c.xread('BLOCK', 0, 'STREAMS', stream, '$').finally(() => settled++);
    await untilBlocked(redis, name, 2);
    await sleep(450); // three commandTimeouts: a deadline, had there been one, would have passed
    expect(settled).toBe(0);
    expect(await c.get(key)).toBeNull(); // the shared connection is free meanwhile
    await pusher.lpush(key, value);
    const id = await pusher.xadd(stream, '*', 'field', value);
    expect(await pop).toEqual({ key, element: value });
    expect(await read).toEqual([
      { key: stream, entries: [{ id, fields: { field: value }, flat: ['field', value] }] },
    ]);
  });

  test('XREAD without BLOCK stays on the shared connection', async () => {
    const c = client();
    expect(await c.xread('STREAMS', unique('stream'), '0')).toBeNull();
    expect(c.stats().pool.open).toBe(0);
  });
});

describe('XREAD BLOCK and WAIT on a leased connection', () => {
  test('a GET issued after XREAD BLOCK completes first; the XADD from another client is read', async () => {
    const name = unique('xread').replace(/[^a-z0-9]/gi, '');
    const c = client({ name });
    const writer = client();
    const stream = unique('stream');
    const value = unique('value');
    await c.set(stream + ':probe', value);
    const completions: string[] = [];
    const read = c.xreadBuffer('COUNT', 5, 'BLOCK', 10_000, 'STREAMS', stream, '$').then((reply) => {
      completions.push('XREAD');
      return reply;
    });
    await untilBlocked(redis, name);
    expect(await c.get(stream + ':probe')).toBe(value);
    completions.push('GET');
    const id = await writer.xadd(stream, '*', 'v', value);
    const reply = await read;
    expect(completions).toEqual(['GET', 'XREAD']);
    expect(reply).toHaveLength(1);
    expect(reply?.[0]?.entries.map((entry) => [entry.id, entry.flat?.map(String)])).toEqual([
      [id, ['v', value]],
    ]);
  });

  // The deadline is the blocking time plus commandTimeout: WAIT outlives commandTimeout. 300 ms of slack,
  // not 100: one CI run took longer than that to lease, handshake and answer.
  test('WAIT 1 1000 with commandTimeout 300 resolves 0 (no replica) and a later GET completes first', async () => {
    const c = client({ commandTimeout: 300 });
    const completions: string[] = [];
    const waited = c.wait(1, 1000).then((count) => {
      completions.push('WAIT');
      return count;
    });
    await c.ping();
    completions.push('PING');
    expect(await waited).toBe(0);
    expect(completions).toEqual(['PING', 'WAIT']);
    expect(c.stats().pool.open).toBe(1);
  });
});

describe('the pool bounds blocking commands', () => {
  test('pool.max 1: a second BLPOP waits for the connection, a third gets QueueFullError', async () => {
    const name = unique('bound').replace(/[^a-z0-9]/gi, '');
    const c = client({ name, commandTimeout: 1000, pool: { max: 1 } });
    const pusher = client();
    const [k1, k2, k3] = [unique('k1'), unique('k2'), unique('k3')];
    const [v1, v2] = [unique('v1'), unique('v2')];
    const first = c.blpop(k1, 0);
    await untilBlocked(redis, name);
    const second = c.blpop(k2, 0);
    const third = c.blpop(k3, 0);
    const thirdOutcome = third.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await until(() => c.stats().pool.waiting === 2, 'two leases waiting');
    await pusher.lpush(k1, v1);
    expect(await first).toEqual({ key: k1, element: v1 });
    // The second took the one connection over; the third keeps waiting until commandTimeout.
    await untilBlocked(redis, name);
    expect(await thirdOutcome).toBeInstanceOf(QueueFullError);
    await pusher.lpush(k2, v2);
    expect(await second).toEqual({ key: k2, element: v2 });
    expect(await pusher.llen(k3)).toBe(0);
    expect(c.stats().pool).toEqual({ open: 1, idle: 1, leased: 0, waiting: 0 });
  });
});

describe('a blocked connection is never reused after a timeout or a loss', () => {
  test('a server killed under a blocked BLPOP: ConnectionError sent:true; the Client works after restart', async () => {
    const name = unique('killed').replace(/[^a-z0-9]/gi, '');
    const c = client({ name, reconnect: { minDelay: 20, maxDelay: 100 } }, victim);
    await c.ping();
    const key = unique('list');
    const pop = c.blpop(key, 0);
    const outcome = pop.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await untilBlocked(victim, name);
    await victim.kill();
    const error = await outcome;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).sent).toBe(true);
    await victim.restart();
    const value = unique('after');
    await c.set(key + ':s', value);
    expect(await c.get(key + ':s')).toBe(value);
    const pusher = client({}, victim);
    const again = c.blpop(key, 10);
    await untilBlocked(victim, name);
    await pusher.rpush(key, value);
    expect(await again).toEqual({ key, element: value });
    expect(c.stats().pool.open).toBe(1);
  });

  test('a BLPOP past its deadline (server paused) rejects with TimeoutError and its connection is closed', async () => {
    const c = client({ commandTimeout: 200, stallTimeout: 0, heartbeatInterval: 0 }, victim);
    await c.ping();
    const key = unique('list');
    const pusher = client({}, victim);
    await pusher.ping();
    // A pooled connection already open, so the lease does not wait on a handshake with a paused server.
    expect(await c.blpop(key, 0.01)).toBeNull();
    victim.pause();
    let error: unknown;
    try {
      error = await c.blpop(key, 0.2).then(
        () => 'resolved',
        (failure: unknown) => failure,
      );
    } finally {
      victim.resume();
    }
    expect(error).toBeInstanceOf(TimeoutError);
    expect([(error as TimeoutError).timeoutMs, (error as TimeoutError).sent]).toEqual([400, true]);
    expect(c.stats().pool.open).toBe(0);
    // The next one gets a fresh connection, and exactly the value pushed for it. Another key: once
    // resumed, the server may still run the abandoned BLPOP on `key` for its 0.2 s, and pop for it.
    const next = unique('list');
    const value = unique('value');
    await pusher.rpush(next, value);
    expect(await c.blpop(next, 1)).toEqual({ key: next, element: value });
    expect(c.stats().pool.open).toBe(1);
  });

  test('quit() ends a BLPOP blocked with no timeout and waits for one with a timeout', async () => {
    const name = unique('quit').replace(/[^a-z0-9]/gi, '');
    const c = client({ name });
    const forever = c.blpop(unique('list'), 0).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const bounded = c.blpop(unique('list'), 0.3);
    await untilBlocked(redis, name, 2);
    await c.quit();
    expect(await forever).toBeInstanceOf(ConnectionClosedError);
    expect(await bounded).toBeNull();
    expect(c.stats().pool.open).toBe(0);
  });

  test('quit() in the same tick as a BLPOP with a timeout, its connection still opening, waits for its answer', async () => {
    const c = client();
    const pusher = client();
    const [served, empty] = [unique('list'), unique('list')];
    const value = unique('value');
    await pusher.rpush(served, value);
    // Neither has a connection yet: each lease is still opening when quit() is called.
    const pop = c.blpop(served, 5);
    const timedOut = c.blpop(empty, 0.2);
    const forever = c.blpop(empty, 0).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await c.quit();
    expect(await pop).toEqual({ key: served, element: value });
    expect(await timedOut).toBeNull();
    // One blocked with no timeout is not waited for, opening or not: it could hold quit() for ever.
    expect(await forever).toBeInstanceOf(ConnectionClosedError);
    expect(await pusher.llen(served)).toBe(0);
    expect(c.stats().pool.open).toBe(0);
  });

  test('the leased connection carries the db and name of the Client', async () => {
    const name = unique('handshake').replace(/[^a-z0-9]/gi, '');
    const c = client({ name, db: 3 });
    const pusher = client({ db: 3 });
    const key = unique('list');
    const value = unique('value');
    await c.ping();
    const pop = c.blpop(key, 0);
    const [blocked] = await untilBlocked(redis, name);
    expect([blocked?.db, blocked?.cmd, blocked?.name]).toEqual(['3', 'blpop', name]);
    // The shared connection and the leased one, each with the Client's handshake.
    const named = await connectionsNamed(redis, name);
    expect(named.map((fields) => fields.db)).toEqual(['3', '3']);
    expect(named.filter((fields) => fields.cmd === 'blpop')).toHaveLength(1);
    await pusher.lpush(key, value);
    expect(await pop).toEqual({ key, element: value });
  });
});

describe('where a blocking command is sent as written', () => {
  test('in a pipeline it runs on the shared connection; in multi() Redis does not block', async () => {
    const c = client();
    const key = unique('list');
    const value = unique('value');
    await c.set(key + ':s', value);
    expect(
      await c
        .pipeline()
        .blpop(key, 0.05)
        .get(key + ':s')
        .exec(),
    ).toEqual([null, value]);
    expect(
      await c
        .multi()
        .blpop(key, 0)
        .get(key + ':s')
        .exec(),
    ).toEqual([null, value]);
    expect(c.stats().pool.open).toBe(0);
  });

  test('a Cluster refuses blocking commands and names server(replica, shard); a server of it runs them', async () => {
    const cluster = new Cluster({ replicas: [[redis.url]] });
    try {
      const key = unique('list');
      await expect(cluster.blpop(key, 1)).rejects.toThrow(InvalidArgumentError);
      await expect(cluster.call('BRPOP', key, '1')).rejects.toThrow(/server\(replica, shard\), shard 0/);
      expect(await cluster.server(0, 0).blpop(key, 0.05)).toBeNull();
    } finally {
      cluster.disconnect();
    }
  });
});
