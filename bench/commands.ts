/**
 * Command-surface bench: what the typed command layer costs, side by side in one run.
 *
 *   npx ts-node --transpile-only bench/commands.ts [--quick] [--base=REV] [--only=hot|peers|options] [--repeats=N]
 *
 * 1. The hot path against the previous commit: GET and SET of 100-byte values at 128 and 1,024 in
 *    flight, respline at REV (default: the commit before the generated command layer) against the
 *    working tree. REV's lib/ is checked out into .tmp/bench-base with `git worktree`.
 * 2. Reply transforms against the peers at 128 in flight: HGETALL of a 100-field hash, ZRANGE
 *    WITHSCORES of 100 members, and a 10-command MULTI, for respline, ioredis 6 and node-redis 6.
 * 3. With --only=options: what tracing (nobody subscribed) and withOptions() cost on GET at 128 in
 *    flight: REV against the working tree, and in the working tree the Client against a kept
 *    withOptions({}) view, a view made per call, and a view with a signal (the opt-in path).
 *
 * Every cell runs in a fresh process (this file, forked with --cell), so no client's JIT or garbage
 * touches another's figures; cells take turns, repeat by repeat, so drift hits every client alike.
 * The depth is held by plain async loops (each loop awaits its command and issues the next), the
 * cheapest driver, so the figures show the clients' own cost. One private redis-server on a free
 * port, killed by pid on every way out.
 */
import { execFileSync, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis6';
import { createClient } from 'redis';
import { Client } from '../lib/client';
import { installCleanup, track } from './suite/processes';
import { startRedisServer } from './suite/redis-server';
import { measureWindow, type WindowResult } from './suite/windowed-loops';

const ROOT = join(__dirname, '..');
// BENCH_BASE_DIR lets two runs at once keep their base checkouts apart.
const BASE_DIR = process.env.BENCH_BASE_DIR ?? join(ROOT, '.tmp', 'bench-base');
const DEFAULT_BASE = '917d540';
const VALUE = 'v'.repeat(100);
const KEYS = 1000;

type Workload = 'get' | 'set' | 'hgetall' | 'zrange-withscores' | 'multi10';
type Subject =
  | 'respline'
  | 'respline-base'
  | 'ioredis'
  | 'node-redis'
  | 'respline-view'
  | 'respline-view-per-call'
  | 'respline-view-signal';

/** The withOptions() subjects: GET only, on the working tree's Client. */
const VIEWS: readonly Subject[] = ['respline-view', 'respline-view-per-call', 'respline-view-signal'];

interface Cell {
  subject: Subject;
  workload: Workload;
  depth: number;
}

type Op = (i: number) => Promise<unknown>;

interface Opened {
  op: Op;
  close(): Promise<void>;
}

async function openSubject(subject: Subject, workload: Workload, url: string): Promise<Opened> {
  if (VIEWS.includes(subject)) {
    const client = new Client(url);
    await client.connect();
    return { op: viewOp(client, subject), close: () => client.quit() };
  }
  if (subject === 'respline' || subject === 'respline-base') {
    const dir = subject === 'respline' ? ROOT : BASE_DIR;
    // The base commit's Client is loaded from its own checkout; its type is the working tree's.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(join(dir, 'lib', 'client')) as { Client: typeof Client };
    const client = new loaded.Client(url);
    await client.connect();
    return { op: resplineOp(client, workload), close: () => client.quit() };
  }
  if (subject === 'ioredis') {
    const client = new Redis(url, { lazyConnect: true });
    await client.connect();
    const ops: Record<Workload, Op> = {
      get: (i) => client.get(`key:${i % KEYS}`),
      set: (i) => client.set(`key:${i % KEYS}`, VALUE),
      hgetall: () => client.hgetall('hash:100'),
      'zrange-withscores': () => client.zrange('zset:100', 0, '-1', 'WITHSCORES'),
      multi10: (i) => {
        const multi = client.multi();
        for (let j = 0; j < 5; j++) multi.incr(`counter:${j}`).get(`key:${(i + j) % KEYS}`);
        return multi.exec();
      },
    };
    return { op: ops[workload], close: async () => void (await client.quit()) };
  }
  const client = createClient({ url });
  client.on('error', (error: unknown) => process.stderr.write(`node-redis: ${String(error)}\n`));
  await client.connect();
  const ops: Record<Workload, Op> = {
    get: (i) => client.get(`key:${i % KEYS}`),
    set: (i) => client.set(`key:${i % KEYS}`, VALUE),
    hgetall: () => client.hGetAll('hash:100'),
    'zrange-withscores': () => client.zRangeWithScores('zset:100', 0, -1),
    multi10: (i) => {
      const multi = client.multi();
      for (let j = 0; j < 5; j++) multi.incr(`counter:${j}`).get(`key:${(i + j) % KEYS}`);
      return multi.exec();
    },
  };
  return { op: ops[workload], close: async () => void (await client.close()) };
}

function resplineOp(client: Client, workload: Workload): Op {
  switch (workload) {
    case 'get':
      return (i) => client.get(`key:${i % KEYS}`);
    case 'set':
      return (i) => client.set(`key:${i % KEYS}`, VALUE);
    case 'hgetall':
      return () => client.hgetall('hash:100');
    case 'zrange-withscores':
      return () => client.zrange('zset:100', 0, -1, 'WITHSCORES');
    case 'multi10':
      return (i) => {
        const multi = client.multi();
        for (let j = 0; j < 5; j++) multi.incr(`counter:${j}`).get(`key:${(i + j) % KEYS}`);
        return multi.exec();
      };
  }
}

function viewOp(client: Client, subject: Subject): Op {
  if (subject === 'respline-view-per-call') return (i) => client.withOptions({}).get(`key:${i % KEYS}`);
  // A signal that never aborts: every GET takes the guarded path (one listener, removed when idle).
  const view = client.withOptions(
    subject === 'respline-view-signal' ? { signal: new AbortController().signal } : {},
  );
  return (i) => view.get(`key:${i % KEYS}`);
}

async function runCell(): Promise<void> {
  const cell = JSON.parse(process.env.BENCH_CELL ?? '{}') as Cell & {
    url: string;
    warmupMs: number;
    windowMs: number;
  };
  const opened = await openSubject(cell.subject, cell.workload, cell.url);
  const result = await measureWindow(opened.op, cell.depth, cell.warmupMs, cell.windowMs);
  await opened.close();
  process.send?.(result);
}

type CellResult = WindowResult;

function forkCell(cell: Cell, url: string, warmupMs: number, windowMs: number): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const child = track(
      fork(__filename, ['--cell'], {
        execArgv: ['-r', 'ts-node/register/transpile-only'],
        env: { ...process.env, BENCH_CELL: JSON.stringify({ ...cell, url, warmupMs, windowMs }) },
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

function prepareBase(rev: string): void {
  if (existsSync(BASE_DIR)) execFileSync('git', ['worktree', 'remove', '--force', BASE_DIR], { cwd: ROOT });
  execFileSync('git', ['worktree', 'add', '--detach', BASE_DIR, rev], { cwd: ROOT, stdio: 'ignore' });
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const base = argv.find((arg) => arg.startsWith('--base='))?.slice('--base='.length) ?? DEFAULT_BASE;
  const repeats = Number(
    argv.find((arg) => arg.startsWith('--repeats='))?.slice('--repeats='.length) ?? (quick ? 1 : 3),
  );
  const warmupMs = quick ? 300 : 500;
  const windowMs = quick ? 700 : 2000;
  installCleanup(() => undefined);
  prepareBase(base);
  const server = await startRedisServer();
  try {
    const seed = new Client(server.url);
    const fields: Record<string, string> = {};
    for (let i = 0; i < 100; i++) fields[`field:${i}`] = `value-${i}-${'x'.repeat(20)}`;
    await seed.call('HSET', 'hash:100', ...Object.entries(fields).flat());
    for (let i = 0; i < 100; i++) await seed.call('ZADD', 'zset:100', i + 0.5, `member:${i}`);
    for (let i = 0; i < KEYS; i++) void seed.set(`key:${i}`, VALUE);
    await seed.quit();

    const only = argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
    const cells: Cell[] = [];
    if (only === 'options') {
      for (const subject of ['respline-base', 'respline', ...VIEWS] as const)
        cells.push({ subject, workload: 'get', depth: 128 });
    } else if (only !== 'peers')
      for (const workload of ['get', 'set'] as const)
        for (const depth of [128, 1024])
          for (const subject of ['respline-base', 'respline'] as const)
            cells.push({ subject, workload, depth });
    if (only !== 'hot' && only !== 'options')
      for (const workload of ['hgetall', 'zrange-withscores', 'multi10'] as const)
        for (const subject of ['respline', 'ioredis', 'node-redis'] as const)
          cells.push({ subject, workload, depth: 128 });

    const samples = new Map<string, CellResult[]>();
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const cell of cells) {
        const key = `${cell.workload}@${cell.depth} ${cell.subject}`;
        const result = await forkCell(cell, server.url, warmupMs, windowMs);
        samples.set(key, [...(samples.get(key) ?? []), result]);
        console.log(
          `${key}: ${Math.round(result.opsPerSec).toLocaleString('en-US')} ops/s, ${result.cpuMicrosPerOp.toFixed(2)} µs CPU/op`,
        );
      }
    }
    console.log(`\nmedian of ${repeats} (base ${base}, ${windowMs} ms windows, async loops):`);
    console.log('| cell | ops/s (median) | min–max | client CPU µs/op (median) |');
    for (const [key, results] of samples) {
      const ops = results.map((result) => result.opsPerSec).sort((a, b) => a - b);
      const cpu = results.map((result) => result.cpuMicrosPerOp).sort((a, b) => a - b);
      const mid = Math.floor(ops.length / 2);
      const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
      console.log(
        `| ${key} | ${fmt(ops[mid])} | ${fmt(ops[0])}–${fmt(ops[ops.length - 1])} | ${cpu[mid].toFixed(2)} |`,
      );
    }
  } finally {
    await server.stop();
    execFileSync('git', ['worktree', 'remove', '--force', BASE_DIR], { cwd: ROOT });
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
