/**
 * What the chaos workers wrote, and the checks that hold every reply and every replica to it.
 *
 * String keys take SET, DEL and MSET; each write to a key gets the key's next counter, and a value is
 * always `${key}|${counter}`, so any value read names the key it belongs to and the write that made it.
 * Every key has one owner (a worker that awaits each operation), so a key's writes are issued one at a
 * time, in counter order. Counter keys take INCR only, and are replaced by a fresh one every few dozen
 * INCRs, so each lives through few faults.
 */
import type { RespValue } from '../../../lib/resp/types';

/** A SET, DEL or MSET acknowledged under writeAck 'quorum'. */
export interface Ack {
  readonly counter: number;
  /** performance.now() just before the write was issued. */
  readonly sentAt: number;
}

export class StringKey {
  /** Highest counter issued: no replica may hold a larger one. */
  issued = 0;
  /** Counter of the last DEL issued (acknowledged or not); 0 when none was. */
  lastDeleteIssued = 0;
  /** The latest acknowledged write (only for durability-checked keys). */
  acked: Ack | null = null;

  constructor(
    readonly name: string,
    readonly shard: number,
  ) {}

  nextCounter(): number {
    return ++this.issued;
  }

  value(counter: number): string {
    return `${this.name}|${counter}`;
  }

  /**
   * Why `value`, read for this key, cannot be right, or null when it can: a value of another key, a
   * counter never issued, or something that is no value of ours at all.
   */
  wrongValue(value: unknown): string | null {
    if (value === null) return null;
    const text = Buffer.isBuffer(value) ? value.toString() : value;
    if (typeof text !== 'string') return `read ${describe(value)} for ${this.name}`;
    const bar = text.lastIndexOf('|');
    const counter = Number(text.slice(bar + 1));
    if (bar < 0 || text.slice(0, bar) !== this.name) return `read ${JSON.stringify(text)} for ${this.name}`;
    if (!Number.isInteger(counter) || counter < 1 || counter > this.issued) {
      return `read ${JSON.stringify(text)} for ${this.name}, whose highest counter issued is ${this.issued}`;
    }
    return null;
  }

  /**
   * Whether a replica's value shows the acknowledged write (or a later one): its counter is at least the
   * acknowledged one, or the key is gone and a DEL issued at or after it explains that.
   */
  holdsAck(value: RespValue): boolean {
    const ack = this.acked;
    if (ack === null) return true;
    if (value === null) return this.lastDeleteIssued >= ack.counter;
    const text = String(value);
    return Number(text.slice(text.lastIndexOf('|') + 1)) >= ack.counter;
  }
}

export class CounterKey {
  issued = 0;
  acked = 0;
  /** performance.now() just before the first INCR was issued. */
  firstSentAt = -1;

  constructor(
    readonly name: string,
    readonly shard: number,
  ) {}

  /** Why an INCR reply cannot be right: not an integer, or more INCRs than were ever sent. */
  wrongReply(reply: unknown): string | null {
    if (typeof reply !== 'number' || !Number.isInteger(reply) || reply < 1 || reply > this.issued) {
      return `INCR ${this.name} answered ${describe(reply)} after ${this.issued} INCRs were sent`;
    }
    return null;
  }
}

export function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return `<Buffer ${JSON.stringify(value.toString())}>`;
  if (value instanceof Error) return `${value.constructor.name}: ${value.message}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

/** When each server (by replica and shard) was sent SIGKILL, in performance.now() time. */
export class KillLog {
  private readonly kills = new Map<string, number[]>();

  record(replica: number, shard: number, at: number): void {
    const key = `${replica}/${shard}`;
    const list = this.kills.get(key) ?? [];
    list.push(at);
    this.kills.set(key, list);
  }

  /**
   * Whether replica `replica` of `shard` was killed at or after `since`. A write issued before a kill
   * may have been applied and then lost with the process (redis runs without persistence here); one
   * issued after the kill either reached the restarted process, and stays, or never reached it.
   * The margin covers the moment between our timestamp and the signal.
   */
  killedSince(replica: number, shard: number, since: number): boolean {
    return (this.kills.get(`${replica}/${shard}`) ?? []).some((at) => at >= since - KILL_MARGIN_MS);
  }
}

const KILL_MARGIN_MS = 50;

export interface DurabilityReport {
  /** Keys with an acknowledged write and a majority of replicas never killed since. */
  checked: number;
  /** Keys with an acknowledged write but a majority killed since: nothing is promised. */
  unverifiable: number;
  /** Replicas (of checked keys) lagging behind the acknowledged write: tolerated while another holds it. */
  laggingReplicas: number;
  lost: string[];
  corrupt: string[];
  duplicated: string[];
}

/**
 * The durability check, run once every fault is healed and every caller settled, on what each
 * replica holds, read straight from each redis-server (not through the cluster, whose 'ordered' read
 * would ask replica 0 first: a replica 0 killed and restarted comes back empty and is never re-synced,
 * so it answers null for keys its peers still hold; that is the known no-re-sync limitation, not a
 * lost write).
 *
 * String keys: a write acknowledged under 'quorum' reached 2 of 3 replicas. If at least 2 of the
 * shard's replicas were never killed since the write was issued, at least one of them is among those
 * 2, so it must still hold that write or a later one (counter >= the acknowledged one, or no value
 * when a DEL was issued since). A write counts as lost only when none of those never-killed replicas
 * does. Later writes that failed or timed out may have been applied anywhere: that is why "a later one"
 * is accepted; a replica that lags (it missed writes, or an old write reached it late over a socket
 * that a pause held back) is counted, not failed, when another never-killed replica holds the write.
 *
 * Counter keys: each acknowledged INCR was applied on at least 2 replicas, so with N >= 2 replicas
 * never killed since the key's first INCR, the counts those N hold add up to at least
 * acked x (N - 1). And no replica may hold more than the INCRs ever sent: that would be a write
 * applied twice (a write is never re-sent silently).
 */
export function checkDurability(
  replicaCount: number,
  stringKeys: readonly StringKey[],
  counterKeys: readonly CounterKey[],
  kills: KillLog,
  /** held(replica, name): what that replica of the key's shard holds. */
  held: (replica: number, name: string) => RespValue,
): DurabilityReport {
  const report: DurabilityReport = {
    checked: 0,
    unverifiable: 0,
    laggingReplicas: 0,
    lost: [],
    corrupt: [],
    duplicated: [],
  };
  const majority = Math.floor(replicaCount / 2) + 1;
  for (const key of stringKeys) {
    for (let replica = 0; replica < replicaCount; replica++) {
      const wrong = key.wrongValue(held(replica, key.name));
      if (wrong !== null) report.corrupt.push(`replica ${replica}: ${wrong}`);
    }
    const ack = key.acked;
    if (ack === null) continue;
    const survivors = replicas(replicaCount).filter(
      (replica) => !kills.killedSince(replica, key.shard, ack.sentAt),
    );
    if (survivors.length < majority) {
      report.unverifiable++;
      continue;
    }
    report.checked++;
    const holding = survivors.filter((replica) => key.holdsAck(held(replica, key.name)));
    report.laggingReplicas += survivors.length - holding.length;
    if (holding.length === 0) {
      const seen = replicas(replicaCount).map(
        (replica) => `${replica}: ${describe(held(replica, key.name))}`,
      );
      report.lost.push(
        `${key.name} (shard ${key.shard}): write ${ack.counter} was acknowledged, never-killed replicas ` +
          `${survivors.join(', ')} do not hold it (replicas hold ${seen.join('; ')}; last DEL issued: ${key.lastDeleteIssued})`,
      );
    }
  }
  for (const key of counterKeys) {
    if (key.issued === 0) continue;
    const counts = replicas(replicaCount).map((replica) => held(replica, key.name));
    counts.forEach((value, replica) => {
      const count = value === null ? 0 : Number(value);
      if (!Number.isInteger(count))
        report.corrupt.push(`replica ${replica}: ${key.name} holds ${describe(value)}`);
      else if (count > key.issued)
        report.duplicated.push(
          `replica ${replica}: ${key.name} holds ${count} after ${key.issued} INCRs were sent`,
        );
    });
    if (key.acked === 0) continue;
    const survivors = replicas(replicaCount).filter(
      (replica) => !kills.killedSince(replica, key.shard, key.firstSentAt),
    );
    if (survivors.length < majority) {
      report.unverifiable++;
      continue;
    }
    report.checked++;
    const total = survivors.reduce((sum, replica) => sum + (Number(counts[replica] ?? 0) || 0), 0);
    const needed = key.acked * (survivors.length - 1);
    if (total < needed) {
      report.lost.push(
        `${key.name} (shard ${key.shard}): ${key.acked} INCRs acknowledged, never-killed replicas ` +
          `${survivors.join(', ')} hold ${survivors.map((replica) => describe(counts[replica])).join(' + ')} = ${total} < ${needed}`,
      );
    }
  }
  return report;
}

function replicas(count: number): number[] {
  return Array.from({ length: count }, (_, replica) => replica);
}
