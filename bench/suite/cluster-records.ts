import type { Json } from './external';

/** The record shape bench/cluster-throughput.ts prints in its `BENCH_JSON [...]` line. */
export interface ClusterRecord {
  op: string;
  inFlight: number;
  /** How the in-flight depth was held: 'p-queue' or 'async loops'. */
  driver?: string;
  clientOpsPerSec: number;
  clusterOpsPerSec: number;
  ratio: number;
}

/** Records of the known shape; anything else the script printed is left to the generic rendering. */
export function clusterRecords(json: readonly Json[]): ClusterRecord[] {
  return json.flatMap((item) => (Array.isArray(item) ? item : [item])).filter(isClusterRecord);
}

function isClusterRecord(value: Json): value is Json & ClusterRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return (
    typeof value.op === 'string' &&
    typeof value.inFlight === 'number' &&
    typeof value.clientOpsPerSec === 'number' &&
    typeof value.clusterOpsPerSec === 'number' &&
    typeof value.ratio === 'number'
  );
}
