/**
 * Issue 11, part 3: client-side caching (RESP3, CLIENT TRACKING on the shared connection).
 *
 * Counts come from the server (INFO commandstats), so "served from memory" means the server never saw
 * the read. Where a test needs the reader to have processed an invalidation, it uses a barrier rather
 * than a timer: a PING on the reader's own connection, sent after the write was acknowledged, is
 * answered after any invalidation push that write caused, on the same socket.
 */
import { Client } from '../lib/client';
import { ClientCache, MISS } from '../lib/client/cache';
import { Cluster } from '../lib/cluster/cluster';
import { InvalidArgumentError } from '../lib/errors';
import { FaultProxy } from '../lib/testing/fault-proxy';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { eventually } from './support/wait';

let redis: RedisProcess;
let replicaB: RedisProcess;
const clients: Client[] = [];
let proxy: FaultProxy | null = null;

beforeAll(async () => {
  [redis, replicaB] = await Promise.all([startRedis(), startRedis()]);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => undefined)));
  if (proxy !== null) await proxy.stop();
  proxy = null;
  await redis.command('FLUSHALL');
});

afterAll(async () => {
  await stopAll();
});

function cachedClient(url = redis.url, maxEntries = 100, extra: { maxAgeMs?: number } = {}): Client {
  const client = new Client(url, { protocol: 3, cache: { maxEntries, ...extra } });
  clients.push(client);
  return client;
}

function plainClient(url = redis.url): Client {
  const client = new Client(url, { protocol: 3 });
  clients.push(client);
  return client;
}

/** calls=N of one command in INFO commandstats (0 when the server never ran it). */
async function calls(server: RedisProcess, command: string): Promise<number> {
  const info = String(await server.command('INFO', 'commandstats'));
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

describe('client-side cache', () => {
  it('answers repeated reads from memory: the server sees the first read only', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.set('k', 'v1');
    await writer.hset('h', { a: '1', b: '2' });
    const getsBefore = await calls(redis, 'get');
    const hgetallBefore = await calls(redis, 'hgetall');

    for (let i = 0; i < 6; i++) expect(await reader.get('k')).toBe('v1');
    for (let i = 0; i < 4; i++) expect(await reader.hgetall('h')).toEqual({ a: '1', b: '2' });
    // The Buffer twin is an entry of its own: one more GET reaches the server, then it is cached too.
    for (let i = 0; i < 3; i++) expect(await reader.getBuffer('k')).toEqual(Buffer.from('v1'));

    expect(await calls(redis, 'get')).toBe(getsBefore + 2);
    expect(await calls(redis, 'hgetall')).toBe(hgetallBefore + 1);
    expect(reader.stats().cache).toEqual({ hits: 10, misses: 3, invalidations: 0, entries: 3 });
  });

  it('a write by another client invalidates: the next read returns the new value', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.set('k', 'old');
    expect(await reader.get('k')).toBe('old');
    expect(await reader.get('k')).toBe('old');
    await writer.set('k', 'new');
    // Bounded poll for the push (the barrier PING is used elsewhere; here the plain wait is the point).
    await eventually(() => reader.stats().cache?.invalidations === 1, 'the invalidation push');
    const before = await calls(redis, 'get');
    expect(await reader.get('k')).toBe('new');
    expect(await reader.get('k')).toBe('new');
    expect(await calls(redis, 'get')).toBe(before + 1);
    expect(reader.stats().cache).toEqual({ hits: 2, misses: 2, invalidations: 1, entries: 1 });
  });

  it('a stale reply delayed past a write is not served once the invalidation arrived (FaultProxy)', async () => {
    proxy = new FaultProxy({ port: redis.port });
    await proxy.start();
    const reader = cachedClient(proxy.url);
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.set('k', 'stale');
    const before = await calls(redis, 'get');
    proxy.setDelay(300, 'toClient');
    const read = reader.get('k');
    // The server ran the read (and now tracks k for the reader); its reply is held by the proxy.
    const executedBy = Date.now() + 5_000;
    while ((await calls(redis, 'get')) === before) {
      if (Date.now() > executedBy) throw new Error('the server never ran the read');
    }
    await writer.set('k', 'fresh');
    // The reply reflects the server's state when it ran the read, before the write.
    expect(await read).toBe('stale');
    await eventually(() => reader.stats().cache?.invalidations === 1, 'the invalidation push');
    proxy.setDelay(0, 'toClient');
    expect(reader.stats().cache?.entries).toBe(0);
    expect(await reader.get('k')).toBe('fresh');
    expect(await calls(redis, 'get')).toBe(before + 2);
  });

  it('soak: a read issued after a write was acknowledged and its invalidation processed never returns an older value', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    const writes = 300;
    await writer.set('soak', 0);
    let safe = 0;
    let done = false;
    const violations: string[] = [];
    let reads = 0;
    const readLoop = async (): Promise<void> => {
      while (!done) {
        for (let i = 0; i < 16; i++) {
          const floor = safe;
          const value = Number(await reader.get('soak'));
          reads++;
          if (value < floor) violations.push(`read ${value} after write ${floor} was safe`);
        }
        // Hits resolve without I/O: let the sockets be read.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const writeLoop = async (): Promise<void> => {
      for (let i = 1; i <= writes; i++) {
        await writer.set('soak', i);
        // The barrier: the reader has processed any push the write caused.
        await reader.ping();
        safe = i;
      }
      done = true;
    };
    await Promise.all([writeLoop(), readLoop(), readLoop(), readLoop()]);
    expect(violations).toEqual([]);
    expect(await reader.get('soak')).toBe(String(writes));
    const { hits, misses } = reader.stats().cache ?? { hits: 0, misses: 0 };
    expect(hits).toBeGreaterThan(0);
    expect(hits + misses).toBe(reads + 1);
  });

  it('holds at most maxEntries, evicting the least recently used', async () => {
    const reader = cachedClient(redis.url, 3);
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.mset({ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' });
    const before = await calls(redis, 'get');
    for (const key of ['a', 'b', 'c', 'd']) await reader.get(key); // a is evicted by d
    expect(reader.stats().cache?.entries).toBe(3);
    expect(await reader.get('b')).toBe('B'); // hit: b is now the most recently used
    expect(await reader.get('e')).toBe('E'); // evicts c, the least recently used
    expect(await calls(redis, 'get')).toBe(before + 5);
    expect(await reader.get('b')).toBe('B');
    expect(await reader.get('d')).toBe('D');
    expect(await reader.get('e')).toBe('E');
    expect(await calls(redis, 'get')).toBe(before + 5);
    expect(await reader.get('c')).toBe('C');
    expect(await reader.get('a')).toBe('A');
    expect(await calls(redis, 'get')).toBe(before + 7);
    expect(reader.stats().cache).toEqual({ hits: 4, misses: 7, invalidations: 0, entries: 3 });
  });

  it('FLUSHALL empties the cache', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.mset({ a: '1', b: '2' });
    await reader.get('a');
    await reader.get('b');
    expect(reader.stats().cache?.entries).toBe(2);
    await writer.flushall();
    await reader.ping();
    expect(reader.stats().cache?.entries).toBe(0);
    expect(await reader.get('a')).toBeNull();
  });

  it('a lost connection empties the cache', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.set('k', 'v');
    await reader.get('k');
    expect(reader.stats().cache?.entries).toBe(1);
    const id = Number(await reader.clientId());
    const ready = new Promise<void>((resolve) => reader.once('ready', resolve));
    await redis.command('CLIENT', 'KILL', 'ID', id);
    await ready;
    expect(reader.stats().cache?.entries).toBe(0);
    const before = await calls(redis, 'get');
    expect(await reader.get('k')).toBe('v');
    expect(await calls(redis, 'get')).toBe(before + 1);
    // Tracking is on again on the new socket: a write still invalidates.
    await writer.set('k', 'w');
    await reader.ping();
    expect(await reader.get('k')).toBe('w');
  });

  it('hands out copies: mutating a returned object, array or Buffer does not change the next hit', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    await writer.hset('h', { f: 'v' });
    await writer.rpush('l', 'x', 'y');
    await writer.set('b', 'bytes');
    for (let round = 0; round < 2; round++) {
      const hash = await reader.hgetall('h');
      hash.f = 'changed';
      const list = await reader.lrange('l', 0, -1);
      list.push('z');
      const bytes = await reader.getBuffer('b');
      bytes?.fill(0);
    }
    expect(await reader.hgetall('h')).toEqual({ f: 'v' });
    expect(await reader.lrange('l', 0, -1)).toEqual(['x', 'y']);
    expect(await reader.getBuffer('b')).toEqual(Buffer.from('bytes'));
    expect(reader.stats().cache?.hits).toBe(6);
  });

  it('keeps a Buffer key apart from a string key of the same latin1 text, and text replies apart from Buffers', async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    const latin1Key = Buffer.from([0xe9]);
    await writer.set('é', 'utf8 key');
    await writer.set(latin1Key, 'latin1 key');
    for (let round = 0; round < 2; round++) {
      expect(await reader.get('é')).toBe('utf8 key');
      expect(await reader.get(latin1Key)).toBe('latin1 key');
      expect(await reader.getBuffer('é')).toEqual(Buffer.from('utf8 key'));
    }
    expect(reader.stats().cache).toMatchObject({ hits: 3, misses: 3 });
    await writer.set(latin1Key, 'changed');
    await reader.ping();
    expect(await reader.get(latin1Key)).toBe('changed');
    expect(await reader.get('é')).toBe('utf8 key');
  });

  it('caches EXISTS of one key only, and never pipelined reads', async () => {
    const reader = cachedClient();
    await reader.connect();
    const before = await calls(redis, 'exists');
    await reader.exists('a');
    await reader.exists('a');
    await reader.exists('a', 'b');
    await reader.exists('a', 'b');
    expect(await calls(redis, 'exists')).toBe(before + 3);
    const gets = await calls(redis, 'get');
    await reader.get('p');
    await reader.pipeline().get('p').get('p').exec();
    expect(await calls(redis, 'get')).toBe(gets + 3);
  });

  it('is refused without protocol 3, with the reason', () => {
    expect(() => new Client(redis.url, { cache: { maxEntries: 10 } })).toThrow(InvalidArgumentError);
    expect(() => new Client(redis.url, { protocol: 2, cache: { maxEntries: 10 } })).toThrow(/protocol: 3/);
    expect(() => new Client(redis.url, { protocol: 3, cache: { maxEntries: 0 } })).toThrow(/maxEntries/);
  });

  it('in a Cluster, each server keeps its own cache, invalidated by writes through the cluster', async () => {
    const cluster = new Cluster({
      replicas: [[redis.url], [replicaB.url]],
      writeAck: 'all',
      client: { protocol: 3, cache: { maxEntries: 100 } },
    });
    try {
      await cluster.connect();
      await cluster.set('ck', 'one');
      const before = await calls(redis, 'get');
      expect(await cluster.get('ck')).toBe('one');
      expect(await cluster.get('ck')).toBe('one');
      expect(await calls(redis, 'get')).toBe(before + 1);
      await cluster.set('ck', 'two');
      await cluster.server(0, 0).ping();
      expect(cluster.server(0, 0).stats().cache?.invalidations).toBe(1);
      expect(await cluster.get('ck')).toBe('two');
      expect(await calls(redis, 'get')).toBe(before + 2);
    } finally {
      await cluster.quit();
      await replicaB.command('FLUSHALL');
    }
  });
});

describe('ClientCache bookkeeping', () => {
  const get = ['GET', 'k'];

  it('does not cache a reply whose key was invalidated while the read was out', () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const id = cache.idOf(get, false) as string;
    const read = cache.beginRead(id, 'k');
    cache.onPush(['invalidate', ['k']]);
    cache.completeRead(read, 'stale');
    expect(cache.lookup(id)).toBe(MISS);
    const next = cache.beginRead(id, 'k');
    cache.completeRead(next, 'fresh');
    expect(cache.lookup(id)).toBe('fresh');
  });

  it('does not cache a reply to a read sent before the cache was emptied', () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const id = cache.idOf(get, false) as string;
    const read = cache.beginRead(id, 'k');
    cache.clear();
    cache.completeRead(read, 'old');
    expect(cache.stats().entries).toBe(0);
  });

  it('expires entries after maxAgeMs', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000);
    try {
      const cache = new ClientCache({ maxEntries: 10, maxAgeMs: 50 }, 3);
      const id = cache.idOf(get, false) as string;
      cache.completeRead(cache.beginRead(id, 'k'), 'v');
      now.mockReturnValue(1_049);
      expect(cache.lookup(id)).toBe('v');
      now.mockReturnValue(1_050);
      expect(cache.lookup(id)).toBe(MISS);
      expect(cache.stats().entries).toBe(0);
    } finally {
      now.mockRestore();
    }
  });

  it('bounds bytes: an entry larger than maxBytes is not kept, and older ones make room', () => {
    const cache = new ClientCache({ maxEntries: 100, maxBytes: 1_000 }, 3);
    const idA = cache.idOf(['GET', 'a'], false) as string;
    const idB = cache.idOf(['GET', 'b'], false) as string;
    cache.completeRead(cache.beginRead(idA, 'a'), 'x'.repeat(600));
    cache.completeRead(cache.beginRead(idB, 'b'), 'y'.repeat(600));
    expect(cache.lookup(idA)).toBe(MISS);
    expect(cache.lookup(idB)).toBe('y'.repeat(600));
    cache.completeRead(cache.beginRead(idA, 'a'), 'z'.repeat(2_000));
    expect(cache.stats().entries).toBe(1);
  });

  it('keeps ids of different arguments apart', () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    expect(cache.idOf(['HGET', 'ab', 'c'], false)).not.toBe(cache.idOf(['HGET', 'a', 'bc'], false));
    expect(cache.idOf(['GET', 'k'], false)).not.toBe(cache.idOf(['GET', 'k'], true));
    expect(cache.idOf(['EXISTS', 'a', 'b'], false)).toBeNull();
  });
});
