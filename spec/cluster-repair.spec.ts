/**
 * Replica repair under live traffic, on 3 replicas x 2 shards of real redis-server: a replica killed
 * and restarted empty, and a replica paused past its deadlines. Reads go 'ordered', so the faulted
 * replica 0 would be read first if it were trusted: every GET is checked against what was
 * acknowledged before it was sent (never null, never older), and afterwards the repaired server must
 * equal its peers key for key. No test asserts on elapsed time.
 */
import { Cluster } from '../lib/cluster/cluster';
import { DONE_KEY, VOUCH_SHA } from '../lib/cluster/repair-keys';
import { startRedis, stopAll, type RedisProcess, reviveAll } from './support/redis-harness';
import {
  contentsOf,
  keysOf,
  Ledger,
  runLoad,
  stopLoads,
  valueOf,
  recordRepair,
  type RepairRecord,
  where,
} from './support/repair-load';
import { FAST_CLIENT } from './support/fast-client';
import { eventually, sleep } from './support/wait';

const REPLICAS = 3;
const SHARDS = 2;
const KEYS_PER_SHARD = 600;

/** servers[replica][shard] */
let servers: RedisProcess[][];
const clusters: Cluster[] = [];

function makeCluster(): { cluster: Cluster; recorded: RepairRecord } {
  const cluster = new Cluster({
    replicas: servers.map((row) => row.map((server) => server.url)),
    readFrom: 'ordered',
    writeAck: 'quorum',
    downAfter: 3,
    probeInterval: 100,
    client: FAST_CLIENT,
    repair: { maxKeysPerSecond: 4_000 },
  });
  clusters.push(cluster);
  const recorded = recordRepair(cluster);
  return { cluster, recorded };
}

async function seed(cluster: Cluster, keys: string[], ledger: Ledger): Promise<void> {
  await cluster.mset(Object.fromEntries(keys.map((key) => [key, valueOf(key, 1)])));
  for (const key of keys) ledger.acked.set(key, 1);
}

async function expectEqualReplicas(shard: number): Promise<void> {
  const contents = await Promise.all(servers.map((row) => contentsOf(row[shard])));
  expect(contents[0].length).toBeGreaterThan(0);
  for (let r = 1; r < REPLICAS; r++) expect(contents[0]).toEqual(contents[r]);
}

const allUp = (cluster: Cluster): boolean => cluster.health().every((entry) => entry.state === 'up');

beforeAll(async () => {
  const started = await Promise.all(Array.from({ length: REPLICAS * SHARDS }, () => startRedis()));
  servers = Array.from({ length: REPLICAS }, (_, r) => started.slice(r * SHARDS, (r + 1) * SHARDS));
});

afterEach(async () => {
  // A test that failed midway may leave a server paused.
  for (const server of servers.flat()) if (server.running) server.resume();
  await stopLoads();
  await Promise.all(clusters.splice(0).map((cluster) => cluster.quit()));
  await reviveAll(servers.flat());
  await Promise.all(servers.flat().map((server) => server.command('FLUSHALL')));
});

afterAll(async () => {
  await stopAll();
});

test('a process started after a replica restarted empty reads none of its nulls: stale from its first check, resynced', async () => {
  const first = makeCluster().cluster;
  await first.connect();
  // Its first checks found no server vouched for (a fresh fleet): it vouched for every one, in its
  // script cache (no key).
  const vouchedFor = async (server: RedisProcess): Promise<boolean> =>
    ((await server.command('SCRIPT', 'EXISTS', VOUCH_SHA)) as number[])[0] === 1;
  expect(await Promise.all(servers.flat().map(vouchedFor))).toEqual(Array(REPLICAS * SHARDS).fill(true));
  const keys = [...keysOf(first, 0, KEYS_PER_SHARD, 'late'), ...keysOf(first, 1, KEYS_PER_SHARD, 'late')];
  await seed(first, keys, new Ledger());
  // quorum acknowledged the MSETs; every replica must hold every key before the restart.
  const sizes = async (): Promise<number[]> =>
    (await Promise.all(servers.flat().map((server) => server.command('DBSIZE')))).map(Number);
  const expected = Array<number>(REPLICAS * SHARDS).fill(KEYS_PER_SHARD);
  for (let i = 0; i < 200 && (await sizes()).join() !== expected.join(); i++) await sleep(10);
  expect(await sizes()).toEqual(expected);
  // No process runs while replica 0 of shard 0 restarts empty: nobody has an earlier run_id for it.
  await first.quit();
  await servers[0][0].restart();
  expect(Number(await servers[0][0].command('DBSIZE'))).toBe(0);
  expect(await vouchedFor(servers[0][0])).toBe(false);

  const { cluster, recorded } = makeCluster();
  await cluster.connect();
  // 'ordered' reads replica 0 first: had it been trusted, every key of shard 0 would read nil.
  const values = await Promise.all(keys.map((key) => cluster.get(key)));
  expect(values.filter((value, i) => value !== valueOf(keys[i], 1))).toEqual([]);
  expect(recorded.stale).toEqual([{ server: '0/0', reason: 'restarted' }]);
  await eventually(
    () => recorded.repaired.some((entry) => entry.server === '0/0'),
    'replica 0/0 repaired',
    20_000,
  );
  expect(recorded.repaired.map((entry) => [entry.server, entry.summary.mode])).toEqual([['0/0', 'full']]);
  expect(recorded.staleReads).toBe(0);
  await eventually(() => allUp(cluster), 'every server up', 10_000);
  await expectEqualReplicas(0);
  await expectEqualReplicas(1);
  // Resynced: its done marker names its new run_id, and it is vouched for again.
  expect(String(await servers[0][0].command('GET', DONE_KEY))).toBe(
    cluster.health().find((entry) => where(entry) === '0/0')?.runId,
  );
  expect(await vouchedFor(servers[0][0])).toBe(true);
}, 40_000);

test('a replica restarted empty under reads and writes serves nothing stale, is resynced, then equals its peers', async () => {
  const { cluster, recorded } = makeCluster();
  await cluster.connect();
  expect(cluster.health().map((entry) => entry.state)).toEqual(Array(REPLICAS * SHARDS).fill('up'));
  const runIds = cluster.health().map((entry) => entry.runId);
  expect(runIds.every((id) => typeof id === 'string' && id.length === 40)).toBe(true);
  const ledger = new Ledger();
  const keys = [...keysOf(cluster, 0, KEYS_PER_SHARD, 'r'), ...keysOf(cluster, 1, KEYS_PER_SHARD, 'r')];
  await seed(cluster, keys, ledger);

  const load = runLoad(cluster, keys, ledger);
  await sleep(300);
  await servers[0][0].kill();
  await sleep(500);
  await servers[0][0].restart();
  await eventually(
    () => recorded.repaired.some((entry) => entry.server === '0/0'),
    'replica 0/0 repaired',
    20_000,
  );
  // With 'ordered', the repaired replica now takes the reads of its shard: keep checking them.
  const readsBefore = ledger.reads;
  await eventually(() => ledger.reads > readsBefore + 500, 'reads after the repair', 10_000);
  await load.stop();

  expect(ledger.violations).toEqual([]);
  expect(ledger.writes).toBeGreaterThan(0);
  expect(recorded.staleReads).toBe(0);
  expect(recorded.stale).toContainEqual({ server: '0/0', reason: 'restarted' });
  const repaired = recorded.repaired.find((entry) => entry.server === '0/0');
  expect(repaired?.summary.mode).toBe('full');
  expect(repaired?.summary.byPeer).toBe(false);
  expect(repaired?.summary.keys).toBeGreaterThanOrEqual(KEYS_PER_SHARD);
  const entry = cluster.health().find((server) => where(server) === '0/0');
  expect(entry?.runId).not.toBe(runIds[0]);
  // health() ranks 'down' above 'stale' and 'repairing', and the restarted server may still count as down
  // (its probe not answered yet) through its whole resync, so only 'stale' is sure to be seen at an
  // event; that it served no read before its repair is what the ledger and staleReads checked.
  expect(recorded.states.get('0/0')).toContain('stale');

  await eventually(() => allUp(cluster), 'every server up', 10_000);
  await expectEqualReplicas(0);
  await expectEqualReplicas(1);
  // The restarted server holds the marker for its new run_id, and no lease is left behind.
  expect(String(await servers[0][0].command('GET', '__respline:repair:done'))).toBe(entry?.runId);
  expect(await servers[0][0].command('EXISTS', '__respline:repair:lease')).toBe(0);
}, 40_000);

test('a replica paused past its deadlines while writes land is marked stale, repaired from its hints, then equals its peers', async () => {
  const { cluster, recorded } = makeCluster();
  await cluster.connect();
  const ledger = new Ledger();
  const keys = [...keysOf(cluster, 0, KEYS_PER_SHARD, 'p'), ...keysOf(cluster, 1, KEYS_PER_SHARD, 'p')];
  await seed(cluster, keys, ledger);

  const load = runLoad(cluster, keys, ledger);
  await sleep(300);
  servers[0][1].pause();
  await eventually(() => recorded.stale.some((entry) => entry.server === '0/1'), 'replica 0/1 stale', 10_000);
  const missed = cluster.health().find((server) => where(server) === '0/1')?.missedWrites ?? 0;
  expect(missed).not.toBe(0);
  await sleep(800);
  servers[0][1].resume();
  await eventually(
    () => recorded.repaired.some((entry) => entry.server === '0/1'),
    'replica 0/1 repaired',
    20_000,
  );
  const readsBefore = ledger.reads;
  await eventually(() => ledger.reads > readsBefore + 500, 'reads after the repair', 10_000);
  await load.stop();

  expect(ledger.violations).toEqual([]);
  expect(recorded.staleReads).toBe(0);
  expect(recorded.stale.find((entry) => entry.server === '0/1')?.reason).toBe('missed-writes');
  const repaired = recorded.repaired.find((entry) => entry.server === '0/1');
  expect(repaired?.summary.mode).toBe('hints');
  expect(repaired?.summary.keys).toBeGreaterThan(0);
  await eventually(() => allUp(cluster), 'every server up', 10_000);
  await expectEqualReplicas(0);
  await expectEqualReplicas(1);
}, 40_000);
