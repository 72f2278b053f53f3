import type { RespValue } from '../resp/types';
import { reply, textOf, toArray, unexpected, type FieldMap } from './reply';
import { num, recordsOf, textual, toRecord, type FieldConverters } from './replies-records';

/**
 * Cluster replies. Everything in them is text Redis generates (ids, addresses, states), so they are
 * strings from the …Buffer twins too; only CLUSTER GETKEYSINSLOT returns caller data (keys).
 */

/** One node of CLUSTER SHARDS; the keys are Redis's own. */
export interface ClusterShardNode {
  /** The node's 40-character id. */
  id: string;
  /** Its plain-text port, when it has one. */
  port?: number;
  /** Its TLS port, when TLS is on. */
  'tls-port'?: number;
  /** Its IP address. */
  ip: string;
  /** What clients should connect to: the ip, the hostname or '?', by cluster-preferred-endpoint-type. */
  endpoint: string;
  /** Its announced hostname, when one is set. */
  hostname?: string;
  /** 'master' or 'replica'. */
  role: string;
  /** Its replication offset. */
  'replication-offset': number;
  /** 'online', 'failed' or 'loading'. */
  health: string;
}

/** CLUSTER SHARDS: one shard, its slot ranges as [first, last] pairs (inclusive) and its nodes. */
export interface ClusterShard {
  /** The shard's slot ranges, [first, last] inclusive. */
  slots: [first: number, last: number][];
  /** The shard's master and replicas. */
  nodes: ClusterShardNode[];
}

/** A node in CLUSTER SLOTS. */
export interface ClusterSlotsNode {
  /** Its preferred endpoint; null when Redis does not know it (cluster-preferred-endpoint-type unknown-endpoint). */
  host: string | null;
  /** Its port. */
  port: number;
  /** The node's 40-character id. */
  id: string;
  /** Other networking metadata, such as 'hostname' (Redis 7). */
  metadata: FieldMap<string>;
}

/** CLUSTER SLOTS: one range of slots (inclusive), its master and replicas. */
export interface ClusterSlotRange {
  /** First slot of the range. */
  start: number;
  /** Last slot of the range (inclusive). */
  end: number;
  /** The master serving the range. */
  master: ClusterSlotsNode;
  /** Its replicas. */
  replicas: ClusterSlotsNode[];
}

/** A line of CLUSTER NODES (or CLUSTER REPLICAS), fields named after Redis's documentation. */
export interface ClusterNode {
  /** The node's 40-character id. */
  id: string;
  /** As Redis prints it: 'ip:port@cport[,hostname]'. */
  address: string;
  /** The ip, '' when unknown. */
  host: string;
  /** Its client port. */
  port: number;
  /** The cluster bus port. */
  busPort: number;
  /** Redis 7 with cluster-announce-hostname; null otherwise. */
  hostname: string | null;
  /** 'myself', 'master', 'slave', 'fail?', 'fail', 'handshake', 'noaddr', 'nofailover', 'noflags'. */
  flags: string[];
  /** For a replica, its master's id; null otherwise. */
  master: string | null;
  /** Unix time in milliseconds of the pending PING, 0 when none. */
  pingSent: number;
  /** Unix time in milliseconds of the last PONG. */
  pongReceived: number;
  /** The node's configuration epoch (its master's, for a replica). */
  configEpoch: number;
  /** 'connected' or 'disconnected'. */
  linkState: string;
  /** Slot ranges it serves, [first, last] inclusive. */
  slots: [first: number, last: number][];
  /** Slots being moved out: to the node with this id. */
  migrating: {
    /** The slot. */
    slot: number;
    /** The id of the node it moves to. */
    node: string;
  }[];
  /** Slots being moved in: from the node with this id. */
  importing: {
    /** The slot. */
    slot: number;
    /** The id of the node it comes from. */
    node: string;
  }[];
}

/** CLUSTER LINKS: one link of the cluster bus; the keys are Redis's own. */
export interface ClusterLink {
  /** 'to' (opened by this node) or 'from'. */
  direction: string;
  /** The peer's id. */
  node: string;
  /** Unix time in milliseconds. */
  'create-time': number;
  /** Events the link is waiting for: 'r' (readable), 'w' (writable), both or none. */
  events: string;
  /** Bytes allocated for the link's send buffer. */
  'send-buffer-allocated': number;
  /** Bytes of that buffer in use. */
  'send-buffer-used': number;
}

// ---- transforms ----

function slotPairs(value: RespValue): [number, number][] {
  const bounds = toArray(value);
  if (bounds.length % 2 !== 0) throw unexpected('pairs of slots', value);
  const out: [number, number][] = [];
  for (let i = 0; i < bounds.length; i += 2) out.push([Number(num(bounds[i])), Number(num(bounds[i + 1]))]);
  return out;
}

const SHARD: FieldConverters = { slots: slotPairs, nodes: recordsOf({}, textual) };

export function toClusterShards(value: RespValue): FieldMap<unknown>[] {
  return toArray(value).map((shard) => toRecord(shard, SHARD, textual));
}

function toSlotsNode(value: RespValue): ClusterSlotsNode {
  if (!Array.isArray(value) || value.length < 2) throw unexpected('a node of a slot range', value);
  const metadata: FieldMap<string> = Object.create(null);
  if (value.length > 3) {
    const fields = toRecord(value[3], {}, textual);
    for (const name of Object.keys(fields)) metadata[name] = String(fields[name]);
  }
  return {
    host: value[0] === null ? null : textOf(value[0]),
    port: Number(num(value[1])),
    id: value.length > 2 ? textOf(value[2]) : '',
    metadata,
  };
}

export function toClusterSlots(value: RespValue): ClusterSlotRange[] {
  return toArray(value).map((range) => {
    if (!Array.isArray(range) || range.length < 3) throw unexpected('a slot range', range);
    return {
      start: Number(num(range[0])),
      end: Number(num(range[1])),
      master: toSlotsNode(range[2]),
      replicas: range.slice(3).map(toSlotsNode),
    };
  });
}

/** One line of CLUSTER NODES. */
export function parseClusterNode(line: string): ClusterNode {
  const parts = line.trim().split(' ');
  if (parts.length < 8) throw unexpected('a CLUSTER NODES line', line);
  const [id, address, flags, master, pingSent, pongReceived, configEpoch, linkState] = parts;
  const comma = address.indexOf(',');
  const hostPorts = comma === -1 ? address : address.slice(0, comma);
  const at = hostPorts.indexOf('@');
  const hostPort = at === -1 ? hostPorts : hostPorts.slice(0, at);
  // An IPv6 address has colons of its own: the port follows the last one.
  const colon = hostPort.lastIndexOf(':');
  const node: ClusterNode = {
    id,
    address,
    host: hostPort.slice(0, colon),
    port: Number(hostPort.slice(colon + 1)),
    busPort: at === -1 ? 0 : Number(hostPorts.slice(at + 1)),
    hostname: comma === -1 || comma === address.length - 1 ? null : address.slice(comma + 1),
    flags: flags.split(','),
    master: master === '-' ? null : master,
    pingSent: Number(pingSent),
    pongReceived: Number(pongReceived),
    configEpoch: Number(configEpoch),
    linkState,
    slots: [],
    migrating: [],
    importing: [],
  };
  for (const slot of parts.slice(8)) {
    if (slot.startsWith('[')) {
      // [slot->-id] is being migrated to id, [slot-<-id] imported from it.
      const moving = /^\[(\d+)-([<>])-([^\]]+)\]$/.exec(slot);
      if (moving === null) continue;
      const entry = { slot: Number(moving[1]), node: moving[3] };
      (moving[2] === '>' ? node.migrating : node.importing).push(entry);
      continue;
    }
    const dash = slot.indexOf('-');
    const first = Number(dash === -1 ? slot : slot.slice(0, dash));
    node.slots.push([first, dash === -1 ? first : Number(slot.slice(dash + 1))]);
  }
  return node;
}

/** CLUSTER NODES: one text blob, a line per node. */
export function toClusterNodes(value: RespValue): ClusterNode[] {
  return textOf(value)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parseClusterNode);
}

/** CLUSTER REPLICAS / SLAVES: a list of CLUSTER NODES lines. */
export function toClusterNodeList(value: RespValue): ClusterNode[] {
  return toArray(value).map((line) => parseClusterNode(textOf(line)));
}

export const clusterShards = reply<ClusterShard[]>(toClusterShards);
export const clusterSlots = reply<ClusterSlotRange[]>(toClusterSlots);
export const clusterNodes = reply<ClusterNode[]>(toClusterNodes);
export const clusterNodeList = reply<ClusterNode[]>(toClusterNodeList);
export const clusterLinks = reply<ClusterLink[]>(recordsOf({}, textual));
/** CLUSTER BUMPEPOCH: 'BUMPED <epoch>' or 'STILL <epoch>'. */
export const bumpEpoch = reply<string, Buffer>();
