import { barChart, formatCount, plural, type Bar } from '../terminal';
import { serverLabel } from '../topology';
import { keyName, TOTAL_STEPS, type DemoContext } from './context';
import { dbsizes } from './write-keys';

/** Step 2: keys per shard (the balance) and DBSIZE per server (every replica has its copy). */
export async function showBalance(ctx: DemoContext): Promise<void> {
  const { terminal, cluster, options } = ctx;
  const { replicaCount, shardCount } = cluster;
  const style = terminal.style;
  terminal.heading(2, TOTAL_STEPS, 'Where did the keys go?');

  const perShard = new Array<number>(shardCount).fill(0);
  for (let index = 0; index < options.keys; index++) perShard[cluster.shardOf(keyName(index))]++;
  const mean = options.keys / shardCount;
  terminal.say("Keys per shard. A key's shard is jump-hash(xxh64(key)), computed by the client:");
  const shardBars: Bar[] = perShard.map((count, shard) => ({
    label: `shard ${shard}`,
    value: count,
    note: `${((count / options.keys) * 100).toFixed(1)}%`,
  }));
  for (const line of barChart(shardBars, style)) terminal.line(line);
  const worst = Math.max(...perShard.map((count) => Math.abs(count - mean) / mean));
  terminal.ok(
    `Balance: every shard is within ${(worst * 100).toFixed(1)}% of the mean (${formatCount(mean)} keys).`,
  );

  terminal.line();
  terminal.say(`DBSIZE on each server (rR-sS = replica R, shard S). Every replica holds a full copy:`);
  const sizes = await dbsizes(ctx);
  const serverBars: Bar[] = sizes.map((size, i) => ({
    label: serverLabel(Math.floor(i / shardCount), i % shardCount),
    value: size,
  }));
  for (const line of barChart(serverBars, style)) terminal.line(line);
  const mismatched = sizes.filter((size, i) => size - ctx.baseline[i] !== perShard[i % shardCount]);
  const before = ctx.baseline.reduce((sum, size) => sum + size, 0);
  if (before > 0) {
    terminal.warn(
      `These servers already held ${plural(before, 'key')} before the demo; DBSIZE counts them too.`,
    );
  }
  if (mismatched.length === 0) {
    terminal.ok(
      `Each server holds exactly the keys of its shard, so each key is on ${replicaCount} servers, ` +
        `one per replica: ${formatCount(options.keys * replicaCount)} copies in all.`,
    );
  } else {
    terminal.warn(
      `${mismatched.length} server(s) hold a different number of keys than their shard got; ` +
        'someone else may be writing to these servers.',
    );
  }
}
