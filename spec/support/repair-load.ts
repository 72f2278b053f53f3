/**
 * Live traffic for the replica-repair specs: writers that give every write a unique, increasing value
 * per key, and readers that check each GET against what was acknowledged before it was sent.
 */
import { Client } from '../../lib/client';
import type { Cluster } from '../../lib/cluster/cluster';
import type { RepairSummary, ServerInfo, ServerState, StaleReason } from '../../lib/cluster/events';
import { ConnectionClosedError } from '../../lib/errors';
import { REPAIR_KEY_PREFIX } from '../../lib/cluster/repair-keys';
import type { RedisProcess } from './redis-harness';

/** `key#version`: versions grow per key, one writer per key, so "older" is well defined. */
export const valueOf = (key: string, version: number): string => `${key}#${version}`;

export function versionOf(value: string): number {
  return Number(value.slice(value.lastIndexOf('#') + 1));
}

/** What a key holds per the acknowledgements: its version, or -1 when deleted. */
export class Ledger {
  readonly acked = new Map<string, number>();
  /** Reads that came back null for a live key, or older than the acknowledged version. */
  readonly violations: string[] = [];
  reads = 0;
  writes = 0;
  failedWrites = 0;

  check(key: string, ackedAtIssue: number | undefined, value: string | null): void {
    this.reads++;
    if (ackedAtIssue === undefined) return;
    if (value === null) {
      if (ackedAtIssue >= 0) this.violations.push(`${key}: null, acknowledged version ${ackedAtIssue}`);
      return;
    }
    const version = versionOf(value);
    if (version < ackedAtIssue)
      this.violations.push(`${key}: version ${version} < acknowledged ${ackedAtIssue}`);
  }
}

/** `count` keys of `shard` named after `prefix`. */
export function keysOf(cluster: Cluster, shard: number, count: number, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++)
    if (cluster.shardOf(`${prefix}:${i}`) === shard) keys.push(`${prefix}:${i}`);
  return keys;
}

export interface Load {
  stop(): Promise<void>;
}

/**
 * Writers (each owning a slice of `keys`, one write at a time per key) and readers of random keys,
 * until stopped. Write failures are tolerated (counted) since faults are injected; reads are checked.
 */
export function runLoad(
  cluster: Cluster,
  keys: readonly string[],
  ledger: Ledger,
  writers = 4,
  readers = 4,
): Load {
  let running = true;
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const loops: Promise<void>[] = [];
  const issued = new Map<string, number>();
  for (let w = 0; w < writers; w++) {
    const mine = keys.filter((_, i) => i % writers === w);
    loops.push(
      (async () => {
        let turn = 0;
        while (running) {
          const key = mine[turn++ % mine.length];
          // A write that failed may still have landed: the next one of this key gets a newer version.
          const version = Math.max(issued.get(key) ?? 0, ledger.acked.get(key) ?? 0) + 1;
          issued.set(key, version);
          try {
            await cluster.set(key, valueOf(key, version));
            ledger.acked.set(key, version);
            ledger.writes++;
          } catch (error) {
            if (error instanceof ConnectionClosedError) return;
            ledger.failedWrites++;
          }
        }
      })(),
    );
  }
  for (let r = 0; r < readers; r++) {
    loops.push(
      (async () => {
        while (running) {
          const key = keys[random(keys.length)];
          const ackedAtIssue = ledger.acked.get(key);
          let value: string | null;
          try {
            value = await cluster.get(key);
          } catch (error) {
            if (error instanceof ConnectionClosedError) return;
            continue;
          }
          ledger.check(key, ackedAtIssue, value);
        }
      })(),
    );
  }
  const load = {
    stop: async () => {
      running = false;
      live.delete(load);
      await Promise.all(loops);
    },
  };
  live.add(load);
  return load;
}

const live = new Set<Load>();

/** Stops every load still running (a test that failed midway): call from afterEach, before quitting. */
export async function stopLoads(): Promise<void> {
  await Promise.all([...live].map((load) => load.stop()));
}

/** Every data key of a server with its value and whether it expires, sorted: for key-for-key equality. */
export async function contentsOf(server: RedisProcess): Promise<string[]> {
  const client = new Client(server.url);
  try {
    await client.connect();
    const keys: string[] = [];
    for await (const key of client.scanIterator({ count: 1000 }))
      if (!key.startsWith(REPAIR_KEY_PREFIX)) keys.push(key);
    keys.sort();
    const out: string[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const pipeline = client.pipeline();
      const slice = keys.slice(i, i + 500);
      // The specs' data are strings: GET shows them readably where a DUMP payload would not.
      for (const key of slice) pipeline.get(key).pttl(key);
      const replies = await pipeline.exec();
      slice.forEach((key, n) => {
        const value = replies[2 * n];
        const ttl = Number(replies[2 * n + 1]);
        out.push(
          `${key}=${value instanceof Error ? value.message : String(value)}${ttl >= 0 ? ' (expires)' : ''}`,
        );
      });
    }
    return out;
  } finally {
    await client.quit();
  }
}

/** What a spec saw of a Cluster's repair: its events, and each server's health() state at each of them. */
export interface RepairRecord {
  stale: { server: string; reason: StaleReason }[];
  repaired: { server: string; summary: RepairSummary }[];
  /** Per server (`replica/shard`): its state at each repair event, repeats dropped. */
  states: Map<string, ServerState[]>;
  /** Reads the cluster reported as served by a stale replica (replicaError kind 'stale'). */
  staleReads: number;
}

export const where = (server: ServerInfo): string => `${server.replica}/${server.shard}`;

/** Listens to `cluster`'s repair events from now on. */
export function recordRepair(cluster: Cluster): RepairRecord {
  const recorded: RepairRecord = { stale: [], repaired: [], states: new Map(), staleReads: 0 };
  const noteState = (): void => {
    for (const entry of cluster.health()) {
      const id = where(entry);
      const list = recorded.states.get(id) ?? [];
      if (list[list.length - 1] !== entry.state) list.push(entry.state);
      recorded.states.set(id, list);
    }
  };
  cluster.on('serverStale', (server, reason) => {
    recorded.stale.push({ server: where(server), reason });
    noteState();
  });
  cluster.on('repairProgress', noteState);
  cluster.on('serverRepaired', (server, summary) => {
    recorded.repaired.push({ server: where(server), summary });
    noteState();
  });
  cluster.on('replicaError', (_, detail) => {
    if (detail.kind === 'stale') recorded.staleReads++;
  });
  cluster.on('error', () => undefined);
  return recorded;
}
