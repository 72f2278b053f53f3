/**
 * Chaos: a live 3 replicas x 3 shards of real redis-server, each behind its own FaultProxy, under load
 * from many workers while a seeded scheduler injects faults (kill -9 and restart, SIGSTOP and SIGCONT,
 * blackholes, connections cut in the middle of a reply, 1-byte re-chunking, added latency). It checks,
 * and prints in a summary:
 *
 *   1. No reply reaches the wrong caller: every value read encodes the key it was read for, with a
 *      counter that was issued; every SET says OK, every INCR a count no larger than the INCRs sent…
 *   2. Every promise settles within its deadline plus a fixed bound (a watchdog per operation).
 *   3. No write acknowledged under writeAck 'quorum' is lost while a majority of its shard's replicas
 *      were never killed since (see checkDurability in support/chaos/ledger.ts for the exact rule).
 *   4. Heap after the run, past GC, is within a constant of heap before; once every fault is healed,
 *      every server comes back up and no Client holds a command.
 *   5. No unhandled rejection and no uncaught exception.
 *
 * CHAOS_SEED replays a run's choices (printed in the summary); CHAOS_SECONDS runs longer than the
 * default. At most one fault per shard at a time, each healed before the next, so every shard keeps a
 * healthy majority, except in deliberate "storms" (support/chaos/faults.ts) on two replicas of a shard.
 */
import { performance } from 'node:perf_hooks';

import { Cluster } from '../lib/cluster/cluster';
import type { ClusterOptions } from '../lib/cluster/cluster-options';
import type { ClientOptions } from '../lib/connection/options';
import { ReplyError, ResplineError } from '../lib/errors';
import type { RespValue } from '../lib/resp/types';
import { FaultProxy } from '../lib/testing/fault-proxy';
import { FAULT_KINDS, FaultLane, healAll, type FaultKind, type FaultTarget } from './support/chaos/faults';
import { retainedBytes } from './support/heap';
import { hostProcess } from './support/host-process';
import { checkDurability, CounterKey, describe as show, KillLog, StringKey } from './support/chaos/ledger';
import { Prng } from './support/chaos/prng';
import { Tally } from './support/chaos/tally';
import { startRedis, stopAll } from './support/redis-harness';
import { eventually } from './support/wait';

const SECONDS = positiveNumber('CHAOS_SECONDS', 26);
const SEED = process.env.CHAOS_SEED === undefined ? randomSeed() : positiveNumber('CHAOS_SEED', 0) >>> 0;

const REPLICAS = 3;
const SHARDS = 3;
const CLIENT: ClientOptions = {
  commandTimeout: 400,
  connectTimeout: 1_000,
  heartbeatInterval: 200,
  stallTimeout: 600,
  reconnect: { minDelay: 20, maxDelay: 200 },
};
const HEDGE_AFTER = 150;
/**
 * Invariant 2's bound. A read may try every replica in turn, each for up to commandTimeout, and a hedge
 * adds its delay; writes go to every replica at once. The rest is slack for timers on a loaded machine.
 */
const SETTLE_BOUND_MS = (CLIENT.commandTimeout as number) * REPLICAS + HEDGE_AFTER + 2_000;
const HEAP_ALLOWANCE = 32 * 1024 * 1024;

/** Workers on the 'quorum' cluster, whose writes are held to durability. */
const MAIN_WORKERS = 10;
/** Workers on a second cluster over the same proxies: writeAck 'one', 'fastest' reads, no hedging. */
const SIDE_WORKERS = 4;
const KEYS_PER_WORKER = 16;
const INCRS_PER_COUNTER = 40;
/**
 * Keys written once, before the faults, then only read: killing replica 0 of their shard loses them
 * there for good (no re-sync), which the durability check must tell apart from a lost write.
 */
const COLD_KEYS = 60;

type OpKind = 'set' | 'get' | 'del' | 'incr' | 'mget' | 'mset' | 'pipeline';
const MAIN_OPS: readonly (readonly [OpKind, number])[] = [
  ['set', 26],
  ['get', 26],
  ['del', 6],
  ['incr', 14],
  ['mget', 12],
  ['mset', 6],
  ['pipeline', 10],
];
const SIDE_OPS: readonly (readonly [OpKind, number])[] = [
  ['set', 30],
  ['get', 35],
  ['del', 5],
  ['incr', 15],
  ['mget', 15],
];

const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---------------------------------------------------------------------------------------------------
// The run's state, shared by the test and afterAll (which must clean up whatever happened).
// ---------------------------------------------------------------------------------------------------

const targets: FaultTarget[] = [];
const clusters: Cluster[] = [];
const lanes: Promise<void>[] = [];
const tally = new Tally();
let stopAt = 0;

const onUnhandledRejection = (reason: unknown): void =>
  tally.violation('unhandledRejection', show(reason) + (reason instanceof Error ? `\n${reason.stack}` : ''));
const onUncaughtException = (error: Error): void =>
  tally.violation('uncaughtException', `${show(error)}\n${error.stack ?? ''}`);

beforeAll(async () => {
  hostProcess.on('unhandledRejection', onUnhandledRejection);
  hostProcess.on('uncaughtException', onUncaughtException);
  const servers = await Promise.all(Array.from({ length: REPLICAS * SHARDS }, () => startRedis()));
  for (let replica = 0; replica < REPLICAS; replica++) {
    for (let shard = 0; shard < SHARDS; shard++) {
      const server = servers[replica * SHARDS + shard];
      targets.push({ replica, shard, server, proxy: new FaultProxy({ port: server.port }) });
    }
  }
  await Promise.all(targets.map(({ proxy }) => proxy.start()));
});

afterAll(async () => {
  // Normally all done already; after a failure, stop the load and the faults before cleaning up.
  stopAt = 0;
  await Promise.allSettled(lanes);
  await healAll(targets).catch(() => undefined);
  for (const cluster of clusters) cluster.disconnect();
  await Promise.all(targets.map(({ proxy }) => proxy.stop()));
  await stopAll();
  hostProcess.off('unhandledRejection', onUnhandledRejection);
  hostProcess.off('uncaughtException', onUncaughtException);
});

function makeCluster(options: Omit<ClusterOptions, 'replicas'>): Cluster {
  const urls = Array.from({ length: REPLICAS }, (_, replica) =>
    Array.from({ length: SHARDS }, (_, shard) => targets[replica * SHARDS + shard].proxy.url),
  );
  const cluster = new Cluster({
    replicas: urls,
    downAfter: 3,
    probeInterval: 100,
    client: CLIENT,
    ...options,
  });
  for (const event of ['replicaError', 'serverDown', 'serverUp', 'error'] as const) {
    cluster.on(event, () => tally.event(event));
  }
  clusters.push(cluster);
  return cluster;
}

// ---------------------------------------------------------------------------------------------------
// Operations, each under a watchdog
// ---------------------------------------------------------------------------------------------------

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** What an operation the watchdog gave up on counts as; it is already a violation. */
class AbandonedError extends Error {}

/**
 * Runs one operation under invariant 2's watchdog. An operation past the bound is recorded and
 * abandoned (so one hung promise cannot hang the run); failures are counted by type, and any that is
 * not one of respline's typed errors, or an error reply, is a violation.
 */
async function guarded<T>(kind: string, what: string, start: () => Promise<T>): Promise<Outcome<T>> {
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => {
      tally.violation('unsettled', `${what} still unsettled after ${SETTLE_BOUND_MS} ms`);
      resolve({ ok: false, error: new AbandonedError(`${what}: abandoned by the watchdog`) });
    }, SETTLE_BOUND_MS);
  });
  let settled: Promise<Outcome<T>>;
  try {
    settled = start().then(
      (value): Outcome<T> => ({ ok: true, value }),
      (error: unknown): Outcome<T> => ({ ok: false, error }),
    );
  } catch (error) {
    settled = Promise.resolve({ ok: false, error });
  }
  const outcome = await Promise.race([settled, watchdog]);
  clearTimeout(timer);
  tally.op(kind, outcome.ok, performance.now() - startedAt);
  if (!outcome.ok) checkError(what, outcome.error);
  return outcome;
}

function checkError(what: string, error: unknown): void {
  tally.error(error);
  if (error instanceof AbandonedError) return;
  if (!(error instanceof ResplineError))
    tally.violation('untypedError', `${what} rejected with ${show(error)}`);
  // No server here refuses anything: an error reply means a command reached a server garbled, or a
  // reply reached the wrong caller.
  else if (error instanceof ReplyError)
    tally.violation('untypedError', `${what}: error reply ${error.message}`);
}

function wrongReply(what: string, detail: string): void {
  tally.violation('wrongReply', `${what}: ${detail}`);
}

/** One worker's keys: string keys, the counter key it INCRs now, and every counter key it used. */
class WorkerKeys {
  readonly strings: StringKey[];
  readonly counters: CounterKey[] = [];
  private absent = 0;

  constructor(
    private readonly prefix: string,
    private readonly cluster: Cluster,
  ) {
    this.strings = Array.from({ length: KEYS_PER_WORKER }, (_, i) => this.stringKey(`${prefix}:k${i}`));
  }

  /** The counter key to INCR now: a fresh one every INCRS_PER_COUNTER INCRs. */
  counter(): CounterKey {
    let current = this.counters[this.counters.length - 1];
    if (current === undefined || current.issued >= INCRS_PER_COUNTER) {
      const name = `${this.prefix}:n${this.counters.length}`;
      current = new CounterKey(name, this.cluster.shardOf(name));
      this.counters.push(current);
    }
    return current;
  }

  /** A key nothing ever writes: reading it must give null. */
  absentKey(): StringKey {
    return this.stringKey(`${this.prefix}:absent${this.absent++}`);
  }

  private stringKey(name: string): StringKey {
    return new StringKey(name, this.cluster.shardOf(name));
  }
}

/**
 * One worker: a loop of random operations on its own keys until `stopAt`. With `durable`, writes
 * acknowledged by the cluster (writeAck 'quorum') are recorded for the durability check.
 */
async function worker(
  cluster: Cluster,
  keys: WorkerKeys,
  cold: readonly StringKey[],
  rng: Prng,
  ops: readonly (readonly [OpKind, number])[],
  durable: boolean,
): Promise<void> {
  const ack = (key: StringKey, counter: number, sentAt: number): void => {
    if (durable) key.acked = { counter, sentAt };
  };
  while (performance.now() < stopAt) {
    const op = rng.weighted(ops);
    const sentAt = performance.now();
    switch (op) {
      case 'set': {
        const key = rng.pick(keys.strings);
        const counter = key.nextCounter();
        const what = `SET ${key.value(counter)}`;
        const outcome = await guarded(op, what, () => cluster.set(key.name, key.value(counter)));
        if (outcome.ok) {
          if (outcome.value === 'OK') ack(key, counter, sentAt);
          else wrongReply(what, `answered ${show(outcome.value)}`);
        }
        break;
      }
      case 'get': {
        const roll = rng.next();
        const key = roll < 0.1 ? keys.absentKey() : roll < 0.2 ? rng.pick(cold) : rng.pick(keys.strings);
        const buffers = rng.chance(0.25);
        const what = `GET ${key.name}`;
        const outcome = await guarded<RespValue>(op, what, () =>
          buffers ? cluster.getBuffer(key.name) : cluster.get(key.name),
        );
        if (outcome.ok) {
          const wrong = key.wrongValue(outcome.value);
          if (wrong !== null) wrongReply(what, wrong);
          else if (outcome.value !== null && Buffer.isBuffer(outcome.value) !== buffers)
            wrongReply(what, `asked for ${buffers ? 'a Buffer' : 'a string'}, got ${show(outcome.value)}`);
        }
        break;
      }
      case 'del': {
        const key = rng.pick(keys.strings);
        const counter = key.nextCounter();
        key.lastDeleteIssued = counter;
        const what = `DEL ${key.name} (write ${counter})`;
        const outcome = await guarded(op, what, () => cluster.del(key.name));
        if (outcome.ok) {
          if (outcome.value === 0 || outcome.value === 1) ack(key, counter, sentAt);
          else wrongReply(what, `answered ${show(outcome.value)}`);
        }
        break;
      }
      case 'incr': {
        const key = keys.counter();
        if (key.firstSentAt < 0) key.firstSentAt = sentAt;
        key.issued++;
        const what = `INCR ${key.name} (#${key.issued})`;
        const outcome = await guarded(op, what, () => cluster.incr(key.name));
        if (outcome.ok) {
          const wrong = key.wrongReply(outcome.value);
          if (wrong !== null) wrongReply(what, wrong);
          else key.acked++;
        }
        break;
      }
      case 'mget': {
        const chosen = rng.sample(keys.strings, rng.int(2, 6));
        if (rng.chance(0.3)) chosen.splice(rng.int(0, chosen.length), 0, keys.absentKey());
        const what = `MGET ${chosen.map((key) => key.name).join(' ')}`;
        const outcome = await guarded(op, what, () => cluster.mget(chosen.map((key) => key.name)));
        if (outcome.ok) {
          const values: unknown = outcome.value;
          if (!Array.isArray(values) || values.length !== chosen.length) {
            wrongReply(what, `answered ${show(values)}`);
          } else {
            chosen.forEach((key, i) => {
              const wrong = key.wrongValue(values[i]);
              if (wrong !== null) wrongReply(what, `[${i}] ${wrong}`);
            });
          }
        }
        break;
      }
      case 'mset': {
        const chosen = rng.sample(keys.strings, rng.int(2, 4));
        const counters = chosen.map((key) => key.nextCounter());
        const entries = Object.fromEntries(chosen.map((key, i) => [key.name, key.value(counters[i])]));
        const what = `MSET ${Object.values(entries).join(' ')}`;
        const outcome = await guarded(op, what, () => cluster.mset(entries));
        if (outcome.ok) {
          if (outcome.value === 'OK') chosen.forEach((key, i) => ack(key, counters[i], sentAt));
          else wrongReply(what, `answered ${show(outcome.value)}`);
        }
        break;
      }
      case 'pipeline': {
        // GETs and SETs of distinct keys in one pipeline: each slot must hold its own command's reply.
        const chosen = rng.sample(keys.strings, rng.int(2, 5));
        const pipeline = cluster.pipeline();
        const plan = chosen.map((key) => {
          if (rng.chance(0.5)) {
            pipeline.get(key.name);
            return { key, counter: 0 };
          }
          const counter = key.nextCounter();
          pipeline.set(key.name, key.value(counter));
          return { key, counter };
        });
        const what = `pipeline of ${plan.map(({ key, counter }) => (counter === 0 ? `GET ${key.name}` : `SET ${key.value(counter)}`)).join(', ')}`;
        const outcome = await guarded(op, what, () => pipeline.exec());
        if (!outcome.ok) break;
        const results = outcome.value;
        if (results.length !== plan.length) {
          wrongReply(what, `${results.length} results for ${plan.length} commands`);
          break;
        }
        plan.forEach(({ key, counter }, i) => {
          const result = results[i];
          const slot = `${what} [${i}]`;
          if (result instanceof Error) checkError(slot, result);
          else if (counter === 0) {
            const wrong = key.wrongValue(result);
            if (wrong !== null) wrongReply(slot, wrong);
          } else if (result === 'OK') ack(key, counter, sentAt);
          else wrongReply(slot, `SET answered ${show(result)}`);
        });
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------

const TIMING = { gapMs: [150, 1_200], durationMs: [250, 1_600], stormChance: 0.15 } as const;

test(
  `chaos: ${SECONDS} s of faults on 3x3 redis-server under load; every invariant holds`,
  async () => {
    const rng = new Prng(SEED);
    const main = makeCluster({ writeAck: 'quorum', readFrom: 'ordered', hedgeAfter: HEDGE_AFTER });
    const side = makeCluster({ writeAck: 'one', readFrom: 'fastest' });
    await Promise.all([main.connect(), side.connect()]);
    const mainKeys = Array.from({ length: MAIN_WORKERS }, (_, w) => new WorkerKeys(`chaos:w${w}`, main));
    const sideKeys = Array.from({ length: SIDE_WORKERS }, (_, w) => new WorkerKeys(`side:w${w}`, side));
    const cold = Array.from(
      { length: COLD_KEYS },
      (_, i) => new StringKey(`chaos:cold${i}`, main.shardOf(`chaos:cold${i}`)),
    );
    const coldSentAt = performance.now();
    expect(
      await main.mset(Object.fromEntries(cold.map((key) => [key.name, key.value(key.nextCounter())]))),
    ).toBe('OK');
    for (const key of cold) key.acked = { counter: 1, sentAt: coldSentAt };
    const heapBefore = retainedBytes();

    // Load and faults until stopAt; then every fault is healed.
    const kills = new KillLog();
    const origin = performance.now();
    stopAt = origin + SECONDS * 1000;
    // Every kind of fault early in every run: each lane starts with two of them.
    const kinds: FaultKind[] = rng.sample(FAULT_KINDS, FAULT_KINDS.length);
    const faultLanes = Array.from(
      { length: SHARDS },
      (_, shard) =>
        new FaultLane(
          targets.filter((target) => target.shard === shard),
          rng.fork(100 + shard),
          TIMING,
          kills,
          tally,
          kinds.filter((_, i) => i % SHARDS === shard),
          origin,
        ),
    );
    lanes.push(...faultLanes.map((lane) => lane.run(() => stopAt)));
    await Promise.all([
      ...mainKeys.map((keys, w) => worker(main, keys, cold, rng.fork(w), MAIN_OPS, true)),
      ...sideKeys.map((keys, w) => worker(side, keys, cold, rng.fork(1_000 + w), SIDE_OPS, false)),
    ]);
    const loadSeconds = (performance.now() - origin) / 1000;
    await Promise.all(lanes);
    await healAll(targets);
    await settleAfterHealing();

    // Invariant 3.
    const stringKeys = [...cold, ...mainKeys.flatMap((keys) => keys.strings)];
    const counterKeys = mainKeys.flatMap((keys) => keys.counters);
    const holdings = await readEveryReplica([...stringKeys, ...counterKeys]);
    const durability = checkDurability(
      REPLICAS,
      stringKeys,
      counterKeys,
      kills,
      (replica, name) => holdings.get(`${replica} ${name}`) ?? null,
    );
    for (const lost of durability.lost) tally.violation('lostWrite', lost);
    for (const corrupt of durability.corrupt) tally.violation('corruptValue', corrupt);
    for (const duplicated of durability.duplicated) tally.violation('duplicatedWrite', duplicated);

    // Not an invariant, shown for what it is: 'ordered' cluster reads of acknowledged keys that come back
    // older than the acknowledged write, because replica 0 was killed, restarted empty, never re-synced.
    const acked = stringKeys.filter((key) => key.acked !== null);
    const readBack = await main.mget(acked.map((key) => key.name)).catch((error: unknown) => error);
    const stale = (keys: readonly StringKey[]): number =>
      keys.filter((key) => !key.holdsAck((readBack as RespValue[])[acked.indexOf(key)])).length;
    const staleThroughCluster = Array.isArray(readBack)
      ? `${stale(acked)} of ${acked.length} acknowledged keys (${stale(cold)} of the ${cold.length} written once before the faults)`
      : `(the read failed: ${show(readBack)})`;

    // Invariant 4.
    const heapAfter = retainedBytes();
    if (heapAfter - heapBefore > HEAP_ALLOWANCE) {
      tally.violation('memory', `heap grew from ${MiB(heapBefore)} to ${MiB(heapAfter)}`);
    }

    // quit() lets every accepted command finish, then closes: it must settle too.
    const quitStartedAt = performance.now();
    for (const cluster of clusters) {
      const quit = await guarded('quit', 'Cluster.quit()', () => cluster.quit());
      if (!quit.ok) tally.violation('unsettled', `quit() rejected: ${show(quit.error)}`);
    }
    const quitMs = performance.now() - quitStartedAt;

    tally.notes.set(
      'durability',
      `${durability.checked} keys checked (${stringKeys.length} string keys, ${counterKeys.length} counter keys), ` +
        `${durability.unverifiable} unverifiable (a majority of their shard killed since the write), ` +
        `${durability.laggingReplicas} lagging never-killed replicas tolerated`,
    );
    tally.notes.set(
      'cluster reads after healing',
      `${staleThroughCluster} read older than acknowledged through 'ordered' reads ` +
        `(replica 0 killed, restarted empty: no re-sync, not a lost write)`,
    );
    tally.notes.set(
      'heap',
      `${MiB(heapBefore)} before, ${MiB(heapAfter)} after (allowance ${MiB(HEAP_ALLOWANCE)})`,
    );
    tally.notes.set('quit', `both clusters closed in ${Math.round(quitMs)} ms`);
    if (tally.violationCount() > 0) {
      const log = faultLanes
        .flatMap((lane) => lane.log)
        .sort((a, b) => parseFloat(a.slice(1)) - parseFloat(b.slice(1)));
      tally.notes.set('fault log', `\n    ${log.join('\n    ')}`);
    }
    console.log(
      tally.summary(
        `chaos summary: seed ${SEED} (replay with CHAOS_SEED=${SEED}), load ${loadSeconds.toFixed(1)} s, ` +
          `total ${((performance.now() - origin) / 1000).toFixed(1)} s, ${MAIN_WORKERS} 'quorum' + ` +
          `${SIDE_WORKERS} 'one' workers, settle bound ${SETTLE_BOUND_MS} ms`,
      ),
    );

    // The run did what it claims: load of every kind, and every kind of fault, some of which bit.
    for (const [kind] of MAIN_OPS) expect(tally.ops.get(kind)?.ok ?? 0).toBeGreaterThan(0);
    for (const kind of FAULT_KINDS) expect(tally.faults.get(kind) ?? 0).toBeGreaterThan(0);
    expect(tally.events.get('serverDown') ?? 0).toBeGreaterThan(0);
    expect(durability.checked).toBeGreaterThan(0);
    expect(Object.fromEntries(tally.violations)).toEqual(
      Object.fromEntries([...tally.violations.keys()].map((name) => [name, 0])),
    );
  },
  SECONDS * 1000 + 90_000,
);

/** Once healed: every server comes back up, and every Client gives back every command it held. */
async function settleAfterHealing(): Promise<void> {
  const down = (): string[] =>
    clusters.flatMap((cluster, c) =>
      cluster
        .health()
        .filter((entry) => !entry.up)
        .map(({ replica, shard }) => `cluster ${c} server ${replica}/${shard}`),
    );
  await eventually(() => down().length === 0, 'every server marked up after healing', 15_000).catch(() =>
    tally.violation('notRecovered', `still down 15 s after healing: ${down().join(', ')}`),
  );
  const held = (): number[][] => clusters.map((cluster) => cluster.health().map((entry) => entry.inFlight));
  await eventually(
    () =>
      held()
        .flat()
        .every((count) => count === 0),
    'every Client empty',
    10_000,
  ).catch(() => tally.violation('notRecovered', `commands still held per server: ${JSON.stringify(held())}`));
}

/** What each replica holds for these keys, read straight from its redis-server: "replica name" → value. */
async function readEveryReplica(
  keys: readonly { name: string; shard: number }[],
): Promise<Map<string, RespValue>> {
  const holdings = new Map<string, RespValue>();
  for (const { replica, shard, server } of targets) {
    const names = keys.filter((key) => key.shard === shard).map((key) => key.name);
    const values = (await server.command('MGET', ...names)) as RespValue[];
    names.forEach((name, i) => holdings.set(`${replica} ${name}`, values[i]));
  }
  return holdings;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0, not ${raw}`);
  return value;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
