/**
 * RedisCluster where a slot or a node goes away under it, on one real 3×2 Redis Cluster (the cases run
 * in order and the later ones break nodes for good):
 * - a shard channel follows its slot moved by hand with no periodic refresh, led by the node's own
 *   SUNSUBSCRIBE, under RESP2 and RESP3 with a short heartbeat (whose PING that SUNSUBSCRIBE must not answer);
 * - ASK is followed with ASKING and the command admitted together: a full queue refuses both;
 * - readFrom 'replica' never reads from a master, 'prefer-replica' falls back to it;
 * - scanIterator goes on after a master is killed mid-scan, on its promoted replica.
 * What happened is read from the nodes themselves (PUBSUB SHARDNUMSUB, INFO commandstats).
 */
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import type { RedisClusterOptions } from '../lib/redis-cluster/options';
import { slotOf } from '../lib/redis-cluster/slot';
import { ConnectionError, ProtocolError, QueueFullError } from '../lib/errors';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { stopAll, type RedisProcess } from './support/redis-harness';
import { calls, faultClusterClient, masters, nodeId, replicaOf } from './support/redis-cluster-probes';
import { until } from './support/wait';

let cluster: RedisClusterHarness;
const clients: RedisCluster[] = [];

function open(options: Partial<RedisClusterOptions> = {}): RedisCluster {
  const rc = faultClusterClient(cluster, options);
  clients.push(rc);
  return rc;
}

beforeAll(async () => {
  cluster = await startRedisCluster(3, 1);
}, 40_000);

afterAll(async () => {
  for (const rc of clients) rc.disconnect();
  await stopAll();
});

async function shardListeners(channel: string): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const node of cluster.nodes.filter((each) => each.running)) {
    const reply = (await node.command('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
    if (reply[1] > 0) counts[node.port] = reply[1];
  }
  return counts;
}

describe.each([2, 3] as const)('a shard channel under RESP%i, no periodic refresh', (protocol) => {
  it("follows its slot moved by hand (CLUSTER SETSLOT … NODE) at once, led by the node's own SUNSUBSCRIBE", async () => {
    // A short heartbeat keeps PINGs going on the subscriber connection while the slot moves (not so
    // short that a loaded machine misses one); only the in-process spec
    // (redis-cluster-server-sunsubscribe) can put one exactly in flight.
    const rc = open({ client: { protocol, heartbeatInterval: 500 } });
    const errors: Error[] = [];
    rc.on('error', (error) => errors.push(error));
    await rc.connect();
    const channel = `{follow${protocol}}feed`;
    const slot = slotOf(channel);
    const source = await cluster.masterOf(slot);
    const all = await masters(cluster);
    const target = all.find((node) => node !== source) as RedisProcess;
    const got: string[] = [];
    await rc.ssubscribe(channel, (message) => got.push(message));
    expect(await shardListeners(channel)).toEqual({ [source.port]: 1 });
    expect(await rc.spublish(channel, 'before')).toBe(1);

    const targetId = await nodeId(target);
    for (const node of [target, source, ...all.filter((m) => m !== source && m !== target)]) {
      await node.command('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
    }
    // refreshInterval 0: only the SUNSUBSCRIBE can tell the client (nothing it sends meets a MOVED).
    await until('the subscription moved', async () => {
      const where = await shardListeners(channel);
      return where[target.port] === 1 && Object.keys(where).length === 1;
    });
    await cluster.waitUntilOk();
    for (let i = 0; i < 5; i++) expect(await rc.spublish(channel, `after${i}`)).toBe(1);
    await until('every message', () => got.length >= 6);
    expect(got).toEqual(['before', 'after0', 'after1', 'after2', 'after3', 'after4']);
    expect(await shardListeners(channel)).toEqual({ [target.port]: 1 });
    // A SUNSUBSCRIBE that answered a PING would leave the PING's own reply unsolicited: a ProtocolError.
    expect(errors.filter((error) => error instanceof ProtocolError)).toEqual([]);
    expect(rc.health().every((node) => node.up)).toBe(true);
  }, 30_000);
});

describe('ASK', () => {
  it('sends ASKING and its command together or not at all: a full queue refuses both', async () => {
    const key = '{askfull}k';
    const slot = slotOf(key);
    const source = await cluster.masterOf(slot);
    const target = (await masters(cluster)).find((node) => node !== source) as RedisProcess;
    const rc = open({ client: { maxPending: 2 } });
    await rc.connect();
    await target.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', await nodeId(source));
    await source.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', await nodeId(target));
    try {
      // The key is on neither node: the source answers ASK, and the target answers under ASKING.
      await target.command('CONFIG', 'RESETSTAT');
      expect(await rc.get(key)).toBeNull();
      expect(await calls(target, 'asking')).toBe(1);
      expect(await calls(target, 'get')).toBe(1);

      await target.command('CONFIG', 'RESETSTAT');
      // The target holds one command unanswered, so its Client (maxPending 2) has room for one more.
      target.pause();
      let filler: Promise<unknown>;
      let refused: unknown;
      try {
        filler = rc.node(target.url).sendCommand(['ECHO', 'filler']);
        refused = await rc.get(key).catch((error: unknown) => error);
      } finally {
        target.resume();
      }
      expect(refused).toBeInstanceOf(QueueFullError);
      expect(await filler).toBe('filler');
      // ASKING never went alone: it would have covered whatever that connection sent next.
      expect(await calls(target, 'asking')).toBe(0);
      expect(await calls(target, 'get')).toBe(0);
      expect(await rc.get(key)).toBeNull();
      expect(await calls(target, 'asking')).toBe(1);
    } finally {
      for (const node of [source, target]) await node.command('CLUSTER', 'SETSLOT', slot, 'STABLE');
    }
  }, 20_000);
});

describe('readFrom', () => {
  it("'replica' reads only from replicas and rejects when none is up; 'prefer-replica' falls back to the master", async () => {
    const key = '{readfrom}k';
    const value = `v${Date.now()}`;
    const writer = open();
    await writer.connect();
    await writer.set(key, value);
    const master = await cluster.masterOf(slotOf(key));
    const replica = await replicaOf(cluster, master);
    expect(await master.command('WAIT', 1, 5_000)).toBe(1);
    const strict = open({ readFrom: 'replica' });
    const prefer = open({ readFrom: 'prefer-replica' });
    await Promise.all([strict.connect(), prefer.connect()]);
    for (const node of [master, replica]) await node.command('CONFIG', 'RESETSTAT');
    expect(await strict.get(key)).toBe(value);
    expect(await prefer.get(key)).toBe(value);
    expect(await calls(replica, 'get')).toBe(2);
    expect(await calls(master, 'get')).toBe(0);

    await replica.kill('SIGKILL');
    const replicaDown = (rc: RedisCluster) => () =>
      rc.nodes().find((node) => node.url === replica.url)?.up !== true;
    await until('both clients saw the replica go', () => replicaDown(strict)() && replicaDown(prefer)());
    await master.command('CONFIG', 'RESETSTAT');
    const error = await strict.get(key).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).sent).toBe(false);
    expect((error as Error).message).toMatch(/no replica of slot \d+ is up/);
    expect(await calls(master, 'get')).toBe(0);
    expect(await prefer.get(key)).toBe(value);
    expect(await calls(master, 'get')).toBe(1);
    // Writes still go to the master, whatever readFrom says.
    expect(await strict.set(key, 'w')).toBe('OK');
  }, 30_000);
});

describe('scanIterator', () => {
  it('goes on after a master is killed mid-scan: every key present throughout comes at least once', async () => {
    const rc = open({ client: { commandTimeout: 15_000 } });
    await rc.connect();
    const keys = Array.from({ length: 600 }, (_, i) => `scan:${i}`);
    for (let i = 0; i < keys.length; i += 100) {
      await rc.mset(Object.fromEntries(keys.slice(i, i + 100).map((key) => [key, '1'])));
    }
    // A master whose replica is up (the readFrom case killed one replica), its writes replicated.
    let victim: RedisProcess | undefined;
    for (const master of await masters(cluster)) {
      const info = String(await master.command('INFO', 'replication'));
      if (/connected_slaves:1/.test(info) && (await master.command('WAIT', 1, 5_000)) === 1) victim = master;
    }
    if (victim === undefined) throw new Error('no master with a replica up');
    const ranges = (await victim.command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const mine = ranges.filter(([, , [, port]]) => Number(port) === victim?.port);
    const owned = (slot: number): boolean => mine.some(([first, last]) => slot >= first && slot <= last);

    const seen = new Map<string, number>();
    let killed = false;
    for await (const key of rc.scanIterator({ match: 'scan:*', count: 10 })) {
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (!killed && owned(slotOf(key))) {
        // Mid-way through the victim's part: its cursor dies with it.
        killed = true;
        await victim.kill('SIGKILL');
      }
    }
    expect(killed).toBe(true);
    const missing = keys.filter((key) => !seen.has(key));
    expect(missing).toEqual([]);
    expect([...seen.keys()].filter((key) => !keys.includes(key))).toEqual([]);
    // The victim's part started over on its promoted replica: its keys may come twice, no more.
    expect(Math.max(...seen.values())).toBeLessThanOrEqual(2);
  }, 40_000);
});
