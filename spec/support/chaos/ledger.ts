/**
 * What the chaos workers wrote, and the checks that hold every reply and every replica to it.
 *
 * String keys take SET, DEL and MSET; each write to a key gets the key's next counter, and a value is
 * always `${key}|${counter}`, so every value ever written is unique, and any value read names the key it
 * belongs to and the write that made it. Counters are issued in order; writes to one key may be in
 * flight together (a deep worker), but each replica applies them in the order they were sent, over one
 * connection. Counter keys take INCR (or INCRBY a step of their own) only, and are replaced by a fresh
 * one every few dozen, so each lives through few faults.
 */
import type { RespValue } from '../../../lib/resp/types';

/** A SET, DEL or MSET the cluster acknowledged. */
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
  /** Counters of every DEL issued: no value can carry one. */
  private readonly deletes = new Set<number>();

  constructor(
    readonly name: string,
    readonly shard: number,
    /** Replicas that confirm each acknowledged write: writeAck's count (1 for 'one', a majority for 'quorum'…). */
    readonly ackCount = 1,
  ) {}

  nextCounter(): number {
    return ++this.issued;
  }

  /** Records write `counter` as a DEL (before it is sent). */
  deleting(counter: number): void {
    this.deletes.add(counter);
    if (counter > this.lastDeleteIssued) this.lastDeleteIssued = counter;
  }

  /**
   * Records an acknowledged write. With writes to the key in flight together, an acknowledgement can
   * arrive after a later write's: the key's acknowledged state is the highest counter acknowledged.
   */
  acknowledge(counter: number, sentAt: number): void {
    if (this.acked === null || counter > this.acked.counter) this.acked = { counter, sentAt };
  }

  /** The highest counter acknowledged so far, 0 when none: take it when a read is sent. */
  ackedCounter(): number {
    return this.acked?.counter ?? 0;
  }

  /**
   * Why `value`, read by a read sent when `floor` was the highest acknowledged counter, is older than
   * the key was then, or null when it is fresh. Fresh: the acknowledged write itself, or any write issued
   * after it (in flight when the read was sent, sent while it was, or failed: a write that timed out may
   * still have been applied). So a value older than `floor` is stale, and so is null when `floor` was a
   * SET and no DEL was issued from `floor` on. Call it after wrongValue() found nothing.
   */
  staleRead(value: unknown, floor: number): string | null {
    if (floor === 0) return null;
    if (value === null) {
      if (this.lastDeleteIssued >= floor) return null;
      return `read null for ${this.name}, whose write ${floor} was acknowledged before the read and no DEL was issued since`;
    }
    const counter = counterOf(value);
    if (counter >= floor) return null;
    return `read ${this.value(counter)}, older than write ${floor}, acknowledged before the read was sent`;
  }

  /**
   * Why `previous`, the old value a write (SET … GET, GETDEL) numbered `counter` answered, cannot be
   * right: wrongValue()'s reasons, or a value of this write or a later one.
   */
  wrongPrevious(previous: unknown, counter: number): string | null {
    const wrong = this.wrongValue(previous);
    if (wrong !== null || previous === null) return wrong;
    const before = counterOf(previous);
    return before < counter ? null : `write ${counter} answered ${this.value(before)} as the value before it`;
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
    if (this.deletes.has(counter)) return `read ${JSON.stringify(text)}, but write ${counter} was a DEL`;
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
    /**
     * What each INCRBY adds (1: INCR). A prime of its own per key makes every count this key can hold a
     * multiple no other key's can be, so a reply swapped between two counters cannot pass for its own.
     */
    readonly step = 1,
    /** Replicas that confirm each acknowledged INCR: writeAck's count. */
    readonly ackCount = 1,
  ) {}

  /** How many INCRs a value of this key counts, or NaN when it is no count of this key. */
  count(value: unknown): number {
    if (value === null) return 0;
    const number = Number(Buffer.isBuffer(value) ? value.toString() : value);
    return Number.isInteger(number) && number % this.step === 0 ? number / this.step : NaN;
  }

  /** Why an INCR reply cannot be right: not a count of this key, or more INCRs than were ever sent. */
  wrongReply(reply: unknown): string | null {
    const count = typeof reply === 'number' ? this.count(reply) : NaN;
    if (!(count >= 1 && count <= this.issued)) {
      const command = this.step === 1 ? 'INCR' : `INCRBY ${this.step}`;
      return `${command} ${this.name} answered ${describe(reply)} after ${this.issued} were sent`;
    }
    return null;
  }

  /** Why a GET of this counter, sent when `floor` INCRs were acknowledged, read less than that (or garbage). */
  wrongRead(value: unknown, floor: number): string | null {
    const count = this.count(value);
    if (Number.isNaN(count) || count > this.issued)
      return `read ${describe(value)} for ${this.name} after ${this.issued} INCRs by ${this.step} were sent`;
    if (count < floor)
      return `read ${describe(value)} for ${this.name}: ${count} INCRs, ${floor} were acknowledged before the read`;
    return null;
  }
}

/** The counter in a value of ours (`name|counter`); call it on a value wrongValue() accepted. */
function counterOf(value: unknown): number {
  const text = String(Buffer.isBuffer(value) ? value.toString() : value);
  return Number(text.slice(text.lastIndexOf('|') + 1));
}

export function describe(value: unknown): string {
  if (Buffer.isBuffer(value)) return `<Buffer ${JSON.stringify(value.toString())}>`;
  if (value instanceof Error) return `${value.constructor.name}: ${value.message}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

/**
 * When each server (by replica and shard) was sent SIGKILL, in performance.now() time, and, with
 * repair, when a full resync brought it back: from the kill to that moment it may lack any key.
 */
export class KillLog {
  private readonly kills = new Map<string, number[]>();
  /** Per server, [killed at, fully repaired at]; open (Infinity) until a full resync ends it. */
  private readonly windows = new Map<string, { from: number; to: number }[]>();

  record(replica: number, shard: number, at: number): void {
    const key = `${replica}/${shard}`;
    const list = this.kills.get(key) ?? [];
    list.push(at);
    this.kills.set(key, list);
    const windows = this.windows.get(key) ?? [];
    // Killed again before its repair ended: still the same gap.
    if (windows.length === 0 || windows[windows.length - 1].to !== Infinity)
      windows.push({ from: at, to: Infinity });
    this.windows.set(key, windows);
  }

  /** A full resync of that server ended at `at`: it holds its shard again. */
  repaired(replica: number, shard: number, at: number): void {
    const last = this.windows.get(`${replica}/${shard}`)?.at(-1);
    if (last !== undefined && last.to === Infinity && last.from <= at) last.to = at;
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

  /**
   * The most replicas of `shard` that were at once between a kill (at or after `since`) and the end of
   * their full resync. A write acknowledged by `ackCount` replicas can only be lost when that many
   * were: otherwise one that held it was alive and in sync, and repair copied it from there.
   */
  mostEmptyAtOnce(shard: number, replicaCount: number, since: number): number {
    const edges: [number, number][] = [];
    for (let replica = 0; replica < replicaCount; replica++) {
      for (const { from, to } of this.windows.get(`${replica}/${shard}`) ?? []) {
        if (from < since - KILL_MARGIN_MS) continue;
        edges.push([from, 1], [to, -1]);
      }
    }
    // Openings before closings at the same instant: touching windows count as overlapping.
    edges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let open = 0;
    let most = 0;
    for (const [, step] of edges) {
      open += step;
      most = Math.max(most, open);
    }
    return most;
  }
}

const KILL_MARGIN_MS = 50;

export interface DurabilityReport {
  /** Keys with an acknowledged write that some replica must still hold. */
  checked: number;
  /** Keys with an acknowledged write but so many replicas killed since that nothing is promised. */
  unverifiable: number;
  /** Replicas (of checked keys) lagging behind the acknowledged write, beyond those that must hold it. */
  laggingReplicas: number;
  lost: string[];
  corrupt: string[];
  duplicated: string[];
}

/**
 * Which replicas must hold an acknowledged write.
 *
 * 'survivors': as the faults left them, before any repair. A write acknowledged by `ackCount` replicas
 * (writeAck's count) was applied on that many; a replica killed since may have lost it (redis runs
 * without persistence here, and comes back empty), so at least `ackCount - killed` of the replicas
 * never killed since must hold it: with 3 replicas under 'quorum', 2 when none was killed, 1 when one
 * was, nothing promised when two were.
 *
 * 'repaired': once every server is repaired. Every replica must hold it, the killed ones too, unless
 * `ackCount` or more were killed since the write and were empty at once (each killed before the full
 * resync of the one before had ended; see KillLog.mostEmptyAtOnce): then every replica that confirmed
 * it may have died before repair copied it anywhere, the loss that no replication can prevent.
 */
export type DurabilityRule = 'survivors' | 'repaired';

/**
 * The durability check, run once every fault is healed and every caller settled, on what each
 * replica holds, read straight from each redis-server (not through the cluster, which reads one).
 *
 * String keys: "holds the write" means its counter or a later one, or no value when a DEL was issued
 * at or after it: later writes that failed or timed out may have been applied anywhere. A replica
 * that lags while enough others hold the write is counted, not failed (under 'survivors').
 *
 * Counter keys: every INCR of a key adds the same step, so a replica's value tells how many INCRs it
 * applied, acknowledged or not, but not which. Each acknowledged INCR must be on `need` replicas:
 * under 'survivors', `need = ackCount - killed` of the replicas never killed since the key's first
 * INCR; under 'repaired', every replica. A replica holds at most min(count, acked) of the acknowledged
 * INCRs, so the rule implies that these capped counts add up to at least acked × need, and that is
 * what is checked. It is the strongest check counts allow without failing a case where nothing is
 * lost: two replicas may each lack a different INCR before repair (an INCR is acknowledged by one
 * in-sync replica and a stale one while a third misses it). The cap keeps a replica that applied INCRs
 * nobody acknowledged (timed out, yet run) from making up for one that lacks acknowledged ones; under
 * 'repaired' the check means every replica holds at least `acked`.
 *
 * And no replica may hold more than the INCRs ever sent: that would be a write applied twice (a write
 * is never re-sent silently).
 */
export function checkDurability(
  replicaCount: number,
  stringKeys: readonly StringKey[],
  counterKeys: readonly CounterKey[],
  kills: KillLog,
  /** held(replica, name): what that replica of the key's shard holds. */
  held: (replica: number, name: string) => RespValue,
  rule: DurabilityRule = 'survivors',
): DurabilityReport {
  const report: DurabilityReport = {
    checked: 0,
    unverifiable: 0,
    laggingReplicas: 0,
    lost: [],
    corrupt: [],
    duplicated: [],
  };
  /** The replicas that must hold a write sent at `since`, and how many of them; null: none must. */
  const mustHold = (
    shard: number,
    since: number,
    ackCount: number,
  ): { among: number[]; need: number } | null => {
    if (rule === 'repaired') {
      return kills.mostEmptyAtOnce(shard, replicaCount, since) >= ackCount
        ? null
        : { among: replicas(replicaCount), need: replicaCount };
    }
    const survivors = replicas(replicaCount).filter((replica) => !kills.killedSince(replica, shard, since));
    const killed = replicaCount - survivors.length;
    if (killed >= ackCount) return null;
    return { among: survivors, need: ackCount - killed };
  };
  for (const key of stringKeys) {
    for (let replica = 0; replica < replicaCount; replica++) {
      const wrong = key.wrongValue(held(replica, key.name));
      if (wrong !== null) report.corrupt.push(`replica ${replica}: ${wrong}`);
    }
    const ack = key.acked;
    if (ack === null) continue;
    const must = mustHold(key.shard, ack.sentAt, key.ackCount);
    if (must === null) {
      report.unverifiable++;
      continue;
    }
    report.checked++;
    const holding = must.among.filter((replica) => key.holdsAck(held(replica, key.name)));
    report.laggingReplicas += Math.max(0, must.among.length - Math.max(holding.length, must.need));
    if (holding.length < must.need) {
      const seen = replicas(replicaCount).map(
        (replica) => `${replica}: ${describe(held(replica, key.name))}`,
      );
      report.lost.push(
        `${key.name} (shard ${key.shard}): write ${ack.counter} was acknowledged by ${key.ackCount}, ` +
          `${must.need} of replicas ${must.among.join(', ')} must hold it, ${holding.length} do (${rule}; ` +
          `replicas hold ${seen.join('; ')}; last DEL issued: ${key.lastDeleteIssued})`,
      );
    }
  }
  for (const key of counterKeys) {
    if (key.issued === 0) continue;
    const values = replicas(replicaCount).map((replica) => held(replica, key.name));
    const counts = values.map((value) => key.count(value));
    counts.forEach((count, replica) => {
      if (Number.isNaN(count))
        report.corrupt.push(`replica ${replica}: ${key.name} holds ${describe(values[replica])}`);
      else if (count > key.issued)
        report.duplicated.push(
          `replica ${replica}: ${key.name} holds ${count} INCRs after ${key.issued} were sent`,
        );
    });
    if (key.acked === 0) continue;
    const must = mustHold(key.shard, key.firstSentAt, key.ackCount);
    if (must === null) {
      report.unverifiable++;
      continue;
    }
    report.checked++;
    const holds = must.among.map((replica) => counts[replica] || 0);
    const holding = must.among.filter((_, i) => holds[i] >= key.acked);
    report.laggingReplicas += Math.max(0, must.among.length - Math.max(holding.length, must.need));
    // A replica holds at most min(count, acked) of the acknowledged INCRs: if each is on `need`
    // replicas, these capped counts add up to at least acked × need. Capping is what keeps a replica
    // that applied INCRs nobody acknowledged from making up for one that lacks acknowledged ones.
    const heldAtMost = holds.reduce((sum, count) => sum + Math.min(count, key.acked), 0);
    if (heldAtMost < key.acked * must.need) {
      report.lost.push(
        `${key.name} (shard ${key.shard}): ${key.acked} INCRs by ${key.step} acknowledged by ${key.ackCount}, ` +
          `each must be on ${must.need} of replicas ${must.among.join(', ')} (${rule}), but they hold ` +
          `${holds.join(', ')} INCRs: some acknowledged INCR is on fewer`,
      );
    }
  }
  return report;
}

function replicas(count: number): number[] {
  return Array.from({ length: count }, (_, replica) => replica);
}
