/**
 * multi(): MULTI … EXEC as one batch on a Client's shared connection and on a Cluster's shard, against
 * real redis-server. WATCH conflicts and transactions on dedicated connections are in isolated.spec.ts.
 */
import { Client } from '../lib/client';
import { Transaction } from '../lib/client/transaction';
import { Cluster } from '../lib/cluster/cluster';
import { CommandFlags } from '../lib/connection/pending-command';
import {
  ConnectionClosedError,
  InvalidArgumentError,
  QueueFullError,
  ReplicationError,
  ReplyError,
} from '../lib/errors';
import { freeLoopbackPort } from '../lib/testing/loopback';
import type { RespValue } from '../lib/resp/types';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';

let redis: RedisProcess;
/** servers[replica][shard] of a 2 x 2 cluster. */
let servers: RedisProcess[][];
const clients: Client[] = [];
const clusters: Cluster[] = [];

function track(made: Client): Client {
  clients.push(made);
  return made;
}

function client(protocol?: 2 | 3): Client {
  return track(new Client(redis.url, protocol === undefined ? {} : { protocol }));
}

beforeAll(async () => {
  const started = await Promise.all(Array.from({ length: 5 }, () => startRedis()));
  redis = started[0];
  servers = [started.slice(1, 3), started.slice(3, 5)];
});

afterAll(async () => {
  for (const made of clients) made.disconnect();
  for (const cluster of clusters) cluster.disconnect();
  await stopAll();
});

describe('Transaction on a Client', () => {
  test.each([undefined, 2, 3] as const)('replies are shaped per command (protocol %s)', async (protocol) => {
    const c = client(protocol);
    const p = `shape:${protocol ?? 'unset'}:`;
    await c.del(`${p}h`, `${p}z`, `${p}n`);
    const results = await c
      .multi()
      .set(`${p}a`, '1')
      .incr(`${p}n`)
      .hset(`${p}h`, 'f', 'v', '__proto__', 'w')
      .hgetall(`${p}h`)
      .zadd(`${p}z`, 1.5, 'm', 'inf', 'top')
      .zscore(`${p}z`, 'top')
      .get(`${p}missing`)
      .exec();
    const fields = Object.assign(Object.create(null) as Record<string, string>, {
      f: 'v',
      ['__proto__']: 'w',
    });
    expect(results).toEqual(['OK', 1, 2, fields, 2, Infinity, null]);
    expect(Object.getPrototypeOf(results[3])).toBeNull();
  });

  test('an empty transaction resolves to no replies', async () => {
    expect(await client().multi().exec()).toEqual([]);
  });

  test('hundreds of batches interleaved with plain commands stay atomic and whole', async () => {
    const c = client();
    await c.del('conc:counter');
    const batches: Promise<unknown[]>[] = [];
    const plain: Promise<unknown>[] = [];
    const count = 400;
    for (let i = 0; i < count; i++) {
      plain.push(c.set(`conc:p:${i}`, `q:${i}`));
      batches.push(c.multi().set(`conc:k:${i}`, `v:${i}`).incr('conc:counter').get(`conc:k:${i}`).exec());
      plain.push(c.get(`conc:p:${i}`), c.incr('conc:other'));
    }
    const [results, plainReplies] = await Promise.all([Promise.all(batches), Promise.all(plain)]);
    const counters = new Set<unknown>();
    results.forEach((result, i) => {
      expect(result).toHaveLength(3);
      expect(result[0]).toBe('OK');
      expect(result[2]).toBe(`v:${i}`);
      counters.add(result[1]);
    });
    expect([...counters].sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: count }, (_, i) => i + 1),
    );
    expect(plainReplies).not.toContain('QUEUED');
    for (let i = 0; i < count; i++) {
      expect(plainReplies[3 * i]).toBe('OK');
      expect(plainReplies[3 * i + 1]).toBe(`q:${i}`);
      expect(typeof plainReplies[3 * i + 2]).toBe('number');
    }
  });

  test('a command Redis refuses while queueing aborts the whole transaction (EXECABORT)', async () => {
    const c = client();
    await c.del('abort:a');
    const exec = c.multi().set('abort:a', '1').call('GET').exec();
    await expect(exec).rejects.toBeInstanceOf(ReplyError);
    await expect(exec).rejects.toMatchObject({ code: 'EXECABORT', command: 'EXEC' });
    await expect(exec).rejects.toThrow(/GET, command 2 of the transaction: ERR wrong number of arguments/);
    expect(await c.get('abort:a')).toBeNull();
  });

  test('a command that fails while running fills its own slot only', async () => {
    const c = client();
    await c.del('runtime:s', 'runtime:n');
    const [set, push, incr, get] = await c
      .multi()
      .set('runtime:s', 'x')
      .lpush('runtime:s', 'y')
      .incr('runtime:n')
      .get('runtime:s')
      .exec();
    expect(set).toBe('OK');
    expect(push).toBeInstanceOf(ReplyError);
    expect(push).toMatchObject({ code: 'WRONGTYPE', command: 'LPUSH' });
    expect(incr).toBe(1);
    expect(get).toBe('x');
  });

  test('Buffer and text replies mix in one transaction', async () => {
    const c = client(3);
    const bytes = Buffer.from([0xff, 0x00, 0x41]);
    await c.del('buf:h');
    const [, raw, text, , fields] = await c
      .multi()
      .set('buf:k', bytes)
      .getBuffer('buf:k')
      .get('buf:text')
      .hset('buf:h', 'f', 'é')
      .hgetall('buf:h')
      .exec();
    expect(raw).toEqual(bytes);
    expect(text).toBeNull();
    expect(fields).toEqual(Object.assign(Object.create(null) as object, { f: 'é' }));
  });

  test('connection-state commands are refused and nothing is sent', async () => {
    const c = client();
    await c.ping();
    const sent = c.stats().sent;
    await expect(c.multi().set('state:a', '1').watch('state:a').exec()).rejects.toThrow(
      /WATCH changes the state of the connection/,
    );
    await expect(c.multi().select(1).exec()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.multi().call('multi').exec()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.multi().call('EXEC').exec()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(c.multi().set('state:a', 'v', { ex: -1 }).exec()).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(c.stats().sent).toBe(sent);
    expect(await c.get('state:a')).toBeNull();
  });

  test('quit() delivers a transaction already sent; disconnect() rejects one in flight', async () => {
    const quitting = client();
    await quitting.ping();
    const delivered = quitting.multi().set('close:q', '1').incr('close:n').exec();
    await quitting.quit();
    expect(await delivered).toEqual(['OK', 1]);
    await expect(quitting.multi().ping().exec()).rejects.toBeInstanceOf(ConnectionClosedError);

    const dropping = client();
    await dropping.ping();
    const dropped = dropping.multi().set('close:d', '1').exec();
    dropping.disconnect();
    await expect(dropped).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  test('a transaction the queue cannot take whole is refused whole: nothing is sent', async () => {
    const c = track(new Client(redis.url, { maxPending: 4 }));
    await c.ping();
    const sent = c.stats().sent;
    // MULTI, three commands and EXEC: five, past maxPending.
    const exec = c.multi().set('whole:a', '1').set('whole:b', '2').set('whole:c', '3').exec();
    await expect(exec).rejects.toBeInstanceOf(QueueFullError);
    expect(c.stats().sent).toBe(sent);
    expect(await c.exists('whole:a', 'whole:b', 'whole:c')).toBe(0);
    expect(await c.multi().set('whole:a', '1').set('whole:b', '2').exec()).toEqual(['OK', 'OK']);
  });

  test('exec runs once', async () => {
    const transaction = client().multi().ping();
    expect(await transaction.exec()).toEqual(['PONG']);
    await expect(transaction.exec()).rejects.toThrow(/already executed/);
  });

  test('commands are recorded without the read-only flag and shaped by their transforms', async () => {
    const seen: { args: readonly unknown[]; flags: number }[] = [];
    const transaction = new Transaction((commands) => {
      seen.push(...commands);
      const slots: RespValue[] = ['2.5', new Map<RespValue, RespValue>([['f', 'v']]), 'x'];
      return Promise.resolve(slots);
    });
    const results = await transaction.zscore('z', 'm').hgetall('h').getBuffer('k').exec();
    expect(seen.map((command) => command.args)).toEqual([
      ['ZSCORE', 'z', 'm'],
      ['HGETALL', 'h'],
      ['GET', 'k'],
    ]);
    expect(seen.map((command) => command.flags)).toEqual([
      CommandFlags.None,
      CommandFlags.None,
      CommandFlags.Buffers,
    ]);
    expect(results).toEqual([2.5, Object.assign(Object.create(null) as object, { f: 'v' }), 'x']);
  });
});

describe('Transaction on a Cluster', () => {
  function cluster(): Cluster {
    const made = new Cluster({
      replicas: servers.map((row) => row.map((server) => server.url)),
      writeAck: 'all',
      client: { commandTimeout: 5_000 },
    });
    clusters.push(made);
    return made;
  }

  test('keys of one shard run as one transaction on every replica of that shard', async () => {
    const c = cluster();
    await c.connect();
    const shard = c.shardOf('{acct:7}');
    const results = await c
      .multi()
      .set('{acct:7}:balance', '100')
      .incrby('{acct:7}:balance', 5)
      .hset('{acct:7}:log', 'last', '+5')
      .get('{acct:7}:balance')
      .exec();
    expect(results).toEqual(['OK', 105, 1, '105']);
    for (let replica = 0; replica < 2; replica++) {
      expect(await c.server(replica, shard).get('{acct:7}:balance')).toBe('105');
      expect(await c.server(replica, 1 - shard).get('{acct:7}:balance')).toBeNull();
    }
  });

  test('keys on several shards are refused at exec(), with nothing sent', async () => {
    const c = cluster();
    await c.connect();
    let other = 0;
    while (c.shardOf(`cross:${other}`) === c.shardOf('cross:base')) other++;
    const before = c.health().map((server) => server.inFlight);
    const exec = c.multi().set('cross:base', '1').set(`cross:${other}`, '2').exec();
    await expect(exec).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(exec).rejects.toThrow(/different shards/);
    expect(c.health().map((server) => server.inFlight)).toEqual(before);
    for (const row of servers) {
      for (const server of row)
        expect(await server.command('EXISTS', 'cross:base', `cross:${other}`)).toBe(0);
    }
  });

  test('writeAck decides: one replica of the shard unreachable fails "all" and satisfies "one"', async () => {
    // Ports nobody listens on; two distinct ones, since the topology refuses one server twice.
    const deadPorts = new Set<number>();
    while (deadPorts.size < 2) deadPorts.add(await freeLoopbackPort());
    const deadUrls = [...deadPorts].map((port) => `redis://127.0.0.1:${port}`);
    const topology = (writeAck: 'one' | 'all'): Cluster => {
      const made = new Cluster({
        replicas: [servers[0].map((server) => server.url), deadUrls],
        writeAck,
        client: { commandTimeout: 2_000, connectTimeout: 500, reconnect: { maxAttempts: 1 } },
      });
      clusters.push(made);
      return made;
    };
    const lenient = topology('one');
    await lenient.connect();
    expect(await lenient.multi().set('{ack}:a', '1').incr('{ack}:n').exec()).toEqual(['OK', 1]);
    expect(await lenient.server(0, lenient.shardOf('{ack}')).get('{ack}:a')).toBe('1');

    const strict = topology('all');
    await strict.connect();
    const exec = strict.multi().set('{ack}:a', '2').exec();
    await expect(exec).rejects.toBeInstanceOf(ReplicationError);
    await expect(exec).rejects.toThrow(/EXEC could not be acknowledged by 2 of 2 replicas/);
  });

  test('a transaction without keys is refused', async () => {
    const c = cluster();
    await expect(c.multi().ping().exec()).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
