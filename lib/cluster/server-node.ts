import { performance } from 'node:perf_hooks';
import { Client } from '../client';
import type { ServerHealth, ServerInfo, ServerState } from './events';
import { HintLog } from './hint-log';
import { classifyRejection, Rejection } from './outcome-kind';
import type { ServerSpec } from './topology';

/** What a node reports its transitions to. */
export interface HealthPolicy {
  readonly downAfter: number;
  markDown(node: ServerNode, reason: Error): void;
  markUp(node: ServerNode): void;
}

/** Weight of the newest sample in the latency EWMA: about the last ten samples count. */
const LATENCY_ALPHA = 0.2;
/** One command in this many is timed: plenty for an EWMA, and the clock is not free on the hot path. */
const TIME_EVERY = 8;

/** Whether a server holds what its in-sync peers hold (DESIGN.md, "Replica repair in Cluster"). */
export const enum Sync {
  InSync,
  /** Missed writes or restarted; waits for a repair. */
  Stale,
  /** A repair runs: by this process, or by another one holding the lease after a restart. */
  Repairing,
}

/** One server of the topology: its Client and what the cluster knows of its health. */
export class ServerNode implements ServerInfo {
  readonly replica: number;
  readonly shard: number;
  readonly url: string;
  up = true;
  /** Its Client has a ready socket: between 'ready' and 'close'. Kept here so routing reads a field. */
  connected = false;
  consecutiveFailures = 0;
  errors = 0;
  /** EWMA of round trips in ms; -1 before the first sample. */
  latencyMs = -1;
  /** A probe PING is out; at most one at a time, so a hung server does not pile them up. */
  probing = false;
  /**
   * Reads may go here: in sync, and its run_id read on the current connection (so a server restarted
   * empty is never read before it is known to be one). A field, kept by setSync/setVerified, because
   * every read checks it. Always true when repair is off.
   */
  readable: boolean;
  sync = Sync.InSync;
  /** The run_id came back on the current connection; cleared when it closes. */
  verified = false;
  /**
   * Tracked and its run_id not checked on the current connection: a write sent now may reach a server
   * process that restarted, before this process knows it (its offline queue is flushed before the check).
   */
  unverified = false;
  /** The run_id last read; null before the first. */
  runId: string | null = null;
  /** The server's id of the Client's current socket (Client.connectionId), noted at each 'ready'. */
  connectionId: number | null = null;
  /**
   * Ids of this Client's earlier sockets to the server process of `runId`, not known to be gone there:
   * commands still unread in such a socket would run whenever the server reads them, even after a
   * repair, so the repair engine kills them (CLIENT KILL ID) before it trusts the server again.
   */
  readonly unfenced: number[] = [];
  /** Keys missed since the last repair began. */
  readonly hints: HintLog;
  /** The keys a running targeted repair works on (taken from the hint log); null otherwise. */
  repairingKeys: ReadonlySet<string> | null = null;
  /** Hinted keys a running repair has not done yet; -1 while a full resync runs. */
  repairRemaining = 0;
  /**
   * Those keys, while a targeted repair runs. A key it has not copied yet can be missed again meanwhile
   * (its source missed the write too), and is then in the hint log as well: missedWrites counts it once.
   */
  private repairPending: ReadonlySet<string> | null = null;
  private timerTurn = 0;

  constructor(
    spec: ServerSpec,
    readonly client: Client,
    private readonly health: HealthPolicy,
    maxHints = 100_000,
    /** False when repair is off: every server is readable, as before repair existed. */
    private readonly tracked = false,
  ) {
    this.replica = spec.replica;
    this.shard = spec.shard;
    this.url = spec.safeUrl;
    this.hints = new HintLog(maxHints);
    this.readable = !tracked;
    this.unverified = tracked;
  }

  setSync(sync: Sync): void {
    this.sync = sync;
    this.readable = !this.tracked || (sync === Sync.InSync && this.verified);
  }

  setVerified(verified: boolean): void {
    this.verified = verified;
    this.unverified = this.tracked && !verified;
    this.readable = !this.tracked || (this.sync === Sync.InSync && verified);
  }

  /** A targeted repair works on `ids`, kept current as it copies them; null once it ends. */
  setRepairPending(ids: ReadonlySet<string> | null): void {
    this.repairPending = ids;
    this.repairRemaining = ids === null ? 0 : ids.size;
  }

  /** Keys missed and not repaired yet, each counted once; -1 when only a full resync will do. */
  get missedWrites(): number {
    if (this.hints.overflowed || this.repairRemaining < 0) return -1;
    const pending = this.repairPending;
    // Without a targeted repair, repairRemaining is 0 (or -1, above): the log is all.
    if (pending === null) return this.hints.size;
    // Walks the smaller set: a stale read ranks replicas by this, and either set can be large.
    let overlap = 0;
    if (pending.size <= this.hints.size) {
      for (const id of pending) if (this.hints.has(id)) overlap++;
    } else {
      for (const id of this.hints.ids()) if (pending.has(id)) overlap++;
    }
    return this.hints.size + pending.size - overlap;
  }

  get state(): ServerState {
    if (!this.up) return 'down';
    if (this.sync === Sync.Stale) return 'stale';
    return this.sync === Sync.Repairing ? 'repairing' : 'up';
  }

  /**
   * Worth sending to: up, or down but connected (its answer would bring it back up). A down server
   * that is not connected would only hold the command in its offline queue until commandTimeout.
   */
  get reachable(): boolean {
    return this.up || this.connected;
  }

  /** When a command to this server starts: performance.now() for one in TIME_EVERY commands, else -1. */
  startTimer(): number {
    if (++this.timerTurn < TIME_EVERY && this.latencyMs >= 0) return -1;
    this.timerTurn = 0;
    return performance.now();
  }

  /** The server answered (a reply or an error reply) a command started at `startedAt` (see startTimer). */
  answered(startedAt: number): void {
    if (startedAt >= 0) this.sample(performance.now() - startedAt);
    this.consecutiveFailures = 0;
    if (!this.up) this.health.markUp(this);
  }

  /** A command started at `startedAt` was rejected; only failures of the server itself count against it. */
  rejected(error: Error, startedAt: number): Rejection {
    const kind = classifyRejection(error);
    if (kind === Rejection.Answer) this.answered(startedAt);
    else if (kind === Rejection.ServerFailure)
      this.failed(error, startedAt >= 0 ? performance.now() - startedAt : -1);
    return kind;
  }

  /** Counts a failure: of a command that took `elapsedMs` (-1: not timed), or of the connection itself. */
  failed(error: Error, elapsedMs = -1): void {
    this.errors++;
    this.consecutiveFailures++;
    // A quick failure (a refused connection) must not make the server look fast, and a run of failures
    // must not inflate the estimate past what was observed, or 'fastest' would shun it long after recovery.
    const penalty = Math.max(elapsedMs, this.latencyMs);
    if (penalty > 0) this.sample(penalty);
    if (this.up && this.consecutiveFailures >= this.health.downAfter) this.health.markDown(this, error);
  }

  snapshot(): ServerHealth {
    const stats = this.client.stats();
    return {
      replica: this.replica,
      shard: this.shard,
      url: this.url,
      up: this.up,
      state: this.state,
      runId: this.runId,
      missedWrites: this.missedWrites,
      latencyMs: this.latencyMs < 0 ? null : this.latencyMs,
      errors: this.errors,
      consecutiveFailures: this.consecutiveFailures,
      inFlight: stats.inFlight + stats.queued,
    };
  }

  info(): ServerInfo {
    return { replica: this.replica, shard: this.shard, url: this.url };
  }

  private sample(ms: number): void {
    this.latencyMs = this.latencyMs < 0 ? ms : this.latencyMs + LATENCY_ALPHA * (ms - this.latencyMs);
  }
}
