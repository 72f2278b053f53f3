import { formatCount, formatMs, plural } from '../terminal';
import { serverLabel, type Outage } from '../topology';
import { DEMO_CLUSTER_OPTIONS } from '../cluster-watch';
import {
  DemoFailure,
  keyName,
  outageKeyName,
  sampleIndices,
  TOTAL_STEPS,
  valueOf,
  type DemoContext,
} from './context';
import { printHealth } from './health-table';
import { quorumOf } from './write-keys';

const SAMPLE_SIZE = 300;
const DOWN_WAIT_MS = 10_000;
const UP_WAIT_MS = 15_000;

/** The server taken away in step 3, handed to step 4. */
export interface OutageState {
  readonly replica: number;
  readonly shard: number;
  readonly outage: Outage;
  /** Indices of the keys written during the outage (outageKeyName) that belong to its shard. */
  readonly writtenToItsShard: number[];
  readonly readiesBefore: number;
  readonly replicaErrorsBefore: number;
}

interface ReadResult {
  ok: number;
  failed: number;
  ms: number;
  firstProblem: string | undefined;
}

/** Step 3: one server of replica 0 goes away; reads fail over, it is marked down, writes go on. */
export async function takeOneDown(ctx: DemoContext): Promise<OutageState> {
  const { terminal, cluster, watch, options } = ctx;
  const replica = 0;
  const shard = cluster.shardCount > 1 ? 1 : 0;
  const label = serverLabel(replica, shard);
  const timeout = DEMO_CLUSTER_OPTIONS.client.commandTimeout;
  terminal.heading(3, TOTAL_STEPS, `Take one server away: ${label} (replica ${replica}, shard ${shard})`);
  terminal.say(
    `Reads try replica 0 first (readFrom 'ordered'), so every read of shard ${shard} starts at ${label}.`,
  );
  const outage = ctx.topology.outage(cluster, replica, shard);
  const state: OutageState = {
    replica,
    shard,
    outage,
    writtenToItsShard: [],
    readiesBefore: watch.readiesOf(replica, shard),
    replicaErrorsBefore: watch.replicaErrorsOf(replica, shard),
  };
  terminal.say(outage.downText);
  const since = performance.now();
  await outage.takeDown();

  const sample = sampleIndices(options.keys, SAMPLE_SIZE);
  const onShard = sample.filter((index) => cluster.shardOf(keyName(index)) === shard).length;
  terminal.say(
    `Reading back ${plural(sample.length, 'key')} at once (${formatCount(onShard)} of them on shard ${shard})...`,
  );
  const first = await readBack(ctx, sample);
  expectAll(first, sample.length, `reads while ${label} was away`);
  terminal.ok(
    `${formatCount(first.ok)} of ${formatCount(sample.length)} reads returned the right value, in ${formatMs(first.ms)}.`,
  );
  if (onShard === 0) {
    terminal.aside(`(None of them is on shard ${shard}; more keys, with --keys, would show the failover.)`);
  } else if (first.ms >= timeout * 0.8) {
    terminal.aside(
      `The reads of shard ${shard} got no answer from ${label} within commandTimeout (${timeout} ms), so ` +
        'each was sent to replica 1 instead: that wait is most of the time above.',
    );
  } else {
    terminal.aside(
      `${label} was already known to be gone, so the reads of shard ${shard} went to replica 1 at once.`,
    );
  }

  const downAt = await watch.waitFor('serverDown', replica, shard, since, DOWN_WAIT_MS);
  if (downAt === undefined) {
    throw new DemoFailure(`${label} was not marked down within ${formatMs(DOWN_WAIT_MS)} of going away`);
  }
  terminal.ok(
    `${label} was marked down ${formatMs(downAt - since)} after it went away (a 'serverDown' event, after ` +
      `${DEMO_CLUSTER_OPTIONS.downAfter} failures in a row). cluster.health() now says:`,
  );
  printHealth(ctx, replica, shard);

  const writes = sampleIndices(options.keys, SAMPLE_SIZE);
  const quorum = quorumOf(cluster.replicaCount);
  terminal.say(
    `Writing ${plural(writes.length, 'new key')} while it is down. Each write needs ${quorum} of ` +
      `${cluster.replicaCount} replicas to confirm, so one silent server does not hold them up...`,
  );
  const startedAt = performance.now();
  const problems: string[] = [];
  await Promise.all(
    writes.map((index) =>
      cluster.set(outageKeyName(index), valueOf(index)).then(
        () => undefined,
        (error: unknown) => problems.push(error instanceof Error ? error.message : String(error)),
      ),
    ),
  );
  if (problems.length > 0) {
    throw new DemoFailure(
      `${problems.length} of ${writes.length} writes failed while ${label} was down; the first: ${problems[0]}`,
    );
  }
  terminal.ok(
    `${formatCount(writes.length)} of ${formatCount(writes.length)} writes confirmed in ${formatMs(performance.now() - startedAt)}.`,
  );
  state.writtenToItsShard.push(...writes.filter((index) => cluster.shardOf(outageKeyName(index)) === shard));

  const second = await readBack(ctx, sample);
  expectAll(second, sample.length, `reads after ${label} was marked down`);
  terminal.ok(
    `The same ${formatCount(sample.length)} reads again: ${formatCount(second.ok)} right, in ${formatMs(second.ms)}. ` +
      `A server marked down is tried last, so nothing waits for ${label} any more.`,
  );
  return state;
}

/** Step 4: the server comes back and is marked up again. */
export async function bringItBack(ctx: DemoContext, state: OutageState): Promise<void> {
  const { terminal, cluster, watch } = ctx;
  const { replica, shard } = state;
  const label = serverLabel(replica, shard);
  terminal.heading(4, TOTAL_STEPS, `Bring ${label} back`);
  terminal.say(state.outage.upText);
  const askedAt = performance.now();
  await state.outage.bringBack();
  const backAt = performance.now();
  const upAt = await watch.waitFor('serverUp', replica, shard, askedAt, UP_WAIT_MS);
  if (upAt === undefined) {
    throw new DemoFailure(`${label} was not marked up within ${formatMs(UP_WAIT_MS)} of coming back`);
  }
  const reconnects = watch.readiesOf(replica, shard) - state.readiesBefore;
  terminal.ok(
    `${label} was marked up again ${formatMs(Math.max(0, upAt - backAt))} after it came back (a 'serverUp' event: ` +
      'a probe PING was answered).',
  );
  terminal.aside(
    reconnects > 0
      ? `Its client reconnected by itself (${plural(reconnects, 'new connection')}); nothing was restarted by hand.`
      : 'Its connection stayed open throughout; the client simply got answers again.',
  );
  printHealth(ctx, replica, shard);

  const reported = watch.replicaErrorsOf(replica, shard) - state.replicaErrorsBefore;
  if (reported > 0) {
    terminal.say(
      `While it was away, ${plural(reported, 'command')} failed on ${label} without failing the caller ` +
        "(the other replicas answered): the 'replicaError' event reported each one, and health() counts " +
        "them in 'errors'.",
    );
  }

  const keys = state.writtenToItsShard.map(outageKeyName);
  if (keys.length === 0) return;
  const present = await cluster.server(replica, shard).call('EXISTS', ...keys);
  if (typeof present !== 'number') throw new DemoFailure(`EXISTS on ${label} answered ${String(present)}`);
  if (present === keys.length) {
    terminal.ok(
      `${label} also holds all ${formatCount(keys.length)} keys written to shard ${shard} while it was away: ` +
        'those writes had reached it, and it applied them when it answered again.',
    );
  } else {
    terminal.warn(
      `${label} is missing ${formatCount(keys.length - present)} of the ${formatCount(keys.length)} keys written to ` +
        `shard ${shard} while it was down. The cluster recorded them as writes it missed: it stays out of ` +
        'reads until repair has copied them from a replica in sync (step 5 shows a repair).',
    );
  }
}

async function readBack(ctx: DemoContext, indices: readonly number[]): Promise<ReadResult> {
  const startedAt = performance.now();
  const result: ReadResult = { ok: 0, failed: 0, ms: 0, firstProblem: undefined };
  await Promise.all(
    indices.map((index) =>
      ctx.cluster.get(keyName(index)).then(
        (value) => {
          if (value === valueOf(index)) result.ok++;
          else {
            result.failed++;
            result.firstProblem ??= `${keyName(index)} read back as ${JSON.stringify(value)}`;
          }
        },
        (error: unknown) => {
          result.failed++;
          result.firstProblem ??= error instanceof Error ? error.message : String(error);
        },
      ),
    ),
  );
  result.ms = performance.now() - startedAt;
  return result;
}

function expectAll(result: ReadResult, total: number, what: string): void {
  if (result.ok === total) return;
  throw new DemoFailure(
    `only ${result.ok} of ${total} ${what} returned the right value; the first problem: ${result.firstProblem ?? 'none'}`,
  );
}
