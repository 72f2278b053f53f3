/**
 * Issue 11, part 3: client-side caching (RESP3, CLIENT TRACKING on the shared connection).
 *
 * Counts come from the server (INFO commandstats), so "served from memory" means the server never saw
 * the read. Where a test needs the reader to have processed an invalidation, it uses a barrier rather
 * than a timer: a PING on the reader's own connection, sent after the write was acknowledged, is
 * answered after any invalidation push that write caused, on the same socket.
 */
import { Client } from '../lib/client';
import { ClientCache, EVERY_KEY, MISS, writtenBy, type CacheBackend } from '../lib/client/cache';
import { COMMAND_NAMES, commandInfo } from '../lib/commands/command-table';
import { routableKeyPositions } from '../lib/commands/movable-keys';
import { CommandFlags, type Settle } from '../lib/connection/pending-command';
import type { CommandArg, RespValue } from '../lib/resp/types';
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

  // Why the cache does not write its own SETs through, and tracks without NOLOOP: after any write to
  // a key, even the tracked client's own, the server stops tracking that key for every client, so a
  // value kept from our own write would never hear of a later write by someone else.
  it("after the reader's own write, a later write by another client is still seen", async () => {
    const reader = cachedClient();
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    const key = `own-then-theirs:${Date.now()}`;
    await reader.set(key, 'mine');
    expect(await reader.get(key)).toBe('mine');
    expect(await reader.get(key)).toBe('mine');
    await writer.set(key, 'theirs');
    await reader.ping();
    expect(await reader.get(key)).toBe('theirs');
  });

  it("writes through the reader's pipeline(), multi() and isolated() invalidate its entries", async () => {
    const reader = cachedClient();
    await reader.connect();
    const key = `other-paths:${Date.now()}`;
    await reader.set(key, 'start');
    const read = async (): Promise<unknown> => {
      // The barrier: any push caused by the write before it has been processed.
      await reader.ping();
      return reader.get(key);
    };
    expect(await read()).toBe('start');
    expect(await read()).toBe('start');
    await reader.pipeline().set(key, 'piped').exec();
    expect(await read()).toBe('piped');
    await reader.multi().set(key, 'transacted').exec();
    expect(await read()).toBe('transacted');
    await reader.isolated((connection) => connection.set(key, 'isolated'));
    expect(await read()).toBe('isolated');
    // One push per write after the first read: the SET before it found the key untracked.
    expect(reader.stats().cache?.invalidations).toBe(3);
  });

  // Redis sends the invalidation of a client's own write right after the write's reply, but TCP may
  // cut between them. The proxy forwards the server's bytes one at a time, a turn of the event loop
  // apart, so the write's reply is read and its caller resumed while the push is still on its way.
  // The write's own reply must drop the entry: else the GET right after it is a hit on the old value.
  // For isolated() the push comes on the other socket, byte by byte, long after the lone +OK.
  it('reads its own writes at once, whichever path the write took, though the push arrives split and late (FaultProxy)', async () => {
    proxy = new FaultProxy({ port: redis.port });
    await proxy.start();
    const reader = cachedClient(proxy.url);
    const writer = plainClient();
    await Promise.all([reader.connect(), writer.connect()]);
    const key = `ryow:${Date.now()}`;
    const paths: [string, (value: string) => Promise<unknown>][] = [
      ['set', (value) => reader.set(key, value)],
      ['call', (value) => reader.call('SET', key, value)],
      ['sendCommand', (value) => reader.sendCommand(['SET', key, value])],
      ['withOptions', (value) => reader.withOptions({ timeout: 10_000 }).set(key, value)],
      ['pipeline', (value) => reader.pipeline().set(key, value).exec()],
      ['multi', (value) => reader.multi().set(key, value).exec()],
      ['isolated', (value) => reader.isolated((connection) => connection.set(key, value))],
      [
        'isolated multi()',
        (value) => reader.isolated((connection) => connection.multi().set(key, value).exec()),
      ],
      [
        'isolated MULTI by call()',
        (value) =>
          reader.isolated(async (connection) => {
            await connection.call('MULTI');
            await connection.call('SET', key, value);
            return connection.call('EXEC');
          }),
      ],
      ['del', () => reader.del(key)],
    ];
    await writer.set(key, 'initial');
    proxy.rechunk(1, 'toClient');
    let previous: string | null = 'initial';
    const seen: string[] = [];
    const expected: string[] = [];
    for (const [name, write] of paths) {
      // The barrier: every push of the write before has been processed; then the key is cached.
      await reader.ping();
      expect(await reader.get(key)).toBe(previous);
      expect(await reader.get(key)).toBe(previous);
      expect(reader.stats().cache?.entries).toBe(1);
      const next = name === 'del' ? null : `${name}:${Math.random()}`;
      await write(next ?? '');
      seen.push(`${name}: ${String(await reader.get(key))}`);
      expected.push(`${name}: ${String(next)}`);
      previous = next;
    }
    expect(seen).toEqual(expected);
  });

  it("a key the reader's own command expires lazily is invalidated too (what NOLOOP would hide)", async () => {
    // Active expiry off, so only a command touching the key can expire it (DEBUG needs the option).
    const debuggable = await startRedis({ args: ['--enable-debug-command', 'yes'] });
    await debuggable.command('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    const reader = cachedClient(debuggable.url);
    await reader.connect();
    await reader.set('short', 'lived', { px: 50 });
    expect(await reader.get('short')).toBe('lived');
    expect(await reader.get('short')).toBe('lived');
    await new Promise((resolve) => setTimeout(resolve, 120));
    // Not a cached entry of GET: STRLEN goes to the server, which deletes the expired key on the spot.
    expect(await reader.strlen('short')).toBe(0);
    await reader.ping();
    expect(await reader.get('short')).toBeNull();
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

  it("drops every entry of an invalidated key, after one of the key's entries was evicted and one replaced", () => {
    const cache = new ClientCache({ maxEntries: 3 }, 3);
    const [getK, strlenK, hgetK, getOther] = [
      ['GET', 'k'],
      ['STRLEN', 'k'],
      ['HGET', 'k', 'f'],
      ['GET', 'other'],
    ].map((args) => cache.idOf(args, false) as string);
    cache.completeRead(cache.beginRead(getK, 'k'), 'a');
    cache.completeRead(cache.beginRead(strlenK, 'k'), 1);
    cache.completeRead(cache.beginRead(hgetK, 'k'), 'x');
    // Replaces the STRLEN entry, in the middle of k's entries.
    cache.completeRead(cache.beginRead(strlenK, 'k'), 2);
    // A fourth entry evicts the least recently used one: GET k.
    cache.completeRead(cache.beginRead(getOther, 'other'), 'o');
    expect(cache.lookup(getK)).toBe(MISS);
    expect(cache.stats().entries).toBe(3);
    cache.onPush(['invalidate', ['k']]);
    expect(cache.lookup(strlenK)).toBe(MISS);
    expect(cache.lookup(hgetK)).toBe(MISS);
    expect(cache.lookup(getOther)).toBe('o');
    expect(cache.stats().entries).toBe(1);
    cache.completeRead(cache.beginRead(getK, 'k'), 'b');
    cache.onPush(['invalidate', ['k']]);
    expect(cache.lookup(getK)).toBe(MISS);
    expect(cache.stats().entries).toBe(1);
  });

  it("a write of the Client's own drops its keys' entries, and a read of them still out is not cached", () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const [getA, getB, getC] = ['a', 'b', 'c'].map((key) => cache.idOf(['GET', key], false) as string);
    cache.completeRead(cache.beginRead(getA, 'a'), '1');
    cache.completeRead(cache.beginRead(getC, 'c'), '3');
    const read = cache.beginRead(getB, 'b');
    cache.wrote(['a', 'b']);
    cache.completeRead(read, 'old');
    expect(cache.lookup(getA)).toBe(MISS);
    expect(cache.lookup(getB)).toBe(MISS);
    expect(cache.lookup(getC)).toBe('3');
    // Not the server's invalidations: those count pushes only.
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, invalidations: 0, entries: 1 });
    cache.wrote(EVERY_KEY);
    expect(cache.stats().entries).toBe(0);
  });

  it('tells what a command writes from the command table; what it cannot tell, it counts as every key', () => {
    expect(writtenBy(['GET', 'k'])).toBeNull();
    expect(writtenBy(['PING'])).toBeNull();
    expect(writtenBy(['SET', 'k', 'v'])).toEqual(['k']);
    expect(writtenBy(['set', Buffer.from('k\u00e9'), 'v'])).toEqual(['k\u00e9']);
    expect(writtenBy(['MSET', 'a', '1', 'b', '2'])).toEqual(['a', 'b']);
    expect(writtenBy(['BLPOP', 'l1', 'l2', 0])).toEqual(['l1', 'l2']);
    expect(writtenBy(['ZUNIONSTORE', 'dst', 2, 's1', 's2'])).toEqual(['dst', 's1', 's2']);
    expect(writtenBy(['XGROUP', 'CREATE', 'stream', 'group', '$'])).toEqual(['stream']);
    // Scripts write the keys they declare; a read-only script writes none.
    expect(writtenBy(['EVAL', 'return 1', 2, 'k1', 'k2', 'arg'])).toEqual(['k1', 'k2']);
    expect(writtenBy(['FCALL', 'f', 1, 'k'])).toEqual(['k']);
    expect(writtenBy(['EVAL', 'return 1', 0])).toBeNull();
    expect(writtenBy(['EVAL_RO', 'return 1', 1, 'k'])).toBeNull();
    expect(writtenBy(['EVAL', 'return 1', 5, 'k'])).toBe(EVERY_KEY);
    expect(writtenBy(['FLUSHDB'])).toBe(EVERY_KEY);
    expect(writtenBy(['SWAPDB', 0, 1])).toBe(EVERY_KEY);
    expect(writtenBy(['MIGRATE', 'h', 6380, '', 0, 5000, 'KEYS', 'a', 'b'])).toBe(EVERY_KEY);
    expect(writtenBy(['JSON.SET', 'doc', '$', '1'])).toBe(EVERY_KEY);
  });

  it('keeps ids of different arguments apart', () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    expect(cache.idOf(['HGET', 'ab', 'c'], false)).not.toBe(cache.idOf(['HGET', 'a', 'bc'], false));
    expect(cache.idOf(['GET', 'k'], false)).not.toBe(cache.idOf(['GET', 'k'], true));
    expect(cache.idOf(['EXISTS', 'a', 'b'], false)).toBeNull();
  });
});

/** A server in the test's hands: each command waits until the test answers it, as a decoder would. */
class HeldBackend implements CacheBackend {
  readonly sent: { args: readonly CommandArg[]; resolve: Settle<RespValue>; reject: Settle<Error> }[] = [];

  send(args: readonly CommandArg[]): Promise<RespValue> {
    return new Promise((resolve, reject) => this.sent.push({ args, resolve, reject }));
  }

  sendTo(
    args: readonly CommandArg[],
    _flags: CommandFlags,
    resolve: Settle<RespValue>,
    reject: Settle<Error>,
  ): void {
    this.sent.push({ args, resolve, reject });
  }

  /** Answers the oldest unanswered command. */
  answer(value: RespValue): void {
    const command = this.sent.shift();
    if (command === undefined) throw new Error('nothing was sent');
    command.resolve(value);
  }
}

const READ = CommandFlags.Cacheable | CommandFlags.ReadOnly;

describe('ClientCache, its reads and writes through a backend', () => {
  it('a read that joined one in flight gets its own copy, though the first caller mutates its reply at once', async () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const backend = new HeldBackend();
    const first = cache.read(['LRANGE', 'l', 0, -1], READ, null, backend) as Promise<string[]>;
    const mutated = first.then((list) => list.push('mutated'));
    const joined = cache.read(['LRANGE', 'l', 0, -1], READ, null, backend);
    expect(backend.sent).toHaveLength(1);
    backend.answer(['a', 'b']);
    await mutated;
    expect(await joined).toEqual(['a', 'b']);
    const hit = cache.read(['LRANGE', 'l', 0, -1], READ, null, backend);
    expect(backend.sent).toHaveLength(0);
    expect(await hit).toEqual(['a', 'b']);
  });

  it('a read does not join one sent before an invalidation, and neither reply of the key is cached until one is current', async () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const backend = new HeldBackend();
    const stale = cache.read(['GET', 'k'], READ, null, backend);
    cache.onPush(['invalidate', ['k']]);
    const fresh = cache.read(['GET', 'k'], READ, null, backend);
    expect(backend.sent).toHaveLength(2);
    backend.answer('old');
    expect(await stale).toBe('old');
    const third = cache.read(['GET', 'k'], READ, null, backend);
    backend.answer('new');
    expect(await fresh).toBe('new');
    expect(await third).toBe('new');
    const hit = cache.read(['GET', 'k'], READ, null, backend);
    expect(backend.sent).toHaveLength(0);
    expect(await hit).toBe('new');
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, entries: 1 });
  });

  it("a write drops its keys as its reply arrives: a read of the key sent by another caller's continuation is cached", async () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const backend = new HeldBackend();
    let readAfter: Promise<unknown> | null = null;
    const other = cache.read(['GET', 'x'], READ, null, backend).then(() => {
      readAfter = cache.read(['GET', 'k'], READ, null, backend);
    });
    const write = cache.send(['SET', 'k', 'v2'], CommandFlags.None, backend);
    // One socket read: GET x's reply, SET k's, then the invalidation of k the SET caused.
    backend.answer('x');
    backend.answer('OK');
    cache.onPush(['invalidate', ['k']]);
    await Promise.all([other, write]);
    expect(backend.sent.map(({ args }) => args)).toEqual([['GET', 'k']]);
    backend.answer('v2');
    expect(await readAfter).toBe('v2');
    const hit = cache.read(['GET', 'k'], READ, null, backend);
    expect(backend.sent).toHaveLength(0);
    expect(await hit).toBe('v2');
  });

  it('a write drops its keys when it fails too, and a read still out of them is not cached', async () => {
    const cache = new ClientCache({ maxEntries: 10 }, 3);
    const backend = new HeldBackend();
    backend.sendTo = (_args, _flags, _resolve, reject) => reject(new Error('refused'));
    backend.send = () => Promise.reject(new Error('refused'));
    const out = new HeldBackend();
    const read = cache.read(['GET', 'k'], READ, null, out);
    await expect(cache.send(['SET', 'k', 'v'], CommandFlags.None, backend)).rejects.toThrow('refused');
    out.answer('old');
    expect(await read).toBe('old');
    expect(cache.stats().entries).toBe(0);
  });

  it('keeps an invalidated entry as a shell, refilled by the next read, and never lets shells cost a live entry its place', () => {
    const cache = new ClientCache({ maxEntries: 100, maxBytes: 1_000 }, 3);
    const id = (key: string): string => cache.idOf(['GET', key], false) as string;
    cache.completeRead(cache.beginRead(id('live'), 'live'), 'x'.repeat(600));
    // Shells of other keys, each ~110 bytes: more than the 1,000 bytes left them without dropping some.
    for (let i = 0; i < 8; i++) {
      const key = `key:${i}`;
      cache.completeRead(cache.beginRead(id(key), key), 'v');
      cache.onPush(['invalidate', [key]]);
    }
    expect(cache.lookup(id('live'))).toBe('x'.repeat(600));
    expect(cache.stats().entries).toBe(1);
    // The shell of the latest one is still there, and filled again.
    cache.completeRead(cache.beginRead(id('key:7'), 'key:7'), 'again');
    expect(cache.lookup(id('key:7'))).toBe('again');
    cache.onPush(['invalidate', ['key:7']]);
    expect(cache.lookup(id('key:7'))).toBe(MISS);
  });

  it('bounds the shells it keeps by maxEntries', () => {
    const cache = new ClientCache({ maxEntries: 3 }, 3);
    for (let i = 0; i < 10; i++) {
      const key = `key:${i}`;
      cache.completeRead(cache.beginRead(cache.idOf(['GET', key], false) as string, key), 'v');
      cache.onPush(['invalidate', [key]]);
    }
    expect(cache.stats().entries).toBe(0);
    expect(cache['vacancies'].length).toBe(3);
    expect(cache['keys'].size).toBe(3);
  });

  it("tells a one-key write's key the way the command table's key positions do, for every such command", () => {
    /** writtenBy before its one-key shortcut: the generic key positions. */
    const reference = (args: CommandArg[]): readonly string[] | typeof EVERY_KEY => {
      const positions = routableKeyPositions(args);
      if (positions === undefined || positions.length === 0) return EVERY_KEY;
      return positions.map((position) => String(args[position]));
    };
    let checked = 0;
    for (const name of COMMAND_NAMES) {
      const info = commandInfo(name);
      if (info === undefined || !info.write || info.name.includes('|')) continue;
      if (info.firstKey !== 1 || info.lastKey !== 1 || info.movableKeys) continue;
      const least = Math.abs(info.arity);
      for (const argc of [1, least - 1, least, least + 1, least + 2]) {
        if (argc < 1) continue;
        const args: CommandArg[] = [name, ...Array.from({ length: argc - 1 }, (_, i) => `a${i}`)];
        expect([name, argc, writtenBy(args)]).toEqual([name, argc, reference(args)]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
