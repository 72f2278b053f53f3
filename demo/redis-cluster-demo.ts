/**
 * `npm run demo -- --redis-cluster`: respline's RedisCluster on a real Redis Cluster (6 local nodes it
 * starts, or the cluster given with --seeds), in three steps: routing, a reshard under load, and the
 * failover of a master under load.
 */
import { RedisCluster, type RedisClusterNodeInfo } from '../lib';
import { sleep, withTimeout, type Cleanup } from './cleanup';
import type { DemoOptions } from './options';
import {
  findRedisCli,
  redisCli,
  startLocalRedisCluster,
  waitUntilOk,
  type LocalRedisCluster,
} from './redis-cluster-launcher';
import { Load, type LoadResult } from './redis-cluster-load';
import { findRedisServer } from './redis-process';
import { DemoFailure, forEachConcurrently, sampleIndices } from './steps/context';
import { barChart, formatCount, formatMs, plural, table, type Terminal } from './terminal';

const TOTAL_STEPS = 3;
const CONNECT_TIMEOUT_MS = 15_000;
const QUIT_TIMEOUT_MS = 3_000;
const IN_FLIGHT = 128;
const RESHARD_SLOTS = 500;
/** Writes before the reshard starts, so the load is steady when slots begin to move. */
const WARMUP_MS = 300;
const FAILOVER_KEYS = 10_000;
const FAILOVER_LIMIT_MS = 30_000;
/** How long the writer keeps going once writes resumed after the failover. */
const AFTER_FAILOVER_MS = 1_000;
const VERIFY_SAMPLE = 1_000;
const PROBE_EVERY_MS = 20;

const routingKey = (i: number): string => `demo:rc:key:${i}`;
const reshardKey = (i: number): string => `demo:rc:reshard:${i}`;
const failoverKey = (i: number): string => `demo:rc:failover:${i % FAILOVER_KEYS}`;

interface Run {
  readonly terminal: Terminal;
  readonly options: DemoOptions;
  readonly rc: RedisCluster;
  readonly local: LocalRedisCluster | undefined;
  readonly cli: string | undefined;
  readonly seed: string;
  /** Keys written by the reshard step: removed at the end from a cluster the demo did not start. */
  reshardKeys: number;
}

export async function runRedisClusterDemo(
  terminal: Terminal,
  options: DemoOptions,
  cleanup: Cleanup,
): Promise<string> {
  terminal.title('respline Redis Cluster demo');
  const cli = findRedisCli();
  let local: LocalRedisCluster | undefined;
  let seeds: string[];
  if (options.seeds !== undefined) {
    seeds = options.seeds;
    terminal.say(`Using the Redis Cluster at ${seeds.join(', ')} (--seeds); the demo starts no server.`);
  } else {
    const server = findRedisServer();
    if (server === undefined || cli === undefined) {
      throw new DemoFailure(
        '--redis-cluster starts a local Redis Cluster and needs redis-server and redis-cli on PATH ' +
          '(or give a running cluster with --seeds)',
      );
    }
    terminal.say('Starting 6 redis-server nodes in cluster mode and joining them with redis-cli...');
    local = await startLocalRedisCluster(server, cli, cleanup);
    seeds = local.nodes.slice(0, 2).map((node) => node.url);
    terminal.ok(
      `Started 6 redis-server processes (ports ${local.nodes.map((node) => node.port).join(', ')}), ` +
        'joined by `redis-cli --cluster create --cluster-replicas 1`: 3 masters, each with a replica.',
    );
  }

  const rc = new RedisCluster({ seeds, client: { commandTimeout: 2_000 }, refreshInterval: 1_000 });
  const run: Run = { terminal, options, rc, local, cli, seed: seeds[0], reshardKeys: 0 };
  cleanup.add('closing the RedisCluster', () =>
    withTimeout(rc.quit(), QUIT_TIMEOUT_MS, 'quit timed out').catch(() => rc.disconnect()),
  );
  if (local === undefined) cleanup.add('removing the demo keys', () => removeKeys(run));
  await withTimeout(
    rc.connect(),
    CONNECT_TIMEOUT_MS,
    `could not connect within ${formatMs(CONNECT_TIMEOUT_MS)}`,
  );
  terminal.say(`new RedisCluster({ seeds: [${seeds.map((seed) => `'${seed}'`).join(', ')}] }) found:`);
  for (const node of rc.nodes()) terminal.aside(describeNode(node));

  await showRouting(run);
  await reshardUnderLoad(run);
  await failoverUnderLoad(run);
  return local === undefined
    ? 'The demo keys (demo:rc:*) are removed; the cluster keeps its new slot layout and roles.'
    : 'Stopped the 6 redis-server processes it started.';
}

async function showRouting(run: Run): Promise<void> {
  const { terminal, rc, options } = run;
  terminal.heading(1, TOTAL_STEPS, 'Routing: every key to the master of its slot');
  terminal.say(
    `Redis Cluster splits keys into 16,384 slots (CRC16 of the key mod 16384); each master serves some ` +
      `ranges of slots. RedisCluster keeps that map and sends each command straight to the right master. ` +
      `Writing ${formatCount(options.keys)} keys, ${IN_FLIGHT} in flight...`,
  );
  await forEachConcurrently(options.keys, IN_FLIGHT, async (i) => {
    await rc.set(routingKey(i), `value-${i}`);
  });
  const masters = mastersOf(rc);
  const perMaster = new Map(masters.map((master) => [master.url, 0]));
  for (let i = 0; i < options.keys; i++) {
    const owner = ownerOf(masters, rc.slotOf(routingKey(i)));
    perMaster.set(owner.url, (perMaster.get(owner.url) ?? 0) + 1);
  }
  for (const line of barChart(
    masters.map((master) => ({
      label: hostPort(master.url),
      value: perMaster.get(master.url) ?? 0,
      note: `slots ${master.slots.map(([first, last]) => `${first}-${last}`).join(', ')}`,
    })),
    terminal.style,
  )) {
    terminal.line(line);
  }
  if (run.local !== undefined) {
    // On a cluster of its own the demo can check the count against each master's DBSIZE.
    for (const master of masters) {
      const size = await rc.node(master.url).dbsize();
      if (size !== perMaster.get(master.url)) {
        throw new DemoFailure(`${hostPort(master.url)} holds ${size} keys, not ${perMaster.get(master.url)}`);
      }
    }
    terminal.ok('Each master holds exactly the keys of its slots (DBSIZE agrees).');
  }
  const samples = ['user:1000', 'user:1001', '{user:1000}:cart', '{user:1000}:orders'];
  for (const line of table(
    ['key', 'slot', 'master'],
    samples.map((key) => {
      const slot = rc.slotOf(key);
      return [key, String(slot), hostPort(ownerOf(masters, slot).url)];
    }),
    terminal.style,
  )) {
    terminal.line(line);
  }
  terminal.aside(
    'A {hash tag} makes only the part inside braces count: keys sharing it share a slot, so one ' +
      'MULTI or multi-key command can use them together.',
  );
}

async function reshardUnderLoad(run: Run): Promise<void> {
  const { terminal, rc, cli } = run;
  terminal.heading(2, TOTAL_STEPS, `A reshard under load: ${RESHARD_SLOTS} slots move while writes go on`);
  if (cli === undefined) {
    terminal.warn('redis-cli is not installed here, so the reshard is skipped.');
    return;
  }
  const masters = mastersOf(rc);
  const [from, to] = [masters[0], masters[1]];
  const [fromId, toId] = await Promise.all([rc.node(from.url).clusterMyid(), rc.node(to.url).clusterMyid()]);
  terminal.say(
    `A writer keeps ${IN_FLIGHT} SETs in flight (a new key each) through RedisCluster while ` +
      `\`redis-cli --cluster reshard\` moves ${RESHARD_SLOTS} slots from ${hostPort(from.url)} to ` +
      `${hostPort(to.url)}, key by key (MIGRATE). Commands for a slot in motion get ASK or MOVED ` +
      'replies; RedisCluster follows them and reloads its slot map, so the caller sees no error.',
  );
  const acked: number[] = [];
  const load = new Load(
    IN_FLIGHT,
    (i) => rc.set(reshardKey(i), `v${i}`),
    (i) => acked.push(i),
  );
  let result: LoadResult;
  let moved: number;
  try {
    await sleep(WARMUP_MS);
    const output = await redisCli(cli, [
      '--cluster',
      'reshard',
      hostPort(from.url),
      '--cluster-from',
      fromId,
      '--cluster-to',
      toId,
      '--cluster-slots',
      String(RESHARD_SLOTS),
      '--cluster-yes',
    ]);
    moved = output.split('\n').filter((line) => line.startsWith('Moving slot')).length;
  } finally {
    result = await load.stop();
    run.reshardKeys = load.issued;
  }
  reportLoad(terminal, result);
  if (result.ok === 0 || load.failed > 0) {
    throw new DemoFailure(`the writer met ${plural(load.failed, 'error')} during the reshard`);
  }
  const sample = sampleIndices(acked.length, VERIFY_SAMPLE).map((at) => acked[at]);
  const wrong = (
    await Promise.all(sample.map(async (i) => ((await rc.get(reshardKey(i))) === `v${i}` ? 0 : 1)))
  ).reduce<number>((sum, bad) => sum + bad, 0);
  if (wrong > 0)
    throw new DemoFailure(`${wrong} of ${sample.length} keys written during the reshard read back wrong`);
  terminal.ok(
    `${formatCount(result.ok)} SETs in ${formatMs(result.ms)} while ${plural(moved, 'slot')} moved: ` +
      `0 errors, and ${formatCount(sample.length)} of the keys read back exactly.`,
  );
  await waitForSlotCount(rc, to.url, served(to) + moved);
  for (const master of mastersOf(rc)) terminal.aside(describeNode(master));
}

async function failoverUnderLoad(run: Run): Promise<void> {
  const { terminal, rc, local } = run;
  terminal.heading(3, TOTAL_STEPS, 'Failover: a master goes away under load');
  const probe = 'demo:rc:failover-probe';
  const master = ownerOf(mastersOf(rc), rc.slotOf(probe));
  const replica = await replicaOf(rc, master.url);
  terminal.say(
    local !== undefined
      ? `A writer keeps ${IN_FLIGHT} SETs in flight over all slots; then ${hostPort(master.url)} is killed ` +
          `(SIGKILL, no goodbye). After cluster-node-timeout (1 s) the other masters agree it is down and ` +
          `its replica ${hostPort(replica)} takes over. Until then the writes to its slots fail with ` +
          'typed errors; the others go on.'
      : `A writer keeps ${IN_FLIGHT} SETs in flight over all slots; then its replica ${hostPort(replica)} ` +
          `is told CLUSTER FAILOVER and takes over from ${hostPort(master.url)} (servers the demo did not ` +
          'start are never killed).',
  );
  const load = new Load(IN_FLIGHT, (i) => rc.set(failoverKey(i), `v${i}`));
  let result: LoadResult;
  let gapMs: number;
  try {
    await sleep(WARMUP_MS);
    const startedAt = performance.now();
    if (local !== undefined) {
      const node = local.nodes.find((each) => each.url === master.url);
      if (node === undefined) throw new DemoFailure(`${master.url} is not one of the nodes the demo started`);
      await node.kill();
      terminal.warn(`Killed ${hostPort(master.url)} (pid ${node.pid}) with SIGKILL.`);
    } else {
      await rc.node(replica).clusterFailover();
    }
    // CLUSTER FAILOVER answers OK before the switch: wait for the new role, then for writes.
    if (local === undefined) await waitForRole(rc, replica);
    gapMs = await writesResume(rc, probe, startedAt);
    await sleep(AFTER_FAILOVER_MS);
  } finally {
    result = await load.stop();
  }
  reportLoad(terminal, result);
  if (result.untyped.length > 0) {
    throw new DemoFailure(`${result.untyped.length} writes failed with untyped errors: ${result.untyped[0]}`);
  }
  await waitForRole(rc, replica);
  const promoted = rc.nodes().find((node) => node.url === replica);
  terminal.ok(
    `${hostPort(replica)} is now a master (${promoted === undefined ? '' : describeNode(promoted)}); ` +
      `writes to the old master's slots resumed ${formatMs(gapMs)} after ` +
      (local !== undefined ? 'the kill.' : 'CLUSTER FAILOVER.'),
  );
  const failed = load.failed;
  terminal.ok(
    `${formatCount(result.ok)} SETs succeeded in ${formatMs(result.ms)}; ` +
      (failed === 0
        ? 'none failed.'
        : `${plural(failed, 'write')} failed during the gap, every one with a typed error (a ResplineError) ` +
          'the caller can catch and retry.'),
  );
  if (local !== undefined) {
    terminal.aside(
      'Redis replicates asynchronously: writes the master acknowledged just before it died may not have ' +
        'reached the replica. Only WAIT can make a write wait for its replica.',
    );
    await waitUntilOk(run.cli as string, local.nodes);
  }
}

/** Sets the probe key until it works; returns the ms since `since`. */
async function writesResume(rc: RedisCluster, probe: string, since: number): Promise<number> {
  const deadline = since + FAILOVER_LIMIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await rc.set(probe, `probe-${attempt}`);
      return performance.now() - since;
    } catch (error) {
      if (performance.now() > deadline) {
        throw new DemoFailure(
          `writes did not resume within ${formatMs(FAILOVER_LIMIT_MS)}: ${String(error)}`,
        );
      }
      await sleep(PROBE_EVERY_MS);
    }
  }
}

/** Waits until RedisCluster's slot map lists `url` as a master with slots. */
async function waitForRole(rc: RedisCluster, url: string): Promise<void> {
  const deadline = performance.now() + FAILOVER_LIMIT_MS;
  while (!rc.nodes().some((node) => node.url === url && node.role === 'master' && node.slots.length > 0)) {
    if (performance.now() > deadline)
      throw new DemoFailure(`${url} was not promoted within ${formatMs(FAILOVER_LIMIT_MS)}`);
    await sleep(50);
  }
}

/** Waits (bounded) until RedisCluster's map, reloaded on MOVED and every second, shows the reshard. */
async function waitForSlotCount(rc: RedisCluster, url: string, slots: number): Promise<void> {
  const deadline = performance.now() + FAILOVER_LIMIT_MS;
  for (;;) {
    const node = rc.nodes().find((each) => each.url === url);
    if (node !== undefined && served(node) === slots) return;
    if (performance.now() > deadline) {
      throw new DemoFailure(`${hostPort(url)} does not serve ${slots} slots after the reshard`);
    }
    await sleep(50);
  }
}

function served(node: RedisClusterNodeInfo): number {
  return node.slots.reduce((sum, [first, last]) => sum + last - first + 1, 0);
}

/** The replica of the master at `masterUrl`, from the master's CLUSTER NODES. */
async function replicaOf(rc: RedisCluster, masterUrl: string): Promise<string> {
  const client = rc.node(masterUrl);
  const [id, nodes] = await Promise.all([client.clusterMyid(), client.clusterNodes()]);
  const online = nodes.find(
    (node) =>
      node.master === id &&
      node.flags.includes('slave') &&
      !node.flags.some((flag) => flag.startsWith('fail')),
  );
  if (online !== undefined) return `redis://${online.host}:${online.port}`;
  throw new DemoFailure(`${hostPort(masterUrl)} has no replica online, so there is no failover to show`);
}

function reportLoad(terminal: Terminal, result: LoadResult): void {
  const rows = [['ok', formatCount(result.ok)]];
  for (const [name, count] of result.errors) rows.push([name, formatCount(count)]);
  if (result.untyped.length > 0) rows.push(['untyped errors', formatCount(result.untyped.length)]);
  for (const line of table(['outcome', 'SETs'], rows, terminal.style)) terminal.line(line);
}

function mastersOf(rc: RedisCluster): RedisClusterNodeInfo[] {
  return rc
    .nodes()
    .filter((node) => node.role === 'master' && node.slots.length > 0)
    .sort((a, b) => a.slots[0][0] - b.slots[0][0]);
}

function ownerOf(masters: readonly RedisClusterNodeInfo[], slot: number): RedisClusterNodeInfo {
  const owner = masters.find((master) => master.slots.some(([first, last]) => slot >= first && slot <= last));
  if (owner === undefined) throw new DemoFailure(`no master serves slot ${slot}`);
  return owner;
}

function describeNode(node: RedisClusterNodeInfo): string {
  const slots = node.slots.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`));
  return node.role === 'master'
    ? `${hostPort(node.url)} master, ${plural(served(node), 'slot')}: ${slots.join(', ')}`
    : `${hostPort(node.url)} replica`;
}

function hostPort(url: string): string {
  return new URL(url).host;
}

/** Deletes what the demo wrote to a cluster it did not start. */
async function removeKeys(run: Run): Promise<void> {
  const keys = [
    ...Array.from({ length: run.options.keys }, (_, i) => routingKey(i)),
    ...Array.from({ length: run.reshardKeys }, (_, i) => reshardKey(i)),
    ...Array.from({ length: FAILOVER_KEYS }, (_, i) => failoverKey(i)),
    'demo:rc:failover-probe',
  ];
  await forEachConcurrently(keys.length, IN_FLIGHT, async (i) => {
    await run.rc.del(keys[i]);
  });
}
