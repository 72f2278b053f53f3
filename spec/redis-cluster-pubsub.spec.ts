/**
 * RedisCluster pub/sub against a real 3×2 Redis Cluster: shard channels live on their slot's master
 * and follow the slot; channels and patterns live on exactly one node and move when it dies. Where a
 * subscription lives is read from the nodes themselves (PUBSUB NUMSUB / SHARDNUMSUB are per node).
 */
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import { slotOf } from '../lib/redis-cluster/slot';
import { ConnectionClosedError, ConnectionError, InvalidArgumentError } from '../lib/errors';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { stopAll, type RedisProcess } from './support/redis-harness';
import { sleep, until } from './support/wait';
import { nodeId } from './support/redis-cluster-probes';

let cluster: RedisClusterHarness;
const clients: RedisCluster[] = [];

function open(refreshInterval = 300): RedisCluster {
  const rc = new RedisCluster({
    seeds: cluster.seeds,
    refreshInterval,
    client: { commandTimeout: 2_000, connectTimeout: 500, reconnect: { minDelay: 20, maxDelay: 200 } },
  });
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

/** Subscribers of `channel` on each running node, by port (PUBSUB counts only the node's own clients). */
async function listeners(kind: 'NUMSUB' | 'SHARDNUMSUB', channel: string): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const node of cluster.nodes.filter((each) => each.running)) {
    const reply = (await node.command('PUBSUB', kind, channel)) as [string, number];
    if (reply[1] > 0) counts[node.port] = reply[1];
  }
  return counts;
}

async function patternListeners(): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  for (const node of cluster.nodes.filter((each) => each.running)) {
    const count = Number(await node.command('PUBSUB', 'NUMPAT'));
    if (count > 0) counts[node.port] = count;
  }
  return counts;
}

/** Publishes `probe` messages until one arrives: the listener is (re)subscribed from then on. */
async function settle(publish: (message: string) => Promise<unknown>, got: string[]): Promise<void> {
  let round = 0;
  await until(
    'a probe arrives',
    async () => {
      await publish(`probe:${round++}`).catch(() => undefined);
      await sleep(50);
      return got.some((message) => message.startsWith('probe:'));
    },
    20_000,
  );
}

describe('RedisCluster pub/sub', () => {
  it('ssubscribe hears SPUBLISH on its slot master, exactly and in order', async () => {
    const rc = open();
    await rc.connect();
    const channels = ['{s1}news', '{s2}news', '{s3}news', '{s4}news'];
    const got: [string, string][] = [];
    const subscription = await rc.ssubscribe(channels, (message, channel) => got.push([channel, message]));
    expect(subscription.channels).toEqual(channels);
    for (const channel of channels) {
      const owner = await cluster.masterOf(slotOf(channel));
      expect(await listeners('SHARDNUMSUB', channel)).toEqual({ [owner.port]: 1 });
    }
    const sent: [string, string][] = [];
    for (let i = 0; i < 5; i++) {
      for (const channel of channels) {
        sent.push([channel, `m${i}`]);
        expect(await rc.spublish(channel, `m${i}`)).toBe(1);
      }
    }
    await until('every message', () => got.length >= sent.length, 10_000);
    for (const channel of channels) {
      expect(got.filter(([c]) => c === channel)).toEqual(sent.filter(([c]) => c === channel));
    }
    expect(got.length).toBe(sent.length);
    await subscription.unsubscribe();
    expect(await rc.spublish(channels[0], 'after')).toBe(0);
  });

  it('subscribe and psubscribe hear PUBLISH on exactly one node; unsubscribe stops delivery', async () => {
    const rc = open();
    await rc.connect();
    const got: string[] = [];
    const patterned: string[] = [];
    const sub = await rc.subscribe(['bc:a', 'bc:b'], (message, channel) => got.push(`${channel}=${message}`));
    await rc.psubscribe('bcp:*', (message, channel, pattern) =>
      patterned.push(`${pattern}:${channel}=${message}`),
    );
    const where = await listeners('NUMSUB', 'bc:a');
    expect(Object.values(where)).toEqual([1]);
    expect(await listeners('NUMSUB', 'bc:b')).toEqual(where);
    expect(await patternListeners()).toEqual(where);
    for (let i = 0; i < 4; i++) {
      await rc.publish('bc:a', `a${i}`);
      await rc.publish('bc:b', `b${i}`);
      await rc.publish(`bcp:${i}`, `p${i}`);
    }
    await until('every message', () => got.length >= 8 && patterned.length >= 4, 10_000);
    // Each channel's PUBLISH goes through its own slot's master: order holds per channel.
    expect(got.filter((m) => m.startsWith('bc:a='))).toEqual(['bc:a=a0', 'bc:a=a1', 'bc:a=a2', 'bc:a=a3']);
    expect(got.filter((m) => m.startsWith('bc:b='))).toEqual(['bc:b=b0', 'bc:b=b1', 'bc:b=b2', 'bc:b=b3']);
    expect(got.length).toBe(8);
    // Four channels, four slots: no order across them, each exactly once.
    expect([...patterned].sort()).toEqual([0, 1, 2, 3].map((i) => `bcp:*:bcp:${i}=p${i}`));

    await sub.unsubscribe();
    await rc.punsubscribe();
    expect(await listeners('NUMSUB', 'bc:a')).toEqual({});
    expect(await patternListeners()).toEqual({});
    const marker: string[] = [];
    await rc.subscribe('bc:marker', (message) => marker.push(message));
    await rc.publish('bc:a', 'late');
    await rc.publish('bcp:9', 'late');
    await rc.publish('bc:marker', 'end');
    await until('the marker', () => marker.length === 1, 10_000);
    expect(got.length).toBe(8);
    expect(patterned.length).toBe(4);
    await rc.unsubscribe();
    expect(await listeners('NUMSUB', 'bc:marker')).toEqual({});
  });

  it('refuses bad arguments with a typed error, and MONITOR', async () => {
    const rc = open();
    await expect(rc.subscribe([], () => undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(rc.ssubscribe('x', 'nope' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(rc.monitor(() => undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
    // Before connect() no master is known: a typed error, and nothing is left subscribed or scheduled.
    await expect(rc.ssubscribe('early', () => undefined)).rejects.toBeInstanceOf(ConnectionError);
    await rc.quit();
    await expect(rc.subscribe('late', () => undefined)).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('ssubscribe follows its slot when it is moved by hand (CLUSTER SETSLOT … NODE)', async () => {
    // The node's own SUNSUBSCRIBE for the moved slot makes it follow at once, with the periodic refresh
    // on here as well; redis-cluster-slot-moves.spec.ts moves one with the refresh off.
    const rc = open();
    rc.on('error', () => undefined);
    await rc.connect();
    const channel = '{moving}feed';
    const slot = slotOf(channel);
    const source = await cluster.masterOf(slot);
    const masterPorts = new Set(
      ((await source.command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]).map(
        ([, , [, p]]) => Number(p),
      ),
    );
    const masters = cluster.nodes.filter((node) => masterPorts.has(node.port));
    const target = masters.find((node) => node !== source) as RedisProcess;
    const got: string[] = [];
    await rc.ssubscribe(channel, (message) => got.push(message));
    expect(await listeners('SHARDNUMSUB', channel)).toEqual({ [source.port]: 1 });
    expect(await rc.spublish(channel, 'before')).toBe(1);

    const targetId = await nodeId(target);
    for (const node of [target, source, ...masters.filter((m) => m !== source && m !== target)]) {
      await node.command('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
    }
    await until(
      'the subscription moved',
      async () => {
        const where = await listeners('SHARDNUMSUB', channel);
        return where[target.port] === 1 && Object.keys(where).length === 1;
      },
      10_000,
    );
    await cluster.waitUntilOk();
    for (let i = 0; i < 5; i++) expect(await rc.spublish(channel, `after${i}`)).toBe(1);
    await until('every message', () => got.length >= 6, 10_000);
    expect(got).toEqual(['before', 'after0', 'after1', 'after2', 'after3', 'after4']);
    expect(await listeners('SHARDNUMSUB', channel)).toEqual({ [target.port]: 1 });
  }, 30_000);

  it('after its node is killed, channels and shard channels move: later messages arrive exactly once', async () => {
    const rc = open();
    rc.on('error', () => undefined);
    await rc.connect();
    const got: string[] = [];
    const shardGot: string[] = [];
    await rc.subscribe('bc:kill', (message) => got.push(message));
    const [home] = Object.keys(await listeners('NUMSUB', 'bc:kill')).map(Number);
    const victim = cluster.nodes.find((node) => node.port === home) as RedisProcess;
    // A shard channel whose slot the victim serves, found by its slot ranges.
    const ranges = (await victim.command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const own = ranges.filter(([, , [, port]]) => Number(port) === home);
    let shardChannel = '';
    for (let i = 0; shardChannel === ''; i++) {
      const slot = slotOf(`kill:${i}`);
      if (own.some(([first, last]) => slot >= first && slot <= last)) shardChannel = `kill:${i}`;
    }
    await rc.ssubscribe(shardChannel, (message) => shardGot.push(message));
    expect(await listeners('SHARDNUMSUB', shardChannel)).toEqual({ [home]: 1 });

    await victim.kill('SIGKILL');
    await cluster.waitUntilOk(20_000);
    await settle((message) => rc.publish('bc:kill', message), got);
    await settle((message) => rc.spublish(shardChannel, message), shardGot);
    const where = await listeners('NUMSUB', 'bc:kill');
    expect(Object.values(where)).toEqual([1]);
    const promoted = await cluster.masterOf(slotOf(shardChannel));
    expect(await listeners('SHARDNUMSUB', shardChannel)).toEqual({ [promoted.port]: 1 });

    const probes = got.length;
    const shardProbes = shardGot.length;
    for (let i = 0; i < 5; i++) {
      await rc.publish('bc:kill', `after${i}`);
      expect(await rc.spublish(shardChannel, `after${i}`)).toBe(1);
    }
    await until(
      'every message',
      () => got.length >= probes + 5 && shardGot.length >= shardProbes + 5,
      10_000,
    );
    await rc.publish('bc:kill', 'end');
    await until('the end marker', () => got.includes('end'), 10_000);
    expect(got.slice(probes)).toEqual(['after0', 'after1', 'after2', 'after3', 'after4', 'end']);
    expect(shardGot.slice(shardProbes)).toEqual(['after0', 'after1', 'after2', 'after3', 'after4']);
  }, 40_000);
});
