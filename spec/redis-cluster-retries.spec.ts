/**
 * RedisCluster's retries end, on one real 3×2 Redis Cluster (the cases run in order; the last one kills
 * a whole shard, and the cluster stays down):
 * - a real TRYAGAIN (a multi-key command on a slot mid-migration, its keys split between two nodes) is
 *   waited out until the migration completes, or ends in TimeoutError: never the TRYAGAIN reply;
 * - TOUCH and UNLINK across slots, split per slot;
 * - a slot moved by hand, no MOVED seen: the periodic refresh emits 'topology' and the next command
 *   goes straight to the new owner; callers that all meet a MOVED share one CLUSTER SHARDS;
 * - with commandTimeout 0, a shard lost for good (its master and replica killed, the rest of the
 *   cluster answering CLUSTERDOWN) ends commands and a scan with TimeoutError after retryTimeout.
 * What happened is read from the nodes themselves (INFO commandstats and errorstats, EXISTS).
 */
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import type { RedisClusterNodeInfo } from '../lib/redis-cluster/node';
import { slotOf } from '../lib/redis-cluster/slot';
import { InvalidArgumentError, ReplyError, TimeoutError } from '../lib/errors';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { stopAll, type RedisProcess } from './support/redis-harness';
import {
  assignSlot,
  clientsPerCase,
  masters,
  migrateKeys,
  replicaOf,
  resetStats,
  startMove,
  stat,
} from './support/redis-cluster-probes';
import { until } from './support/wait';

let cluster: RedisClusterHarness;
const { open } = clientsPerCase(() => cluster);

beforeAll(async () => {
  cluster = await startRedisCluster(3, 1);
}, 40_000);

afterAll(async () => {
  await stopAll();
});

function serves(nodes: readonly RedisClusterNodeInfo[], url: string, slot: number): boolean {
  const node = nodes.find((each) => each.url === url);
  return node?.slots.some(([first, last]) => slot >= first && slot <= last) === true;
}

describe('retryTimeout', () => {
  it('takes a positive number of ms only', () => {
    for (const retryTimeout of [0, -1, Number.NaN, Infinity, '500']) {
      expect(
        () => new RedisCluster({ seeds: ['redis://127.0.0.1:1'], retryTimeout: retryTimeout as number }),
      ).toThrow(
        new InvalidArgumentError('retryTimeout must be a positive number of ms: a retry never waits forever'),
      );
    }
    expect(() => new RedisCluster({ seeds: ['redis://127.0.0.1:1'], retryTimeout: 1 })).not.toThrow();
  });
});

describe('TRYAGAIN: MGET on a slot mid-migration, one key moved already', () => {
  const [a, b] = ['{try}a', '{try}b'];
  const slot = slotOf(a);
  let source: RedisProcess;
  let target: RedisProcess;

  /** The slot MIGRATING from source to target, with `a` moved and `b` not: both nodes answer MGET with TRYAGAIN. */
  async function split(): Promise<void> {
    source = await cluster.masterOf(slot);
    target = (await masters(cluster)).find((node) => node !== source) as RedisProcess;
    await source.command('MSET', a, 'A', b, 'B');
    await startMove(slot, source, target);
    await migrateKeys(slot, source, target, [a]);
    // What the client will meet: the reply it must never pass on.
    const refusal = await source.command('MGET', a, b);
    expect(refusal).toBeInstanceOf(ReplyError);
    expect((refusal as ReplyError).code).toBe('TRYAGAIN');
  }

  /** Moves the rest of the slot's keys and gives the slot to the target. */
  async function complete(): Promise<void> {
    await migrateKeys(slot, source, target);
    await assignSlot(cluster, slot, target);
    await cluster.waitUntilOk();
  }

  it('is retried until the migration completes, then answers with the right values', async () => {
    const rc = open({ client: { commandTimeout: 10_000 } });
    await rc.connect();
    await split();
    await resetStats([source, target]);
    let settled = false;
    const reply = rc.mget([a, b]).finally(() => {
      settled = true;
    });
    // Retried, not given up on: the source refuses it again and again while the keys are split.
    await until(
      'three TRYAGAIN on the source',
      async () => (await stat(source, 'errorstat_TRYAGAIN')) >= 3,
      15_000,
      20,
    );
    expect(settled).toBe(false);
    await complete();
    expect(await reply).toEqual(['A', 'B']);
    // Answered by the target, once.
    expect(await stat(target, 'cmdstat_mget')).toBe(1);
    expect(await target.command('MGET', a, b)).toEqual(['A', 'B']);
    expect(await source.command('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
  }, 30_000);

  it.each([
    ['commandTimeout', { client: { commandTimeout: 300 } }],
    ['retryTimeout', { retryTimeout: 300, client: { commandTimeout: 0 } }],
  ] as const)(
    'ends in a typed TimeoutError when it outlasts %s, never with the TRYAGAIN reply',
    async (bound, options) => {
      const rc = open(options);
      await rc.connect();
      await split();
      try {
        await resetStats([source, target]);
        const error = await rc.mget([a, b]).then(
          () => new Error('MGET answered'),
          (caught: unknown) => caught,
        );
        expect(error).not.toBeInstanceOf(ReplyError);
        expect(error).toBeInstanceOf(TimeoutError);
        const timeout = error as TimeoutError;
        // The bound passes between retries, or, on a loaded machine, while a retry is queued or written
        // and its TRYAGAIN not yet back (then `sent` says whether the reply is owed). Either way typed,
        // and never the reply.
        const betweenRetries =
          `MGET on slot ${slot} could not be served within its ${bound} (300 ms): ` +
          "its keys were split between two nodes by the slot's migration";
        const duringRetry =
          `MGET on slot ${slot} ran out of its ${bound} (300 ms) after a redirect, ` +
          `${timeout.sent ? 'waiting for its reply: it may or may not have run' : 'before it was sent'} ` +
          `(redis://127.0.0.1:${source.port})`;
        expect([betweenRetries, duringRetry]).toContain(timeout.message);
        if (timeout.message === betweenRetries) expect(timeout.sent).toBe(false);
        expect(timeout.command).toBe('MGET');
        expect(timeout.timeoutMs).toBe(300);
        // It was retried with backoff (10, 20, 40, 80 ms…), not failed at the first refusal.
        expect(await stat(source, 'errorstat_TRYAGAIN')).toBeGreaterThanOrEqual(2);
        expect(await stat(target, 'cmdstat_mget')).toBe(0);
      } finally {
        await complete();
      }
      expect(await rc.mget([a, b])).toEqual(['A', 'B']);
    },
    30_000,
  );
});

describe('TOUCH and UNLINK across slots', () => {
  it('are split per slot, with exact counts, and act on the nodes that own the keys', async () => {
    const rc = open();
    await rc.connect();
    // Twelve keys in twelve slots, over the three masters.
    const keys: string[] = [];
    const slots = new Set<number>();
    for (let i = 0; keys.length < 12; i++) {
      const key = `tu:${i}`;
      if (slots.has(slotOf(key))) continue;
      slots.add(slotOf(key));
      keys.push(key);
    }
    const owner = new Map<string, RedisProcess>();
    for (const key of keys) owner.set(key, await cluster.masterOf(slotOf(key)));
    const all = await masters(cluster);
    expect(new Set(owner.values()).size).toBe(3);
    const present = keys.slice(0, 8);
    const absent = keys.slice(8);
    expect(await rc.mset(Object.fromEntries(present.map((key) => [key, key])))).toBe('OK');
    const perMaster = (some: readonly string[]): number[] =>
      all.map((node) => new Set(some.filter((key) => owner.get(key) === node).map(slotOf)).size);

    await resetStats(all);
    // A key named twice counts twice, as on one server.
    const touched = [...keys, present[0]];
    expect(await rc.touch(...touched)).toBe(9);
    expect(await Promise.all(all.map((node) => stat(node, 'cmdstat_touch')))).toEqual(perMaster(touched));

    const unlinked = [...present.slice(0, 4), ...absent.slice(0, 2), present[0]];
    expect(await rc.unlink(...unlinked)).toBe(4);
    expect(await Promise.all(all.map((node) => stat(node, 'cmdstat_unlink')))).toEqual(perMaster(unlinked));
    for (const key of keys) {
      const expected = present.slice(4).includes(key) ? 1 : 0;
      expect([key, await owner.get(key)?.command('EXISTS', key)]).toEqual([key, expected]);
    }
  }, 20_000);
});

describe('the slot map', () => {
  it("reloaded by the timer after a slot moved by hand emits 'topology'; the next command goes straight to the new owner", async () => {
    const rc = open({ refreshInterval: 50 });
    await rc.connect();
    const key = '{topo}k';
    const slot = slotOf(key);
    const source = await cluster.masterOf(slot);
    const target = (await masters(cluster)).find((node) => node !== source) as RedisProcess;
    expect(await source.command('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
    expect(serves(rc.nodes(), source.url, slot)).toBe(true);
    const seen: RedisClusterNodeInfo[][] = [];
    rc.on('topology', (nodes) => seen.push(nodes));
    await resetStats([source, target]);
    await assignSlot(cluster, slot, target);
    await until(
      "a 'topology' event with the slot on the target",
      () => seen.some((nodes) => serves(nodes, target.url, slot)),
      15_000,
      20,
    );
    // Every event named one of the two owners: the slot was never anywhere else, nor nowhere.
    expect(seen.every((nodes) => serves(nodes, source.url, slot) !== serves(nodes, target.url, slot))).toBe(
      true,
    );
    expect(serves(rc.nodes(), target.url, slot)).toBe(true);
    expect(await rc.set(key, 'v')).toBe('OK');
    expect(await stat(target, 'cmdstat_set')).toBe(1);
    expect(await stat(source, 'cmdstat_set')).toBe(0);
    expect(await stat(source, 'errorstat_MOVED')).toBe(0);
    expect(await target.command('GET', key)).toBe('v');
    await cluster.waitUntilOk();
  }, 20_000);

  it('is reloaded once (one CLUSTER SHARDS) for many callers that all met a MOVED', async () => {
    const rc = open();
    await rc.connect();
    const keys = Array.from({ length: 20 }, (_, i) => `{share}:${i}`);
    const slot = slotOf(keys[0]);
    const source = await cluster.masterOf(slot);
    const target = (await masters(cluster)).find((node) => node !== source) as RedisProcess;
    expect(await source.command('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
    // refreshInterval 0: the client learns of the move only from the MOVED replies.
    await assignSlot(cluster, slot, target);
    await cluster.waitUntilOk();
    const running = cluster.nodes.filter((node) => node.running);
    await resetStats(running);
    // Issued together, so all twenty reach the source before its first MOVED is read.
    expect(await Promise.all(keys.map((key) => rc.set(key, key)))).toEqual(keys.map(() => 'OK'));
    expect(await stat(source, 'errorstat_MOVED')).toBe(20);
    expect(await stat(target, 'cmdstat_set')).toBe(20);
    const shards = await Promise.all(running.map((node) => stat(node, 'cmdstat_cluster|shards')));
    expect(shards.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await target.command('EXISTS', ...keys)).toBe(20);
    // The map was reloaded: the next command goes straight to the target.
    expect(await rc.get(keys[0])).toBe(keys[0]);
    expect(await stat(source, 'errorstat_MOVED')).toBe(20);
  }, 20_000);
});

describe('commandTimeout 0 and a shard lost for good (the last case: the cluster stays down)', () => {
  it('ends commands and a scan with TimeoutError once retryTimeout has passed', async () => {
    const rc = open({ retryTimeout: 300, client: { commandTimeout: 0 } });
    await rc.connect();
    const lostKey = '{lost}k';
    const lostSlot = slotOf(lostKey);
    const master = await cluster.masterOf(lostSlot);
    const replica = await replicaOf(cluster, master);
    let liveKey = '';
    for (let i = 0; liveKey === ''; i++) {
      if ((await cluster.masterOf(slotOf(`live:${i}`))) !== master) liveKey = `live:${i}`;
    }
    const live = await cluster.masterOf(slotOf(liveKey));
    const firstLostSlot = (rc.nodes().find((node) => node.url === master.url) as RedisClusterNodeInfo)
      .slots[0][0];

    await Promise.all([master.kill('SIGKILL'), replica.kill('SIGKILL')]);
    await until(
      'the client saw both nodes go',
      () =>
        rc.nodes().every((node) => (node.url === master.url || node.url === replica.url ? !node.up : true)),
      15_000,
      20,
    );
    const lost = await rc.get(lostKey).catch((caught: unknown) => caught);
    expect(lost).toBeInstanceOf(TimeoutError);
    expect((lost as TimeoutError).message).toBe(
      `GET on slot ${lostSlot} could not be served within its retryTimeout (300 ms): no reachable node serves slot ${lostSlot}`,
    );
    expect((lost as TimeoutError).sent).toBe(false);

    // The live masters refuse every keyed command once they have marked the lost master failed.
    await until(
      'a live master says the cluster is down',
      async () => String(await live.command('CLUSTER', 'INFO')).includes('cluster_state:fail'),
      15_000,
      20,
    );
    await resetStats([live]);
    const down = await rc.set(liveKey, 'v').catch((caught: unknown) => caught);
    expect(down).not.toBeInstanceOf(ReplyError);
    expect(down).toBeInstanceOf(TimeoutError);
    expect((down as TimeoutError).message).toBe(
      `SET on slot ${slotOf(liveKey)} could not be served within its retryTimeout (300 ms): the cluster said it was down`,
    );
    expect((down as TimeoutError).sent).toBe(false);
    expect(await stat(live, 'errorstat_CLUSTERDOWN')).toBeGreaterThanOrEqual(3);

    // A scan reaching the lost master waits for a successor within retryTimeout, then gives up.
    const scanned = await (async () => {
      for await (const key of rc.scanIterator()) void key;
    })().then(
      () => new Error('the scan completed'),
      (caught: unknown) => caught,
    );
    expect(scanned).toBeInstanceOf(TimeoutError);
    expect((scanned as TimeoutError).message).toBe(
      `SCAN on slot ${firstLostSlot} could not be served within its retryTimeout (300 ms): no live master serves slot ${firstLostSlot}`,
    );
  }, 30_000);
});
