/**
 * Cluster on 3 replicas x 3 shards of real redis-server, with faults: replicas killed (SIGKILL), paused
 * (SIGSTOP), down at connect time, delayed behind a FaultProxy for hedged and 'fastest' reads.
 *
 * Client deadlines are short (commandTimeout 400 ms, heartbeat 200 ms) so a hung server is noticed
 * quickly; no test asserts on elapsed time, only on outcomes.
 */
import { Cluster } from '../lib/cluster/cluster';
import type { ClusterOptions } from '../lib/cluster/cluster-options';
import type { ReplicaErrorDetail, ServerInfo } from '../lib/cluster/events';
import { ConnectionError, ReplicationError, TimeoutError } from '../lib/errors';
import { FaultProxy } from '../lib/testing/fault-proxy';
import { startRedis, stopAll, type RedisProcess, reviveAll } from './support/redis-harness';
import { hostProcess } from './support/host-process';
import { FAST_CLIENT } from './support/fast-client';
import { eventually } from './support/wait';

const REPLICAS = 3;
const SHARDS = 3;

/** servers[replica][shard] */
let servers: RedisProcess[][];
let clusters: Cluster[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

function makeCluster(options: Partial<ClusterOptions> = {}, urls?: string[][]): Cluster {
  const cluster = new Cluster({
    replicas: urls ?? servers.map((row) => row.map((server) => server.url)),
    downAfter: 3,
    probeInterval: 100,
    client: FAST_CLIENT,
    ...options,
  });
  clusters.push(cluster);
  return cluster;
}

/**
 * Connected, with every server in sync. Servers restarted by an earlier test come back with an empty
 * script cache, so a new Cluster finds them not vouched for while their peers are, and resyncs them
 * before it reads them (lib/cluster/repair-engine.ts, checkRunId).
 */
async function inSync(cluster: Cluster): Promise<void> {
  await cluster.connect();
  await eventually(
    () => cluster.health().every((entry) => entry.state === 'up'),
    'every server in sync',
    10_000,
  );
}

const downServers = (cluster: Cluster): string[] =>
  cluster
    .health()
    .filter((entry) => !entry.up)
    .map((entry) => `${entry.replica}/${entry.shard}`);

/** `count` keys of `shard`, each with a value that names it. */
function keysOf(cluster: Cluster, shard: number, count: number, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++)
    if (cluster.shardOf(`${prefix}:${i}`) === shard) keys.push(`${prefix}:${i}`);
  return keys;
}

const valueOf = (key: string): string => `value-of:${key}`;

async function seed(cluster: Cluster, keys: string[]): Promise<void> {
  await cluster.mset(Object.fromEntries(keys.map((key) => [key, valueOf(key)])));
}

beforeAll(async () => {
  hostProcess.on('unhandledRejection', onUnhandled);
  const started = await Promise.all(Array.from({ length: REPLICAS * SHARDS }, () => startRedis()));
  servers = Array.from({ length: REPLICAS }, (_, r) => started.slice(r * SHARDS, (r + 1) * SHARDS));
});

afterEach(async () => {
  // Every server is back and running, whatever the test did, before the next one starts.
  for (const server of servers.flat()) if (server.running) server.resume();
  await Promise.all(clusters.map((cluster) => cluster.quit()));
  clusters = [];
  await reviveAll(servers.flat());
  await Promise.all(servers.flat().map((server) => server.command('FLUSHALL')));
  expect(unhandled).toEqual([]);
});

afterAll(async () => {
  hostProcess.off('unhandledRejection', onUnhandled);
  await stopAll();
});

describe('one replica killed in every shard', () => {
  it("reads stay right, 'one' and 'quorum' writes succeed, 'all' rejects with every outcome", async () => {
    const one = makeCluster({ writeAck: 'one' });
    const quorum = makeCluster({ writeAck: 'quorum' });
    const all = makeCluster({ writeAck: 'all' });
    await Promise.all([one.connect(), quorum.connect(), all.connect()]);
    const keys = Array.from({ length: SHARDS }, (_, shard) => keysOf(all, shard, 100, 'killed')).flat();
    await seed(all, keys);

    const downEvents: ServerInfo[] = [];
    all.on('serverDown', (server) => downEvents.push(server));
    const reported: ReplicaErrorDetail[] = [];
    one.on('replicaError', (_, detail) => reported.push(detail));

    // Replica s of shard s: every shard loses one, and shard 0 loses the replica 'ordered' reads first.
    await Promise.all([0, 1, 2].map((shard) => servers[shard][shard].kill()));
    const killed = ['0/0', '1/1', '2/2'];

    // Reads answer right at once, whether or not the dead servers are marked down yet.
    expect(await one.mget(keys)).toEqual(keys.map(valueOf));
    expect(await Promise.all(keys.map((key) => quorum.get(key)))).toEqual(keys.map(valueOf));

    for (const cluster of [one, quorum, all]) {
      await eventually(() => downServers(cluster).join() === killed.join(), 'the killed servers marked down');
    }
    expect(downEvents.map(({ replica, shard }) => `${replica}/${shard}`).sort()).toEqual(killed);
    expect(await Promise.all(keys.map((key) => one.get(key)))).toEqual(keys.map(valueOf));

    // 'one' and 'quorum' succeed; the replica that missed each write is reported, not lost.
    const fresh = [0, 1, 2].map((shard) => keysOf(all, shard, 1, 'fresh')[0]);
    for (const key of fresh) {
      expect(await one.set(key, 'by-one')).toBe('OK');
      expect(await quorum.set(key, 'by-quorum')).toBe('OK');
    }
    expect(await quorum.mset(Object.fromEntries(fresh.map((key) => [key, 'mset-quorum'])))).toBe('OK');
    expect(reported.map(({ replica, shard, kind }) => `${replica}/${shard} ${kind}`).sort()).toEqual(
      killed.map((server) => `${server} failure`),
    );
    for (const server of killed) {
      const [replica, shard] = server.split('/').map(Number);
      expect(one.health()[replica * SHARDS + shard].errors).toBeGreaterThan(0);
    }

    // 'all' cannot be met in any shard.
    for (const [shard, key] of fresh.entries()) {
      const error = await all.set(key, 'by-all').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ReplicationError);
      const { outcomes, message } = error as ReplicationError;
      expect(message).toMatch(new RegExp(`could not be acknowledged by 3 of 3 replicas of shard ${shard}`));
      // Outcomes of replicas still answering are filled in when they answer.
      await eventually(
        () => outcomes.every((outcome) => outcome.ok || outcome.error !== undefined),
        'every outcome',
      );
      expect(outcomes.map(({ replica, shard: of, url, ok }) => ({ replica, shard: of, url, ok }))).toEqual(
        [0, 1, 2].map((replica) => ({
          replica,
          shard,
          url: servers[replica][shard].url,
          ok: replica !== shard,
        })),
      );
      expect(outcomes[shard].error).toBeInstanceOf(ConnectionError);
      expect(outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.reply)).toEqual(['OK', 'OK']);
    }

    // MSET applies the ack per shard: every shard fails 'all', and the error lists each one.
    const msetError = await all
      .mset(Object.fromEntries(fresh.map((key) => [key, 'x'])))
      .catch((caught: unknown) => caught);
    expect(msetError).toBeInstanceOf(ReplicationError);
    expect((msetError as ReplicationError).message).toMatch(/^MSET failed on shards 0, 1, 2/);
    expect(new Set((msetError as ReplicationError).outcomes.map((outcome) => outcome.shard))).toEqual(
      new Set([0, 1, 2]),
    );

    // Back up: restarted servers answer probes, and 'all' can be met again (per shard, for MSET).
    const upEvents: ServerInfo[] = [];
    all.on('serverUp', (server) => upEvents.push(server));
    await servers[2][2].restart();
    await eventually(() => downServers(all).join() === '0/0,1/1', 'server 2/2 back up');
    expect(upEvents.map(({ replica, shard }) => `${replica}/${shard}`)).toEqual(['2/2']);
    const partial = await all
      .mset({ [keysOf(all, 1, 1, 'per-shard')[0]]: 'a', [keysOf(all, 2, 1, 'per-shard')[0]]: 'b' })
      .catch((caught: unknown) => caught);
    expect((partial as Error).message).toMatch(
      /^MSET failed on shard 1 \(it succeeded on shard 2: a split command is not atomic\)/,
    );
    expect(await servers[2][2].command('GET', keysOf(all, 2, 1, 'per-shard')[0])).toBe('b');

    await Promise.all([servers[0][0].restart(), servers[1][1].restart()]);
    await eventually(() => downServers(all).length === 0, 'every server back up');
    expect(await all.set(fresh[0], 'all-again')).toBe('OK');
    for (let replica = 0; replica < REPLICAS; replica++) {
      expect(await servers[replica][0].command('GET', fresh[0])).toBe('all-again');
    }
  });
});

describe('one replica paused', () => {
  it('reads answer by failover, health shows exactly it down, and it comes back after SIGCONT', async () => {
    const cluster = makeCluster({ writeAck: 'all', readFrom: 'ordered' });
    await inSync(cluster);
    const errors: ServerInfo[] = [];
    cluster.on('error', (_, server) => errors.push(server));
    const keys = keysOf(cluster, 1, 30, 'paused');
    await seed(cluster, keys);
    const events: string[] = [];
    cluster.on('serverDown', ({ replica, shard }) => events.push(`down ${replica}/${shard}`));
    cluster.on('serverUp', ({ replica, shard }) => events.push(`up ${replica}/${shard}`));

    // Replica 0 of shard 1: where 'ordered' reads of these keys go first.
    servers[0][1].pause();
    // Each read times out on the paused server (commandTimeout) and fails over to replica 1.
    expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map(valueOf));
    await eventually(() => downServers(cluster).join() === '0/1', 'the paused server marked down');
    expect(cluster.health().filter((entry) => entry.up)).toHaveLength(REPLICAS * SHARDS - 1);
    // Marked down, it is no longer tried first.
    const before = cluster.server(1, 1).stats().sent;
    expect(await cluster.mget(keys)).toEqual(keys.map(valueOf));
    expect(cluster.server(1, 1).stats().sent).toBe(before + 1);
    // Probes keep failing while it stays paused: still exactly that one down.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(downServers(cluster)).toEqual(['0/1']);
    // Its failures are counted (how they move its latency estimate: spec/cluster-latency.spec.ts).
    const paused = cluster.health().find((entry) => entry.replica === 0 && entry.shard === 1);
    expect(paused?.errors).toBeGreaterThan(3);

    servers[0][1].resume();
    await eventually(() => downServers(cluster).length === 0, 'the resumed server marked up');
    expect(events).toEqual(['down 0/1', 'up 0/1']);
    expect(await cluster.get(keys[0])).toBe(valueOf(keys[0]));
    // The 'error' listener sees socket errors with their server: only the paused one had any.
    expect(errors.every(({ replica, shard }) => replica === 0 && shard === 1)).toBe(true);
  });

  it('an idle paused server goes down by missed heartbeats alone', async () => {
    const cluster = makeCluster();
    await cluster.connect();
    const down: ServerInfo[] = [];
    cluster.on('serverDown', (server) => down.push(server));
    servers[2][0].pause();
    // No command is sent: only the Client's heartbeat notices, and each lost socket counts.
    await eventually(() => downServers(cluster).join() === '2/0', 'the paused server marked down');
    expect(down.map(({ replica, shard }) => `${replica}/${shard}`)).toEqual(['2/0']);
    servers[2][0].resume();
    await eventually(() => downServers(cluster).length === 0, 'the resumed server marked up');
  });

  it('comes back through probes when its connection never dropped', async () => {
    // No heartbeat and no stall detector: the socket to the paused server stays open throughout,
    // so no reconnect ('ready') can bring it back; only the periodic probe can.
    const cluster = makeCluster({
      writeAck: 'all',
      client: { ...FAST_CLIENT, heartbeatInterval: 0, stallTimeout: 0 },
    });
    await inSync(cluster);
    const keys = keysOf(cluster, 0, 10, 'probe');
    await seed(cluster, keys);
    const reconnectsBefore = cluster.server(0, 0).stats().reconnects;
    servers[0][0].pause();
    expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map(valueOf));
    await eventually(() => downServers(cluster).join() === '0/0', 'the paused server marked down');
    servers[0][0].resume();
    await eventually(() => downServers(cluster).length === 0, 'the resumed server marked up by a probe');
    expect(cluster.server(0, 0).stats().reconnects).toBe(reconnectsBefore);
  });

  it('a read on a paused replica fails over on its commandTimeout even before the server is marked down', async () => {
    const cluster = makeCluster({ writeAck: 'all', downAfter: 1_000 });
    await inSync(cluster);
    const [key] = keysOf(cluster, 2, 1, 'timeout');
    await seed(cluster, [key]);
    servers[0][2].pause();
    expect(await cluster.get(key)).toBe(valueOf(key));
    expect(cluster.health()[2].errors).toBeGreaterThan(0);
    expect(cluster.health()[2].up).toBe(true);
  });
});

describe('a server down at connect time', () => {
  it('connect() succeeds while every shard has a replica; the server comes up once restarted', async () => {
    await servers[1][2].kill();
    const cluster = makeCluster({ writeAck: 'quorum' });
    const down: ServerInfo[] = [];
    cluster.on('serverDown', (server) => down.push(server));
    await cluster.connect();
    expect(downServers(cluster)).toEqual(['1/2']);
    expect(down).toEqual([{ replica: 1, shard: 2, url: servers[1][2].url }]);

    const keys = keysOf(cluster, 2, 20, 'late');
    await seed(cluster, keys);
    expect(await cluster.mget(keys)).toEqual(keys.map(valueOf));
    const pings = await cluster.each('PING');
    expect(pings.filter((outcome) => !outcome.ok).map(({ replica, shard }) => `${replica}/${shard}`)).toEqual(
      ['1/2'],
    );

    await servers[1][2].restart();
    await eventually(() => downServers(cluster).length === 0, 'the restarted server marked up');
    // Once up, it gets writes again.
    expect(await cluster.set(keys[0], 'after-restart')).toBe('OK');
    await eventually(
      () => cluster.health()[REPLICAS + 2].inFlight === 0,
      'the write acknowledged everywhere',
    );
    expect(await servers[1][2].command('GET', keys[0])).toBe('after-restart');
  });

  it('connect() rejects, naming the shard, when no replica of a shard is reachable', async () => {
    await Promise.all([0, 1, 2].map((replica) => servers[replica][0].kill()));
    const cluster = makeCluster();
    const error = await cluster.connect().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReplicationError);
    expect((error as ReplicationError).message).toMatch(
      /^no replica of shard 0 is reachable: replica 0 of shard 0/,
    );
    const { outcomes } = error as ReplicationError;
    expect(outcomes.map(({ replica, shard, ok }) => [replica, shard, ok])).toEqual([
      [0, 0, false],
      [1, 0, false],
      [2, 0, false],
    ]);
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(Error);
    // Reads of that shard fail at once, naming every replica; other shards still work.
    const [lost] = keysOf(cluster, 0, 1, 'lost');
    const readError = await cluster.get(lost).catch((caught: unknown) => caught);
    expect(readError).toBeInstanceOf(ReplicationError);
    expect((readError as ReplicationError).outcomes).toHaveLength(3);
    const [kept] = keysOf(cluster, 1, 1, 'kept');
    expect(await cluster.set(kept, 'here')).toBe('OK');

    // connect() can be called again once the shard is back.
    await Promise.all([0, 1, 2].map((replica) => servers[replica][0].restart()));
    await eventually(() => downServers(cluster).length === 0, 'shard 0 back up');
    await expect(cluster.connect()).resolves.toBeUndefined();
  });
});

describe('hedged reads', () => {
  let proxies: FaultProxy[] = [];

  afterEach(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    proxies = [];
  });

  /** The topology with replica 0 of every shard behind a FaultProxy. */
  async function proxiedUrls(): Promise<string[][]> {
    proxies = servers[0].map((server) => new FaultProxy({ port: server.port }));
    await Promise.all(proxies.map((proxy) => proxy.start()));
    return servers.map((row, replica) =>
      row.map((server, shard) => (replica === 0 ? proxies[shard].url : server.url)),
    );
  }

  const totalReplies = (cluster: Cluster, replica: number): number =>
    [0, 1, 2].reduce((sum, shard) => sum + cluster.server(replica, shard).stats().replies, 0);

  it('never hand one caller another caller reply, whichever replica wins', async () => {
    const cluster = makeCluster({ writeAck: 'all', readFrom: 'ordered', hedgeAfter: 5 }, await proxiedUrls());
    await inSync(cluster);
    const keys = Array.from({ length: 600 }, (_, i) => `hedge:${i}`);
    await seed(cluster, keys);

    for (const delay of [40, 6]) {
      for (const proxy of proxies) proxy.setDelay(delay, 'toClient');
      const slowBefore = totalReplies(cluster, 0);
      const hedgesBefore = totalReplies(cluster, 1);
      const [strings, buffers] = await Promise.all([
        Promise.all(keys.map((key) => cluster.get(key))),
        Promise.all(keys.map((key) => cluster.getBuffer(key))),
      ]);
      expect(strings).toEqual(keys.map(valueOf));
      expect(buffers.map((buffer) => buffer?.toString())).toEqual(keys.map(valueOf));
      // Hedges went out, and the slow replica's replies, the losers, arrived too and were absorbed.
      expect(totalReplies(cluster, 1)).toBeGreaterThan(hedgesBefore);
      await eventually(
        () => totalReplies(cluster, 0) === slowBefore + keys.length * 2,
        'every slow reply absorbed',
      );
    }
    expect(cluster.health().every((entry) => entry.up)).toBe(true);
  });

  it("'fastest' moves reads away from a slow replica", async () => {
    const cluster = makeCluster({ writeAck: 'all', readFrom: 'fastest' }, await proxiedUrls());
    await inSync(cluster);
    for (const proxy of proxies) proxy.setDelay(15, 'toClient');
    const keys = keysOf(cluster, 0, 64, 'fastest');
    await seed(cluster, keys);
    const sent = (): number[] => [0, 1, 2].map((replica) => cluster.server(replica, 0).stats().sent);
    const before = sent();
    for (let round = 0; round < 10; round++) {
      expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map(valueOf));
    }
    const reads = sent().map((count, replica) => count - before[replica]);
    expect(reads.reduce((a, b) => a + b)).toBe(640);
    // Only exploration reads (1 in 64) go to the slow replica once its latency is known.
    expect(reads[0]).toBeLessThan(640 / 10);
  });
});

describe('a replica that refuses writes (OOM)', () => {
  it('is not an acknowledgement: quorum succeeds and reports it, all rejects', async () => {
    const quorum = makeCluster({ writeAck: 'quorum' });
    const all = makeCluster({ writeAck: 'all' });
    const [key] = keysOf(quorum, 1, 1, 'oom');
    await servers[1][1].command('CONFIG', 'SET', 'maxmemory', '1');
    try {
      const reports: { error: Error; detail: ReplicaErrorDetail }[] = [];
      quorum.on('replicaError', (error, detail) => reports.push({ error, detail }));
      expect(await quorum.set(key, 'v')).toBe('OK');
      await eventually(() => reports.length > 0, 'the refusal reported');
      expect(reports.map(({ detail }) => `${detail.replica}/${detail.shard} ${detail.kind}`)).toEqual([
        '1/1 failure',
      ]);
      expect(reports[0].error.message).toMatch(/^OOM/);

      const error = await all.set(key, 'w').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ReplicationError);
      const { outcomes } = error as ReplicationError;
      await eventually(
        () => outcomes.every((outcome) => outcome.ok || outcome.error !== undefined),
        'every outcome',
      );
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
      expect(outcomes[1].error?.message).toMatch(/^OOM/);
      // Refusing is not failing: the server stays up and its health is untouched.
      expect(all.health().every((entry) => entry.up && entry.consecutiveFailures === 0)).toBe(true);
      // Reads are not refused by a full server.
      expect(await servers[1][1].command('GET', key)).toBeNull();
      expect(await all.get(key)).toBe('w');
    } finally {
      await servers[1][1].command('CONFIG', 'SET', 'maxmemory', '0');
    }
  });
});

describe('timeouts', () => {
  it('reports a write that timed out on one replica after it succeeded on the others', async () => {
    const cluster = makeCluster({ writeAck: 'quorum', downAfter: 1_000 });
    await inSync(cluster);
    const [key] = keysOf(cluster, 0, 1, 'late-failure');
    await cluster.connect();
    const reports: { error: Error; detail: ReplicaErrorDetail }[] = [];
    cluster.on('replicaError', (error, detail) => reports.push({ error, detail }));
    servers[2][0].pause();
    expect(await cluster.set(key, 'v')).toBe('OK');
    await eventually(() => reports.length > 0, 'the late failure reported');
    expect(reports[0].detail).toMatchObject({ replica: 2, shard: 0, command: 'SET', kind: 'failure' });
    expect(reports[0].error).toBeInstanceOf(TimeoutError);
  });
});
