/**
 * Cost of routing one key, and what it does to a Cluster's GET throughput.
 *
 *   npx ts-node --transpile-only bench/routing.ts [substring] [--base=REV]  # ns per call
 *   npx ts-node --transpile-only bench/routing.ts --cluster [--base=REV] [--repeats=N]
 *
 * Default: ns per shardOf call for keys of several lengths (only labels containing `substring`, if
 * given), through the addon path (xxhash-addon's call, as routing did before the pure-JS xxh64;
 * reproduced here: UTF-8 into a scratch, the hash tag, XXHash64.hash, the jump hash), through shardOf
 * as it is now, and with --base=REV through shardOf of commit REV (checked out as for --cluster), side
 * by side in one process. Each case cycles through 1024 prebuilt keys so no single input is special;
 * every result feeds a checksum so the work cannot be optimised away. The paths take turns round by
 * round, so a change in the machine's load hits them alike; the median of the rounds is reported, in
 * ns of this process's CPU time per call (on an idle machine the same as wall time; on a busy one,
 * steadier).
 *
 * --cluster: GET at 128 in flight (plain async loops, 100-byte values) through a Cluster of 1 replica x
 * 1 shard, against one Client on the same redis-server, and through the Cluster of commit REV (default:
 * the one before the pure-JS hash, checked out into .tmp/bench-routing-base with `git worktree`), taking
 * turns; ops/s and client CPU µs per GET, median of the repeats. CPU per op is the steadier figure on
 * a busy machine. Starts one private redis-server on a free port and kills it on every way out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { XXHash64 } from 'xxhash-addon';
import { Client } from '../lib/client';
import type { Cluster } from '../lib/cluster/cluster';
import { findHashTag, type HashTagBounds } from '../lib/cluster/hash-tag';
import { jumpConsistentHashHalves } from '../lib/cluster/jump-hash';
import { routingDigest } from '../lib/cluster/key-hash';
import { shardOf } from '../lib/cluster/routing';
import { installCleanup } from './suite/processes';
import { startRedisServer } from './suite/redis-server';
import { measureWindow, type WindowResult } from './suite/windowed-loops';

const KEY_COUNT = 1024;
const OPS_PER_ROUND = 1_000_000;
const ROUNDS = 7;
const SHARDS = 3;

const ROOT = join(__dirname, '..');
const BASE_DIR = join(ROOT, '.tmp', 'bench-routing-base');
/** The last landed commit before routing hashed short keys in JS. */
const DEFAULT_BASE = '6a9c36b';

// ---- ns per call ----

/** Keys `prefix:<n>` padded with 'x' to `length` bytes. */
const keysOf = (length: number, tagged = false): string[] =>
  Array.from({ length: KEY_COUNT }, (_, i) => {
    const base = tagged ? `{user:${12_345 + i}}:` : `user:${12_345 + i}:`;
    return base.padEnd(length, 'x');
  });

// The routing path before the pure-JS hash, reproduced: every key's hash is one xxhash-addon call.
const scratch = Buffer.alloc(768);
const scratchViews: Buffer[] = [];
const tag: HashTagBounds = { start: 0, end: 0 };
function addonShardOf(key: string | Buffer, shards: number): number {
  let bytes: Buffer;
  let length: number;
  if (typeof key === 'string') {
    length = key.length;
    for (let i = 0; i < length; i++) {
      const code = key.charCodeAt(i);
      if (code > 0x7f) {
        length = scratch.write(key);
        break;
      }
      scratch[i] = code;
    }
    bytes = scratch;
  } else {
    bytes = key;
    length = key.length;
  }
  let digest: Buffer;
  if (findHashTag(bytes, length, tag)) digest = XXHash64.hash(bytes.subarray(tag.start, tag.end));
  else if (bytes === scratch) digest = XXHash64.hash(scratchView(length));
  else digest = XXHash64.hash(bytes);
  return jumpConsistentHashHalves(digest.readUInt32BE(0), digest.readUInt32BE(4), shards);
}
function scratchView(length: number): Buffer {
  let view = scratchViews[length];
  if (view === undefined) {
    view = scratch.subarray(0, length);
    scratchViews[length] = view;
  }
  return view;
}

let checksum = 0;

/** ns per call of each op, taking turns round by round; the median round of each. */
function nsPerCall(ops: readonly ((i: number) => number)[]): number[] {
  for (const op of ops) {
    for (let i = 0; i < OPS_PER_ROUND; i++) checksum += op(i & (KEY_COUNT - 1)); // warm-up, lets the JIT settle
  }
  const perOp: number[][] = ops.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    ops.forEach((op, which) => {
      // CPU time, not wall time: on a busy machine wall time counts the other processes' turns too.
      const start = process.cpuUsage();
      for (let i = 0; i < OPS_PER_ROUND; i++) checksum += op(i & (KEY_COUNT - 1));
      const used = process.cpuUsage(start);
      perOp[which].push(((used.user + used.system) * 1000) / OPS_PER_ROUND);
    });
  }
  return perOp.map(median);
}

function routingCalls(only: string | undefined, base: string | undefined): void {
  console.log(
    `node ${process.version}, ${OPS_PER_ROUND} calls x ${ROUNDS} rounds, median; shards = ${SHARDS}`,
  );
  const cases: [string, (string | Buffer)[]][] = [
    ["string 'user:12345' (10 B)", plainKeys()],
    ['string, 32 B', keysOf(32)],
    ['string, 64 B', keysOf(64)],
    ["string '{user:12345}:…', 64 B, hash tag", keysOf(64, true)],
    ['Buffer, 10 B', plainKeys().map((key) => Buffer.from(key))],
    ['Buffer, 64 B', keysOf(64).map((key) => Buffer.from(key))],
    ['string, 200 B', keysOf(200)],
    ['string, 300 B (past the JS cut: addon both)', keysOf(300)],
  ];
  let baseShardOf: typeof shardOf | undefined;
  if (base !== undefined) {
    checkOutBase(base);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    baseShardOf = (require(join(BASE_DIR, 'lib', 'cluster', 'routing')) as { shardOf: typeof shardOf })
      .shardOf;
  }
  const names = baseShardOf === undefined ? ['addon path', 'now'] : ['addon path', base, 'now'];
  try {
    // One `<label> <ns> ns/op` line per measurement: bench/run.ts parses them.
    for (const [label, keys] of cases) {
      if (only !== undefined && !label.includes(only)) continue;
      // A function literal per path: closures of one literal share V8's call feedback, and the call
      // inside would be polymorphic for all of them.
      const ops = [(i: number) => addonShardOf(keys[i], SHARDS), (i: number) => shardOf(keys[i], SHARDS)];
      const routeAtBase = baseShardOf;
      if (routeAtBase !== undefined) ops.splice(1, 0, (i: number) => routeAtBase(keys[i], SHARDS));
      const results = nsPerCall(ops);
      names.forEach((name, which) => line(`shardOf ${label}, ${name}`, results[which]));
    }
  } finally {
    if (base !== undefined) removeBase();
  }
  if (only === undefined || 'parts'.includes(only)) {
    const buffers = plainKeys().map((key) => Buffer.from(key));
    const digests = plainKeys().map((key) => routingDigest(key));
    const [hash, jump] = nsPerCall([
      (i) => XXHash64.hash(buffers[i])[7],
      (i) => jumpConsistentHashHalves(digests[i].readUInt32BE(0), digests[i].readUInt32BE(4), SHARDS),
    ]);
    line('XXHash64.hash(prebuilt 10 B Buffer) alone', hash);
    line('jumpConsistentHashHalves(digest halves) alone', jump);
  }
  console.log(`checksum ${checksum}`);
}

function line(label: string, nsPerOp: number): void {
  console.log(`${label.padEnd(64)} ${nsPerOp.toFixed(1).padStart(7)} ns/op`);
}

function plainKeys(): string[] {
  return Array.from({ length: KEY_COUNT }, (_, i) => `user:${12_345 + i}`);
}

// ---- Cluster GET at 128 in flight ----

const DEPTH = 128;
const GET_KEYS = 10_000;

async function clusterGets(argv: readonly string[]): Promise<void> {
  const base = baseOf(argv) ?? DEFAULT_BASE;
  const repeats = Number(argv.find((arg) => arg.startsWith('--repeats='))?.slice('--repeats='.length) ?? 5);
  const warmupMs = 500;
  const windowMs = 2_000;
  installCleanup(() => undefined);
  checkOutBase(base);
  const server = await startRedisServer();
  const keys = Array.from({ length: GET_KEYS }, (_, i) => `bench:key:${i}`);
  const client = new Client(server.url);
  const clusterOf = (dir: string): Cluster => {
    // The base commit's Cluster is loaded from its own checkout; its type is the working tree's.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(join(dir, 'lib', 'cluster', 'cluster')) as { Cluster: typeof Cluster };
    return new loaded.Cluster({ replicas: [[server.url]] });
  };
  const subjects = {
    'one Client': client,
    'Cluster 1x1, now': clusterOf(ROOT),
    [`Cluster 1x1, ${base}`]: clusterOf(BASE_DIR),
  };
  try {
    await Promise.all(Object.values(subjects).map((subject) => subject.connect()));
    const value = 'v'.repeat(100);
    for (let i = 0; i < GET_KEYS; i += 1000) {
      await Promise.all(keys.slice(i, i + 1000).map((key) => client.set(key, value)));
    }
    console.log(
      `node ${process.version}; GET x ${DEPTH} in flight (async loops), ${GET_KEYS} keys, 100-byte values; ` +
        `median of ${repeats} x ${windowMs} ms windows, subjects taking turns`,
    );
    const samples = new Map<string, WindowResult[]>(Object.keys(subjects).map((name) => [name, []]));
    for (let round = 0; round < repeats; round++) {
      for (const [name, subject] of Object.entries(subjects)) {
        const result = await measureWindow((i) => subject.get(keys[i % GET_KEYS]), DEPTH, warmupMs, windowMs);
        samples.get(name)?.push(result);
      }
    }
    const clientOps = median((samples.get('one Client') ?? []).map((r) => r.opsPerSec));
    console.log(
      `${'subject'.padEnd(34)} ${'ops/s'.padStart(9)} ${'vs Client'.padStart(10)} ${'CPU µs/GET'.padStart(11)}`,
    );
    for (const [name, results] of samples) {
      const ops = median(results.map((r) => r.opsPerSec));
      const cpu = median(results.map((r) => r.cpuMicrosPerOp));
      console.log(
        `${name.padEnd(34)} ${Math.round(ops).toString().padStart(9)} ${`${(ops / clientOps).toFixed(2)}x`.padStart(10)} ${cpu.toFixed(2).padStart(11)}`,
      );
    }
  } finally {
    await Promise.all(Object.values(subjects).map((subject) => subject.quit()));
    await server.stop();
    removeBase();
  }
}

function baseOf(argv: readonly string[]): string | undefined {
  return argv.find((arg) => arg.startsWith('--base='))?.slice('--base='.length);
}

/** Checks out commit `base` into BASE_DIR (replacing an earlier checkout), for its code to be required. */
function checkOutBase(base: string): void {
  if (existsSync(BASE_DIR)) removeBase();
  execFileSync('git', ['worktree', 'add', '--detach', BASE_DIR, base], { cwd: ROOT, stdio: 'ignore' });
}

function removeBase(): void {
  execFileSync('git', ['worktree', 'remove', '--force', BASE_DIR], { cwd: ROOT });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (process.argv.includes('--cluster')) {
  clusterGets(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
} else {
  const argv = process.argv.slice(2);
  routingCalls(
    argv.find((arg) => !arg.startsWith('--')),
    baseOf(argv),
  );
}
