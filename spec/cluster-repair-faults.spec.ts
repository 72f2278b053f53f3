/**
 * Replica repair under network faults, on 2 replicas x 1 shard of real redis-server reached through
 * FaultProxy: interleavings the chaos spec found with repair on, each staged on purpose. Delays and
 * blackholes only order events; every assertion is on what the servers hold or what a read returns.
 */
import { Cluster } from '../lib/cluster/cluster';
import type { ClusterOptions } from '../lib/cluster/cluster-options';
import type { ClientOptions } from '../lib/connection/options';
import { FaultProxy } from '../lib/testing/fault-proxy';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { eventually, sleep, until } from './support/wait';

let r0: RedisProcess;
let r1: RedisProcess;
const proxies: FaultProxy[] = [];
const clusters: Cluster[] = [];

async function proxyTo(server: RedisProcess): Promise<FaultProxy> {
  const proxy = new FaultProxy({ port: server.port });
  await proxy.start();
  proxies.push(proxy);
  return proxy;
}

/**
 * A Cluster over one server per replica (`urls`, replica order) that reads replica 0 first and stays
 * up through its failures (repair, not health, is under test); its errors are the test's to read.
 */
function replicaCluster(
  urls: readonly string[],
  client: ClientOptions,
  options: Pick<ClusterOptions, 'writeAck' | 'repair'>,
): Cluster {
  const cluster = new Cluster({
    replicas: urls.map((url) => [url]),
    readFrom: 'ordered',
    downAfter: 1_000,
    client,
    ...options,
  });
  cluster.on('replicaError', () => undefined);
  clusters.push(cluster);
  return cluster;
}

/** Quick timeouts, and no heartbeat or stall detection: only the staged faults replace a socket. */
const QUICK_CLIENT: ClientOptions = {
  commandTimeout: 300,
  connectTimeout: 1_000,
  heartbeatInterval: 0,
  stallTimeout: 0,
  reconnect: { minDelay: 20, maxDelay: 100 },
};

/**
 * Processes A and B over the same servers (A through `aUrls`, B through `bUrls`), writeAck 'quorum',
 * connected; A's finished repairs and the modes of B's repairs of replica 0 are recorded.
 */
async function twoProcesses(
  aUrls: string[],
  bUrls: string[],
  aClient = QUICK_CLIENT,
  bClient = aClient,
): Promise<{ a: Cluster; b: Cluster; aRepaired: { replica: number; byPeer: boolean }[]; bModes: string[] }> {
  const make = (urls: string[], client: ClientOptions): Cluster =>
    replicaCluster(urls, client, { writeAck: 'quorum' }).on('error', () => undefined);
  const a = make(aUrls, aClient);
  const b = make(bUrls, bClient);
  const aRepaired: { replica: number; byPeer: boolean }[] = [];
  const bModes: string[] = [];
  a.on('serverRepaired', (server, summary) =>
    aRepaired.push({ replica: server.replica, byPeer: summary.byPeer }),
  );
  b.on('serverRepaired', (server, summary) => {
    if (server.replica === 0) bModes.push(summary.mode);
  });
  await Promise.all([a.connect(), b.connect()]);
  return { a, b, aRepaired, bModes };
}

/**
 * The staging of the two tests below, on three replicas. A's SET k v2 is acknowledged by replicas 0
 * and 1; replica 2 misses it (A's hint log). Replica 0 restarts empty and B, which never wrote, resyncs
 * it from replica 2 (in sync for B; B cannot reach replica 1): replica 0 gets k = v1. A's path to
 * replica 0 stays blackholed, so A has not seen the restart yet.
 */
async function staleResyncByB(): Promise<{
  a: Cluster;
  r2: RedisProcess;
  a2: FaultProxy;
  aRepaired: { replica: number; byPeer: boolean }[];
  /** Lifts A's blackhole to replica 0 and waits until A trusts it again, after B's resync (byPeer). */
  aSeesTheResync: () => Promise<void>;
}> {
  const r2 = await startRedis();
  const a0 = await proxyTo(r0);
  const a2 = await proxyTo(r2);
  const b1 = await proxyTo(r1);
  const { a, aRepaired, bModes } = await twoProcesses([a0.url, r1.url, a2.url], [r0.url, b1.url, r2.url]);
  expect(await a.set('k', 'v1')).toBe('OK');
  a2.blackhole(true, 'toServer');
  expect(await a.set('k', 'v2')).toBe('OK');
  await eventually(() => a.health()[2].missedWrites !== 0, 'replica 2 missed k (A)', 5_000);
  b1.blackhole(true);
  b1.resetAll(); // B cannot check replica 1's run_id: it resyncs from replica 2
  a0.blackhole(true);
  await r0.restart();
  await eventually(() => bModes.includes('full'), 'B resynced replica 0', 10_000);
  expect(await r0.command('GET', 'k')).toBe('v1');
  const aSeesTheResync = async (): Promise<void> => {
    a0.blackhole(false);
    a0.resetAll();
    await eventually(
      () => aRepaired.some((entry) => entry.replica === 0),
      'A trusts replica 0 again',
      10_000,
    );
    expect(aRepaired.filter((entry) => entry.replica === 0)).toEqual([{ replica: 0, byPeer: true }]);
  };
  return { a, r2, a2, aRepaired, aSeesTheResync };
}

beforeAll(async () => {
  [r0, r1] = await Promise.all([startRedis(), startRedis()]);
});

afterEach(async () => {
  for (const cluster of clusters.splice(0)) cluster.disconnect();
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  // A fleet nobody has vouched for again (the vouch lives in the script cache): each test starts as
  // a first deployment, whatever restarts the one before did.
  await Promise.all([r0, r1].map((server) => server.command('FLUSHALL')));
  await Promise.all([r0, r1].map((server) => server.command('SCRIPT', 'FLUSH')));
});

afterAll(async () => {
  await stopAll();
});

describe('Cluster repair under network faults', () => {
  it("a write sent to a restarted server before this process checked its run_id is copied again after another process's resync", async () => {
    // Two processes, A and B. Replica 0 restarts empty. B's INCRBY reaches replica 1 at once, but its copy
    // for replica 0 waits in B's slow new connection, flushed before B's run_id check. A resyncs replica 0
    // from replica 1 (which holds the INCRBY already) and writes the done marker; then B's INCRBY lands on
    // replica 0 too: applied twice there. B finds the marker (byPeer) and must not trust replica 0 as is.
    const client = {
      commandTimeout: 30_000,
      connectTimeout: 30_000,
      heartbeatInterval: 0,
      stallTimeout: 0,
      reconnect: { minDelay: 20, maxDelay: 50 },
    };
    const toA = await proxyTo(r0);
    const toB = await proxyTo(r0);
    const make = (url0: string): Cluster =>
      replicaCluster([url0, r1.url], client, { writeAck: 'one' }).on('error', () => undefined);
    const a = make(toA.url);
    const b = make(toB.url);
    const aModes: string[] = [];
    const bByPeer: boolean[] = [];
    a.on('serverRepaired', (_, summary) => aModes.push(summary.mode));
    b.on('serverRepaired', (_, summary) => bByPeer.push(summary.byPeer));
    await Promise.all([a.connect(), b.connect()]);
    for (let i = 0; i < 3; i++) await b.incrby('n', 7);
    toA.setDelay(300); // A notices the restart a little later than B sends its INCRBY
    toB.setDelay(8_000, 'toServer'); // B's next connection to replica 0 delivers late
    await r0.restart();
    await sleep(50);
    expect(await b.incrby('n', 7)).toBe(28); // replica 1 answers; replica 0's copy is held back
    toA.clearFaults();
    await eventually(() => aModes.includes('full'), 'A resynced replica 0', 20_000);
    // The interleaving is staged: A's resync is done and B's INCRBY has not reached replica 0 yet.
    expect([await r0.command('GET', 'n'), await r1.command('GET', 'n')]).toEqual(['28', '28']);
    toB.clearFaults();
    await eventually(
      () => bByPeer.length > 0 && b.health()[0].state === 'up',
      'B trusts replica 0 again',
      30_000,
    );
    expect(bByPeer).toEqual([true]);
    expect([await r0.command('GET', 'n'), await r1.command('GET', 'n')]).toEqual(['28', '28']);
  }, 45_000);

  it('a server another process resynced from a replica this process knows missed a write gets that key copied again', async () => {
    // Staged by staleResyncByB; A then finds B's done marker (byPeer).
    const { a, r2, aSeesTheResync } = await staleResyncByB();
    await aSeesTheResync();
    expect(await r0.command('GET', 'k')).toBe('v2');
    expect(await a.get('k')).toBe('v2');
    await r2.stop();
  }, 30_000);

  it('a gap this process closed on a peer after a restart is copied again into the restarted server another process resynced', async () => {
    // As above, but A repairs replica 2 (copies k = v2 into it) after replica 0 restarted and before A
    // learns that B resynced replica 0 from replica 2 while it still lacked k. Replica 2's hint log is
    // empty by then: only A's record of what it copied since replica 0 was last alive says k is owed.
    const { a, r2, a2, aRepaired, aSeesTheResync } = await staleResyncByB();
    // A misses a write on replica 0 (blackholed), so it repairs replica 2 from replica 1, not from it.
    a2.blackhole(false);
    a2.resetAll();
    // Until replica 2's new socket takes it (the first try may meet the old one, just reset).
    await until(
      'A acknowledged z without replica 0',
      async () => (await a.set('z', 'z1').catch(() => null)) === 'OK',
      5_000,
    );
    await eventually(
      () => aRepaired.some((entry) => entry.replica === 2) && a.health()[2].state === 'up',
      'A repaired replica 2',
      10_000,
    );
    expect(await r2.command('GET', 'k')).toBe('v2');
    await aSeesTheResync();
    expect(await r0.command('GET', 'k')).toBe('v2');
    expect(await r0.command('GET', 'z')).toBe('z1');
    await r2.stop();
  }, 30_000);

  it('a write still in flight to the replica another process resynced a restarted server from is copied again once it lands there', async () => {
    // A's SET k v2 is acknowledged by replicas 0 and 2; its copy to replica 1 is delayed on the way.
    // Replica 0 restarts empty, and B resyncs it from replica 1 before the SET lands there: replica 0
    // gets k = v1. Nothing failed and no hint log names k: only A's record of what was in flight when
    // its connection to replica 0 closed says k is owed.
    const r2 = await startRedis();
    const a0 = await proxyTo(r0);
    const a1 = await proxyTo(r1);
    const { a, aRepaired, bModes } = await twoProcesses(
      [a0.url, a1.url, r2.url],
      [r0.url, r1.url, r2.url],
      { ...QUICK_CLIENT, commandTimeout: 5_000 },
      QUICK_CLIENT,
    );
    expect(await a.set('k', 'v1')).toBe('OK');
    await until('every replica holds v1', async () =>
      (await Promise.all([r0, r1, r2].map((server) => server.command('GET', 'k')))).every((v) => v === 'v1'),
    );
    a1.setDelay(2_000, 'toServer');
    expect(await a.set('k', 'v2')).toBe('OK'); // replicas 0 and 2; replica 1's copy is on its way
    a0.blackhole(true, 'toServer'); // A's next connection to replica 0 stays unchecked until the end
    await r0.restart();
    await eventually(() => bModes.includes('full'), 'B resynced replica 0', 10_000);
    // Staged: B copied replica 1's value before A's SET reached it.
    expect(await r0.command('GET', 'k')).toBe('v1');
    await until('the SET reached replica 1', async () => (await r1.command('GET', 'k')) === 'v2', 10_000);
    a0.blackhole(false);
    await eventually(
      () => aRepaired.some((entry) => entry.replica === 0) && a.health()[0].state === 'up',
      'A trusts replica 0 again',
      10_000,
    );
    expect(aRepaired.filter((entry) => entry.replica === 0)).toEqual([{ replica: 0, byPeer: true }]);
    await until('replica 0 holds v2', async () => (await r0.command('GET', 'k')) === 'v2', 10_000);
    expect(await a.get('k')).toBe('v2');
    await r2.stop();
  }, 45_000);

  describe('no replica in sync: the least behind is promoted', () => {
    const client = {
      commandTimeout: 300,
      connectTimeout: 2_000,
      heartbeatInterval: 0,
      stallTimeout: 0,
      reconnect: { minDelay: 20, maxDelay: 100 },
    };

    /**
     * Replica 1 misses x1..x5 and repairs them slowly from replica 0; then replica 0 misses SET k v2,
     * which only replica 1 answers. That is no acknowledgement (writeAck 'one' needs an in-sync replica
     * to answer, and replica 1 is under repair): the caller gets a ReplicationError, yet replica 1 holds
     * v2. No replica is in sync; replica 0 (1 key behind) is the least behind, but replica 1 holds k's
     * latest value, which promotion must not throw away.
     */
    async function stage(): Promise<{ cluster: Cluster; p0: FaultProxy; p1: FaultProxy; errors: string[] }> {
      const p0 = await proxyTo(r0);
      const p1 = await proxyTo(r1);
      const cluster = replicaCluster([p0.url, p1.url], client, {
        writeAck: 'one',
        repair: { maxKeysPerSecond: 1 },
      });
      const errors: string[] = [];
      cluster.on('error', (error) => errors.push(error.message));
      let staleZero = 0;
      cluster.on('serverStale', (server) => {
        if (server.replica === 0) staleZero++;
      });
      await cluster.connect();
      expect(await cluster.set('k', 'v1')).toBe('OK');
      p1.blackhole(true, 'toServer');
      for (let i = 1; i <= 5; i++) expect(await cluster.set(`x${i}`, 'x')).toBe('OK');
      await eventually(() => cluster.health()[1].missedWrites >= 5, 'replica 1 missed x1..x5', 5_000);
      p1.blackhole(false, 'toServer');
      p1.resetAll();
      await sleep(500); // its connections closed by the reset are gone before the next write
      await eventually(() => cluster.health()[1].state === 'repairing', 'replica 1 repairing', 5_000);
      p0.blackhole(true, 'toServer');
      await expect(cluster.set('k', 'v2')).rejects.toThrow(
        /SET failed on every in-sync replica of shard 0; only replicas under repair may hold it.*replica 1 of shard 0 \(\S+\): answered/,
      );
      await eventually(() => staleZero > 0, 'replica 0 missed k', 5_000);
      return { cluster, p0, p1, errors };
    }

    it('copies a key it missed from the stale replica that holds it before it becomes the reference', async () => {
      const { cluster, p0 } = await stage();
      p0.blackhole(false, 'toServer');
      p0.resetAll();
      await eventually(() => cluster.health().every((h) => h.state === 'up'), 'both repaired', 20_000);
      expect([await r0.command('GET', 'k'), await r1.command('GET', 'k')]).toEqual(['v2', 'v2']);
      expect(await cluster.get('k')).toBe('v2');
    }, 30_000);

    it('waits while a replica that may hold a key it missed is only unreachable', async () => {
      const { cluster, p0, p1, errors } = await stage();
      p1.blackhole(true); // replica 1, holding k = v2, is cut off (same process, same data, when it comes back)
      p0.blackhole(false, 'toServer');
      p0.resetAll();
      // Time for replica 0 to reconnect and check its run_id: it must not become the reference meanwhile.
      await sleep(1_500);
      expect(cluster.health()[0].state).not.toBe('up');
      p1.blackhole(false);
      p1.resetAll();
      await eventually(() => cluster.health().every((h) => h.state === 'up'), 'both repaired', 20_000);
      expect([await r0.command('GET', 'k'), await r1.command('GET', 'k')]).toEqual(['v2', 'v2']);
      expect(await cluster.get('k')).toBe('v2');
      expect(errors.filter((message) => message.includes('is the reference now'))).toEqual([
        expect.stringContaining('0 keys it missed that no other replica holds are lost'),
      ]);
    }, 30_000);
  });
});
