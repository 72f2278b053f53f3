/**
 * Replica repair: how fast a replica restarted empty is refilled, and what that costs live reads.
 *
 *   npx ts-node --transpile-only bench/repair.ts [--keys=50000] [--depth=32] [--rates=20000,1000000]
 *
 * A Cluster of 2 replicas x 1 shard (writeAck 'all', readFrom 'ordered': replica 0 serves reads and
 * is the repair's source) over 2 private redis-servers on free ports, persistence off, killed by pid on
 * every way out. `--keys` keys of 100 bytes are written through the Cluster. Then, for each pacing in
 * `--rates` (repair.maxKeysPerSecond):
 *
 *   1. without repair: GETs of random keys with `--depth` in flight for 3 s; per-GET latency recorded;
 *   2. replica 1 is killed (SIGKILL) and restarted empty on its port; the same GET load runs from the
 *      restart until `serverRepaired`, and only GETs issued while the repair ran are counted.
 *
 * Reported side by side: GET p50 / p99 / ops/s without and during the repair, and the repair's
 * throughput in keys/s (keys copied / its own durationMs). The replica is then checked key for key
 * (DBSIZE equal on both). Figures on a busy machine are noisy: compare the columns of one run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Cluster } from '../lib/cluster/cluster';
import type { RepairSummary } from '../lib/cluster/events';
import { freeLoopbackPort } from '../lib/testing/loopback';
import { Client } from '../lib/client';
import { installCleanup, track } from './suite/processes';

const VALUE = 'v'.repeat(100);
const BASELINE_MS = 3_000;

interface Phase {
  latenciesMs: number[];
  ops: number;
  elapsedMs: number;
}

/** A redis-server we can SIGKILL and start again, empty, on the same port. */
class Server {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.child = track(spawn('redis-server', args, { stdio: 'ignore' }));
    for (let attempt = 0; ; attempt++) {
      // A Client with reconnect off is closed by a failed attempt: a fresh one per try.
      const probe = new Client(this.url, { reconnect: false });
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (attempt > 100) throw error;
        await sleep(50);
      } finally {
        probe.disconnect();
      }
    }
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const flag = (name: string, fallback: string): string =>
    argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const keyCount = Number(flag('keys', '50000'));
  const depth = Number(flag('depth', '32'));
  const rates = flag('rates', '20000,1000000').split(',').map(Number);
  installCleanup(() => undefined);

  const servers = [new Server(await freeLoopbackPort()), new Server(await freeLoopbackPort())];
  const rows: string[][] = [];
  try {
    await Promise.all(servers.map((server) => server.start()));
    for (const rate of rates) {
      const cluster = new Cluster({
        replicas: servers.map((server) => [server.url]),
        writeAck: 'all',
        readFrom: 'ordered',
        repair: { maxKeysPerSecond: rate },
      });
      try {
        await cluster.connect();
        await cluster.each('FLUSHALL');
        const keys = Array.from({ length: keyCount }, (_, i) => `bench:repair:${i}`);
        for (let i = 0; i < keyCount; i += 1000) {
          await Promise.all(keys.slice(i, i + 1000).map((key) => cluster.set(key, VALUE)));
        }
        console.log(
          `maxKeysPerSecond ${rate}: ${keyCount} keys written; ${BASELINE_MS} ms of GETs without repair`,
        );
        const baseline = await readLoad(cluster, keys, depth, sleep(BASELINE_MS));

        const repaired = new Promise<RepairSummary>((resolve) =>
          cluster.on('serverRepaired', (server, summary) => {
            if (server.replica === 1) resolve(summary);
          }),
        );
        await servers[1].kill();
        await servers[1].start();
        console.log(`maxKeysPerSecond ${rate}: replica 1 restarted empty; GETs until serverRepaired`);
        // GETs from the restart until the repair is done; the first stretch, before the Cluster has
        // seen the new run_id, reads replica 0 only, as the repair does not run yet either.
        const during = await readLoad(cluster, keys, depth, repaired);
        const summary = await repaired;
        const sizes = await cluster.each('DBSIZE');
        rows.push([
          String(rate),
          ...figures(baseline),
          ...figures(during),
          `${summary.keys} in ${summary.durationMs} ms`,
          String(Math.round((summary.keys * 1000) / Math.max(1, summary.durationMs))),
          sizes.map((size) => String(size.reply)).join(' / '),
        ]);
        console.log(`maxKeysPerSecond ${rate}: done (${summary.mode}, ${summary.keys} keys)`);
      } finally {
        await cluster.quit();
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.kill()));
  }
  console.log(
    `\nnode ${process.version}; Cluster 2 replicas x 1 shard, ${keyCount} keys of 100 B; GET x ${depth} in flight`,
  );
  table([
    [
      'maxKeysPerSecond',
      'GET p50 ms',
      'p99 ms',
      'ops/s',
      'GET p50 ms (repairing)',
      'p99 ms',
      'ops/s',
      'repair',
      'keys/s',
      'DBSIZE r0 / r1',
    ],
    ...rows,
  ]);
}

/** GETs of random keys, `depth` in flight, until `until` settles; per-GET latency. */
async function readLoad(
  cluster: Cluster,
  keys: readonly string[],
  depth: number,
  until: Promise<unknown>,
): Promise<Phase> {
  let done = false;
  void until.then(() => (done = true));
  const latenciesMs: number[] = [];
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (!done) {
      const key = keys[Math.floor(Math.random() * keys.length)];
      const issued = performance.now();
      const value = await cluster.get(key);
      if (done) break; // issued before the end, finished after: not counted
      if (value !== VALUE) throw new Error(`GET ${key} returned ${String(value)} (a stale replica was read)`);
      latenciesMs.push(performance.now() - issued);
    }
  };
  await Promise.all(Array.from({ length: depth }, worker));
  return { latenciesMs, ops: latenciesMs.length, elapsedMs: performance.now() - start };
}

function figures(phase: Phase): string[] {
  const sorted = [...phase.latenciesMs].sort((a, b) => a - b);
  const at = (q: number): string =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2);
  return [at(0.5), at(0.99), String(Math.round((phase.ops * 1000) / phase.elapsedMs))];
}

function table(rows: readonly string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  rows.forEach((row, index) => {
    console.log(row.map((cell, i) => cell.padStart(widths[i])).join('  '));
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
