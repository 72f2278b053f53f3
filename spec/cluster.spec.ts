/**
 * Cluster on 3 replicas x 3 shards of real redis-server, all healthy: placement, balance, multi-key
 * split and reassembly, routing rules, each(), server(), read spreading, disagreement reports.
 * Faults (kills, pauses, hedging, servers down at connect) are in cluster-failover.spec.ts.
 */
import { Cluster } from '../lib/cluster/cluster';
import type { ReplicaErrorDetail } from '../lib/cluster/events';
import type { ClusterOptions } from '../lib/cluster/cluster-options';
import { ConnectionClosedError, ReplicationError, ReplyError } from '../lib/errors';
import type { RespValue } from '../lib/resp/types';
import shardVectors from './fixtures/shard-vectors.json';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { eventually } from './support/wait';

const REPLICAS = 3;
const SHARDS = 3;

/** servers[replica][shard] */
let servers: RedisProcess[][];
const clusters: Cluster[] = [];

function makeCluster(options: Partial<ClusterOptions> = {}): Cluster {
  const cluster = new Cluster({
    replicas: servers.map((row) => row.map((server) => server.url)),
    // 'all': a write has reached every replica when it resolves, so the raw checks below cannot race it.
    writeAck: 'all',
    client: { commandTimeout: 5_000 },
    ...options,
  });
  clusters.push(cluster);
  return cluster;
}

const everyServer = (): RedisProcess[] => servers.flat();
const raw = (replica: number, shard: number, ...args: (string | number | Buffer)[]): Promise<RespValue> =>
  servers[replica][shard].command(...args);

beforeAll(async () => {
  const started = await Promise.all(Array.from({ length: REPLICAS * SHARDS }, () => startRedis()));
  servers = Array.from({ length: REPLICAS }, (_, r) => started.slice(r * SHARDS, (r + 1) * SHARDS));
});

afterAll(async () => {
  await Promise.all(clusters.map((cluster) => cluster.quit()));
  await stopAll();
});

beforeEach(async () => {
  await Promise.all(everyServer().map((server) => server.command('FLUSHALL')));
});

describe('placement', () => {
  it('puts every key on all replicas of its shard and on no other server (independent vectors)', async () => {
    const cluster = makeCluster();
    await cluster.connect();
    const keys = shardVectors.vectors.map((vector) =>
      'key' in vector && typeof vector.key === 'string' ? vector.key : Buffer.from(vector.keyHex, 'hex'),
    );
    const expectedShard = shardVectors.vectors.map((vector) => vector.shards['3']);
    await Promise.all(keys.map((key, i) => cluster.set(key, `value-${i}`)));
    for (let shard = 0; shard < SHARDS; shard++) {
      const mine = keys.filter((_, i) => expectedShard[i] === shard);
      expect(mine.length).toBeGreaterThan(10);
      for (let replica = 0; replica < REPLICAS; replica++) {
        // All of this shard's keys are here, and nothing else is.
        expect(await raw(replica, shard, 'EXISTS', ...mine)).toBe(mine.length);
        expect(await raw(replica, shard, 'DBSIZE')).toBe(mine.length);
      }
    }
    const values = await Promise.all(keys.map((key) => cluster.get(key)));
    expect(values).toEqual(keys.map((_, i) => `value-${i}`));
  });

  it('balances 3,000 keys within 10% per shard, identically on every replica', async () => {
    const cluster = makeCluster();
    const keys = Array.from({ length: 3_000 }, (_, i) => `balance:${i}`);
    for (let i = 0; i < keys.length; i += 500) {
      await cluster.mset(Object.fromEntries(keys.slice(i, i + 500).map((key) => [key, key])));
    }
    for (let shard = 0; shard < SHARDS; shard++) {
      const mine = keys.filter((key) => cluster.shardOf(key) === shard);
      expect(mine.length).toBeGreaterThanOrEqual(900);
      expect(mine.length).toBeLessThanOrEqual(1_100);
      for (let replica = 0; replica < REPLICAS; replica++) {
        expect(await raw(replica, shard, 'DBSIZE')).toBe(mine.length);
        expect(await raw(replica, shard, 'EXISTS', ...mine)).toBe(mine.length);
      }
    }
  });

  it('keeps keys with one {hash tag} in one shard, so multi-key commands work on them', async () => {
    const cluster = makeCluster();
    const keys = ['{user:7}:a', '{user:7}:b', '{user:7}:c'];
    expect(new Set(keys.map((key) => cluster.shardOf(key))).size).toBe(1);
    await cluster.call('SADD', keys[0], 'x', 'y', 'z');
    await cluster.call('SADD', keys[1], 'y', 'z', 'w');
    expect(await cluster.call('SINTERSTORE', keys[2], keys[0], keys[1])).toBe(2);
    const shard = cluster.shardOf(keys[0]);
    for (let replica = 0; replica < REPLICAS; replica++) {
      expect(await raw(replica, shard, 'SCARD', keys[2])).toBe(2);
    }
    expect(((await cluster.call('SMEMBERS', keys[2])) as string[]).sort()).toEqual(['y', 'z']);
  });
});

describe('multi-key commands', () => {
  const keys = Array.from({ length: 40 }, (_, i) => `multi:${i}`);

  it('mset and mget split by shard and reassemble in the caller order, nils included', async () => {
    const cluster = makeCluster();
    expect(new Set(keys.map((key) => cluster.shardOf(key))).size).toBe(SHARDS);
    const stored = keys.filter((_, i) => i % 3 !== 0);
    expect(await cluster.mset(Object.fromEntries(stored.map((key) => [key, `v:${key}`])))).toBe('OK');
    const asked = [...keys].reverse().concat(keys[5], 'multi:absent');
    const expected = asked.map((key) => (stored.includes(key) ? `v:${key}` : null));
    expect(await cluster.mget(asked)).toEqual(expected);
    for (const key of stored) {
      for (let replica = 0; replica < REPLICAS; replica++) {
        expect(await raw(replica, cluster.shardOf(key), 'GET', key)).toBe(`v:${key}`);
      }
    }
  });

  it('mset takes a Map with Buffer keys and values', async () => {
    const cluster = makeCluster();
    const entries = new Map(keys.map((key) => [Buffer.from(key), Buffer.from([0, 1, 2, key.length])]));
    expect(await cluster.mset(entries)).toBe('OK');
    const values = await cluster.callBuffer('MGET', ...keys);
    expect(values).toEqual(keys.map((key) => Buffer.from([0, 1, 2, key.length])));
  });

  it('del, unlink, exists and touch add up the counts of every shard', async () => {
    const cluster = makeCluster();
    await cluster.mset(Object.fromEntries(keys.map((key) => [key, '1'])));
    expect(await cluster.exists(...keys, keys[0], 'multi:absent')).toBe(keys.length + 1);
    expect(await cluster.call('TOUCH', ...keys.slice(0, 10))).toBe(10);
    expect(await cluster.del(...keys.slice(0, 20), 'multi:absent')).toBe(20);
    expect(await cluster.call('UNLINK', ...keys.slice(15))).toBe(keys.length - 20);
    for (const server of everyServer()) expect(await server.command('DBSIZE')).toBe(0);
  });

  it('keeps a one-shard multi-key command whole', async () => {
    const cluster = makeCluster();
    // Connected and each server's run_id checked: replica 0 is in the read set before the read.
    await cluster.connect();
    const tagged = ['{t}1', '{t}2', '{t}3'];
    await cluster.mset({ '{t}1': 'a', '{t}3': 'c' });
    const shard = cluster.shardOf('{t}');
    const before = cluster.server(0, shard).stats().sent;
    expect(await cluster.mget(tagged)).toEqual(['a', null, 'c']);
    expect(cluster.server(0, shard).stats().sent - before).toBe(1);
  });
});

describe('commands whose keys move with their arguments', () => {
  it('routes numkeys forms, SORT … STORE and XREAD by the keys found in their arguments', async () => {
    const cluster = makeCluster({ writeAck: 'all' });
    const shard = cluster.shardOf('{mv}');
    await cluster.zadd('{mv}a', 1, 'x', 2, 'y');
    await cluster.zadd('{mv}b', 3, 'y', 4, 'z');
    expect(await cluster.zunionstore('{mv}dest', 2, '{mv}a', '{mv}b')).toBe(3);
    await cluster.rpush('{mv}list', '3', '1', '2');
    expect(await cluster.sort('{mv}list', 'STORE', '{mv}sorted')).toBe(3);
    expect(await cluster.lmpop(1, '{mv}sorted', 'LEFT')).toEqual({ key: '{mv}sorted', elements: ['1'] });
    await cluster.xadd('{mv}stream', '1-1', 'f', 'v');
    const read = await cluster.xread('STREAMS', '{mv}stream', '0');
    expect(read?.[0]?.entries.map((entry) => entry.id)).toEqual(['1-1']);
    // Written on every replica of the key's shard, and on no other server.
    for (let replica = 0; replica < REPLICAS; replica++) {
      for (let other = 0; other < SHARDS; other++) {
        const here = other === shard;
        expect(await servers[replica][other].command('ZCARD', '{mv}dest')).toBe(here ? 3 : 0);
        expect(await servers[replica][other].command('LRANGE', '{mv}sorted', 0, -1)).toEqual(
          here ? ['2', '3'] : [],
        );
      }
    }
  });

  it('refuses them across shards like any multi-key command', async () => {
    const cluster = makeCluster();
    expect(cluster.shardOf('a')).not.toBe(cluster.shardOf('b'));
    await expect(cluster.zunion(2, 'a', 'b')).rejects.toThrow(/belong to different shards/);
  });
});

describe('commands', () => {
  it('routes reads and writes of every kind through the command table', async () => {
    const cluster = makeCluster();
    await cluster.connect();
    expect(await cluster.set('k', 'v', { ex: 100 })).toBe('OK');
    expect(await cluster.set('k', 'w', { nx: true })).toBeNull();
    expect(await cluster.get('k')).toBe('v');
    expect(await cluster.getBuffer('k')).toEqual(Buffer.from('v'));
    expect(await cluster.ttl('k')).toBeGreaterThan(0);
    expect(await cluster.incr('n')).toBe(1);
    expect(await cluster.expire('n', 50)).toBe(1);
    expect(await cluster.call('OBJECT', 'ENCODING', 'n')).toBe('int');
    expect(await cluster.call('HSET', 'h', 'f', 'x')).toBe(1);
    expect(await cluster.call('HGET', 'h', 'f')).toBe('x');
    expect(await cluster.get('missing')).toBeNull();
    for (let replica = 0; replica < REPLICAS; replica++) {
      expect(await raw(replica, cluster.shardOf('n'), 'GET', 'n')).toBe('1');
      expect(await raw(replica, cluster.shardOf('h'), 'HGET', 'h', 'f')).toBe('x');
    }
  });

  it('gives an error reply as is, from reads and from writes', async () => {
    const cluster = makeCluster();
    await cluster.call('HSET', 'hash', 'f', 'x');
    const readError = await cluster.get('hash').catch((error: unknown) => error);
    expect(readError).toBeInstanceOf(ReplyError);
    expect((readError as ReplyError).code).toBe('WRONGTYPE');
    const writeError = await cluster.incr('hash').catch((error: unknown) => error);
    expect(writeError).toBeInstanceOf(ReplyError);
    expect((writeError as ReplyError).code).toBe('WRONGTYPE');
    // An error reply is the server answering: nothing counts against its health.
    expect(cluster.health().every((entry) => entry.errors === 0 && entry.up)).toBe(true);
  });

  it('routes scripts by their keys: EVAL fans out, EVAL_RO reads one replica', async () => {
    const cluster = makeCluster();
    const script = "return redis.call('SET', KEYS[1], ARGV[1])";
    expect(await cluster.call('EVAL', script, 1, '{s}key', 'scripted')).toBe('OK');
    const shard = cluster.shardOf('{s}key');
    for (let replica = 0; replica < REPLICAS; replica++)
      expect(await raw(replica, shard, 'GET', '{s}key')).toBe('scripted');
    expect(await cluster.call('EVAL_RO', "return redis.call('GET', KEYS[1])", 1, '{s}key')).toBe('scripted');
  });

  it('pings every server', async () => {
    const cluster = makeCluster();
    expect(await cluster.ping()).toBe('PONG');
    expect(await cluster.ping('hello')).toBe('hello');
    // It resolves once every shard answered; the other servers' answers still arrive and are timed.
    await eventually(
      () => cluster.health().every((entry) => entry.latencyMs !== null),
      'a latency for every server',
    );
  });

  it('pipelines commands across shards, each reply in its slot', async () => {
    const cluster = makeCluster();
    const results = await cluster
      .pipeline()
      .set('p:a', '1')
      .set('p:b', '2')
      .incr('p:a')
      .mget(['p:a', 'p:b', 'p:c'])
      .call('FLUSHALL')
      .get('p:b')
      .exec();
    expect(results.slice(0, 4)).toEqual(['OK', 'OK', 2, ['2', '2', null]]);
    expect(results[4]).toBeInstanceOf(Error);
    expect(results[5]).toBe('2');
  });
});

describe('each() and server()', () => {
  it('each() runs on every server and reports every outcome, replica-major', async () => {
    const cluster = makeCluster();
    await cluster.set('one-key', 'x');
    const ports = await cluster.each('CONFIG', 'GET', 'port');
    expect(ports).toHaveLength(REPLICAS * SHARDS);
    ports.forEach((outcome, index) => {
      const replica = Math.floor(index / SHARDS);
      const shard = index % SHARDS;
      expect(outcome).toMatchObject({ replica, shard, ok: true, url: servers[replica][shard].url });
      expect(outcome.reply).toEqual(['port', String(servers[replica][shard].port)]);
    });
    const sizes = await cluster.each('DBSIZE');
    const holding = cluster.shardOf('one-key');
    expect(sizes.map((outcome) => outcome.reply)).toEqual(
      sizes.map((outcome) => (outcome.shard === holding ? 1 : 0)),
    );
    // Error replies are outcomes, not a rejection.
    const refused = await cluster.each('GET');
    expect(refused.every((outcome) => !outcome.ok && outcome.error instanceof ReplyError)).toBe(true);
    expect((await cluster.each('FLUSHALL')).every((outcome) => outcome.ok)).toBe(true);
    for (const server of everyServer()) expect(await server.command('DBSIZE')).toBe(0);
  });

  it('server() is that server Client', async () => {
    const cluster = makeCluster();
    await cluster.connect();
    for (let replica = 0; replica < REPLICAS; replica++) {
      for (let shard = 0; shard < SHARDS; shard++) {
        const client = cluster.server(replica, shard);
        expect(client.address).toBe(`127.0.0.1:${servers[replica][shard].port}`);
        await client.set('direct', `${replica}/${shard}`);
        expect(await raw(replica, shard, 'GET', 'direct')).toBe(`${replica}/${shard}`);
      }
    }
  });
});

describe('reads', () => {
  async function seed(cluster: Cluster, shard: number, count: number): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; keys.length < count; i++)
      if (cluster.shardOf(`read:${i}`) === shard) keys.push(`read:${i}`);
    await cluster.mset(Object.fromEntries(keys.map((key) => [key, key])));
    return keys;
  }

  const sentPerReplica = (cluster: Cluster, shard: number): number[] =>
    Array.from({ length: REPLICAS }, (_, replica) => cluster.server(replica, shard).stats().sent);

  it("'ordered' reads replica 0 only while it is up", async () => {
    const cluster = makeCluster({ readFrom: 'ordered' });
    // Connected first: a server serves reads once its run_id check answered, and that may come after
    // the seeding MSET's replies (a fleet nobody vouched for yet takes its peers' checks and a SCRIPT LOAD).
    await cluster.connect();
    const keys = await seed(cluster, 1, 30);
    const before = sentPerReplica(cluster, 1);
    expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys);
    const after = sentPerReplica(cluster, 1);
    expect(after.map((sent, replica) => sent - before[replica])).toEqual([30, 0, 0]);
  });

  it("'round-robin' rotates over the replicas of each shard", async () => {
    const cluster = makeCluster({ readFrom: 'round-robin' });
    await cluster.connect();
    const keys = await seed(cluster, 2, 30);
    const before = sentPerReplica(cluster, 2);
    expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys);
    const after = sentPerReplica(cluster, 2);
    expect(after.map((sent, replica) => sent - before[replica])).toEqual([10, 10, 10]);
  });
});

describe('replica disagreement', () => {
  it('reports replicas answering a write differently through replicaError, and counts it', async () => {
    const cluster = makeCluster();
    const reports: { error: Error; detail: ReplicaErrorDetail }[] = [];
    cluster.on('replicaError', (error, detail) => reports.push({ error, detail }));
    await cluster.set('diverged', 'same');
    const shard = cluster.shardOf('diverged');
    await raw(2, shard, 'SET', 'diverged', 'different');
    const previous = await cluster.set('diverged', 'new', { get: true });
    expect(['same', 'different']).toContain(previous);
    expect(reports.length).toBeGreaterThan(0);
    for (const { error, detail } of reports) {
      expect(detail).toMatchObject({ shard, command: 'SET', kind: 'mismatch' });
      expect(error).toBeInstanceOf(ReplicationError);
      const answers = (error as ReplicationError).outcomes.map((outcome) => outcome.reply);
      expect(answers.sort()).toEqual(['different', 'same']);
    }
    const reported = new Set(reports.map(({ detail }) => detail.replica));
    for (const entry of cluster.health())
      expect(entry.errors).toBe(reported.has(entry.replica) && entry.shard === shard ? 1 : 0);
  });
});

describe('closing', () => {
  it('quit() lets accepted commands finish, then refuses new ones', async () => {
    const cluster = makeCluster();
    const pending = Promise.all(Array.from({ length: 50 }, (_, i) => cluster.set(`q:${i}`, String(i))));
    const quitting = cluster.quit();
    await expect(pending).resolves.toHaveLength(50);
    await quitting;
    await expect(cluster.get('q:1')).rejects.toThrow(ConnectionClosedError);
    for (const entry of cluster.health())
      expect(cluster.server(entry.replica, entry.shard).status).toBe('closed');
    expect(await raw(1, cluster.shardOf('q:7'), 'GET', 'q:7')).toBe('7');
  });
});
