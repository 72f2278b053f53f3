import type { CommandArg } from '../resp/types';
import type { ReadFrom } from './cluster-options';
import { Sync, type ServerNode } from './server-node';

/** Told of every write sent to a shard while one of its replicas is being repaired (repair-engine.ts). */
export interface WriteWatch {
  wrote(commands: readonly (readonly CommandArg[])[]): void;
}

/** Told of writes that were in flight when a replica's connection closed, as they settle (repair-engine.ts). */
export interface LateWriteSink {
  settled(args: readonly CommandArg[]): void;
}

/** With readFrom 'fastest', one read in this many goes round-robin, so every replica's latency stays fresh. */
const EXPLORE_EVERY = 64;

/**
 * The replicas of one shard, and the order in which reads try them.
 *
 * Replicas are tracked in 32-bit masks (`tried`): bit r is replica r. The order has three tiers:
 *   1. up and connected, in `readFrom` order;
 *   2. up but not connected (reconnecting, or never connected yet): the command waits in the Client's
 *      offline queue, so they come after every server that can answer now;
 *   3. marked down but connected: tried last, never first.
 * Down servers without a connection are never picked: the caller's error lists them as not tried.
 * Only readable servers (in sync, run_id checked: ServerNode.readable) are in these tiers. When the
 * shard has none at all, a read goes to an in-sync server not checked yet (connecting), else to the
 * stale one with the fewest missed writes (see staleFallback).
 */
export class ShardReplicas {
  private turn = 0;
  /** Non-null while a replica of this shard is repaired: the write paths report their keys to it. */
  watch: WriteWatch | null = null;
  /**
   * Bumped when a checked connection to one of its servers closes. A write sent before the bump reports
   * each replica's late outcome to `lateSinks`: that server may have restarted, and a peer its resync
   * reads may not have applied the write yet.
   */
  closes = 0;
  readonly lateSinks = new Set<LateWriteSink>();

  constructor(
    readonly shard: number,
    readonly nodes: readonly ServerNode[],
    private readonly readFrom: ReadFrom,
  ) {}

  /** A write sent before the last close settled on one replica. */
  settledLate(args: readonly CommandArg[]): void {
    for (const sink of this.lateSinks) sink.settled(args);
  }

  /** Where a new read starts its order: a replica index, or -1 for "by latency" ('fastest'). */
  origin(): number {
    const count = this.nodes.length;
    if (this.readFrom === 'ordered' || count === 1) return 0;
    const turn = this.turn;
    this.turn = turn + 1 === count * EXPLORE_EVERY ? 0 : turn + 1;
    if (this.readFrom === 'round-robin') return turn % count;
    // Now and then a rotating replica instead of the fastest, to refresh the others' EWMA.
    return turn % EXPLORE_EVERY === 0 ? (turn / EXPLORE_EVERY) % count : -1;
  }

  /** The next replica to try, not in `tried`; -1 when none is left worth sending to. */
  next(tried: number, origin: number): number {
    const nodes = this.nodes;
    const count = nodes.length;
    let start = origin;
    if (origin < 0) {
      let best = -1;
      let bestLatency = Infinity;
      for (let i = 0; i < count; i++) {
        const node = nodes[i];
        // A replica with no sample yet (-1) counts as fastest, so it gets one.
        if (
          (tried & (1 << i)) === 0 &&
          node.readable &&
          node.up &&
          node.connected &&
          node.latencyMs < bestLatency
        ) {
          best = i;
          bestLatency = node.latencyMs;
        }
      }
      if (best >= 0) return best;
      start = 0;
    } else {
      for (let k = 0, i = start; k < count; k++, i = i + 1 === count ? 0 : i + 1) {
        const node = nodes[i];
        if ((tried & (1 << i)) === 0 && node.readable && node.up && node.connected) return i;
      }
    }
    for (let k = 0, i = start; k < count; k++, i = i + 1 === count ? 0 : i + 1) {
      if ((tried & (1 << i)) === 0 && nodes[i].readable && nodes[i].up) return i;
    }
    for (let k = 0, i = start; k < count; k++, i = i + 1 === count ? 0 : i + 1) {
      if ((tried & (1 << i)) === 0 && nodes[i].readable && nodes[i].connected) return i;
    }
    return this.staleFallback(tried, start);
  }

  /**
   * Only when no replica of the shard is readable: one never connected yet (before connect() resolves:
   * no run_id to compare with, so nothing is known against it), else the one with the fewest known
   * missed writes (a full resync counts as most), the caller then reporting it as a stale read. A
   * server reconnecting counts as stale here even if it was in sync: it may have restarted empty, and
   * a read parked in its offline queue would reach it before its run_id is checked. When readable
   * replicas exist and were all tried, -1: a read that failed on every in-sync replica fails rather
   * than return what a stale one holds.
   */
  private staleFallback(tried: number, start: number): number {
    const nodes = this.nodes;
    const count = nodes.length;
    for (const node of nodes) if (node.readable) return -1;
    for (let k = 0, i = start; k < count; k++, i = i + 1 === count ? 0 : i + 1) {
      const node = nodes[i];
      if ((tried & (1 << i)) === 0 && node.sync === Sync.InSync && node.runId === null && node.reachable)
        return i;
    }
    let best = -1;
    let bestMissed = Infinity;
    for (let k = 0, i = start; k < count; k++, i = i + 1 === count ? 0 : i + 1) {
      const node = nodes[i];
      if ((tried & (1 << i)) !== 0 || !node.reachable) continue;
      const missed = node.missedWrites < 0 ? Number.MAX_SAFE_INTEGER : node.missedWrites;
      // Connected first: a read parked in an offline queue helps nobody.
      const rank = node.connected ? missed : missed + Number.MAX_SAFE_INTEGER;
      if (rank < bestMissed) {
        best = i;
        bestMissed = rank;
      }
    }
    return best;
  }
}
