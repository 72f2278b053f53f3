/**
 * The chaos test's fault scheduler: one lane per shard, each injecting one fault at a time on a random
 * replica of its shard, for a bounded time, then healing it before the next. So at most one replica
 * per shard is faulty at any moment, and a majority of every shard stays healthy; except in a "storm",
 * a deliberate, rarer fault on two replicas of a shard at once (never two kills or restarts), which
 * takes the shard's majority away for its duration so that writes fail and their outcomes are unknown.
 *
 * Every server runs without persistence (`--save '' --appendonly no`, see redis-harness.ts), so both
 * 'kill' (down for the fault's duration) and 'restart' (back at once, often before any Client noticed)
 * bring it back empty on the same port: only its run_id tells it from the server it was.
 *
 * Every choice (kind, replica, duration, parameters, pauses between faults) comes from the lane's own
 * seeded PRNG, in a fixed order: the same seed injects the same faults in the same order.
 */
import { performance } from 'node:perf_hooks';

import type { FaultProxy, ProxyDirection, ProxyDirections } from '../../../lib/testing/fault-proxy';
import type { RedisProcess } from '../redis-harness';
import { sleep } from '../wait';
import type { KillLog } from './ledger';
import type { Prng } from './prng';
import type { Tally } from './tally';

export const FAULT_KINDS = ['kill', 'restart', 'pause', 'blackhole', 'cut', 'rechunk', 'delay'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['kill', 2],
  ['restart', 2],
  ['pause', 2],
  ['blackhole', 2],
  ['cut', 3],
  ['rechunk', 1],
  ['delay', 2],
];

/** Faults that end the process, and with it every key it held. */
const KILLS: readonly FaultKind[] = ['kill', 'restart'];

/** One server of the topology and the proxy the cluster reaches it through. */
export interface FaultTarget {
  readonly replica: number;
  readonly shard: number;
  readonly server: RedisProcess;
  readonly proxy: FaultProxy;
}

export interface LaneTiming {
  /** Pause between the heal of one fault and the next fault, in ms. */
  gapMs: readonly [number, number];
  /** How long a fault lasts, in ms. */
  durationMs: readonly [number, number];
  /** Probability that a fault hits two replicas of the shard at once. */
  stormChance: number;
}

export class FaultLane {
  /** One line per fault, for the report of a failed run. */
  readonly log: string[] = [];

  constructor(
    private readonly targets: readonly FaultTarget[],
    private readonly rng: Prng,
    private readonly timing: LaneTiming,
    private readonly kills: KillLog,
    private readonly tally: Tally,
    /** Kinds injected first, in order, so that every kind appears in every run. */
    private readonly first: FaultKind[],
    private readonly origin: number,
  ) {}

  /** Injects faults until `until()` (a performance.now() time) has passed; the last one is healed first. */
  async run(until: () => number): Promise<void> {
    for (;;) {
      const gap = this.rng.int(...this.timing.gapMs);
      const kind = this.first.shift() ?? this.rng.weighted(WEIGHTS);
      const [target, other] = this.rng.sample(this.targets, 2);
      const duration = this.rng.int(...this.timing.durationMs);
      // Now and then, by design, a second replica of the shard at the same time (never a second kill):
      // the shard loses its majority, so 'quorum' writes fail and reads fail over to the last replica.
      const storm = this.rng.chance(this.timing.stormChance);
      const otherKind = this.rng.weighted(WEIGHTS.filter(([name]) => !KILLS.includes(name)));
      const otherDuration = this.rng.int(...this.timing.durationMs);
      await sleep(Math.max(0, Math.min(gap, until() - performance.now())));
      if (performance.now() >= until()) return;
      if (!storm) await this.inject(kind, target, duration);
      else {
        this.tally.fault('storm (2 replicas of a shard at once)');
        await Promise.all([
          this.inject(kind, target, duration),
          this.inject(otherKind, other, otherDuration),
        ]);
      }
    }
  }

  /** Applies one fault, waits `duration`, heals it; healing runs whatever happens. */
  private async inject(kind: FaultKind, target: FaultTarget, duration: number): Promise<void> {
    const { server, proxy, replica, shard } = target;
    const at = ((performance.now() - this.origin) / 1000).toFixed(1);
    let detail = '';
    this.tally.fault(kind);
    switch (kind) {
      case 'kill': {
        this.kills.record(replica, shard, performance.now());
        try {
          await server.kill('SIGKILL');
          await sleep(duration);
        } finally {
          await server.restart();
        }
        break;
      }
      case 'restart': {
        // kill -9 and start again at once, empty: the Clients may only see a dropped connection, and
        // reconnect to a server that holds nothing. The fault's duration is the calm after it.
        this.kills.record(replica, shard, performance.now());
        await server.restart();
        detail = ' (empty, no persistence)';
        await sleep(duration);
        break;
      }
      case 'pause': {
        server.pause();
        try {
          await sleep(duration);
        } finally {
          server.resume();
        }
        break;
      }
      case 'blackhole': {
        const direction = this.rng.pick<ProxyDirections>(['both', 'toServer', 'toClient']);
        detail = ` ${direction}`;
        proxy.blackhole(true, direction);
        try {
          await sleep(duration);
        } finally {
          // A blackhole swallows bytes for good, which TCP never does on a live connection: letting the
          // bytes after the hole through would hand the client a stream with a piece missing. A real
          // partition that lasts ends with the connections timing out, so the heal resets them.
          proxy.blackhole(false, direction);
          proxy.resetAll();
        }
        break;
      }
      case 'cut': {
        const bytes = this.rng.int(0, 300);
        const direction: ProxyDirection = this.rng.chance(0.75) ? 'toClient' : 'toServer';
        detail = ` after ${bytes} bytes ${direction}`;
        const before = proxy.stats().cuts;
        proxy.cutAfter(bytes, direction);
        try {
          await sleep(duration);
        } finally {
          proxy.clearFaults();
        }
        if (proxy.stats().cuts > before) this.tally.fault('cut (triggered)');
        break;
      }
      case 'rechunk': {
        const direction = this.rng.pick<ProxyDirections>(['both', 'toClient']);
        detail = ` 1 byte ${direction}`;
        proxy.rechunk(1, direction);
        try {
          await sleep(duration);
        } finally {
          proxy.clearFaults();
        }
        break;
      }
      case 'delay': {
        const ms = this.rng.pick([20, 80, 250, 450, 800]);
        const direction = this.rng.pick<ProxyDirections>(['both', 'toClient', 'toServer']);
        detail = ` ${ms} ms ${direction}`;
        proxy.setDelay(ms, direction);
        try {
          await sleep(duration);
        } finally {
          proxy.clearFaults();
        }
        break;
      }
    }
    this.log.push(`+${at}s replica ${replica} of shard ${shard}: ${kind}${detail} for ${duration} ms`);
  }
}

/** Puts every server and proxy back as it was: running, continued, no fault set. For the end and afterAll. */
export async function healAll(targets: readonly FaultTarget[]): Promise<void> {
  await Promise.all(
    targets.map(async ({ server, proxy }) => {
      proxy.clearFaults();
      if (!server.running) await server.restart();
      else server.resume();
    }),
  );
}
