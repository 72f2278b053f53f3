/**
 * Client-side caching bench: a hot-key read load, side by side in one run.
 *
 *   npx ts-node --transpile-only bench/cache.ts [--quick] [--repeats=N] [--set-percent=10] [--baseline=DIR]
 *
 * 90% GET and 10% SET of 100-byte values over 1,000 keys, the key drawn from a Zipf distribution
 * (exponent 0.99) by a seeded generator, so every client sees the same sequence of operations; 128 in
 * flight, held by plain async loops. Subjects: respline with `cache: { maxEntries: 10_000 }` (RESP3),
 * respline without a cache, and node-redis with its client-side cache (`RESP: 3, clientSideCache`).
 * `--baseline=DIR` adds respline with and without the cache built from DIR/lib (e.g. `git archive <rev> lib
 * | tar -x -C DIR`), so a change is measured against the old code in the same run. Every respline cell
 * then loads both builds, using one: a cell with one more copy of the library loaded was seen to keep
 * a tenth of the bytes per scavenge of one without (60 KB against 620 KB promoted, the same code),
 * so cells that load different code are not compared.
 *
 * Every cell runs in a fresh process (this file, forked with --cell); cells take turns, repeat by repeat.
 * One private redis-server on a free port, killed by pid on every way out. Figures are never asserted.
 *
 * Each cell also reports f, the share of its operations that reached the server (SETs, misses: one
 * minus the hits over all operations, warm-up included). Whatever a hit costs, a cache cannot make the
 * load more than 1/f times faster than the same client without it: see README, "Benchmarks".
 */
import { fork } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { createClient } from 'redis';
import { Client } from '../lib/client';
import { installCleanup, track } from './suite/processes';
import { startRedisServer } from './suite/redis-server';
import { measureWindow, type WindowResult } from './suite/windowed-loops';

const VALUE = 'v'.repeat(100);
const KEYS = 1000;
const DEPTH = 128;
const ZIPF_EXPONENT = 0.99;
const SEQUENCE_LENGTH = 1 << 16;
const SEED = 0x5eed;

type Subject = 'respline+cache' | 'respline' | 'node-redis+cache' | 'baseline+cache' | 'baseline';

interface Step {
  set: boolean;
  key: string;
}

/** mulberry32: small, seeded, good enough to pick keys. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same operations for every subject: `setShare` SETs, the rest GETs, keys by Zipf rank. */
function workload(setShare: number): Step[] {
  const cdf: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= KEYS; rank++) cdf.push((total += 1 / Math.pow(rank, ZIPF_EXPONENT)));
  const random = seeded(SEED);
  const steps: Step[] = [];
  for (let i = 0; i < SEQUENCE_LENGTH; i++) {
    const set = random() < setShare;
    const target = random() * total;
    let lo = 0;
    let hi = KEYS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    steps.push({ set, key: `key:${lo}` });
  }
  return steps;
}

type Op = (i: number) => Promise<unknown>;

interface Opened {
  op: Op;
  close(): Promise<void>;
  cacheStats(): unknown;
}

/** The Client of another build of respline, for `--baseline`. */
function baselineClient(dir: string): typeof Client {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`${dir}/lib/client`) as { Client: typeof Client };
  return module.Client;
}

async function openSubject(subject: Subject, url: string, steps: Step[], baseline: string): Promise<Opened> {
  if (subject !== 'node-redis+cache') {
    const old = baseline === '' ? null : baselineClient(baseline);
    const Build = subject.startsWith('baseline') && old !== null ? old : Client;
    const client = new Build(
      url,
      subject.endsWith('+cache') ? { protocol: 3, cache: { maxEntries: 10_000 } } : { protocol: 3 },
    );
    await client.connect();
    return {
      op: (i) => {
        const step = steps[i & (SEQUENCE_LENGTH - 1)];
        return step.set ? client.set(step.key, VALUE) : client.get(step.key);
      },
      close: () => client.quit(),
      cacheStats: () => client.stats().cache,
    };
  }
  const client = createClient({ url, RESP: 3, clientSideCache: { maxEntries: 10_000 } });
  client.on('error', (error: unknown) => process.stderr.write(`node-redis: ${String(error)}\n`));
  await client.connect();
  return {
    op: (i) => {
      const step = steps[i & (SEQUENCE_LENGTH - 1)];
      return step.set ? client.set(step.key, VALUE) : client.get(step.key);
    },
    close: async () => void (await client.close()),
    cacheStats: () => {
      const stats = client.clientSideCache?.stats();
      return stats === undefined ? undefined : { hits: stats.hitCount, misses: stats.missCount };
    },
  };
}

interface CellResult extends WindowResult {
  cache?: unknown;
  /** Share of all the cell's operations not answered from memory; 1 without a cache. */
  serverShare: number;
}

/** Hits as the subject's cache counts them (respline counts a read that joined one in flight as a hit). */
function hitsOf(stats: unknown): number {
  if (typeof stats !== 'object' || stats === null || !('hits' in stats)) return 0;
  return typeof stats.hits === 'number' ? stats.hits : 0;
}

async function runCell(): Promise<void> {
  const cell = JSON.parse(process.env.BENCH_CELL ?? '{}') as {
    subject: Subject;
    url: string;
    warmupMs: number;
    windowMs: number;
    setShare: number;
    baseline: string;
  };
  const opened = await openSubject(cell.subject, cell.url, workload(cell.setShare), cell.baseline);
  let operations = 0;
  const counted: Op = (i) => {
    operations++;
    return opened.op(i);
  };
  const measured = await measureWindow(counted, DEPTH, cell.warmupMs, cell.windowMs);
  const cache = opened.cacheStats();
  const result: CellResult = { ...measured, cache, serverShare: 1 - hitsOf(cache) / operations };
  await opened.close();
  process.send?.(result);
}

function forkCell(
  subject: Subject,
  url: string,
  warmupMs: number,
  windowMs: number,
  setShare: number,
  baseline: string,
): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      fork(__filename, ['--cell'], {
        execArgv: ['-r', 'ts-node/register/transpile-only'],
        env: {
          ...process.env,
          BENCH_CELL: JSON.stringify({ subject, url, warmupMs, windowMs, setShare, baseline }),
        },
      }),
    );
    let result: CellResult | null = null;
    child.on('message', (message: CellResult) => (result = message));
    child.on('exit', (code) =>
      result === null ? reject(new Error(`cell ${subject} exited with ${code}`)) : resolve(result),
    );
  });
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const repeats = Number(
    argv.find((arg) => arg.startsWith('--repeats='))?.slice('--repeats='.length) ?? (quick ? 1 : 3),
  );
  const setPercent = Number(
    argv.find((arg) => arg.startsWith('--set-percent='))?.slice('--set-percent='.length) ?? 10,
  );
  const baselineArg = argv.find((arg) => arg.startsWith('--baseline='))?.slice('--baseline='.length);
  const baseline = baselineArg === undefined ? '' : resolvePath(baselineArg);
  const warmupMs = quick ? 300 : 500;
  const windowMs = quick ? 700 : 2000;
  installCleanup(() => undefined);
  const server = await startRedisServer();
  try {
    const seed = new Client(server.url);
    await Promise.all(Array.from({ length: KEYS }, (_, i) => seed.set(`key:${i}`, VALUE)));
    await seed.quit();
    const subjects: Subject[] = ['respline+cache', 'respline', 'node-redis+cache'];
    if (baseline !== '') subjects.unshift('baseline+cache', 'baseline');
    const samples = new Map<Subject, CellResult[]>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const subject of subjects) {
        const result = await forkCell(subject, server.url, warmupMs, windowMs, setPercent / 100, baseline);
        samples.set(subject, [...(samples.get(subject) ?? []), result]);
        console.log(
          `${subject}: ${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s, ` +
            `${result.cpuMicrosPerOp.toFixed(2)} µs CPU/op, f ${result.serverShare.toFixed(3)}, ` +
            `cache ${JSON.stringify(result.cache ?? null)}`,
        );
      }
    }
    console.log(
      `\nmedian of ${repeats} (${100 - setPercent}% GET / ${setPercent}% SET, Zipf ${ZIPF_EXPONENT} over ${KEYS} keys, ${DEPTH} in flight, ${windowMs} ms windows):`,
    );
    console.log(
      '| subject | ops/s (median) | min–max | client CPU µs/op (median) | f: share to the server (median) |',
    );
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    for (const [subject, results] of samples) {
      const ops = results.map((result) => result.opsPerSec).sort((a, b) => a - b);
      const cpu = results.map((result) => result.cpuMicrosPerOp).sort((a, b) => a - b);
      const share = results.map((result) => result.serverShare).sort((a, b) => a - b);
      const mid = Math.floor(ops.length / 2);
      console.log(
        `| ${subject} | ${fmt(ops[mid])} | ${fmt(ops[0])}–${fmt(ops[ops.length - 1])} | ${cpu[mid].toFixed(2)} | ${share[mid].toFixed(3)} |`,
      );
    }
  } finally {
    await server.stop();
  }
}

if (process.argv.includes('--cell')) {
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
