import { defineGroup } from '../define';
import * as r from '../replies';
import * as k from '../replies-cluster';
import * as p from '../replies-plain';
import { container } from '../container';

/**
 * The cluster commands: how each reply is shaped, and friendlier argument forms where there are any.
 * A server without cluster support answers CLUSTER subcommands with an error, which rejects as usual.
 */
export const cluster = defineGroup('cluster', {
  ASKING: p.ok,
  CLUSTER: container,
  'CLUSTER|ADDSLOTS': p.ok,
  'CLUSTER|ADDSLOTSRANGE': p.ok,
  'CLUSTER|BUMPEPOCH': k.bumpEpoch,
  'CLUSTER|COUNT-FAILURE-REPORTS': r.integer,
  'CLUSTER|COUNTKEYSINSLOT': r.integer,
  'CLUSTER|DELSLOTS': p.ok,
  'CLUSTER|DELSLOTSRANGE': p.ok,
  'CLUSTER|FAILOVER': p.ok,
  'CLUSTER|FLUSHSLOTS': p.ok,
  'CLUSTER|FORGET': p.ok,
  'CLUSTER|GETKEYSINSLOT': r.list,
  'CLUSTER|HELP': r.list,
  // `name:value` lines, as Redis prints them (as INFO is left).
  'CLUSTER|INFO': r.text,
  'CLUSTER|KEYSLOT': r.integer,
  'CLUSTER|LINKS': k.clusterLinks,
  'CLUSTER|MEET': p.ok,
  'CLUSTER|MYID': r.text,
  'CLUSTER|NODES': k.clusterNodes,
  'CLUSTER|REPLICAS': k.clusterNodeList,
  'CLUSTER|REPLICATE': p.ok,
  'CLUSTER|RESET': p.ok,
  'CLUSTER|SAVECONFIG': p.ok,
  'CLUSTER|SET-CONFIG-EPOCH': p.ok,
  'CLUSTER|SETSLOT': p.ok,
  'CLUSTER|SHARDS': k.clusterShards,
  'CLUSTER|SLAVES': k.clusterNodeList,
  'CLUSTER|SLOTS': k.clusterSlots,
  READONLY: p.ok,
  READWRITE: p.ok,
});
