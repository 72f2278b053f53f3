import { defineGroup } from '../define';
import * as r from '../replies';
import * as k from '../replies-cluster';
import { container } from '../container';

/**
 * The cluster commands: how each reply is shaped, and friendlier argument forms where there are any.
 * A server without cluster support answers CLUSTER subcommands with an error, which rejects as usual.
 */
export const cluster = defineGroup('cluster', {
  ASKING: r.ok,
  CLUSTER: container,
  'CLUSTER|ADDSLOTS': r.ok,
  'CLUSTER|ADDSLOTSRANGE': r.ok,
  'CLUSTER|BUMPEPOCH': k.bumpEpoch,
  'CLUSTER|COUNT-FAILURE-REPORTS': r.integer,
  'CLUSTER|COUNTKEYSINSLOT': r.integer,
  'CLUSTER|DELSLOTS': r.ok,
  'CLUSTER|DELSLOTSRANGE': r.ok,
  'CLUSTER|FAILOVER': r.ok,
  'CLUSTER|FLUSHSLOTS': r.ok,
  'CLUSTER|FORGET': r.ok,
  'CLUSTER|GETKEYSINSLOT': r.list,
  'CLUSTER|HELP': r.list,
  // `name:value` lines, as Redis prints them (as INFO is left).
  'CLUSTER|INFO': r.text,
  'CLUSTER|KEYSLOT': r.integer,
  'CLUSTER|LINKS': k.clusterLinks,
  'CLUSTER|MEET': r.ok,
  'CLUSTER|MYID': r.text,
  'CLUSTER|NODES': k.clusterNodes,
  'CLUSTER|REPLICAS': k.clusterNodeList,
  'CLUSTER|REPLICATE': r.ok,
  'CLUSTER|RESET': r.ok,
  'CLUSTER|SAVECONFIG': r.ok,
  'CLUSTER|SET-CONFIG-EPOCH': r.ok,
  'CLUSTER|SETSLOT': r.ok,
  'CLUSTER|SHARDS': k.clusterShards,
  'CLUSTER|SLAVES': k.clusterNodeList,
  'CLUSTER|SLOTS': k.clusterSlots,
  READONLY: r.ok,
  READWRITE: r.ok,
});
