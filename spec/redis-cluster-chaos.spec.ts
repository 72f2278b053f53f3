/**
 * Chaos for RedisCluster: a real Redis Cluster (3 masters × 1 replica) under load from workers issuing
 * GET/SET/INCR/MGET/MSET and pipelines (most with 1–5 commands in flight, one with 128), while a
 * seeded fault loop kills a master (kill -9, restarted later so it rejoins as a replica), pauses a
 * master shorter than cluster-node-timeout, once longer (so its replica takes over), and runs one
 * `redis-cli --cluster reshard`. One fault at a time, each healed (cluster_state:ok everywhere) before
 * the next. It checks, and prints in a summary:
 *
 *   1. No misrouted reply: a value read names its own key and a write issued to it; an INCR reply is
 *      an integer no larger than the INCRs sent to that counter; SET and MSET say OK.
 *   2. Every promise issued settles (issued = settled once the workers stop).
 *   3. Errors are ConnectionError, TimeoutError or ReplyError only, and no redirect (MOVED, ASK,
 *      TRYAGAIN, CLUSTERDOWN) reaches the caller.
 *   4. Once the cluster is stable, every key whose last write was acknowledged (among them keys written
 *      exactly once, at random times through the faults) holds that write, unless
 *      a master serving its slot was faulted since the write was sent: replication is asynchronous, so
 *      such a write may be lost. Those losses are counted and printed, never allowed elsewhere.
 *   5. No unhandled rejection.
 *
 * RC_CHAOS_SEED replays a run's choices (printed in the summary).
 */
import { performance } from 'node:perf_hooks';

import { ConnectionError, ReplyError, TimeoutError } from '../lib/errors';
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import { slotOf } from '../lib/redis-cluster/slot';
import { CounterKey, describe as show, StringKey } from './support/chaos/ledger';
import { Prng } from './support/chaos/prng';
import { hostProcess } from './support/host-process';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { stopAll, type RedisProcess } from './support/redis-harness';
import { sleep } from './support/wait';

const SEED =
  process.env.RC_CHAOS_SEED === undefined
    ? Math.floor(Math.random() * 2 ** 32)
    : Number(process.env.RC_CHAOS_SEED) >>> 0;
const FAULT_SECONDS = 34;
/** Bound on the workers' drain once the faults stop: every command has its own deadline well below it. */
const DRAIN_LIMIT_MS = 15_000;
/** Commands in flight per worker: several small, one large. */
const DEPTHS = [1, 1, 2, 3, 5, 128];
const FAULT_MARGIN_MS = 50;
const INCRS_PER_COUNTER = 40;

type OpKind = 'set' | 'once' | 'get' | 'incr' | 'mget' | 'mset' | 'pipeline';
const OPS: readonly (readonly [OpKind, number])[] = [
  ['set', 28],
  ['once', 4],
  ['get', 26],
  ['incr', 14],
  ['mget', 12],
  ['mset', 8],
  ['pipeline', 12],
];

/** A master faulted: its slots at the time, and until when its acknowledged writes may be lost. */
interface Fault {
  readonly kind: string;
  readonly slots: (slot: number) => boolean;
  /** performance.now() once the cluster was ok again after the fault. */
  endedAt: number;
}

let harness: RedisClusterHarness | undefined;
let rc: RedisCluster | undefined;
let running = false;
const unhandled: unknown[] = [];
const onUnhandledRejection = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  hostProcess.on('unhandledRejection', onUnhandledRejection);
  harness = await startRedisCluster(3, 1);
}, 40_000);

afterAll(async () => {
  running = false;
  rc?.disconnect();
  await stopAll();
  hostProcess.off('unhandledRejection', onUnhandledRejection);
});

class Counts {
  readonly map = new Map<string, number>();
  bump(name: string, by = 1): void {
    this.map.set(name, (this.map.get(name) ?? 0) + by);
  }
  text(): string {
    return [...this.map].map(([name, count]) => `${name}=${count}`).join(' ') || '-';
  }
}

test(`RedisCluster chaos: ${FAULT_SECONDS} s of kills, pauses and a reshard under load`, async () => {
  const cluster = harness as RedisClusterHarness;
  const rng = new Prng(SEED);
  const client = new RedisCluster({
    seeds: cluster.seeds,
    refreshInterval: 1_000,
    client: {
      commandTimeout: 1_500,
      connectTimeout: 500,
      reconnect: { minDelay: 20, maxDelay: 200 },
    },
  });
  rc = client;
  await client.connect();

  const ops = new Counts();
  const errors = new Counts();
  const faultCounts = new Counts();
  const violations: string[] = [];
  const violation = (text: string): void => {
    violations.push(text);
  };
  let issued = 0;
  let settled = 0;
  const faults: Fault[] = [];

  /** Every command promise goes through here: counted when issued and when settled. */
  const track = <T>(
    kind: string,
    start: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false }> => {
    issued++;
    ops.bump(kind);
    let promise: Promise<T>;
    try {
      promise = start();
    } catch (error) {
      promise = Promise.reject(error);
    }
    return promise.then(
      (value) => {
        settled++;
        return { ok: true as const, value };
      },
      (error: unknown) => {
        settled++;
        checkError(kind, error);
        return { ok: false as const };
      },
    );
  };

  const checkError = (what: string, error: unknown): void => {
    if (error instanceof ReplyError) {
      const code = error.message.split(' ')[0];
      errors.bump(`ReplyError:${code}`);
      if (/^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/.test(error.message))
        violation(`${what}: a redirect reached the caller: ${error.message}`);
    } else if (error instanceof TimeoutError || error instanceof ConnectionError) {
      errors.bump(error.constructor.name);
      if (/^(MOVED|ASK)\b/.test(error.message)) violation(`${what}: ${error.message}`);
    } else {
      errors.bump(error instanceof Error ? error.constructor.name : typeof error);
      violation(`${what}: untyped rejection ${show(error)}`);
    }
  };

  // One owner per key, and distinct keys for the commands one worker has in flight together, so each
  // key's writes are issued in counter order and its last acknowledged write is well defined.
  const workers = DEPTHS.map((depth, w) => {
    const strings = Array.from({ length: depth * 4 + 8 }, (_, i) => {
      const name = `rcc:w${w}:k${i}`;
      return new StringKey(name, slotOf(name));
    });
    // One counter per command in flight, replaced by a fresh one every INCRS_PER_COUNTER INCRs so each
    // lives through few faults: a counter's possible losses are then bound to the faults of its lifetime.
    const counters: CounterKey[] = [];
    const lanes = Array.from({ length: depth }, () => null as CounterKey | null);
    const counter = (lane: number): CounterKey => {
      let current = lanes[lane];
      if (current === null || current.issued >= INCRS_PER_COUNTER) {
        const name = `rcc:w${w}:n${counters.length}`;
        current = new CounterKey(name, slotOf(name));
        counters.push(current);
        lanes[lane] = current;
      }
      return current;
    };
    // Keys written exactly once: their acknowledged value must outlive every later fault but its own master's.
    const once: StringKey[] = [];
    const onceKey = (): StringKey => {
      const name = `rcc:w${w}:o${once.length}`;
      const key = new StringKey(name, slotOf(name));
      once.push(key);
      return key;
    };
    return { depth, strings, counters, counter, once, onceKey, rng: rng.fork(w) };
  });

  const ackSet = (key: StringKey, counter: number, sentAt: number): void => {
    key.acked = { counter, sentAt };
  };

  const runOp = async (op: OpKind, r: Prng, keys: StringKey[], counter: CounterKey): Promise<void> => {
    const sentAt = performance.now();
    switch (op) {
      case 'set':
      case 'once': {
        const key = keys[0];
        const n = key.nextCounter();
        const outcome = await track(op, () => client.set(key.name, key.value(n)));
        if (outcome.ok) {
          if (outcome.value === 'OK') ackSet(key, n, sentAt);
          else violation(`SET ${key.value(n)} answered ${show(outcome.value)}`);
        }
        return;
      }
      case 'get': {
        const key = keys[0];
        const outcome = await track(op, () => client.get(key.name));
        if (outcome.ok) {
          const wrong = key.wrongValue(outcome.value);
          if (wrong !== null) violation(`GET: ${wrong}`);
        }
        return;
      }
      case 'incr': {
        if (counter.firstSentAt < 0) counter.firstSentAt = sentAt;
        counter.issued++;
        const outcome = await track(op, () => client.incr(counter.name));
        if (outcome.ok) {
          const wrong = counter.wrongReply(outcome.value);
          if (wrong !== null) violation(wrong);
          else counter.acked++;
        }
        return;
      }
      case 'mget': {
        const outcome = await track(op, () => client.mget(keys.map((key) => key.name)));
        if (!outcome.ok) return;
        const values: unknown = outcome.value;
        if (!Array.isArray(values) || values.length !== keys.length) {
          violation(`MGET of ${keys.length} keys answered ${show(values)}`);
          return;
        }
        keys.forEach((key, i) => {
          const wrong = key.wrongValue(values[i]);
          if (wrong !== null) violation(`MGET [${i}]: ${wrong}`);
        });
        return;
      }
      case 'mset': {
        const numbers = keys.map((key) => key.nextCounter());
        const entries = Object.fromEntries(keys.map((key, i) => [key.name, key.value(numbers[i])]));
        const outcome = await track(op, () => client.mset(entries));
        if (outcome.ok) {
          if (outcome.value === 'OK') keys.forEach((key, i) => ackSet(key, numbers[i], sentAt));
          else violation(`MSET answered ${show(outcome.value)}`);
        }
        return;
      }
      case 'pipeline': {
        const pipeline = client.pipeline();
        const plan = keys.map((key) => {
          if (r.chance(0.5)) {
            pipeline.get(key.name);
            return { key, n: 0 };
          }
          const n = key.nextCounter();
          pipeline.set(key.name, key.value(n));
          return { key, n };
        });
        const outcome = await track(op, () => pipeline.exec());
        if (!outcome.ok) return;
        const results = outcome.value;
        if (results.length !== plan.length) {
          violation(`pipeline: ${results.length} results for ${plan.length} commands`);
          return;
        }
        plan.forEach(({ key, n }, i) => {
          const result = results[i];
          if (result instanceof Error) checkError(`pipeline [${i}]`, result);
          else if (n === 0) {
            const wrong = key.wrongValue(result);
            if (wrong !== null) violation(`pipeline GET [${i}]: ${wrong}`);
          } else if (result === 'OK') ackSet(key, n, sentAt);
          else violation(`pipeline SET [${i}] answered ${show(result)}`);
        });
        return;
      }
    }
  };

  const work = async (worker: (typeof workers)[number]): Promise<void> => {
    const r = worker.rng;
    while (running) {
      // Distinct keys for each command in flight this round.
      const free = r.sample(worker.strings, worker.strings.length);
      await Promise.all(
        Array.from({ length: worker.depth }, (_, slotIndex) => {
          const op = r.weighted(OPS);
          const width = op === 'mget' || op === 'mset' || op === 'pipeline' ? r.int(2, 4) : 1;
          const keys = free.splice(0, width);
          return runOp(op, r, op === 'once' ? [worker.onceKey()] : keys, worker.counter(slotIndex));
        }),
      );
    }
  };

  // ---- faults -------------------------------------------------------------------------------------
  type Ranges = [number, number, [string, number], ...unknown[]][];
  const currentMasters = async (): Promise<{ node: RedisProcess; owns: (slot: number) => boolean }[]> => {
    const ranges = (await cluster.command(
      cluster.nodes.find((node) => node.running)?.port ?? 0,
      'CLUSTER',
      'SLOTS',
    )) as Ranges;
    const ports = [...new Set(ranges.map(([, , [, port]]) => Number(port)))].sort((a, b) => a - b);
    return ports.map((port) => {
      const own = ranges.filter(([, , [, owner]]) => Number(owner) === port).map(([a, b]) => [a, b] as const);
      return {
        node: cluster.nodes.find((node) => node.port === port) as RedisProcess,
        owns: (slot: number) => own.some(([a, b]) => slot >= a && slot <= b),
      };
    });
  };

  const faultRng = rng.fork(1_000);
  const history: string[] = [];
  // Every kind once early on, in a seeded order; then kills and short pauses at random.
  const firstKinds = faultRng.sample(['kill', 'pause-short', 'pause-long', 'reshard'], 4);
  /** Resolves once a node other than `victim` serves `slot` as master, as the running nodes see it. */
  const failedOver = async (victim: RedisProcess, slot: number): Promise<void> => {
    const deadline = performance.now() + 15_000;
    for (;;) {
      const others = cluster.nodes.filter((node) => node.running && node !== victim);
      const ranges = (await others[0].command('CLUSTER', 'SLOTS').catch(() => [])) as Ranges;
      const owner = ranges.find(([first, last]) => slot >= first && slot <= last);
      if (owner !== undefined && Number(owner[2][1]) !== victim.port) return;
      if (performance.now() > deadline) throw new Error(`no failover from ${victim.port} within 15 s`);
      await sleep(50);
    }
  };
  const firstSlot = (owns: (slot: number) => boolean): number =>
    Array.from({ length: 16384 }, (_, i) => i).find(owns) as number;
  const faultLoop = async (until: number): Promise<void> => {
    for (let index = 0; performance.now() < until; index++) {
      await sleep(faultRng.int(200, 1_000));
      if (performance.now() >= until) break;
      const masters = await currentMasters();
      const victim = faultRng.pick(masters);
      const kind = firstKinds[index] ?? (faultRng.chance(0.5) ? 'kill' : 'pause-short');
      faultCounts.bump(kind);
      history.push(`${kind} ${victim.node.port} at ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
      const fault: Fault = { kind, slots: victim.owns, endedAt: Infinity };
      if (kind !== 'reshard') faults.push(fault);
      if (kind === 'kill') {
        await victim.node.kill('SIGKILL');
        // Restarted only once its replica has taken over: a master restarted sooner (no persistence
        // here) would come back empty and still in charge, and its replica would sync the emptiness.
        await failedOver(victim.node, firstSlot(victim.owns));
        await sleep(faultRng.int(200, 1_500));
        await victim.node.restart();
      } else if (kind === 'pause-short') {
        victim.node.pause();
        await sleep(faultRng.int(100, 400));
        victim.node.resume();
      } else if (kind === 'pause-long') {
        // Stopped until its replica has taken over its slots, so a failover surely happens.
        victim.node.pause();
        try {
          await failedOver(victim.node, firstSlot(victim.owns));
        } finally {
          victim.node.resume();
        }
      } else {
        const to = faultRng.pick(masters.filter((master) => master !== victim));
        const [fromId, toId] = await Promise.all(
          [victim.node, to.node].map(async (node) => String(await node.command('CLUSTER', 'MYID'))),
        );
        await cluster.cli(
          'reshard',
          '$NODE',
          '--cluster-from',
          fromId,
          '--cluster-to',
          toId,
          '--cluster-slots',
          String(faultRng.int(50, 200)),
          '--cluster-yes',
          '--cluster-pipeline',
          '10',
        );
      }
      // Redis's own convergence after a kill, restart and failover (every node agreeing on the slots,
      // every replica synced) took over 20 s once in CI; it is the servers', not the client's, time.
      await cluster.waitUntilOk(40_000);
      fault.endedAt = performance.now();
    }
  };

  const startedAt = performance.now();
  running = true;
  const lanes = workers.map((worker) => work(worker));
  let faultError: unknown = null;
  try {
    await faultLoop(startedAt + FAULT_SECONDS * 1_000);
  } catch (error) {
    faultError = error;
  }
  running = false;
  let drainTimer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    Promise.all(lanes).then(() => true),
    new Promise<boolean>((resolve) => {
      drainTimer = setTimeout(() => resolve(false), DRAIN_LIMIT_MS);
    }),
  ]);
  clearTimeout(drainTimer);
  if (faultError !== null) {
    const reason = faultError instanceof Error ? faultError.message : String(faultError);
    throw new Error(`RC_CHAOS_SEED=${SEED}, faults: ${history.join(', ')}: ${reason}`);
  }

  // ---- after the faults: the cluster stable, every acknowledged write there or explained ------------
  await cluster.waitUntilOk(20_000);
  const faultedSince = (slot: number, sentAt: number): boolean =>
    faults.some((fault) => fault.slots(slot) && fault.endedAt >= sentAt - FAULT_MARGIN_MS);
  let checked = 0;
  let lost = 0;
  const strings = workers.flatMap((worker) => [...worker.strings, ...worker.once]);
  for (let i = 0; i < strings.length; i += 100) {
    const chunk = strings.slice(i, i + 100);
    const values = await client.mget(chunk.map((key) => key.name));
    chunk.forEach((key, j) => {
      const value = values[j];
      const wrong = key.wrongValue(value);
      if (wrong !== null) violation(`final read: ${wrong}`);
      const ack = key.acked;
      // A later write that failed may or may not have applied: only keys whose last write was acknowledged.
      if (ack === null || ack.counter !== key.issued) return;
      checked++;
      if (value === key.value(ack.counter)) return;
      if (faultedSince(key.shard, ack.sentAt)) lost++;
      else violation(`lost write: ${key.value(ack.counter)} acknowledged, read ${show(value)}`);
    });
  }
  let countersLost = 0;
  const counters = workers.flatMap((worker) => worker.counters).filter((counter) => counter.issued > 0);
  for (let i = 0; i < counters.length; i += 100) {
    const chunk = counters.slice(i, i + 100);
    const values = await client.mget(chunk.map((counter) => counter.name));
    chunk.forEach((counter, j) => {
      const value = Number(values[j] ?? 0);
      if (!Number.isInteger(value) || value > counter.issued)
        violation(`counter ${counter.name} holds ${show(values[j])} after ${counter.issued} INCRs`);
      else if (value < counter.acked) {
        if (faultedSince(counter.shard, counter.firstSentAt)) countersLost++;
        else violation(`counter ${counter.name} holds ${value}, ${counter.acked} INCRs acknowledged`);
      }
    });
  }
  if (unhandled.length > 0) violation(`unhandled rejections: ${unhandled.map(show).join('; ')}`);

  const seconds = ((performance.now() - startedAt) / 1_000).toFixed(1);
  console.log(
    [
      `RedisCluster chaos, seed ${SEED}, ${seconds} s`,
      `  ops: ${ops.text()} (issued ${issued}, settled ${settled})`,
      `  errors: ${errors.text()}`,
      `  faults: ${faultCounts.text()}`,
      `  acknowledged writes checked: ${checked}; lost to a faulted master (documented): ${lost} keys, ${countersLost} counters`,
      `  violations: ${violations.length}${violations.length > 0 ? `\n    ${violations.slice(0, 20).join('\n    ')}` : ''}`,
    ].join('\n'),
  );
  expect(drained).toBe(true);
  expect(settled).toBe(issued);
  expect(violations).toEqual([]);
  expect(faultCounts.map.get('reshard')).toBe(1);
  expect(faultCounts.map.get('pause-long')).toBe(1);
  expect(faultCounts.map.get('kill')).toBeGreaterThan(0);
  expect(faultCounts.map.get('pause-short')).toBeGreaterThan(0);
  expect(checked).toBeGreaterThan(0);
}, 120_000);
