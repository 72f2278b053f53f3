/**
 * Replica repair's races, on 3 replicas x 1 shard of real redis-server. Replica 0 persists (AOF,
 * fsync always), so after a kill it comes back with its old data, keys deleted since included: the
 * full resync must remove those, and SET/DEL/PEXPIRE running during it must never be overwritten
 * with an older value or resurrected. Also: two Cluster instances resync a restarted server once,
 * and a hint log that overflows leads to a full resync. No test asserts on elapsed time.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../lib/cluster/cluster';
import { ConnectionClosedError } from '../lib/errors';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import {
  contentsOf,
  keysOf,
  Ledger,
  runLoad,
  stopLoads,
  valueOf,
  versionOf,
  recordRepair,
  type RepairRecord,
} from './support/repair-load';
import { FAST_CLIENT } from './support/fast-client';
import { eventually, sleep } from './support/wait';

const REPLICAS = 3;

/** servers[replica], one shard each. */
let servers: RedisProcess[];
const clusters: Cluster[] = [];

function makeCluster(repair: { maxKeysPerSecond?: number; maxHints?: number } = {}): {
  cluster: Cluster;
  recorded: RepairRecord;
} {
  const cluster = new Cluster({
    replicas: servers.map((server) => [server.url]),
    readFrom: 'ordered',
    writeAck: 'quorum',
    downAfter: 3,
    probeInterval: 100,
    client: FAST_CLIENT,
    repair,
  });
  clusters.push(cluster);
  const recorded = recordRepair(cluster);
  return { cluster, recorded };
}

async function expectEqualReplicas(): Promise<string[]> {
  const contents = await Promise.all(servers.map((server) => contentsOf(server)));
  for (let r = 1; r < REPLICAS; r++) expect(contents[0]).toEqual(contents[r]);
  return contents[0];
}

/** The server's working directory, where its AOF lives. */
async function dataDirOf(server: RedisProcess): Promise<string> {
  const reply = await server.command('CONFIG', 'GET', 'dir');
  if (!Array.isArray(reply) || typeof reply[1] !== 'string')
    throw new Error(`CONFIG GET dir: ${String(reply)}`);
  return reply[1];
}

/** Waits until INFO says the server has finished loading its data. */
async function untilLoaded(server: RedisProcess): Promise<void> {
  let loaded = false;
  for (let i = 0; i < 500 && !loaded; i++) {
    loaded = /^loading:0\r?$/m.test(String(await server.command('INFO', 'persistence')));
    if (!loaded) await sleep(20);
  }
  expect(loaded).toBe(true);
}

/** How many keys the AOF in `dataDir` (of a stopped server) holds: a scratch server loads a copy. */
async function keysInAof(dataDir: string): Promise<number> {
  const copy = await mkdtemp(join(tmpdir(), 'respline-aof-'));
  try {
    await cp(join(dataDir, 'appendonlydir'), join(copy, 'appendonlydir'), { recursive: true });
    const scratch = await startRedis({ args: ['--appendonly', 'yes', '--dir', copy] });
    try {
      await untilLoaded(scratch);
      return Number(await scratch.command('DBSIZE'));
    } finally {
      await scratch.stop();
    }
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  servers = await Promise.all([
    startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] }),
    startRedis(),
    startRedis(),
  ]);
});

afterEach(async () => {
  // A test that failed midway may leave a server paused.
  for (const server of servers) if (server.running) server.resume();
  await stopLoads();
  await Promise.all(clusters.splice(0).map((cluster) => cluster.quit()));
  for (const server of servers) if (!server.running) await server.restart();
  await Promise.all(servers.map((server) => server.command('FLUSHALL')));
});

afterAll(async () => {
  await stopAll();
});

/**
 * One key's state per the acknowledgements, kept by the one worker that owns the key: its version
 * (-1 deleted) and whether it expires. `busy` while an operation on it is out: reads overlapping one
 * are not checked, every other read must match exactly.
 */
interface KeyModel {
  version: number;
  lastVersion: number;
  expires: boolean;
  busy: boolean;
  ops: number;
  /** An operation failed: its outcome is unknown, so the key is left out of the exact checks. */
  unknown: boolean;
}

test('SET, DEL and PEXPIRE during a full resync: nothing older, nothing resurrected, replicas equal', async () => {
  const { cluster, recorded } = makeCluster({ maxKeysPerSecond: 2_000 });
  await cluster.connect();
  const keys = keysOf(cluster, 0, 1_600, 'race');
  const model = new Map<string, KeyModel>();
  await cluster.mset(Object.fromEntries(keys.map((key) => [key, valueOf(key, 1)])));
  for (const key of keys)
    model.set(key, { version: 1, lastVersion: 1, expires: false, busy: false, ops: 0, unknown: false });

  // The MSET resolved once writeAck's count of replicas answered: replica 0 may not have run it yet,
  // and must hold every key (in its AOF) before it is killed.
  let held = 0;
  for (let i = 0; i < 500 && held !== keys.length; i++) {
    held = Number(await servers[0].command('DBSIZE'));
    if (held !== keys.length) await sleep(10);
  }
  expect(held).toBe(keys.length);
  const dataDir = await dataDirOf(servers[0]);
  // While replica 0 is down, a quarter of the keys is deleted: its AOF brings them back.
  await servers[0].kill();
  const deletedWhileDown = keys.filter((_, i) => i % 4 === 0);
  for (const key of deletedWhileDown) {
    await cluster.del(key);
    const entry = model.get(key);
    if (entry !== undefined) entry.version = -1;
  }
  // The AOF must hold every key, deleted ones included, or the resync has nothing to remove. It is
  // checked on a copy loaded by a scratch server: once replica 0 restarts, this Cluster's resync starts
  // deleting at once, so counting on replica 0 itself races with it (two CI runs saw 1,483 and 1,493).
  expect(await keysInAof(dataDir)).toBe(keys.length);
  await servers[0].restart();
  await untilLoaded(servers[0]);

  let running = true;
  let stopReading = false;
  let checked = 0;
  const violations: string[] = [];
  let seed = 99;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  // One walk over the keys in random order, one operation per key: a value the resync got wrong
  // stays wrong (no later write of its key hides it) until the checks below find it.
  const order = [...keys];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  let next = 0;
  const workers = Array.from({ length: 4 }, () =>
    (async () => {
      while (running && next < order.length) {
        const key = order[next++];
        const entry = model.get(key);
        if (entry === undefined) continue;
        entry.busy = true;
        entry.ops++;
        const op = random(3);
        try {
          if (op === 0 || entry.version < 0) {
            const version = entry.lastVersion + 1;
            entry.lastVersion = version;
            await cluster.set(key, valueOf(key, version));
            entry.version = version;
            entry.expires = false;
          } else if (op === 1) {
            await cluster.del(key);
            entry.version = -1;
            entry.expires = false;
          } else {
            await cluster.pexpire(key, 600_000);
            entry.expires = true;
          }
        } catch (error) {
          if (error instanceof ConnectionClosedError) return;
          entry.unknown = true;
        } finally {
          entry.busy = false;
        }
      }
    })(),
  );
  const readers = Array.from({ length: 4 }, () =>
    (async () => {
      while (!stopReading) {
        const key = keys[random(keys.length)];
        const entry = model.get(key);
        if (entry === undefined || entry.busy || entry.unknown) {
          await sleep(0);
          continue;
        }
        const ops = entry.ops;
        const expected = entry.version;
        let value: string | null;
        try {
          value = await cluster.get(key);
        } catch (error) {
          if (error instanceof ConnectionClosedError) return;
          continue;
        }
        // Only reads no operation overlapped say what the key must hold.
        if (entry.ops !== ops || entry.busy) continue;
        checked++;
        const got = value === null ? -1 : versionOf(value);
        if (got !== expected) violations.push(`${key}: read ${got}, acknowledged ${expected}`);
      }
    })(),
  );

  await eventually(
    () => recorded.repaired.some((entry) => entry.server === '0/0'),
    'replica 0 repaired',
    25_000,
  );
  // Writes stop at once, so a value the resync got wrong is not hidden by a later write of its key;
  // then every read is checked, and with 'ordered' they go to the repaired replica.
  running = false;
  await Promise.all(workers);
  const readsBefore = checked;
  await eventually(() => checked > readsBefore + 1_000, 'checked reads after the repair', 10_000);
  stopReading = true;
  await Promise.all(readers);

  expect(violations).toEqual([]);
  expect(recorded.staleReads).toBe(0);
  expect(recorded.stale).toContainEqual({ server: '0/0', reason: 'restarted' });
  const repaired = recorded.repaired.find((entry) => entry.server === '0/0');
  expect(repaired?.summary.mode).toBe('full');
  await eventually(() => cluster.health().every((entry) => entry.state === 'up'), 'every server up', 10_000);

  // Every replica equals the others, and the model: deleted keys gone (none resurrected), every
  // value the last acknowledged one, expiries where PEXPIRE was the last word.
  const contents = await expectEqualReplicas();
  const expected: string[] = [];
  for (const key of [...keys].sort()) {
    const entry = model.get(key);
    if (entry === undefined || entry.unknown) continue;
    if (entry.version >= 0) expected.push(key);
  }
  const present = new Set(contents.map((line) => line.slice(0, line.indexOf('='))));
  for (const key of keys) {
    const entry = model.get(key);
    if (entry === undefined || entry.unknown) continue;
    expect([key, present.has(key)]).toEqual([key, entry.version >= 0]);
  }
  const values = await cluster.mget(expected);
  const ttls = await Promise.all(expected.map((key) => cluster.pttl(key)));
  expected.forEach((key, i) => {
    const entry = model.get(key);
    expect([key, values[i], ttls[i] >= 0]).toEqual([
      key,
      valueOf(key, entry?.version ?? 0),
      entry?.expires ?? false,
    ]);
  });
}, 40_000);

test('two Cluster instances over the same servers: a restarted server is resynced once', async () => {
  const a = makeCluster({ maxKeysPerSecond: 3_000 });
  const b = makeCluster({ maxKeysPerSecond: 3_000 });
  await Promise.all([a.cluster.connect(), b.cluster.connect()]);
  const keysA = keysOf(a.cluster, 0, 600, 'twinA');
  const keysB = keysOf(b.cluster, 0, 600, 'twinB');
  const ledgerA = new Ledger();
  const ledgerB = new Ledger();
  await a.cluster.mset(Object.fromEntries(keysA.map((key) => [key, valueOf(key, 1)])));
  await b.cluster.mset(Object.fromEntries(keysB.map((key) => [key, valueOf(key, 1)])));
  for (const key of keysA) ledgerA.acked.set(key, 1);
  for (const key of keysB) ledgerB.acked.set(key, 1);
  const loads = [runLoad(a.cluster, keysA, ledgerA, 2, 2), runLoad(b.cluster, keysB, ledgerB, 2, 2)];
  await sleep(200);
  await servers[0].kill();
  await sleep(300);
  await servers[0].restart();
  const repairedBoth = (): boolean =>
    a.recorded.repaired.some((entry) => entry.server === '0/0') &&
    b.recorded.repaired.some((entry) => entry.server === '0/0');
  await eventually(repairedBoth, 'both instances see replica 0 repaired', 25_000);
  await Promise.all(loads.map((load) => load.stop()));

  const summaries = [...a.recorded.repaired, ...b.recorded.repaired]
    .filter((entry) => entry.server === '0/0')
    .map((entry) => entry.summary);
  // One full resync by one of them; the other waited for its marker.
  expect(summaries.filter((summary) => summary.mode === 'full' && !summary.byPeer)).toHaveLength(1);
  expect(summaries.filter((summary) => summary.byPeer)).toHaveLength(1);
  expect(ledgerA.violations).toEqual([]);
  expect(ledgerB.violations).toEqual([]);
  expect(a.recorded.staleReads + b.recorded.staleReads).toBe(0);
  await eventually(
    () => [a, b].every(({ cluster }) => cluster.health().every((entry) => entry.state === 'up')),
    'every server up in both',
    10_000,
  );
  await expectEqualReplicas();
  expect(await servers[0].command('EXISTS', '__respline:repair:lease')).toBe(0);
}, 40_000);

test('a hint log that overflows turns into a full resync', async () => {
  const { cluster, recorded } = makeCluster({ maxHints: 20 });
  await cluster.connect();
  const keys = keysOf(cluster, 0, 300, 'over');
  const ledger = new Ledger();
  await cluster.mset(Object.fromEntries(keys.map((key) => [key, valueOf(key, 1)])));
  for (const key of keys) ledger.acked.set(key, 1);
  expect(cluster.health()[0]).toMatchObject({ state: 'up', missedWrites: 0 });

  servers[0].pause();
  // Acknowledged by replicas 1 and 2 (quorum); each times out on the paused replica 0.
  await Promise.all(keys.map((key) => cluster.set(key, valueOf(key, 2))));
  for (const key of keys) ledger.acked.set(key, 2);
  await eventually(() => cluster.health()[0].missedWrites === -1, 'replica 0 needs a full resync', 10_000);
  // 'missed-writes' comes first unless one write alone overflowed the log (the seeding MSET, had it
  // timed out on replica 0).
  expect(recorded.stale.map((entry) => entry.reason)).toContain('hint-overflow');
  // Out of the read set, though first in 'ordered': reads see the new values.
  for (const key of keys.slice(0, 50)) expect(await cluster.get(key)).toBe(valueOf(key, 2));
  servers[0].resume();

  await eventually(
    () => recorded.repaired.some((entry) => entry.server === '0/0'),
    'replica 0 repaired',
    20_000,
  );
  const repaired = recorded.repaired.find((entry) => entry.server === '0/0');
  expect(repaired?.summary.mode).toBe('full');
  expect(repaired?.summary.keys).toBeGreaterThanOrEqual(keys.length);
  // health() ranks 'down' above 'stale' and 'repairing': the resumed server may stay marked down (its
  // probe not answered yet) through the whole resync, so the states seen at the events can be 'stale'
  // then 'down'. What must hold: it showed 'up' only at serverRepaired, and shows it after.
  const states = recorded.states.get('0/0') ?? [];
  expect(states[0]).toBe('stale');
  expect(states.slice(0, -1)).not.toContain('up');
  await eventually(() => cluster.health()[0].state === 'up', 'replica 0 back up', 10_000);
  expect(cluster.health()[0]).toMatchObject({ state: 'up', missedWrites: 0 });
  const load = runLoad(cluster, keys, ledger, 2, 4);
  await eventually(() => ledger.reads > 300, 'reads after the repair', 10_000);
  await load.stop();
  expect(ledger.violations).toEqual([]);
  await expectEqualReplicas();
}, 40_000);
