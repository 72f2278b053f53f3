/**
 * Scan iterators on real redis-servers: SCAN over 10,000 keys, MATCH/COUNT/TYPE, HSCAN/SSCAN/ZSCAN
 * contents, Buffer twins, the same under RESP2 and RESP3, a scan that starts over after a reconnect;
 * a Cluster scanning every shard once on one replica each, and failing over to another replica when
 * its replica dies mid-scan without yielding any key twice.
 */
import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import { InvalidArgumentError, ReplyError } from '../lib/errors';
import type { ScoredMember } from '../lib/commands/reply';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually } from './support/wait';

const track = cleanupAfterEachTest();

let server: RedisProcess;
/** cluster servers[replica][shard], 2 x 2 */
let servers: RedisProcess[][];

beforeAll(async () => {
  const started = await Promise.all(Array.from({ length: 5 }, () => startRedis()));
  server = started[0];
  servers = [started.slice(1, 3), started.slice(3, 5)];
});

beforeEach(async () => {
  await Promise.all(
    [server, ...servers.flat()].map(async (each) => {
      if (!each.running) await each.restart();
      await each.command('FLUSHALL');
      await each.command('CONFIG', 'RESETSTAT');
    }),
  );
});

async function connected(protocol?: 2 | 3): Promise<Client> {
  const client = track(new Client(server.url, protocol === undefined ? {} : { protocol }));
  await client.connect();
  return client;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterator) items.push(item);
  return items;
}

async function calls(on: RedisProcess, command: string): Promise<number> {
  const info = String(await on.command('INFO', 'commandstats'));
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

/** Writes `count` string keys `prefix0…` with unique values, in MSET batches. */
async function writeKeys(client: Client, prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (let i = 0; i < count; i += 1_000) {
    await client.mset(Object.fromEntries(keys.slice(i, i + 1_000).map((key) => [key, `value-of-${key}`])));
  }
  return keys;
}

const sorted = (items: readonly string[]): string[] => [...items].sort();

describe.each([2, 3] as const)('Client scans under RESP%i', (protocol) => {
  it('yields each of 10,000 keys exactly once', async () => {
    const client = await connected(protocol);
    const written = await writeKeys(client, 'many:', 10_000);
    const seen = await collect(client.scanIterator({ count: 1_000 }));
    expect(seen).toHaveLength(10_000);
    expect(sorted(seen)).toEqual(sorted(written));
  });

  it('filters by match and by type', async () => {
    const client = await connected(protocol);
    const users = await writeKeys(client, 'user:', 300);
    await writeKeys(client, 'other:', 300);
    const hashes = Array.from({ length: 40 }, (_, i) => `user:hash:${i}`);
    for (const key of hashes) await client.hset(key, 'field', key);
    await client.sadd('user:set', 'member');
    expect(sorted(await collect(client.scanIterator({ match: 'user:*', count: 100 })))).toEqual(
      sorted([...users, ...hashes, 'user:set']),
    );
    expect(sorted(await collect(client.scanIterator({ type: 'hash' })))).toEqual(sorted(hashes));
    expect(await collect(client.scanIterator({ match: 'user:s*', type: 'set' }))).toEqual(['user:set']);
    expect(await collect(client.scanIterator({ match: 'nothing:*' }))).toEqual([]);
  });

  it('sends fewer pages for a larger count', async () => {
    const client = await connected(protocol);
    await writeKeys(client, 'paged:', 2_000);
    await collect(client.scanIterator({ count: 1_000 }));
    const large = await calls(server, 'scan');
    await collect(client.scanIterator());
    const small = (await calls(server, 'scan')) - large;
    // COUNT is a hint: about 2,000/1,000 pages against about 2,000/10.
    expect(large).toBeLessThan(10);
    expect(small).toBeGreaterThan(100);
  });

  it('yields hash, set and sorted-set contents exactly, small and large', async () => {
    const client = await connected(protocol);
    for (const size of [5, 1_000]) {
      const fields = Array.from({ length: size }, (_, i) => [`f${i}`, `v${i}-${size}`] as [string, string]);
      await client.hset(`h${size}`, Object.fromEntries(fields));
      const pairs = await collect(client.hscanIterator(`h${size}`, { count: 50 }));
      expect(pairs).toHaveLength(size);
      expect(Object.fromEntries(pairs)).toEqual(Object.fromEntries(fields));

      const members = fields.map(([field]) => `m-${field}`);
      await client.sadd(`s${size}`, ...members);
      const setMembers = await collect(client.sscanIterator(`s${size}`));
      expect(sorted(setMembers)).toEqual(sorted(members));

      const scored: ScoredMember[] = members.map((member, i) => ({ member, score: i / 4 - 3 }));
      scored[0].score = Infinity;
      scored[1].score = -Infinity;
      await client.call(
        'ZADD',
        `z${size}`,
        ...scored.flatMap(({ member, score }) => [String(score).replace('Infinity', 'inf'), member]),
      );
      const zset = await collect(client.zscanIterator(`z${size}`));
      expect(zset).toHaveLength(size);
      expect(new Map(zset.map(({ member, score }) => [member, score]))).toEqual(
        new Map(scored.map(({ member, score }) => [member, score])),
      );
    }
    expect(await collect(client.hscanIterator('h1000', { match: 'f99*' }))).toHaveLength(11);
    expect(await collect(client.sscanIterator('missing'))).toEqual([]);
  });

  it('keeps binary keys and members intact in the Buffer twins', async () => {
    const client = await connected(protocol);
    const keys = [Buffer.from([0xff, 0x00, 0x01]), Buffer.from([0xc3, 0x28]), Buffer.from('plain')];
    for (const key of keys) await client.set(key, key);
    const found = await collect(client.scanBufferIterator());
    expect(found.every((key) => Buffer.isBuffer(key))).toBe(true);
    expect(found.map((key) => key.toString('hex')).sort()).toEqual(
      keys.map((key) => key.toString('hex')).sort(),
    );

    await client.hset('bin:h', keys[0], keys[1]);
    expect(await collect(client.hscanBufferIterator('bin:h'))).toEqual([[keys[0], keys[1]]]);
    await client.sadd('bin:s', keys[1]);
    expect(await collect(client.sscanBufferIterator('bin:s'))).toEqual([keys[1]]);
    await client.call('ZADD', 'bin:z', 2.5, keys[0]);
    expect(await collect(client.zscanBufferIterator('bin:z'))).toEqual([{ member: keys[0], score: 2.5 }]);
  });
});

describe('Client scan edge cases', () => {
  it('rejects bad options at the first step, sending nothing', async () => {
    const client = await connected();
    const bad = [
      client.scanIterator({ count: 0 }),
      client.scanIterator({ count: 1.5 }),
      client.scanIterator({ type: '' }),
      client.scanIterator({ match: 5 as unknown as string }),
      client.hscanIterator('h', { type: 'hash' } as unknown as { count: number }),
      client.sscanIterator(7 as unknown as string),
    ];
    for (const iterator of bad) await expect(iterator.next()).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await calls(server, 'scan')).toBe(0);
    expect(await calls(server, 'hscan')).toBe(0);
  });

  it('passes an error reply through (HSCAN of a string)', async () => {
    const client = await connected();
    await client.set('a-string', 'x');
    await expect(client.hscanIterator('a-string').next()).rejects.toBeInstanceOf(ReplyError);
  });

  it('starts over after a reconnect mid-scan, still yielding every key', async () => {
    const client = await connected();
    const written = await writeKeys(client, 'again:', 1_000);
    const iterator = client.scanIterator({ count: 100 });
    const seen: string[] = [];
    for (let i = 0; i < 150; i++) {
      const step = await iterator.next();
      if (step.done === true) throw new Error('the scan ended early');
      seen.push(step.value);
    }
    const reconnected = new Promise<void>((resolve) => client.once('ready', resolve));
    await server.command('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await reconnected;
    for (;;) {
      const step = await iterator.next();
      if (step.done === true) break;
      seen.push(step.value);
    }
    expect(sorted([...new Set(seen)])).toEqual(sorted(written));
    // It started over: the first pages came again.
    expect(seen.length).toBeGreaterThanOrEqual(1_000 + 100);
  });

  it('stops sending when the caller stops iterating', async () => {
    const client = await connected();
    await writeKeys(client, 'early:', 500);
    for await (const key of client.scanIterator({ count: 10 })) {
      expect(key.startsWith('early:')).toBe(true);
      break;
    }
    expect(await calls(server, 'scan')).toBe(1);
  });
});

describe('Cluster scans (2 replicas x 2 shards)', () => {
  const clusters: Cluster[] = [];
  afterEach(() => {
    for (const cluster of clusters.splice(0)) cluster.disconnect();
  });

  async function cluster(protocol?: 2 | 3): Promise<Cluster> {
    const made = new Cluster({
      replicas: servers.map((row) => row.map((each) => each.url)),
      writeAck: 'all',
      client: { commandTimeout: 2_000, ...(protocol === undefined ? {} : { protocol }) },
    });
    clusters.push(made);
    await made.connect();
    return made;
  }

  async function writeThrough(made: Cluster, prefix: string, count: number): Promise<string[]> {
    const keys = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    for (let i = 0; i < count; i += 500) {
      await made.mset(Object.fromEntries(keys.slice(i, i + 500).map((key) => [key, `v-${key}`])));
    }
    return keys;
  }

  it.each([2, 3] as const)(
    'covers every key of every shard once, one replica per shard (RESP%i)',
    async (protocol) => {
      const made = await cluster(protocol);
      const written = await writeThrough(made, 'ck:', 3_000);
      const perShard = [0, 1].map((shard) => written.filter((key) => made.shardOf(key) === shard).length);
      expect(perShard.every((count) => count > 1_000)).toBe(true);
      const seen = await collect(made.scanIterator({ count: 200 }));
      expect(seen).toHaveLength(3_000);
      expect(sorted(seen)).toEqual(sorted(written));
      const scans = await Promise.all(
        servers.map((row) => Promise.all(row.map((each) => calls(each, 'scan')))),
      );
      for (let shard = 0; shard < 2; shard++) {
        const used = [0, 1].filter((replica) => scans[replica][shard] > 0);
        expect(used).toHaveLength(1);
      }
    },
  );

  it('applies match and type on every shard', async () => {
    const made = await cluster();
    await writeThrough(made, 'plain:', 200);
    const hashes = Array.from({ length: 30 }, (_, i) => `hk:${i}`);
    for (const key of hashes) await made.hset(key, 'f', key);
    expect(sorted(await collect(made.scanIterator({ type: 'hash' })))).toEqual(sorted(hashes));
    expect(sorted(await collect(made.scanIterator({ match: 'hk:1*' })))).toEqual(
      sorted(hashes.filter((key) => key.startsWith('hk:1'))),
    );
  });

  it('scans a hash, a set and a sorted set on their shard', async () => {
    const made = await cluster();
    const fields = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]));
    await made.hset('c:h', fields);
    expect(Object.fromEntries(await collect(made.hscanIterator('c:h')))).toEqual(fields);
    const members = Object.keys(fields);
    await made.sadd('c:s', ...members);
    expect(sorted(await collect(made.sscanIterator('c:s')))).toEqual(sorted(members));
    await made.call('ZADD', 'c:z', ...members.flatMap((member, i) => [i, member]));
    const zset = await collect(made.zscanIterator('c:z'));
    expect(zset.sort((a, b) => a.score - b.score)).toEqual(
      members.map((member, score) => ({ member, score })),
    );
  });

  it('fails over to the other replica when its replica dies mid-scan, yielding no key twice', async () => {
    const made = await cluster();
    const written = await writeThrough(made, 'fo:', 2_000);
    const iterator = made.scanIterator({ count: 50 });
    const seen: string[] = [];
    // readFrom 'ordered': shard 0 is scanned on replica 0 first.
    for (let i = 0; i < 200; i++) {
      const step = await iterator.next();
      if (step.done === true) throw new Error('the scan ended early');
      seen.push(step.value);
    }
    expect(seen.every((key) => made.shardOf(key) === 0)).toBe(true);
    await servers[0][0].kill();
    await eventually(() => made.server(0, 0).status !== 'ready', 'the client noticing the kill');
    for (;;) {
      const step = await iterator.next();
      if (step.done === true) break;
      seen.push(step.value);
    }
    expect(seen).toHaveLength(2_000);
    expect(sorted(seen)).toEqual(sorted(written));
    expect(await calls(servers[1][0], 'scan')).toBeGreaterThan(0);
  });
});
