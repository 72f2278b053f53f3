import { ProgressBar } from '../progress';
import { formatCount, formatMs } from '../terminal';
import { DemoFailure, forEachConcurrently, keyName, TOTAL_STEPS, valueOf, type DemoContext } from './context';

/** SETs in flight at once while writing: enough to keep every server busy, few enough to show progress. */
const WRITE_CONCURRENCY = 64;

/** Step 1: N keys written through the Cluster, with a progress bar. */
export async function writeKeys(ctx: DemoContext): Promise<void> {
  const { terminal, cluster, options } = ctx;
  const { replicaCount } = cluster;
  terminal.heading(1, TOTAL_STEPS, `Write ${formatCount(options.keys)} keys through the cluster`);
  terminal.say(
    `Each SET goes to the key's shard on all ${replicaCount} replicas at once, and succeeds as soon as ` +
      `${quorumOf(replicaCount)} of them have confirmed it (writeAck 'quorum').`,
  );
  ctx.baseline = await dbsizes(ctx);
  const bar = new ProgressBar(terminal, options.keys, 'keys');
  let done = 0;
  await forEachConcurrently(options.keys, WRITE_CONCURRENCY, async (index) => {
    await cluster.set(keyName(index), valueOf(index));
    bar.update(++done);
  });
  const elapsed = bar.finish(done);
  terminal.ok(
    `${formatCount(done)} keys written in ${formatMs(elapsed)}: ${formatCount(done * replicaCount)} SETs ` +
      `sent to servers (each key on ${replicaCount} of them).`,
  );
}

/** DBSIZE of every server, replica-major; fails the demo if one cannot answer. */
export async function dbsizes(ctx: DemoContext): Promise<number[]> {
  const outcomes = await ctx.cluster.each('DBSIZE');
  return outcomes.map((outcome) => {
    if (!outcome.ok || typeof outcome.reply !== 'number') {
      throw new DemoFailure(
        `DBSIZE failed on ${outcome.url}: ${outcome.error?.message ?? `unexpected reply ${String(outcome.reply)}`}`,
      );
    }
    return outcome.reply;
  });
}

/** Replicas a 'quorum' write needs: a majority. */
export function quorumOf(replicaCount: number): number {
  return Math.floor(replicaCount / 2) + 1;
}
