import { CommandFlags } from '../connection/pending-command';
import { ConnectionError, ReplicationError, ReplyError, type ReplicaOutcome } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import { asError, describeOutcomes, Rejection, sameReply } from './outcome-kind';
import type { RouteContext } from './route-context';
import { acknowledged, inSyncMaskOf, notInSync, refusalReason, unacknowledgeable } from './ack-rule';
import type { ServerNode } from './server-node';
import type { ShardReplicas } from './shard-replicas';

/**
 * Sends a write to the shard on every replica at once. Resolves with the first answer once
 * `requiredAcks` replicas answered, one of them in sync when it went out (always so with repair off);
 * rejects with ReplicationError once too many failed for that, or every in-sync one did.
 *
 * An error reply (WRONGTYPE…) is an answer: the server ran the command. If the first answer is one,
 * the caller gets that ReplyError, as from a single Client.
 */
export function sendWrite(
  context: RouteContext,
  replicas: ShardReplicas,
  args: CommandArg[],
  flags: CommandFlags,
): Promise<RespValue> {
  return new WriteOperation(context, replicas, args, flags).start();
}

const enum State {
  Pending,
  Resolved,
  Rejected,
}

/**
 * Lives until every replica's command settled (each Client settles every command, at the latest at
 * its commandTimeout), so results after the caller's promise settled are still accounted for:
 * failures and disagreements go to `replicaError`; a rejected write's outcomes are filled in.
 */
class WriteOperation {
  private state = State.Pending;
  private starting = true;
  private answers = 0;
  private failures = 0;
  private answeredMask = 0;
  /**
   * Replicas in sync when the write went out (repair off: all of them). Only their answers acknowledge
   * a write (ack-rule.ts), and the caller's reply comes from one of them (a stale replica's INCR
   * reflects what it missed).
   */
  private inSyncMask = 0;
  private settledMask = 0;
  /** Failed replicas whose keys went into their hint log. */
  private hintedMask = 0;
  /** Reply, ReplyError or failure per replica; undefined while pending. */
  private readonly results: (RespValue | Error | undefined)[];
  /** The first answer: what the caller gets, and what later answers are compared with. */
  private reference: RespValue = null;
  private referenceIndex = -1;
  /** The outcomes of the ReplicationError the caller got, updated as late results arrive. */
  private rejectedOutcomes: ReplicaOutcome[] | null = null;
  private resolve!: (value: RespValue) => void;
  private reject!: (error: Error) => void;
  /** The shard's close count when it went out (ShardReplicas.closes). */
  private readonly closes: number;

  constructor(
    private readonly context: RouteContext,
    private readonly replicas: ShardReplicas,
    private readonly args: CommandArg[],
    private readonly flags: CommandFlags,
  ) {
    this.results = new Array<RespValue | Error | undefined>(replicas.nodes.length);
    this.closes = replicas.closes;
  }

  start(): Promise<RespValue> {
    const promise = new Promise<RespValue>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const nodes = this.replicas.nodes;
    this.inSyncMask = inSyncMaskOf(nodes);
    if (this.inSyncMask === 0) return this.refuseUnacknowledgeable(promise);
    // Only while a replica of the shard is repaired: the repair must know which keys changed under it.
    const watch = this.replicas.watch;
    if (watch !== null) watch.wrote([this.args]);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (node.unverified) this.context.unverifiedWrite(node, [this.args]);
      if (!node.reachable) {
        this.failed(i, new ConnectionError(`not sent: ${node.url} is marked down and not connected`, false));
        continue;
      }
      const startedAt = node.startTimer();
      // Checked on this socket (repair on): not carried to the next one, which the check has not seen;
      // failing there as not sent puts the key in the server's hint log.
      const flags = node.verified ? this.flags | CommandFlags.SocketBound : this.flags;
      node.client.sendCommand(this.args, flags).then(
        (reply) => {
          node.answered(startedAt);
          this.answered(i, reply);
        },
        (rejection: unknown) => this.rejected(i, node, asError(rejection), startedAt),
      );
    }
    this.starting = false;
    if (this.state === State.Pending && (this.tooManyFailed() || this.lostEveryInSync())) this.rejectNow();
    return promise;
  }

  /**
   * No replica of the shard is in sync (each missed writes or restarted, and awaits repair; repair
   * promotes one soon): nothing could acknowledge the write, so it is not sent at all.
   */
  private refuseUnacknowledgeable(promise: Promise<RespValue>): Promise<RespValue> {
    this.starting = false;
    this.replicas.nodes.forEach((node, i) => {
      this.results[i] = notInSync(node);
      this.settledMask |= 1 << i;
      this.failures++;
    });
    this.rejectNow();
    return promise;
  }

  private rejected(index: number, node: ServerNode, error: Error, startedAt: number): void {
    const kind = node.rejected(error, startedAt);
    if (kind === Rejection.Answer) {
      this.answered(index, error as ReplyError);
    } else if (kind === Rejection.CallerError) {
      // Every replica refuses the same bad argument; the caller hears it once, as is.
      if (this.state === State.Pending) {
        this.state = State.Rejected;
        this.reject(error);
      }
    } else {
      this.failed(index, error);
    }
  }

  private answered(index: number, reply: RespValue): void {
    if (this.replicas.closes !== this.closes) this.replicas.settledLate(this.args);
    this.results[index] = reply;
    this.answers++;
    this.answeredMask |= 1 << index;
    this.settledMask |= 1 << index;
    const inSync = (this.inSyncMask & (1 << index)) !== 0;
    // A stale replica's disagreement is expected, not reported.
    let agrees = true;
    if (this.referenceIndex < 0 || (inSync && (this.inSyncMask & (1 << this.referenceIndex)) === 0)) {
      this.referenceIndex = index;
      this.reference = reply;
    } else if (inSync) {
      agrees = sameReply(reply, this.reference);
    }
    if (this.failures > 0 && this.answers === 1) this.hintFailures();
    if (this.state === State.Pending) {
      if (this.answers >= this.context.requiredAcks && this.acknowledgeable()) this.resolveNow();
    } else if (this.rejectedOutcomes !== null) {
      this.rejectedOutcomes[index] = this.outcome(index);
    }
    // Reported after the caller is settled, as every report is.
    if (!agrees) this.reportMismatch(index);
  }

  private acknowledgeable(): boolean {
    return acknowledged(this.inSyncMask, this.answeredMask);
  }

  private lostEveryInSync(): boolean {
    return unacknowledgeable(this.inSyncMask, this.settledMask, this.answeredMask);
  }

  private tooManyFailed(): boolean {
    return this.failures > this.replicas.nodes.length - this.context.requiredAcks;
  }

  /** Once any replica answered, every one that failed missed this write: hint its keys there. */
  private hintFailures(): void {
    const nodes = this.replicas.nodes;
    for (let i = 0; i < nodes.length; i++) {
      if (
        (this.hintedMask & (1 << i)) === 0 &&
        this.results[i] instanceof Error &&
        (this.answeredMask & (1 << i)) === 0
      ) {
        this.hintedMask |= 1 << i;
        this.context.missedWrite(nodes[i], [this.args]);
      }
    }
  }

  private failed(index: number, error: Error): void {
    if (this.replicas.closes !== this.closes) this.replicas.settledLate(this.args);
    this.results[index] = error;
    this.failures++;
    this.settledMask |= 1 << index;
    if (this.answers > 0) this.hintFailures();
    if (this.state === State.Pending) {
      if (!this.starting && (this.tooManyFailed() || this.lostEveryInSync())) this.rejectNow();
      return;
    }
    if (this.rejectedOutcomes !== null) this.rejectedOutcomes[index] = this.outcome(index);
    this.context.reportReplicaError(error, this.replicas.nodes[index], this.name(), 'failure');
  }

  private resolveNow(): void {
    this.state = State.Resolved;
    const reference = this.reference;
    if (reference instanceof ReplyError) this.reject(reference);
    else this.resolve(reference);
    if (this.failures === 0) return;
    // The caller sees success; replicas that failed before that would otherwise go unmentioned.
    const nodes = this.replicas.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const result = this.results[i];
      if (result instanceof Error && (this.answeredMask & (1 << i)) === 0) {
        this.context.reportReplicaError(result, nodes[i], this.name(), 'failure');
      }
    }
  }

  private rejectNow(): void {
    this.state = State.Rejected;
    const outcomes = this.replicas.nodes.map((_, index) => this.outcome(index));
    this.rejectedOutcomes = outcomes;
    const { shard } = this.replicas;
    const why = refusalReason(
      shard,
      this.inSyncMask,
      this.tooManyFailed(),
      this.context.requiredAcks,
      this.replicas.nodes.length,
      this.failures,
    );
    this.reject(new ReplicationError(`${this.name()} ${why}: ${describeOutcomes(outcomes)}`, outcomes));
  }

  private reportMismatch(index: number): void {
    const nodes = this.replicas.nodes;
    const outcomes = [this.outcome(this.referenceIndex), this.outcome(index)];
    const error = new ReplicationError(
      `replicas of shard ${this.replicas.shard} disagree on ${this.name()}: replica ${nodes[this.referenceIndex].replica} ` +
        `answered ${showReply(this.reference)}, replica ${nodes[index].replica} answered ${showReply(this.results[index])}`,
      outcomes,
    );
    this.context.reportReplicaError(error, nodes[index], this.name(), 'mismatch');
  }

  /** A pending replica's outcome has `ok: false` and neither reply nor error. */
  private outcome(index: number): ReplicaOutcome {
    const node = this.replicas.nodes[index];
    const result = this.results[index];
    const base = { replica: node.replica, shard: node.shard, url: node.url };
    if ((this.answeredMask & (1 << index)) !== 0) {
      return result instanceof ReplyError
        ? { ...base, ok: false, error: result }
        : { ...base, ok: true, reply: result };
    }
    return result instanceof Error ? { ...base, ok: false, error: result } : { ...base, ok: false };
  }

  private name(): string {
    return String(this.args[0]);
  }
}

function showReply(value: RespValue | Error | undefined): string {
  let text: string;
  if (value instanceof Error) text = `${value.name}: ${value.message}`;
  else if (Buffer.isBuffer(value)) text = `<Buffer ${value.length} bytes>`;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else if (value === null || typeof value !== 'object') text = String(value);
  else text = Array.isArray(value) ? `array of ${value.length}` : value.constructor.name;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
