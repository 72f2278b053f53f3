import type { ClusterShard, ClusterSlotRange } from '../commands/replies-cluster';

/** Where a node listens, as the cluster announces it. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

/** One master's slot ranges (inclusive), the master, its replicas, and which of them may serve reads. */
export interface ShardView {
  readonly ranges: readonly (readonly [number, number])[];
  readonly master: NodeAddress;
  readonly replicas: readonly NodeAddress[];
  /**
   * The replicas that may serve reads as far as the map knows: online ones (a failed one, or one still
   * loading its data, serves none). Lag and a broken master link are each node's health check's to see
   * (ClusterNode): the map is read too seldom for that.
   */
  readonly readers: readonly NodeAddress[];
}

/** The cluster's key for a node: host:port, IPv6 hosts in brackets. */
export function addressKey(address: NodeAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * CLUSTER SHARDS as the router needs it. Shards without slots or without a master are left out;
 * failed replicas too (a killed master comes back as one), and replicas still loading serve no reads.
 * `replication-offset` is not used to judge lag: a node reports other nodes' offsets as the cluster bus
 * last gossiped them (up to half a node timeout old), and the map is reloaded seldom, so a replica
 * keeping up under writes would look behind. Each replica's own health check measures it instead.
 */
export function viewsFromShards(shards: readonly ClusterShard[], seedHost: string): ShardView[] {
  const views: ShardView[] = [];
  for (const shard of shards) {
    if (shard.slots.length === 0) continue;
    const masterNode = shard.nodes.find((node) => node.role === 'master');
    if (masterNode === undefined) continue;
    const master = shardAddress(masterNode, seedHost);
    if (master === null) continue;
    const replicas: NodeAddress[] = [];
    const readers: NodeAddress[] = [];
    for (const node of shard.nodes) {
      if (node === masterNode || node.role === 'master' || node.health === 'failed') continue;
      const address = shardAddress(node, seedHost);
      if (address === null) continue;
      replicas.push(address);
      if (node.health === 'online') readers.push(address);
    }
    views.push({
      ranges: shard.slots.map(([first, last]) => [first, last] as const),
      master,
      replicas,
      readers,
    });
  }
  return views;
}

/**
 * CLUSTER SLOTS (Redis before 7): one view per range; a master with several ranges appears once per
 * range. It says nothing of a replica's health: every replica is a reader until its health check says
 * it lags or its link is down.
 */
export function viewsFromSlots(ranges: readonly ClusterSlotRange[], seedHost: string): ShardView[] {
  return ranges.map((range) => {
    const replicas = range.replicas.map((replica) => ({
      host: slotsHost(replica.host, seedHost),
      port: replica.port,
    }));
    return {
      ranges: [[range.start, range.end] as const],
      master: { host: slotsHost(range.master.host, seedHost), port: range.master.port },
      replicas,
      readers: replicas,
    };
  });
}

function shardAddress(
  node: { endpoint: string; ip: string; port?: number; 'tls-port'?: number },
  seedHost: string,
): NodeAddress | null {
  const port = node.port ?? node['tls-port'];
  if (port === undefined || port === 0) return null;
  // '?' (unknown endpoint) and '' mean "the address you reached me on": the seed's host.
  const host = node.endpoint !== '' && node.endpoint !== '?' ? node.endpoint : node.ip || seedHost;
  return { host, port };
}

function slotsHost(host: string | null, seedHost: string): string {
  return host === null || host === '' || host === '?' ? seedHost : host;
}
