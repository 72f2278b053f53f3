/**
 * RedisCluster's replica reads against a real Redis Cluster (3 masters, 1 replica each): a replica whose
 * link to its master is broken gets no reads until the link is back; READONLY is replayed when a
 * replica's connection is replaced; health() reports what it claims. Where reads go is counted on the
 * servers themselves (INFO commandstats), exactly.
 */
import type { ClientOptions } from '../lib/connection/options';
import { ConnectionError } from '../lib/errors';
import {
  ClusterNode,
  MAX_REPLICA_LAG_BYTES,
  parseReplication,
  type RedisClusterNodeHealth,
  replicaVerdict,
} from '../lib/redis-cluster/node';
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import type { RedisClusterReadFrom } from '../lib/redis-cluster/options';
import { slotOf } from '../lib/redis-cluster/slot';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { stopAll, type RedisProcess } from './support/redis-harness';
import { sleep, until } from './support/wait';
import { calls } from './support/redis-cluster-probes';

let cluster: RedisClusterHarness;
const READS = 40;
const BASE_CLIENT: ClientOptions = {
  commandTimeout: 3_000,
  connectTimeout: 1_000,
  reconnect: { minDelay: 20, maxDelay: 200 },
};

function open(readFrom: RedisClusterReadFrom, client: ClientOptions = BASE_CLIENT): RedisCluster {
  return new RedisCluster({ seeds: cluster.seeds, readFrom, client });
}

beforeAll(async () => {
  cluster = await startRedisCluster(3, 1);
}, 40_000);

afterAll(async () => {
  await stopAll();
});

async function replication(node: RedisProcess): Promise<string> {
  return String(await node.command('INFO', 'replication'));
}

/** The master serving `key`'s slot and its one replica, asked of the servers. */
async function shardOf(key: string): Promise<{ master: RedisProcess; replica: RedisProcess }> {
  const master = await cluster.masterOf(slotOf(key));
  for (const node of cluster.nodes) {
    if (node === master || !node.running) continue;
    const info = await replication(node);
    if (info.includes('role:slave') && info.includes(`master_port:${master.port}\r`)) {
      return { master, replica: node };
    }
  }
  throw new Error(`no replica of ${master.port}`);
}

function healthOf(rc: RedisCluster, node: RedisProcess): RedisClusterNodeHealth {
  const found = rc.health().find((entry) => entry.url.endsWith(`:${node.port}`));
  if (found === undefined) throw new Error(`${node.port} is not in health()`);
  return found;
}

/** Polls until `condition` holds; fails naming what health() said last. */
async function untilHealth(
  rc: RedisCluster,
  node: RedisProcess,
  condition: (health: RedisClusterNodeHealth) => boolean,
  what: string,
  limitMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition(healthOf(rc, node))) {
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${limitMs} ms; health: ${JSON.stringify(healthOf(rc, node))}`);
    }
    await sleep(10);
  }
}

/** N reads of `key`, all answered, and where they went by commandstats. */
async function readsGoTo(
  rc: RedisCluster,
  key: string,
  wanted: string,
  shard: { master: RedisProcess; replica: RedisProcess },
): Promise<{ replica: number; master: number }> {
  const [replicaBefore, masterBefore] = await Promise.all([
    calls(shard.replica, 'get'),
    calls(shard.master, 'get'),
  ]);
  const values = await Promise.all(Array.from({ length: READS }, () => rc.get(key)));
  expect(values).toEqual(Array.from({ length: READS }, () => wanted));
  const [replicaAfter, masterAfter] = await Promise.all([
    calls(shard.replica, 'get'),
    calls(shard.master, 'get'),
  ]);
  return { replica: replicaAfter - replicaBefore, master: masterAfter - masterBefore };
}

describe('the lag rule', () => {
  it('reads INFO replication as the servers write it, and judges link, resync and offsets', async () => {
    const { master, replica } = await shardOf('rule');
    const ownMaster = parseReplication(await replication(master));
    const ownReplica = parseReplication(await replication(replica));
    expect(ownMaster).toMatchObject({ role: 'master', linkUp: true, syncing: false, masterPort: null });
    expect(ownReplica).toMatchObject({
      role: 'replica',
      linkUp: true,
      syncing: false,
      masterPort: master.port,
    });
    expect(Number.isInteger(ownMaster?.offset)).toBe(true);
    expect(Number.isInteger(ownReplica?.offset)).toBe(true);
    expect(parseReplication('-ERR nope')).toBeNull();

    const master0 = {
      role: 'master',
      linkUp: true,
      syncing: false,
      offset: 5_000_000,
      masterPort: null,
    } as const;
    const replica0 = {
      role: 'replica',
      linkUp: true,
      syncing: false,
      offset: 5_000_000,
      masterPort: 7000,
    } as const;
    expect(replicaVerdict(replica0, master0, 7000)).toEqual({ state: 'up', lagBytes: 0 });
    const behind = (bytes: number): ReturnType<typeof replicaVerdict> =>
      replicaVerdict({ ...replica0, offset: master0.offset - bytes }, master0, 7000);
    expect(behind(MAX_REPLICA_LAG_BYTES)).toEqual({ state: 'up', lagBytes: MAX_REPLICA_LAG_BYTES });
    expect(behind(MAX_REPLICA_LAG_BYTES + 1)).toEqual({
      state: 'stale',
      lagBytes: MAX_REPLICA_LAG_BYTES + 1,
    });
    // The link is down: stale whatever the offsets say.
    expect(replicaVerdict({ ...replica0, linkUp: false }, master0, 7000)).toEqual({
      state: 'stale',
      lagBytes: null,
    });
    expect(replicaVerdict({ ...replica0, linkUp: false }, null, 7000).state).toBe('stale');
    expect(replicaVerdict({ ...replica0, linkUp: false, syncing: true }, master0, 7000).state).toBe(
      'repairing',
    );
    // Replicating from another node than the map's master (a failover not seen yet): no offsets compared.
    expect(replicaVerdict({ ...replica0, offset: 0 }, master0, 7001)).toEqual({
      state: 'up',
      lagBytes: null,
    });
    expect(replicaVerdict({ ...replica0, offset: 0 }, null, 7000)).toEqual({ state: 'up', lagBytes: null });
    // Promoted: it serves what it owns.
    expect(replicaVerdict(master0, null, 7000)).toEqual({ state: 'up', lagBytes: null });
  });
});

describe('a node that becomes a replica', () => {
  it('serves no reads until a check finds it fit: new to the map, and again after a stint as master', async () => {
    const { replica } = await shardOf('role');
    const node = new ClusterNode(
      { host: '127.0.0.1', port: replica.port },
      false,
      BASE_CLIENT,
      () => undefined,
    );
    try {
      node.setRole('replica');
      expect([node.lagging, node.state]).toEqual([true, 'stale']);
      await node.client.connect();
      await node.firstVerdict();
      expect([node.lagging, node.state]).toEqual([false, 'up']);
      // A demoted master rejoining: its last verdict was a master's; as a replica it waits for a new one.
      node.setRole('master');
      expect([node.lagging, node.state]).toEqual([false, 'up']);
      node.setRole('replica');
      expect([node.lagging, node.state]).toEqual([true, 'stale']);
      // Its next check (sent at once) finds it fit again.
      for (let polls = 0; node.lagging && polls < 1_000; polls++) await sleep(5);
      expect([node.lagging, node.state]).toEqual([false, 'up']);
    } finally {
      node.client.disconnect();
    }
  });
});

describe('replica reads', () => {
  it('skips a replica whose master link is broken, and reads from it again once the link is back', async () => {
    const key = 'link:{a}';
    const shard = await shardOf(key);
    const rc = open('prefer-replica');
    const strict = open('replica');
    try {
      await rc.connect();
      await rc.set(key, 'v1');
      await shard.master.command('WAIT', 1, 2_000);
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'up' && h.masterLinkUp === true,
        'replica checked',
      );
      expect(await readsGoTo(rc, key, 'v1', shard)).toEqual({ replica: READS, master: 0 });

      // The replica cannot authenticate to its master any more, and its link is dropped: it stays down.
      await shard.replica.command('CONFIG', 'SET', 'masterauth', 'not-the-password');
      await shard.replica.command('CLIENT', 'KILL', 'TYPE', 'master');
      await until(
        'link down',
        async () => (await replication(shard.replica)).includes('master_link_status:down'),
        8_000,
        20,
      );
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'stale' && h.masterLinkUp === false,
        'replica stale',
      );
      const stale = healthOf(rc, shard.replica);
      expect(stale).toMatchObject({ up: true, state: 'stale', lagBytes: null, masterLinkUp: false });

      // A write it never gets: prefer-replica reads it from the master, and the replica sees no GET.
      await rc.set(key, 'v2');
      expect(await readsGoTo(rc, key, 'v2', shard)).toEqual({ replica: 0, master: READS });
      // A cluster connected now knows it at once (connect() waits for each replica's first check):
      // readFrom 'replica' never falls back to the master, so the very first read fails, unsent.
      await strict.connect();
      expect(healthOf(strict, shard.replica)).toMatchObject({ state: 'stale', masterLinkUp: false });
      const masterBefore = await calls(shard.master, 'get');
      const failed = await strict.get(key).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(ConnectionError);
      expect((failed as ConnectionError).sent).toBe(false);
      expect(await calls(shard.master, 'get')).toBe(masterBefore);

      await shard.replica.command('CONFIG', 'SET', 'masterauth', '');
      await until(
        'link up',
        async () => (await replication(shard.replica)).includes('master_link_status:up'),
        8_000,
        20,
      );
      await shard.master.command('WAIT', 1, 2_000);
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'up' && h.masterLinkUp === true,
        'replica back',
      );
      const back = healthOf(rc, shard.replica);
      expect(back.lagBytes).not.toBeNull();
      expect(back.lagBytes).toBeLessThanOrEqual(MAX_REPLICA_LAG_BYTES);
      expect(await readsGoTo(rc, key, 'v2', shard)).toEqual({ replica: READS, master: 0 });
    } finally {
      rc.disconnect();
      strict.disconnect();
      await shard.replica.command('CONFIG', 'SET', 'masterauth', '');
    }
  });

  it('replays READONLY when a replica drops its connection: reads stay on the replica, none is MOVED', async () => {
    const key = 'readonly:{b}';
    const shard = await shardOf(key);
    const rc = open('replica');
    try {
      await rc.connect();
      await rc.set(key, 'kept');
      await shard.master.command('WAIT', 1, 2_000);
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'up' && h.masterLinkUp === true,
        'replica checked',
      );
      const client = rc.node(`127.0.0.1:${shard.replica.port}`);
      const reconnects = client.stats().reconnects;
      const readonlyBefore = await calls(shard.replica, 'readonly');
      // Every normal connection of the replica but this one: RedisCluster's among them.
      expect(Number(await shard.replica.command('CLIENT', 'KILL', 'TYPE', 'normal'))).toBeGreaterThanOrEqual(
        1,
      );
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'up' && client.stats().reconnects === reconnects + 1,
        'replica reconnected',
      );
      expect(await readsGoTo(rc, key, 'kept', shard)).toEqual({ replica: READS, master: 0 });
      // One fresh socket, one READONLY: that is what kept the reads off the master.
      expect((await calls(shard.replica, 'readonly')) - readonlyBefore).toBe(1);
    } finally {
      rc.disconnect();
    }
  });
});

describe('health()', () => {
  const FAST: ClientOptions = {
    ...BASE_CLIENT,
    connectTimeout: 300,
    heartbeatInterval: 100,
    stallTimeout: 300,
  };

  it('lists every node with its role, slots, state, latency, load and lag', async () => {
    const rc = open('prefer-replica', FAST);
    try {
      await rc.connect();
      await Promise.all(
        cluster.nodes.map((node) =>
          untilHealth(
            rc,
            node,
            (h) => h.latencyMs !== null && (h.role === 'master' || h.lagBytes !== null),
            'checked',
          ),
        ),
      );
      const health = rc.health();
      const nodes = rc.nodes();
      expect(health.map((h) => [h.url, h.role, h.slots, h.up])).toEqual(
        nodes.map((n) => [n.url, n.role, n.slots, n.up]),
      );
      const masters = health.filter((h) => h.role === 'master');
      const replicas = health.filter((h) => h.role === 'replica');
      expect(masters).toHaveLength(3);
      expect(replicas).toHaveLength(3);
      expect(masters.reduce((sum, h) => sum + h.slots.reduce((n, [a, b]) => n + b - a + 1, 0), 0)).toBe(
        16384,
      );
      for (const h of masters) {
        expect(h).toMatchObject({ up: true, state: 'up', errors: 0, lagBytes: null, masterLinkUp: null });
      }
      for (const h of replicas) {
        expect(h).toMatchObject({ up: true, state: 'up', errors: 0, slots: [], masterLinkUp: true });
        expect(h.lagBytes).toBeGreaterThanOrEqual(0);
        expect(h.lagBytes).toBeLessThanOrEqual(MAX_REPLICA_LAG_BYTES);
      }
      for (const h of health) {
        expect(h.latencyMs).toBeGreaterThan(0);
        // At most its own health check is out while nothing else is sent.
        expect(h.inFlight).toBeLessThanOrEqual(1);
      }
    } finally {
      rc.disconnect();
    }
  });

  it('shows a paused replica down, its commands in flight, and up again once it answers; reads go around it', async () => {
    const key = 'pause:{c}';
    const shard = await shardOf(key);
    const rc = open('prefer-replica', FAST);
    try {
      await rc.connect();
      await rc.set(key, 'p');
      await shard.master.command('WAIT', 1, 2_000);
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'up' && h.masterLinkUp === true,
        'replica checked',
      );
      // Every normal client of the replica waits 3 s: to this process it is a hung server.
      await shard.replica.command('CLIENT', 'PAUSE', 3_000, 'ALL');
      const direct = rc.node(`127.0.0.1:${shard.replica.port}`);
      const held = Array.from({ length: 5 }, () => direct.get(key).catch((error: unknown) => error));
      // Five GETs, and at most one health check.
      await untilHealth(rc, shard.replica, (h) => h.inFlight >= 5, 'five commands held');
      expect(healthOf(rc, shard.replica).inFlight).toBeLessThanOrEqual(6);
      await untilHealth(rc, shard.replica, (h) => h.state === 'down', 'paused replica down');
      // state 'down' was waited for above; up must agree.
      expect(healthOf(rc, shard.replica).up).toBe(false);
      expect(rc.nodes().find((n) => n.url.endsWith(`:${shard.replica.port}`))?.up).toBe(false);
      // Meanwhile reads of its slots go to the master (the replica's own counters wait behind the pause).
      const masterBefore = await calls(shard.master, 'get');
      const values = await Promise.all(Array.from({ length: READS }, () => rc.get(key)));
      expect(values).toEqual(Array.from({ length: READS }, () => 'p'));
      expect((await calls(shard.master, 'get')) - masterBefore).toBe(READS);
      await untilHealth(
        rc,
        shard.replica,
        (h) => h.state === 'up' && h.up && h.masterLinkUp === true,
        'replica up again',
      );
      await Promise.all(held);
      expect(await readsGoTo(rc, key, 'p', shard)).toEqual({ replica: READS, master: 0 });
    } finally {
      rc.disconnect();
    }
  });

  it('shows a killed replica down', async () => {
    const key = 'kill:{d}';
    const shard = await shardOf(key);
    const rc = open('prefer-replica', FAST);
    try {
      await rc.connect();
      await untilHealth(rc, shard.replica, (h) => h.state === 'up', 'replica checked');
      await shard.replica.kill('SIGKILL');
      await untilHealth(rc, shard.replica, (h) => h.state === 'down', 'killed replica down');
      // state 'down' was waited for above; up must agree.
      expect(healthOf(rc, shard.replica).up).toBe(false);
      const masterBefore = await calls(shard.master, 'get');
      await Promise.all(Array.from({ length: READS }, () => rc.get(key)));
      expect((await calls(shard.master, 'get')) - masterBefore).toBe(READS);
    } finally {
      rc.disconnect();
    }
  });
});
