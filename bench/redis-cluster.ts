/**
 * Redis Cluster bench: GET and SET of 100-byte values over 1,000 keys spread across the slots of a
 * local 3-master cluster (no replicas), at 128 and 1,024 in flight, side by side:
 * respline RedisCluster, ioredis 6 Redis.Cluster with enableAutoPipelining on and off, node-redis 6
 * createCluster, and valkey-glide 2 GlideClusterClient. Never asserted anywhere.
 *
 *   npx ts-node --transpile-only bench/redis-cluster.ts [--quick] [--repeats=N] [--storm]
 *
 * Then the "MOVED storm": GET/SET alternating at 128 in flight, steady for a window, then during a
 * `redis-cli --cluster reshard` of 1000 slots, in the same process; the ratio is storm/steady.
 * --storm runs only that scenario.
 *
 * Each cell runs in a fresh process (this file forked with --cell), cells take turns repeat by repeat,
 * and the depth is held by plain async loops, as bench/commands.ts does. The cluster is started by
 * the specs' harness (redis-server processes on free ports, stopped by pid).
 */
import { fork } from 'node:child_process';
import { GlideClusterClient, Logger } from '@valkey/valkey-glide';
import Redis from 'ioredis6';
import { createCluster } from 'redis';
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import { startRedisCluster } from '../spec/support/redis-cluster-harness';
import { stopAll } from '../spec/support/redis-harness';
import { installCleanup, track } from './suite/processes';
import { measureWindow, type WindowResult } from './suite/windowed-loops';

const VALUE = 'v'.repeat(100);
const KEYS = 1000;
const STORM_DEPTH = 128;
const STORM_SLOTS = 1000;

type Workload = 'get' | 'set' | 'mixed';
type Subject = 'respline' | 'ioredis-autopipeline' | 'ioredis' | 'node-redis' | 'glide';

/**
 * Far above the deepest cell (1024 in flight): glide's default of 1000 would reject commands past it
 * with an error instead of queueing them (as in bench/suite/clients/glide.ts).
 */
const GLIDE_INFLIGHT_LIMIT = 100_000;

interface Cell {
  subject: Subject;
  workload: Workload;
  depth: number;
}

type Op = (i: number) => Promise<unknown>;

type CellResult = WindowResult;

async function openSubject(
  subject: Subject,
  workload: Workload,
  ports: number[],
): Promise<{ op: Op; close(): Promise<void> }> {
  const key = (i: number): string => `key:${i % KEYS}`;
  if (subject === 'respline') {
    const rc = new RedisCluster({ seeds: ports.map((port) => `redis://127.0.0.1:${port}`) });
    await rc.connect();
    const op = pick(
      workload,
      (i) => rc.get(key(i)),
      (i) => rc.set(key(i), VALUE),
    );
    return { op, close: () => rc.quit() };
  }
  if (subject === 'ioredis' || subject === 'ioredis-autopipeline') {
    const cluster = new Redis.Cluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      { enableAutoPipelining: subject === 'ioredis-autopipeline', lazyConnect: true },
    );
    await cluster.connect();
    const op = pick(
      workload,
      (i) => cluster.get(key(i)),
      (i) => cluster.set(key(i), VALUE),
    );
    return { op, close: async () => void (await cluster.quit()) };
  }
  if (subject === 'glide') {
    // Its default logger would write to the console from the Rust core.
    Logger.setLoggerConfig('off');
    const client = await GlideClusterClient.createClient({
      addresses: ports.map((port) => ({ host: '127.0.0.1', port })),
      inflightRequestsLimit: GLIDE_INFLIGHT_LIMIT,
    });
    const op = pick(
      workload,
      (i) => client.get(key(i)),
      (i) => client.set(key(i), VALUE),
    );
    return {
      op,
      close: () => {
        client.close();
        return Promise.resolve();
      },
    };
  }
  const cluster = createCluster({ rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })) });
  cluster.on('error', (error: unknown) => process.stderr.write(`node-redis: ${String(error)}\n`));
  await cluster.connect();
  const op = pick(
    workload,
    (i) => cluster.get(key(i)),
    (i) => cluster.set(key(i), VALUE),
  );
  return { op, close: async () => void (await cluster.close()) };
}

/** 'mixed' alternates GET and SET. */
function pick(workload: Workload, get: Op, set: Op): Op {
  if (workload === 'get') return get;
  if (workload === 'set') return set;
  return (i) => (i % 2 === 0 ? get(i) : set(i));
}

interface StormResult {
  steadyOpsPerSec: number;
  stormOpsPerSec: number;
  stormMs: number;
  stormErrors: number;
}

/**
 * The MOVED storm, in the cell's process: GET/SET at `depth` in flight, steady for windowMs, then
 * counted again while the parent runs `redis-cli --cluster reshard` (it says 'stop' when done).
 * Errors are counted, not thrown: a client that fails commands during the reshard shows it here.
 */
async function runStormCell(): Promise<void> {
  const cell = JSON.parse(process.env.BENCH_CELL ?? '{}') as Cell & {
    ports: number[];
    warmupMs: number;
    windowMs: number;
  };
  const opened = await openSubject(cell.subject, 'mixed', cell.ports);
  let phase: 'warmup' | 'steady' | 'storm' | 'stop' = 'warmup';
  let steady = 0;
  let storm = 0;
  let stormErrors = 0;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (phase !== 'stop') {
      try {
        await opened.op(next++);
        if (phase === 'steady') steady++;
        else if (phase === 'storm') storm++;
      } catch {
        if (phase === 'storm') stormErrors++;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  };
  const loops = Array.from({ length: cell.depth }, loop);
  await new Promise((resolve) => setTimeout(resolve, cell.warmupMs));
  phase = 'steady';
  const steadyStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, cell.windowMs));
  const steadyMs = performance.now() - steadyStart;
  phase = 'storm';
  const stormStart = performance.now();
  const stopped = new Promise((resolve) => process.once('message', resolve));
  process.send?.({ kind: 'storm-start' });
  await stopped;
  const stormMs = performance.now() - stormStart;
  phase = 'stop';
  await Promise.all(loops);
  await opened.close();
  const result: StormResult = {
    steadyOpsPerSec: (steady / steadyMs) * 1000,
    stormOpsPerSec: (storm / stormMs) * 1000,
    stormMs,
    stormErrors,
  };
  process.send?.({ kind: 'result', result });
}

/** One storm cell: forks it and runs `reshard` once the cell has measured its steady state. */
function forkStorm(
  subject: Subject,
  ports: number[],
  reshard: () => Promise<void>,
  warmupMs: number,
  windowMs: number,
): Promise<StormResult> {
  return new Promise((resolve, reject) => {
    const cell: Cell = { subject, workload: 'mixed', depth: STORM_DEPTH };
    const child = track(
      fork(__filename, ['--storm-cell'], {
        execArgv: ['-r', 'ts-node/register/transpile-only'],
        env: { ...process.env, BENCH_CELL: JSON.stringify({ ...cell, ports, warmupMs, windowMs }) },
      }),
    );
    let result: StormResult | null = null;
    child.on('message', (message: { kind: string; result?: StormResult }) => {
      if (message.kind === 'result' && message.result !== undefined) result = message.result;
      if (message.kind === 'storm-start') {
        reshard().then(
          () => child.send('stop'),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }
    });
    child.on('exit', (code) =>
      result === null ? reject(new Error(`storm cell ${subject} exited with ${code}`)) : resolve(result),
    );
  });
}

async function runCell(): Promise<void> {
  const cell = JSON.parse(process.env.BENCH_CELL ?? '{}') as Cell & {
    ports: number[];
    warmupMs: number;
    windowMs: number;
  };
  const opened = await openSubject(cell.subject, cell.workload, cell.ports);
  const result = await measureWindow(opened.op, cell.depth, cell.warmupMs, cell.windowMs);
  await opened.close();
  process.send?.(result);
}

function forkCell(cell: Cell, ports: number[], warmupMs: number, windowMs: number): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      fork(__filename, ['--cell'], {
        execArgv: ['-r', 'ts-node/register/transpile-only'],
        env: { ...process.env, BENCH_CELL: JSON.stringify({ ...cell, ports, warmupMs, windowMs }) },
      }),
    );
    let result: CellResult | null = null;
    child.on('message', (message: CellResult) => (result = message));
    child.on('exit', (code) =>
      result === null
        ? reject(new Error(`cell ${JSON.stringify(cell)} exited with ${code}`))
        : resolve(result),
    );
  });
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const repeats = Number(
    argv.find((arg) => arg.startsWith('--repeats='))?.slice('--repeats='.length) ?? (quick ? 1 : 3),
  );
  const warmupMs = quick ? 300 : 500;
  const windowMs = quick ? 700 : 2000;
  const stormOnly = argv.includes('--storm');
  installCleanup(() => undefined);
  const cluster = await startRedisCluster(3, 0);
  try {
    const ports = cluster.nodes.map((node) => node.port);
    const seed = new RedisCluster({ seeds: cluster.seeds });
    await seed.connect();
    await Promise.all(Array.from({ length: KEYS }, (_, i) => seed.set(`key:${i}`, VALUE)));
    await seed.quit();
    const subjects: Subject[] = ['respline', 'ioredis-autopipeline', 'ioredis', 'node-redis', 'glide'];
    const cells: Cell[] = [];
    for (const workload of ['get', 'set'] as const)
      for (const depth of [128, 1024])
        for (const subject of subjects) cells.push({ subject, workload, depth });
    const samples = new Map<string, CellResult[]>();
    for (let repeat = 0; repeat < (stormOnly ? 0 : repeats); repeat++) {
      for (const cell of cells) {
        const key = `${cell.workload}@${cell.depth} ${cell.subject}`;
        const result = await forkCell(cell, ports, warmupMs, windowMs);
        samples.set(key, [...(samples.get(key) ?? []), result]);
        console.log(
          `${key}: ${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s, ${result.cpuMicrosPerOp.toFixed(2)} µs CPU/op`,
        );
      }
    }
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    await stormScenario(cluster, ports, subjects, repeats, warmupMs, windowMs, fmt);
    if (stormOnly) return;
    console.log(`\nmedian of ${repeats} (${windowMs} ms windows, async loops, 3 masters):`);
    console.log('| cell | ops/s (median) | min–max | client CPU µs/op (median) |');
    for (const [key, results] of samples) {
      const ops = results.map((result) => result.opsPerSec).sort((a, b) => a - b);
      const cpu = results.map((result) => result.cpuMicrosPerOp).sort((a, b) => a - b);
      const mid = Math.floor(ops.length / 2);
      console.log(
        `| ${key} | ${fmt(ops[mid])} | ${fmt(ops[0])}–${fmt(ops[ops.length - 1])} | ${cpu[mid].toFixed(2)} |`,
      );
    }
  } finally {
    await stopAll();
  }
}

/**
 * MOVED storm: each subject in turn, GET/SET alternating at 128 in flight, while ~1000 slots move
 * between two masters (the direction alternates, so every run moves 1000 slots holding ~60 keys).
 */
async function stormScenario(
  cluster: Awaited<ReturnType<typeof startRedisCluster>>,
  ports: number[],
  subjects: Subject[],
  repeats: number,
  warmupMs: number,
  windowMs: number,
  fmt: (n: number) => string,
): Promise<void> {
  const ids = await Promise.all(ports.slice(0, 2).map((port) => cluster.command(port, 'CLUSTER', 'MYID')));
  let direction = 0;
  const reshard = async (): Promise<void> => {
    const [from, to] = direction++ % 2 === 0 ? ids : [ids[1], ids[0]];
    // prettier-ignore
    await cluster.cli('reshard', '$NODE', '--cluster-from', String(from), '--cluster-to', String(to),
      '--cluster-slots', String(STORM_SLOTS), '--cluster-yes');
    await cluster.waitUntilOk();
  };
  const results = new Map<Subject, StormResult[]>();
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const subject of subjects) {
      const result = await forkStorm(subject, ports, reshard, warmupMs, windowMs);
      results.set(subject, [...(results.get(subject) ?? []), result]);
      console.log(
        `storm ${subject}: steady ${fmt(result.steadyOpsPerSec)} ops/s, during reshard ${fmt(result.stormOpsPerSec)} ops/s ` +
          `(${(result.stormMs / 1000).toFixed(1)} s), ${result.stormErrors} errors`,
      );
    }
  }
  console.log(
    `\nMOVED storm: GET/SET at ${STORM_DEPTH} in flight, reshard of ${STORM_SLOTS} slots; median of ${repeats}:`,
  );
  console.log('| client | steady ops/s | during reshard ops/s | ratio | errors (total) |');
  for (const [subject, runs] of results) {
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const steady = median(runs.map((run) => run.steadyOpsPerSec));
    const storm = median(runs.map((run) => run.stormOpsPerSec));
    const errors = runs.reduce((sum, run) => sum + run.stormErrors, 0);
    console.log(
      `| ${subject} | ${fmt(steady)} | ${fmt(storm)} | ${(storm / steady).toFixed(2)} | ${errors} |`,
    );
  }
}

if (process.argv.includes('--storm-cell')) {
  runStormCell().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else if (process.argv.includes('--cell')) {
  runCell().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
