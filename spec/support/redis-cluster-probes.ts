import { RedisCluster } from '../../lib/redis-cluster/redis-cluster';
import type { RedisClusterOptions } from '../../lib/redis-cluster/options';
import type { RedisClusterHarness } from './redis-cluster-harness';
import type { RedisProcess } from './redis-harness';

/**
 * Small probes the real-cluster specs share: facts asked of the nodes themselves
 * (CLUSTER MYID / SLOTS, INFO replication, commandstats, errorstats).
 */

/** The node's cluster id, by CLUSTER MYID. */
export async function nodeId(node: RedisProcess): Promise<string> {
  return String(await node.command('CLUSTER', 'MYID'));
}

/** The nodes serving slots as masters, per a running node's CLUSTER SLOTS, in `cluster.nodes` order. */
export async function masters(cluster: RedisClusterHarness): Promise<RedisProcess[]> {
  const running = cluster.nodes.find((node) => node.running) as RedisProcess;
  const ranges = (await running.command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const ports = new Set(ranges.map(([, , [, port]]) => Number(port)));
  return cluster.nodes.filter((node) => ports.has(node.port));
}

/** The replica of `master`, by its own INFO replication. */
export async function replicaOf(cluster: RedisClusterHarness, master: RedisProcess): Promise<RedisProcess> {
  const info = String(await master.command('INFO', 'replication'));
  const port = Number(/slave0:ip=[^,]+,port=(\d+)/.exec(info)?.[1]);
  return cluster.nodes.find((node) => node.port === port) as RedisProcess;
}

/** `cmdstat_<name>:calls=N` or `errorstat_<name>:count=N` of one node; 0 when it is not listed. */
export async function stat(node: RedisProcess, field: string): Promise<number> {
  const section = field.startsWith('errorstat_') ? 'errorstats' : 'commandstats';
  const info = String(await node.command('INFO', section));
  const line = info.split('\r\n').find((each) => each.startsWith(`${field}:`));
  return line === undefined ? 0 : Number(/(?:calls|count)=(\d+)/.exec(line)?.[1]);
}

/** Calls of `command` (lower case, as commandstats names it) on one node; 0 when it is not listed. */
export async function calls(node: RedisProcess, command: string): Promise<number> {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(
    String(await node.command('INFO', 'commandstats')),
  );
  return match === null ? 0 : Number(match[1]);
}

/**
 * A RedisCluster over `harness` for the fault specs: no periodic refresh, and short connect and
 * reconnect delays so a killed or moved node is noticed quickly; `options` override.
 */
export function faultClusterClient(
  harness: RedisClusterHarness,
  options: Partial<RedisClusterOptions> = {},
): RedisCluster {
  return new RedisCluster({
    seeds: harness.seeds,
    refreshInterval: 0,
    ...options,
    client: { connectTimeout: 500, reconnect: { minDelay: 20, maxDelay: 200 }, ...options.client },
  });
}

/** Zeroes each node's INFO commandstats and errorstats, so a case counts only its own calls. */
export async function resetStats(nodes: readonly RedisProcess[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.command('CONFIG', 'RESETSTAT')));
}

/** Starts moving `slot` from source to target: the slot is IMPORTING / MIGRATING, no key has moved yet. */
export async function startMove(slot: number, source: RedisProcess, target: RedisProcess): Promise<void> {
  const [sourceId, targetId] = await Promise.all([nodeId(source), nodeId(target)]);
  if ((await target.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId)) !== 'OK')
    throw new Error(`${target.url} refused to import slot ${slot}`);
  if ((await source.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId)) !== 'OK')
    throw new Error(`${source.url} refused to migrate slot ${slot}`);
}

/** MIGRATEs `keys`, or every key of `slot` still on source, to target. */
export async function migrateKeys(
  slot: number,
  source: RedisProcess,
  target: RedisProcess,
  keys?: readonly string[],
): Promise<void> {
  for (let batch = keys; ; batch = undefined) {
    const moving = batch ?? ((await source.command('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]);
    if (moving.length === 0) return;
    const reply = await source.command('MIGRATE', '127.0.0.1', target.port, '', 0, 5_000, 'KEYS', ...moving);
    if (reply !== 'OK') throw new Error(`MIGRATE of slot ${slot} to ${target.url}: ${String(reply)}`);
    if (keys !== undefined) return;
  }
}

/** Every master learns that `slot` is now `target`'s (the target first, as Redis's docs order it). */
export async function assignSlot(
  cluster: RedisClusterHarness,
  slot: number,
  target: RedisProcess,
): Promise<void> {
  const targetId = await nodeId(target);
  const all = await masters(cluster);
  for (const node of [target, ...all.filter((each) => each !== target)]) {
    const reply = await node.command('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
    if (reply !== 'OK') throw new Error(`${node.url} refused SETSLOT ${slot} NODE: ${String(reply)}`);
  }
}

/**
 * The RedisClusters of one spec file's cases: `open()` makes a fault client (faultClusterClient) over
 * the cluster `current()` names, `track()` adopts one made otherwise, and each is disconnected after
 * its case, so none refreshes (and sends CLUSTER SHARDS) while a later case counts.
 */
export function clientsPerCase(current: () => RedisClusterHarness): {
  open(options?: Partial<RedisClusterOptions>): RedisCluster;
  track(client: RedisCluster): RedisCluster;
} {
  let clients: RedisCluster[] = [];
  afterEach(() => {
    for (const client of clients) client.disconnect();
    clients = [];
  });
  const track = (client: RedisCluster): RedisCluster => {
    clients.push(client);
    return client;
  };
  return { open: (options = {}) => track(faultClusterClient(current(), options)), track };
}
