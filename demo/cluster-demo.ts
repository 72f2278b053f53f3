/**
 * `npm run demo`: respline's Cluster on 3 replicas x 3 shards, in steps a newcomer can follow
 * without reading code. See `npm run demo -- --help` for options.
 */
import { Cluster, InvalidArgumentError } from '../lib';
import { Cleanup, withTimeout } from './cleanup';
import { ClusterWatch, DEMO_CLUSTER_OPTIONS } from './cluster-watch';
import { runRedisClusterDemo } from './redis-cluster-demo';
import { parseOptions, UsageError, USAGE, type DemoOptions } from './options';
import { ServersSpecError } from './servers-spec';
import { showBalance } from './steps/balance';
import {
  DemoFailure,
  forEachConcurrently,
  keyName,
  outageKeyName,
  RESTART_STEP,
  type DemoContext,
} from './steps/context';
import { bringItBack, takeOneDown } from './steps/outage';
import { restartEmpty } from './steps/restart';
import { compareThroughput } from './steps/throughput';
import { writeKeys } from './steps/write-keys';
import { formatMs, Terminal } from './terminal';
import { openTopology, serverLabel, type DemoTopology } from './topology';

const CONNECT_TIMEOUT_MS = 15_000;
const QUIT_TIMEOUT_MS = 3_000;
const DELETE_BATCH = 500;

async function main(): Promise<number> {
  const terminal = new Terminal(process.stdout, process.env);
  const errors = new Terminal(process.stderr, process.env);
  let options: DemoOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ServersSpecError) {
      errors.fail(error.message);
      errors.say('Run `npm run demo -- --help` for the options.');
      return 2;
    }
    throw error;
  }
  if (options.help) {
    terminal.line(USAGE);
    return 0;
  }

  const cleanup = new Cleanup();
  cleanup.exitOnSignals(
    (signal) => {
      terminal.line();
      errors.warn(`${signal === 'SIGINT' ? 'Interrupted (Ctrl-C)' : `Got ${signal}`}: cleaning up...`);
    },
    (problems) => reportCleanup(errors, problems, 'Cleaned up.'),
  );
  const startedAt = performance.now();
  try {
    const goodbye = options.redisCluster
      ? await runRedisClusterDemo(terminal, options, cleanup)
      : await runDemo(terminal, options, cleanup);
    const problems = await cleanup.run();
    terminal.line();
    terminal.ok(`Done in ${formatMs(performance.now() - startedAt)}. ${goodbye}`);
    return reportCleanup(errors, problems, undefined);
  } catch (error) {
    if (cleanup.signalExitCode !== undefined) {
      // Interrupted: what failed next is only the cleanup closing things; the signal handler reports.
      await cleanup.run();
      return cleanup.signalExitCode;
    }
    terminal.line();
    errors.fail(`The demo failed: ${describe(error)}`);
    const problems = await cleanup.run();
    reportCleanup(errors, problems, 'Cleaned up: everything the demo started is stopped.');
    return 1;
  }
}

async function runDemo(terminal: Terminal, options: DemoOptions, cleanup: Cleanup): Promise<string> {
  terminal.title('respline cluster demo');
  terminal.say('Starting the servers...');
  const topology = await openTopology(options, cleanup);
  terminal.say(topology.description);
  const replicas = topology.replicas.length;
  const shards = topology.replicas[0].length;
  terminal.line();
  terminal.say(
    `A Cluster of ${replicas} replicas x ${shards} shards. Each replica holds every key, split over its ` +
      `${shards} shards (one server each), so every key lives on ${replicas} servers. Writes go to all ` +
      `${replicas} of them; reads go to one, and fail over to another when it does not answer.`,
  );
  const cluster = await connectCluster(terminal, topology, cleanup);
  if (topology.kind === 'external') {
    // Added after the cluster, so it runs before the cluster closes.
    cleanup.add('removing the demo keys', () => removeKeys(cluster, options));
  }
  const ctx: DemoContext = {
    terminal,
    cluster,
    watch: new ClusterWatch(cluster),
    topology,
    options,
    baseline: [],
  };
  await writeKeys(ctx);
  await showBalance(ctx);
  const state = await takeOneDown(ctx);
  await bringItBack(ctx, state);
  if (RESTART_STEP) await restartEmpty(ctx);
  await compareThroughput(ctx);
  return topology.goodbye;
}

async function connectCluster(
  terminal: Terminal,
  topology: DemoTopology,
  cleanup: Cleanup,
): Promise<Cluster> {
  let cluster: Cluster;
  try {
    cluster = new Cluster({ replicas: topology.replicas, ...DEMO_CLUSTER_OPTIONS });
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new DemoFailure(`the servers cannot form a cluster: ${error.message}`);
    throw error;
  }
  cleanup.add('closing the cluster', () =>
    withTimeout(cluster.quit(), QUIT_TIMEOUT_MS, 'quit timed out').catch(() => cluster.disconnect()),
  );
  await withTimeout(
    cluster.connect(),
    CONNECT_TIMEOUT_MS,
    `could not connect within ${formatMs(CONNECT_TIMEOUT_MS)}`,
  );
  terminal.line();
  terminal.say('The servers, as given to new Cluster({ replicas }):');
  topology.replicas.forEach((shards, replica) => {
    const servers = shards.map((url, shard) => `${serverLabel(replica, shard)} ${hostPort(url)}`);
    terminal.aside(`replica ${replica}: ${servers.join('   ')}`);
  });
  const { writeAck, readFrom, client } = DEMO_CLUSTER_OPTIONS;
  terminal.say(
    `Options: writeAck '${writeAck}', readFrom '${readFrom}', commandTimeout ${client.commandTimeout} ms, ` +
      `downAfter ${DEMO_CLUSTER_OPTIONS.downAfter} failures.`,
  );
  return cluster;
}

/** Deletes every key the demo may have written, from servers it did not start. */
async function removeKeys(cluster: Cluster, options: DemoOptions): Promise<void> {
  const names = Array.from({ length: options.keys }, (_, i) => [keyName(i), outageKeyName(i)]).flat();
  const batches = Math.ceil(names.length / DELETE_BATCH);
  await forEachConcurrently(batches, 4, async (batch) => {
    await cluster.del(...names.slice(batch * DELETE_BATCH, (batch + 1) * DELETE_BATCH));
  });
}

function hostPort(url: string): string {
  const { host } = new URL(url);
  return host;
}

function describe(error: unknown): string {
  if (error instanceof DemoFailure) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Prints what cleanup could not do; returns the exit code that follows from it. */
function reportCleanup(errors: Terminal, problems: string[], done: string | undefined): number {
  if (problems.length === 0) {
    if (done !== undefined) errors.say(done);
    return 0;
  }
  errors.fail('Cleanup did not finish:');
  for (const problem of problems) errors.aside(problem);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `demo: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
