import type { CallOptions } from '../connection/command-guard';
import { CommandFlags } from '../connection/pending-command';
import { ConnectionError, ReplicationError, type ReplicaOutcome } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { Hedgeable } from './hedge-scheduler';
import { asError, describeOutcomes, Rejection } from './outcome-kind';
import type { RouteContext } from './route-context';
import { Sync } from './server-node';
import type { ShardReplicas } from './shard-replicas';

/**
 * With repair, a read routed to a server checked on its current socket goes on that socket or fails
 * over: the next socket may reach a server restarted empty (ServerNode.verified is only ever set then).
 */
const SOCKET_BOUND = CommandFlags.SocketBound;

/**
 * Sends a read to one replica of the shard; on an error or a timeout, fails over to the next.
 *
 * The common case (no hedging, first replica answers) is one Client call plus a `then`: the
 * failover machinery (ReadOperation) is only built once something went wrong, or when hedging needs it.
 */
export function sendRead(
  context: RouteContext,
  replicas: ShardReplicas,
  args: CommandArg[],
  readFlags: CommandFlags,
  /** A view's signal and timeout (Cluster.withOptions), given to each replica's Client command. */
  options?: CallOptions,
): Promise<RespValue> {
  const flags = readFlags & context.readFlagMask;
  const origin = replicas.origin();
  const first = replicas.next(0, origin);
  // A replica that is not readable was picked only because none is: the slow path reports it.
  if (first < 0 || context.hedges !== null || !replicas.nodes[first].readable)
    return new ReadOperation(context, replicas, args, flags, origin, options).start(first);
  const node = replicas.nodes[first];
  const startedAt = node.startTimer();
  return node.client.sendCommand(args, node.verified ? flags | SOCKET_BOUND : flags, options).then(
    (reply) => {
      node.answered(startedAt);
      return reply;
    },
    (rejection: unknown) => {
      const error = asError(rejection);
      const kind = node.rejected(error, startedAt);
      if (kind === Rejection.Answer || kind === Rejection.CallerError || context.closed) throw error;
      return new ReadOperation(context, replicas, args, flags, origin, options).resume(first, error);
    },
  );
}

/**
 * A read that is failing over or hedged. Several attempts may be out at once (the hedge); the first
 * answer settles the caller, and every later answer or error is absorbed here: each attempt is its
 * own Client command with its own promise, so a loser's reply can never reach another caller.
 */
class ReadOperation implements Hedgeable {
  hedgeAt = 0;
  hedgePrev: Hedgeable | null = null;
  hedgeNext: Hedgeable | null = null;
  hedgeQueued = false;

  private tried = 0;
  private outstanding = 0;
  private settled = false;
  private failures: (Error | undefined)[] | null = null;
  private resolve!: (value: RespValue) => void;
  private reject!: (error: Error) => void;
  private readonly promise: Promise<RespValue>;

  constructor(
    private readonly context: RouteContext,
    private readonly replicas: ShardReplicas,
    private readonly args: CommandArg[],
    private readonly flags: CommandFlags,
    /** Where the preference order starts (see ShardReplicas.next). */
    private readonly origin: number,
    private readonly options?: CallOptions,
  ) {
    this.promise = new Promise<RespValue>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** A fresh read whose first replica is `first` (-1: none is reachable). */
  start(first: number): Promise<RespValue> {
    if (first < 0) {
      this.failAll();
    } else {
      this.attempt(first);
      this.context.hedges?.add(this);
    }
    return this.promise;
  }

  /** Carries on after the fast path's first attempt, on replica `failed`, failed with `error`. */
  resume(failed: number, error: Error): Promise<RespValue> {
    this.tried = 1 << failed;
    this.recordFailure(failed, error);
    this.tryNext();
    return this.promise;
  }

  hedge(): void {
    if (this.settled) return;
    const next = this.replicas.next(this.tried, this.origin);
    if (next >= 0) this.attempt(next);
  }

  private attempt(index: number): void {
    this.tried |= 1 << index;
    this.outstanding++;
    const node = this.replicas.nodes[index];
    // Picked though not readable (see ShardReplicas.staleFallback): stale, or reconnecting and maybe
    // restarted. Only a server never connected yet is no news.
    if (!node.readable && (node.sync !== Sync.InSync || node.runId !== null))
      this.context.reportStaleRead(node, String(this.args[0]));
    const startedAt = node.startTimer();
    const flags = node.verified ? this.flags | SOCKET_BOUND : this.flags;
    node.client.sendCommand(this.args, flags, this.options).then(
      (reply) => {
        this.outstanding--;
        node.answered(startedAt);
        if (!this.settled) this.settle(reply, null);
      },
      (rejection: unknown) => {
        this.outstanding--;
        const error = asError(rejection);
        const kind = node.rejected(error, startedAt);
        if (this.settled) return;
        if (kind === Rejection.Answer || kind === Rejection.CallerError || this.context.closed) {
          this.settle(null, error);
          return;
        }
        this.recordFailure(index, error);
        this.tryNext();
      },
    );
  }

  private tryNext(): void {
    const next = this.replicas.next(this.tried, this.origin);
    if (next >= 0) this.attempt(next);
    // With a hedge still out, its answer may yet come; the read fails only once nothing is pending.
    else if (this.outstanding === 0) this.failAll();
  }

  private recordFailure(index: number, error: Error): void {
    this.failures ??= new Array<Error | undefined>(this.replicas.nodes.length);
    this.failures[index] = error;
  }

  private failAll(): void {
    const outcomes: ReplicaOutcome[] = this.replicas.nodes.map((node, index) => ({
      replica: node.replica,
      shard: node.shard,
      url: node.url,
      ok: false,
      error:
        this.failures?.[index] ??
        new ConnectionError(`not tried: ${node.url} is marked down and not connected`, false),
    }));
    const name = String(this.args[0]);
    this.settle(
      null,
      new ReplicationError(
        `${name} failed on every replica of shard ${this.replicas.shard}: ${describeOutcomes(outcomes)}`,
        outcomes,
      ),
    );
  }

  private settle(reply: RespValue, error: Error | null): void {
    this.settled = true;
    this.context.hedges?.remove(this);
    if (error === null) this.resolve(reply);
    else this.reject(error);
  }
}
