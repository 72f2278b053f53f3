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
