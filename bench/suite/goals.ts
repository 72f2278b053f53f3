import { clusterRecords } from './cluster-records';
import { micros, ratio, rate, mebibytes } from './format';
import { cellKey } from './plan';
import type { ClientName, Workload } from './protocol';
import { holderName, type CellResult, type SuiteResults } from './results';

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean | null;
}

const PEERS: ClientName[] = ['ioredis', 'ioredis-auto', 'node-redis', 'glide'];

/** The targets of issue 4, judged on this run's medians. `met: null` when the run did not measure it. */
export function judgeGoals(results: SuiteResults): Goal[] {
  const goals: Goal[] = [];
  const holder = holderName(results);
  const cell = (key: string, client: ClientName): CellResult | undefined =>
    results.cells.find((c) => c.key === key && c.client === client && c.runs.length > 0);

  const versusBest = (workload: Workload, depth: number, target: number): void => {
    const key = cellKey('queue', workload, depth);
    const ours = cell(key, 'respline');
    const peers = PEERS.map((client) => cell(key, client)).filter((c): c is CellResult => c !== undefined);
    if (!ours || peers.length === 0) return;
    const best = peers.reduce((a, b) => (b.opsPerSec.median > a.opsPerSec.median ? b : a));
    const r = ours.opsPerSec.median / best.opsPerSec.median;
    goals.push({
      goal: `${workload.toUpperCase()} ${depth} in flight vs best peer (${best.client}, ${rate(best.opsPerSec.median)})`,
      target: `≥ ${target}×`,
      measured: `${ratio(r)} (${rate(ours.opsPerSec.median)})`,
      met: r >= target,
    });
  };
  for (const workload of ['get', 'set'] as const) {
    versusBest(workload, 1, 1.1);
    versusBest(workload, 128, 2.5);
    versusBest(workload, 1024, 2.5);
  }

  for (const depth of [128, 1024]) {
    for (const workload of ['get', 'set', 'mixed'] as const) {
      const ours = cell(cellKey('queue', workload, depth), 'respline');
      if (!ours) continue;
      // The driver's own cost at that depth, measured with no client, shows how much of the figure is its.
      const driver = cell(cellKey('queue', 'get', depth), 'noop');
      const net = driver
        ? `; ${micros(ours.cpuUsPerOp.median - driver.cpuUsPerOp.median)} µs net of ${holder}`
        : '';
      goals.push({
        goal: `client CPU per op, ${workload === 'mixed' ? 'mixed 80/20' : workload.toUpperCase()} ${depth} in flight (${holder} included)`,
        target: '≤ 3 µs',
        measured: `${micros(ours.cpuUsPerOp.median)} µs${net}`,
        met: ours.cpuUsPerOp.median <= 3,
      });
    }
  }

  const decoder = results.decoder.find((d) => d.impl === 'respline' && d.runs.length > 0);
  if (decoder) {
    goals.push({
      goal: 'decoder, $100 replies from memory',
      target: '≥ 6M/s',
      measured: `${rate(decoder.repliesPerSec.median)}/s`,
      met: decoder.repliesPerSec.median >= 6e6,
    });
  }

  const ours = results.memory.find((m) => m.client === 'respline' && m.runs.length > 0);
  const theirs = results.memory.find((m) => m.client === 'ioredis' && m.runs.length > 0);
  if (ours && theirs) {
    goals.push({
      goal: `peak RSS, ${ours.pending.toLocaleString('en-US')} in flight, vs ioredis (${mebibytes(theirs.peakRssBytes.median)})`,
      target: '≤ ioredis',
      measured: mebibytes(ours.peakRssBytes.median),
      met: ours.peakRssBytes.median <= theirs.peakRssBytes.median,
    });
  }
  // Cluster GETs spread over 3 shards; SETs fan out to 3 replicas and have no target, only a cost to state.
  for (const record of clusterRecords(results.cluster?.json ?? [])) {
    const isGet = record.op.toUpperCase() === 'GET';
    goals.push({
      goal: `cluster 3×3 ${record.op} ${record.inFlight} in flight (${record.driver ?? 'p-queue'}) vs one Client on one server`,
      target: isGet ? '≥ 2×' : '(report)',
      measured: `${ratio(record.ratio)} (${rate(record.clusterOpsPerSec)} vs ${rate(record.clientOpsPerSec)})`,
      met: isGet ? record.ratio >= 2 : null,
    });
  }
  return goals;
}
