import { REPAIR_KEY_PREFIX } from '../../lib';
import type { Seen } from '../cluster-watch';
import { formatCount, formatMs, plural } from '../terminal';
import { serverLabel } from '../topology';
import { DemoFailure, keyName, sampleIndices, TOTAL_STEPS, valueOf, type DemoContext } from './context';
import { printHealth } from './health-table';

const SAMPLE_SIZE = 300;
/** Reads in flight at once while the server restarts and is repaired. */
const READERS = 8;
const STALE_WAIT_MS = 10_000;
const REPAIR_WAIT_MS = 30_000;

interface Reads {
  ok: number;
  wrong: number;
  failed: number;
  firstProblem: string | undefined;
}

/**
 * Step 5: one server of replica 0 is killed and started again empty. The cluster sees its run_id
 * change, keeps it out of reads (marked stale), copies its shard back from a replica in sync (a full
 * resync), and only then reads from it again. Reads run all along, and none may come back wrong.
 */
export async function restartEmpty(ctx: DemoContext): Promise<void> {
  const { terminal, cluster, watch } = ctx;
  const replica = 0;
  // Not the shard of steps 3 and 4, so this one starts from a server nothing happened to.
  const shard = cluster.shardCount > 2 ? 2 : 0;
  const label = serverLabel(replica, shard);
  terminal.heading(5, TOTAL_STEPS, `Restart a server empty: ${label} (replica ${replica}, shard ${shard})`);
  const restart = ctx.topology.emptyRestart(replica, shard);
  if (typeof restart === 'string') {
    terminal.say(`Skipped. ${restart}`);
    return;
  }
  const peerLabels = Array.from({ length: cluster.replicaCount - 1 }, (_, i) => serverLabel(i + 1, shard));
  const peers = peerLabels.join(' and ');
  terminal.say(
    `A server that restarts without persistence answers again within milliseconds, holding nothing. ` +
      `Reads try ${label} first, so trusting it again at once would answer nil for every key of shard ` +
      `${shard}. The cluster reads each server's run_id whenever it connects: a new run_id means a restart.`,
  );
  const runIdBefore = cluster.health().find((s) => s.replica === replica && s.shard === shard)?.runId ?? null;
  const keysBefore = await dataKeys(ctx, replica, shard);
  terminal.say(restart.text);

  // Reads of keys of every shard, from the kill until the server is back in the read set.
  const sample = sampleIndices(ctx.options.keys, SAMPLE_SIZE);
  const reads: Reads = { ok: 0, wrong: 0, failed: 0, firstProblem: undefined };
  let reading = true;
  const readers = Array.from({ length: READERS }, async (_, reader) => {
    for (let turn = reader; reading; turn += READERS) await readOne(ctx, sample[turn % sample.length], reads);
  });
  let stale: Seen | undefined;
  let repaired: Seen | undefined;
  const since = performance.now();
  try {
    await restart.run();
    const backAt = performance.now();
    terminal.ok(
      `${label} is running again after ${formatMs(backAt - since)}; it started with ` +
        `${plural(await keysLoadedAtStart(ctx, replica, shard), 'key')} (it held ${formatCount(keysBefore)}).`,
    );
    stale = await watch.waitForEvent('serverStale', replica, shard, since, STALE_WAIT_MS);
    if (stale === undefined)
      throw new DemoFailure(`${label} was not marked stale within ${formatMs(STALE_WAIT_MS)} of its restart`);
    repaired = await watch.waitForEvent('serverRepaired', replica, shard, stale.at, REPAIR_WAIT_MS);
    if (repaired === undefined)
      throw new DemoFailure(
        `${label} was not repaired within ${formatMs(REPAIR_WAIT_MS)} of being marked stale`,
      );
  } finally {
    reading = false;
    await Promise.all(readers);
  }

  const runIdAfter = stale.health.find((s) => s.replica === replica && s.shard === shard)?.runId ?? null;
  terminal.ok(
    `${label} was marked stale ${formatMs(Math.max(0, stale.at - since))} after the kill (a 'serverStale' ` +
      `event, reason '${stale.reason ?? '?'}': its run_id changed from ${short(runIdBefore)} to ${short(runIdAfter)}). ` +
      'cluster.health() said, at that moment:',
  );
  printHealth(ctx, replica, shard, { health: stale.health, repair: true });

  const summary = repaired.summary;
  if (summary === undefined) throw new DemoFailure(`'serverRepaired' for ${label} came without a summary`);
  const batches = watch.repairBatchesOf(replica, shard);
  terminal.ok(
    `${label} was repaired ${formatMs(repaired.at - stale.at)} after it was marked stale: a ` +
      `${summary.mode === 'full' ? 'full resync' : 'repair from the hint log'} copied ` +
      `${plural(summary.keys, 'key')} from ${peerLabels.join(' or ')} in ${formatMs(summary.durationMs)} ` +
      `(a 'serverRepaired' event, after ${plural(batches, "'repairProgress' event")}). cluster.health() now says:`,
  );
  printHealth(ctx, replica, shard, { repair: true });

  const total = reads.ok + reads.wrong + reads.failed;
  if (reads.ok !== total) {
    throw new DemoFailure(
      `${formatCount(reads.wrong)} reads returned a wrong value and ${formatCount(reads.failed)} failed while ` +
        `${label} restarted and was repaired; the first problem: ${reads.firstProblem ?? 'none'}`,
    );
  }
  terminal.ok(
    `${formatCount(reads.ok)} of ${formatCount(total)} reads returned the right value while it restarted, ` +
      `was stale and was repaired: none was answered by the empty server.`,
  );

  const keysAfter = await dataKeys(ctx, replica, shard);
  const peerKeys = await Promise.all(
    Array.from({ length: cluster.replicaCount - 1 }, (_, i) => dataKeys(ctx, i + 1, shard)),
  );
  if (peerKeys.some((count) => count !== keysAfter)) {
    throw new DemoFailure(
      `after its repair ${label} holds ${keysAfter} keys, and ${peers} hold ${peerKeys.join(' and ')}`,
    );
  }
  terminal.ok(`${label} holds ${plural(keysAfter, 'key')} again, as ${peers} do.`);

  // Back in the read set: 'ordered' reads of shard `shard` go to it first, which its hit count shows.
  const onShard = sample.filter((index) => cluster.shardOf(keyName(index)) === shard);
  const hitsBefore = await keyspaceHits(ctx, replica, shard);
  const after: Reads = { ok: 0, wrong: 0, failed: 0, firstProblem: undefined };
  await Promise.all(onShard.map((index) => readOne(ctx, index, after)));
  const served = (await keyspaceHits(ctx, replica, shard)) - hitsBefore;
  if (after.ok !== onShard.length || served !== onShard.length) {
    throw new DemoFailure(
      `of ${onShard.length} reads of shard ${shard} after the repair, ${after.ok} were right and ${label} ` +
        `served ${served}; the first problem: ${after.firstProblem ?? 'none'}`,
    );
  }
  terminal.ok(
    `Back in the read set: ${label} answered ${formatCount(served)} of ${formatCount(onShard.length)} reads ` +
      `of shard ${shard} keys (its keyspace_hits), every one right.`,
  );
}

async function readOne(ctx: DemoContext, index: number, reads: Reads): Promise<void> {
  try {
    const value = await ctx.cluster.get(keyName(index));
    if (value === valueOf(index)) reads.ok++;
    else {
      reads.wrong++;
      reads.firstProblem ??= `${keyName(index)} read back as ${JSON.stringify(value)}`;
    }
  } catch (error) {
    reads.failed++;
    reads.firstProblem ??= error instanceof Error ? error.message : String(error);
  }
}

/**
 * The keys the new process started with: what it loaded from disk, nothing without persistence. Not
 * DBSIZE, which can already count the repair's first copies by the time this asks (the cluster may
 * reconnect and start repairing before the demo's own command gets through: CI saw it).
 */
async function keysLoadedAtStart(ctx: DemoContext, replica: number, shard: number): Promise<number> {
  const reply = await ctx.cluster.server(replica, shard).call('INFO', 'persistence');
  const text = typeof reply === 'string' ? reply : Buffer.isBuffer(reply) ? reply.toString() : '';
  const loaded = /^rdb_last_load_keys_loaded:(\d+)\r?$/m.exec(text);
  // Redis before 7.0 has no such field: DBSIZE then, racy as it is.
  return loaded === null ? dbsize(ctx, replica, shard) : Number(loaded[1]);
}

async function dbsize(ctx: DemoContext, replica: number, shard: number): Promise<number> {
  const reply = await ctx.cluster.server(replica, shard).call('DBSIZE');
  if (typeof reply !== 'number') throw new DemoFailure(`DBSIZE answered ${String(reply)}`);
  return reply;
}

/** Keys a server holds, less the repair's own bookkeeping (lease, done-marker; see REPAIR_KEY_PREFIX). */
async function dataKeys(ctx: DemoContext, replica: number, shard: number): Promise<number> {
  const client = ctx.cluster.server(replica, shard);
  let bookkeeping = 0;
  let cursor = '0';
  do {
    const reply = await client.call('SCAN', cursor, 'MATCH', `${REPAIR_KEY_PREFIX}*`, 'COUNT', 1000);
    if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
      throw new DemoFailure(`SCAN answered ${String(reply)}`);
    cursor = String(reply[0]);
    bookkeeping += reply[1].length;
  } while (cursor !== '0');
  return (await dbsize(ctx, replica, shard)) - bookkeeping;
}

async function keyspaceHits(ctx: DemoContext, replica: number, shard: number): Promise<number> {
  const info = await ctx.cluster.server(replica, shard).call('INFO', 'stats');
  const match = /keyspace_hits:(\d+)/.exec(String(info));
  if (match === null) throw new DemoFailure('INFO stats has no keyspace_hits');
  return Number(match[1]);
}

function short(runId: string | null): string {
  return runId === null ? 'unknown' : `${runId.slice(0, 8)}…`;
}
