/**
 * Cluster throughput: GET and SET ops/s through a Cluster of 3 replicas x 3 shards (writeAck 'one',
 * readFrom 'ordered') against one Client on one server, with 100-byte values, at several depths.
 *
 *   npx ts-node bench/cluster-throughput.ts [--quick]
 *
 * Starts 10 private redis-server processes on free loopback ports (never 6379) and kills them, by pid,
 * on every way out (end, error, SIGINT, SIGTERM).
 *
 * Each cell is a closed loop keeping `depth` commands in flight: every completion issues the next.
 * Two drivers do that: a p-queue, and plain async loops, which cost the process far less per command
 * and so show more of the library's own cost. After a warm-up, completions in a fixed window are
 * counted; then every server's queue is drained (with writeAck 'one', a SET resolves before its other
 * replicas answer), so no cell inherits another's backlog. Client and cluster take turns, so drift hits
 * both alike; the figure is the median of the repeats. With RESPLINE_BENCH_JSON=1 the records are also
 * printed as one `BENCH_JSON [...]` line for bench/run.ts.
 */
import PQueue from 'p-queue';
import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import { installCleanup } from './suite/processes';
import { startRedisServer } from './suite/redis-server';

export type Driver = 'p-queue' | 'async loops';

export interface ClusterThroughputOptions {
  /** Commands in flight. Default [128, 1024]. */
  depths?: number[];
  /** Default both. */
  drivers?: Driver[];
  /** Measured window per cell, in ms. Default 2000. */
  windowMs?: number;
  /** Unmeasured run before each window, in ms. Default 500. */
  warmupMs?: number;
  /** Windows per cell; the median is reported. Default 3. */
  repeats?: number;
  keyCount?: number;
  valueSize?: number;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

export interface ThroughputRecord {
  op: 'GET' | 'SET';
  inFlight: number;
  driver: Driver;
  /** One Client, one server. */
  clientOpsPerSec: number;
  /** Cluster 3x3, writeAck 'one', readFrom 'ordered'. */
  clusterOpsPerSec: number;
  /** cluster / client. */
  ratio: number;
}

type Op = (i: number) => Promise<unknown>;

const REPLICAS = 3;
const SHARDS = 3;

/** Runs every cell on servers of its own and returns one record per op, depth and driver. */
export async function runClusterThroughput(
  options: ClusterThroughputOptions = {},
): Promise<ThroughputRecord[]> {
  const depths = options.depths ?? [128, 1024];
  const drivers = options.drivers ?? ['p-queue', 'async loops'];
  const windowMs = options.windowMs ?? 2_000;
  const warmupMs = options.warmupMs ?? 500;
  const repeats = options.repeats ?? 3;
  const keyCount = options.keyCount ?? 10_000;
  const value = 'v'.repeat(options.valueSize ?? 100);
  const log = options.log ?? ((line: string) => console.log(line));
  const keys = Array.from({ length: keyCount }, (_, i) => `bench:key:${i}`);

  const servers = await Promise.all(Array.from({ length: REPLICAS * SHARDS + 1 }, () => startRedisServer()));
  const [single, ...clusterServers] = servers;
  const client = new Client(single.url);
  const cluster = new Cluster({
    replicas: Array.from({ length: REPLICAS }, (_, r) =>
      clusterServers.slice(r * SHARDS, (r + 1) * SHARDS).map((server) => server.url),
    ),
    writeAck: 'one',
    readFrom: 'ordered',
  });
  const targets = {
    client: {
      GET: (i: number) => client.get(keys[i % keyCount]),
      SET: (i: number) => client.set(keys[i % keyCount], value),
      idle: () => {
        const stats = client.stats();
        return stats.inFlight + stats.queued === 0;
      },
    },
    cluster: {
      GET: (i: number) => cluster.get(keys[i % keyCount]),
      SET: (i: number) => cluster.set(keys[i % keyCount], value),
      idle: () => cluster.health().every((server) => server.inFlight === 0),
    },
  };
  try {
    await Promise.all([client.connect(), cluster.connect()]);
    log(`redis-server x ${servers.length} started; ${keyCount} keys, ${value.length}-byte values`);
    const records: ThroughputRecord[] = [];
    // SET first: it also loads the keys GET reads.
    for (const op of ['SET', 'GET'] as const) {
      for (const driver of drivers) {
        for (const depth of depths) {
          const samples = { client: [] as number[], cluster: [] as number[] };
          for (let round = 0; round < repeats; round++) {
            for (const name of ['client', 'cluster'] as const) {
              const target = targets[name];
              samples[name].push(await measure(driver, target[op], depth, warmupMs, windowMs));
              await until(target.idle);
            }
          }
          const clientOpsPerSec = Math.round(median(samples.client));
          const clusterOpsPerSec = Math.round(median(samples.cluster));
          const ratio = round2(clusterOpsPerSec / clientOpsPerSec);
          records.push({ op, inFlight: depth, driver, clientOpsPerSec, clusterOpsPerSec, ratio });
          log(
            `${op} x ${depth} (${driver}): client ${clientOpsPerSec}, cluster ${clusterOpsPerSec} ops/s (${ratio}x)`,
          );
        }
      }
    }
    return records;
  } finally {
    await Promise.all([client.quit(), cluster.quit()]);
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Ops/s completed in `windowMs` with `depth` commands always in flight. Throws if any command failed. */
async function measure(
  driver: Driver,
  op: Op,
  depth: number,
  warmupMs: number,
  windowMs: number,
): Promise<number> {
  const loop = driver === 'p-queue' ? pQueueLoop(op, depth) : asyncLoops(op, depth);
  await sleep(warmupMs);
  loop.counting = true;
  const start = process.hrtime.bigint();
  await sleep(windowMs);
  loop.counting = false;
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  loop.stopped = true;
  await loop.finished();
  if (loop.failure !== null) throw loop.failure;
  return (loop.completed * 1000) / elapsedMs;
}

interface Loop {
  counting: boolean;
  stopped: boolean;
  completed: number;
  failure: unknown;
  finished(): Promise<unknown>;
}

/** A p-queue of concurrency `depth`; each completion queues the next command. */
function pQueueLoop(op: Op, depth: number): Loop {
  const queue = new PQueue({ concurrency: depth });
  let issued = 0;
  const loop: Loop = {
    counting: false,
    stopped: false,
    completed: 0,
    failure: null,
    finished: () => queue.onIdle(),
  };
  const next = (): Promise<void> => op(issued++).then(done, failed);
  const done = (): void => {
    if (loop.counting) loop.completed++;
    if (!loop.stopped) void queue.add(next);
  };
  const failed = (error: unknown): void => {
    loop.failure ??= error;
    loop.stopped = true;
  };
  for (let i = 0; i < depth; i++) void queue.add(next);
  return loop;
}

/** `depth` async loops, each awaiting one command at a time. */
function asyncLoops(op: Op, depth: number): Loop {
  let issued = 0;
  const loop: Loop = { counting: false, stopped: false, completed: 0, failure: null, finished: () => all };
  const worker = async (): Promise<void> => {
    try {
      while (!loop.stopped) {
        await op(issued++);
        if (loop.counting) loop.completed++;
      }
    } catch (error) {
      loop.failure ??= error;
      loop.stopped = true;
    }
  };
  const all = Promise.all(Array.from({ length: depth }, worker));
  return loop;
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the servers did not drain within 60 s');
    await sleep(10);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function printTable(records: readonly ThroughputRecord[]): void {
  const rows = [
    ['op', 'in flight', 'driver', 'one Client (ops/s)', 'Cluster 3x3 (ops/s)', 'cluster / client'],
    ...records.map((r) => [
      r.op,
      String(r.inFlight),
      r.driver,
      String(r.clientOpsPerSec),
      String(r.clusterOpsPerSec),
      `${r.ratio}x`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const [index, row] of rows.entries()) {
    console.log(
      row.map((cell, i) => (i <= 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}

if (require.main === module) {
  // Kill every redis-server started here, however the run ends.
  installCleanup(() => undefined);
  // --quick fits the suite's budget for this script (20 s, ts-node start included).
  const quick = process.argv.includes('--quick');
  const options: ClusterThroughputOptions = quick
    ? { windowMs: 500, warmupMs: 200, repeats: 1, drivers: ['p-queue'] }
    : {};
  console.log(
    `node ${process.version}; Cluster(3x3, writeAck 'one', readFrom 'ordered') vs one Client; ` +
      `${quick ? 'quick: 1 x 0.5 s window' : 'median of 3 x 2 s windows'} per cell`,
  );
  runClusterThroughput(options)
    .then((records) => {
      printTable(records);
      if (process.env.RESPLINE_BENCH_JSON === '1') console.log(`BENCH_JSON ${JSON.stringify(records)}`);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    });
}
