import { defineGroup } from '../define';
import * as r from '../replies';
import { container } from '../container';

/** The cluster commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const cluster = defineGroup('cluster', {
  ASKING: r.raw,
  CLUSTER: container,
  'CLUSTER|ADDSLOTS': r.raw,
  'CLUSTER|ADDSLOTSRANGE': r.raw,
  'CLUSTER|BUMPEPOCH': r.raw,
  'CLUSTER|COUNT-FAILURE-REPORTS': r.raw,
  'CLUSTER|COUNTKEYSINSLOT': r.raw,
  'CLUSTER|DELSLOTS': r.raw,
  'CLUSTER|DELSLOTSRANGE': r.raw,
  'CLUSTER|FAILOVER': r.raw,
  'CLUSTER|FLUSHSLOTS': r.raw,
  'CLUSTER|FORGET': r.raw,
  'CLUSTER|GETKEYSINSLOT': r.raw,
  'CLUSTER|HELP': r.raw,
  'CLUSTER|INFO': r.raw,
  'CLUSTER|KEYSLOT': r.raw,
  'CLUSTER|LINKS': r.raw,
  'CLUSTER|MEET': r.raw,
  'CLUSTER|MYID': r.raw,
  'CLUSTER|NODES': r.raw,
  'CLUSTER|REPLICAS': r.raw,
  'CLUSTER|REPLICATE': r.raw,
  'CLUSTER|RESET': r.raw,
  'CLUSTER|SAVECONFIG': r.raw,
  'CLUSTER|SET-CONFIG-EPOCH': r.raw,
  'CLUSTER|SETSLOT': r.raw,
  'CLUSTER|SHARDS': r.raw,
  'CLUSTER|SLAVES': r.raw,
  'CLUSTER|SLOTS': r.raw,
  READONLY: r.raw,
  READWRITE: r.raw,
});
