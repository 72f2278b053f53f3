import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CommandFlags } from '../connection/pending-command';
import { ReplyError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { ResolvedRepairOptions } from './cluster-options';
import type { RepairMode, RepairProgress, RepairSummary, StaleReason } from './events';
import { copyBatch, type CopyResult } from './key-copier';
import { asError } from './outcome-kind';
import { HintLog } from './hint-log';
import { LateWrites } from './late-writes';
import { RepairJournal } from './repair-journal';
import { DONE_KEY, isRepairKey, keyId, LEASE_KEY, VOUCH_SCRIPT, VOUCH_SHA } from './repair-keys';
import { Sync, type ServerNode } from './server-node';
import type { ShardReplicas } from './shard-replicas';
import { ShardWatch, writeKeys } from './shard-watch';

/** What the engine reports to the Cluster. */
export interface RepairListener {
  onStale(node: ServerNode, reason: StaleReason): void;
  onProgress(node: ServerNode, progress: RepairProgress): void;
  onRepaired(node: ServerNode, summary: RepairSummary): void;
  /** Something went wrong that no caller hears of (a repair attempt failed; it will be retried). */
  onError(node: ServerNode, error: Error): void;
}

/** Journal entries this close before a server's last sign of life count as after it (clock granularity). */
const CLOCK_SLACK_MS = 5;
/** lateWindowMs when the Clients have no commandTimeout: writes slower than this are not followed. */
export const LATE_WINDOW_MS = 30_000;
/** Ms between attempts when a repair cannot run yet (no source, target unreachable) or failed. */
const RETRY_MS = 200;
/** How long a server's first check waits for its peers' first checks (see peersVouched). */
const PEER_ASK_MS = 2_000;
/** Keys per batch at most: one script call each way, so a batch must stay small next to live traffic. */
const MAX_BATCH = 200;

const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
/**
 * The lease, unless the done marker already names this run_id: another process resynced it and let its
 * lease go between this process's run_id check and now. 1: acquired; 2: done already; 0: held.
 */
const ACQUIRE_LEASE = `
if redis.call('GET', KEYS[2]) == ARGV[2] then return 2 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then return 1 end
return 0`;
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Per server: why it is stale beyond its hint log. */
interface NodeRepairState {
  /** Restarted and not resynced for its current run_id: needs the lease, or another process's marker. */
  restarted: boolean;
  /** A repair loop runs for it. */
  running: boolean;
  /** Another process did the full resync of its current run_id (its marker said so). */
  byPeer: boolean;
  /** Keys this process wrote to a restarted server before it knew: copied again after a peer's resync. */
  beforeCheck: { keys: Set<string>; full: boolean } | null;
  /** Set when run_id arrives on the current connection; waiters of connect() use it. */
  verifying: Promise<void> | null;
  /**
   * What this process's first check found: whether the server's done marker named its run_id (some
   * process vouched for its data). Peers' first checks look at it; see vouchedPeer.
   */
  firstVouch: Promise<boolean>;
  settleFirstVouch: (vouched: boolean) => void;
  /**
   * When its server process was last known alive: the last bytes from it on the last connection whose
   * run_id was checked. A process restarted since cannot have been resynced by another from before then.
   */
  aliveAt: number;
  /** Writes in flight on its shard when its last checked connection closed; null once that was no restart. */
  late: LateWrites | null;
}

/** A repair in progress, for spotting its source failing (see missedWrite). */
interface ActiveRepair {
  target: ServerNode;
  source: ServerNode | null;
  /** The keys it copies; null: every key (a full resync). */
  keys: ReadonlySet<string> | null;
}

/**
 * Detects replicas that missed writes or restarted, keeps them out of reads (ServerNode.readable), and
 * repairs them from an in-sync replica of their shard under live traffic. DESIGN.md, "Replica repair
 * in Cluster"; README, "Replica repair".
 */
export class RepairEngine {
  private readonly states = new Map<ServerNode, NodeRepairState>();
  private readonly active = new Set<ActiveRepair>();
  /** Servers promoteIfAlone is making the reference of their shard (one attempt at a time each). */
  private readonly promoting = new Set<ServerNode>();
  /** Per server, keys written while it was unverified (see unverifiedWrite); settled by checkRunId. */
  private readonly unverifiedKeys = new Map<ServerNode, HintLog>();
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  private readonly batchSize: number;
  /** Per shard, what this process copied into its replicas and when (see addPeerGaps). */
  private readonly journals: RepairJournal[];
  private stopped = false;

  constructor(
    private readonly options: ResolvedRepairOptions,
    private readonly shards: readonly ShardReplicas[],
    private readonly listener: RepairListener,
    /** How long writes in flight at a close may take to settle: the Clients' commandTimeout, and a margin. */
    private readonly lateWindowMs = LATE_WINDOW_MS,
    private readonly retryMs = RETRY_MS,
  ) {
    this.batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor(options.maxKeysPerSecond / 50)));
    this.journals = shards.map(() => new RepairJournal(options.maxHints));
    for (const shard of shards) {
      for (const node of shard.nodes) {
        let settleFirstVouch: (vouched: boolean) => void = () => undefined;
        const firstVouch = new Promise<boolean>((resolve) => {
          settleFirstVouch = resolve;
        });
        this.states.set(node, {
          restarted: false,
          running: false,
          byPeer: false,
          beforeCheck: null,
          verifying: null,
          firstVouch,
          settleFirstVouch,
          aliveAt: 0,
          late: null,
        });
        this.watchConnection(node);
      }
    }
  }

  /** Resolves once the run_id check of the current connection settled (or at once when not connected). */
  verified(node: ServerNode): Promise<void> {
    return this.state(node).verifying ?? Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.states.values()) state.late?.end();
  }

  /**
   * Keys written to a server before its run_id was checked on the current connection (queued while it
   * reconnected, or sent before the INFO's answer). If it turns out to have restarted and another process
   * resynced it (byPeer), that resync may have restored a value over or under these writes (its copier
   * only knows its own process's writes): they are copied again before the server is trusted.
   */
  unverifiedWrite(node: ServerNode, commands: readonly (readonly CommandArg[])[]): void {
    if (this.stopped) return;
    let keys = this.unverifiedKeys.get(node);
    if (keys === undefined) {
      keys = new HintLog(this.options.maxHints);
      this.unverifiedKeys.set(node, keys);
    }
    for (const args of commands) keys.add(writeKeys(args));
  }

  /** The write paths' report: `node` missed these writes although its shard acknowledged them. */
  missedWrite(node: ServerNode, commands: readonly (readonly CommandArg[])[]): void {
    if (this.stopped) return;
    const wasOverflowed = node.hints.overflowed;
    for (const args of commands) node.hints.add(writeKeys(args));
    // A repair copying from this node may have copied its value from before the write it missed:
    // the target holds the same gap now.
    for (const repair of this.active) {
      if (repair.source !== node) continue;
      repair.source = null;
      // Only keys this repair copies: a targeted repair never touches the others, and its target may
      // hold the write itself (it may even be the replica that acknowledged it).
      const scope = repair.keys;
      for (const args of commands) {
        const keys = writeKeys(args);
        if (scope === null || keys === null || keys.some((key) => scope.has(keyId(key))))
          repair.target.hints.add(keys);
      }
    }
    const reason: StaleReason = node.hints.overflowed ? 'hint-overflow' : 'missed-writes';
    if (node.sync === Sync.InSync) this.markStale(node, reason);
    else if (!wasOverflowed && node.hints.overflowed) this.listener.onStale(node, reason);
  }

  private state(node: ServerNode): NodeRepairState {
    const state = this.states.get(node);
    if (state === undefined) throw new Error('repair: unknown server');
    return state;
  }

  private markStale(node: ServerNode, reason: StaleReason): void {
    if (node.sync === Sync.InSync) node.setSync(Sync.Stale);
    this.listener.onStale(node, reason);
    this.schedule(node);
  }

  private watchConnection(node: ServerNode): void {
    const client = node.client;
    client.on('close', () => {
      // Bytes on an unchecked connection may come from a restarted process: only a checked one's count.
      if (node.verified && !this.stopped) {
        const state = this.state(node);
        state.aliveAt = client.lastDataAt;
        const shard = this.shards[node.shard];
        shard.closes++;
        state.late?.end();
        state.late = new LateWrites(shard, this.options.maxHints, this.lateWindowMs);
      }
      node.setVerified(false);
    });
    client.on('ready', () => {
      if (this.stopped) return;
      const previous = node.connectionId;
      node.connectionId = client.connectionId;
      if (previous !== null && previous !== node.connectionId) node.unfenced.push(previous);
      const state = this.state(node);
      state.verifying = this.checkRunId(node);
    });
  }

  /**
   * Reads run_id on a fresh connection, with the repair markers. A changed run_id means a restart:
   * stale until resynced, unless another process already did it (the done marker names this run_id).
   * On the first connection, a held lease without a matching marker means another process is
   * resyncing it right now, so it is not trusted either.
   */
  private async checkRunId(node: ServerNode): Promise<void> {
    const client = node.client;
    let replies: RespValue[];
    // Asked in the same write as the rest; it settles on its own (false on any error).
    const vouchedBefore = node.runId === null ? this.vouchedFor(node) : null;
    try {
      replies = await Promise.all([
        client.sendCommand(['INFO', 'server'], CommandFlags.None),
        client.sendCommand(['GET', LEASE_KEY], CommandFlags.None),
        client.sendCommand(['GET', DONE_KEY], CommandFlags.None),
      ]);
    } catch (error) {
      // Retried on the next 'ready', or soon if this connection is still up (a timeout).
      if (!this.stopped && node.connected) this.retryCheck(node);
      this.listener.onError(node, asError(error));
      return;
    }
    if (this.stopped || !node.connected) return;
    const runId = parseRunId(replies[0]);
    if (runId !== null && runId === node.runId) {
      // The same process: its writes in flight at the close do not matter.
      this.dropLate(node);
      if (!(await this.fence(node))) {
        if (!this.stopped && node.connected) this.retryCheck(node);
        return;
      }
    } else {
      // Another server process (or one not identified yet): the old sockets died with theirs, and their
      // ids may name other clients' sockets here.
      node.unfenced.length = 0;
    }
    const leaseHeld = replies[1] !== null;
    const done = replies[2] === null ? null : String(replies[2]);
    const state = this.state(node);
    // Seen for the first time, and nobody vouched for this server process (no vouch in its script cache,
    // no done marker naming its run_id): if a peer of its shard is vouched for, the fleet was, and this
    // server restarted since (a process that started after the restart has no earlier run_id to compare
    // with). If no peer is, nobody vouched yet: trusted, and vouched for now, so that a later restart is
    // caught by processes that start after it. A peer that does not answer leaves it trusted, unvouched.
    let restartedUnseen = false;
    if (node.runId === null && runId !== null) {
      const vouched = done === runId || (vouchedBefore !== null && (await vouchedBefore));
      if (this.stopped || !node.connected) return;
      // Settling again on a later first check (this one returned early) is a no-op.
      state.settleFirstVouch(vouched);
      if (!vouched && !leaseHeld) {
        const peers = await this.peersVouched(node);
        if (this.stopped || !node.connected) return;
        // Processes that start together on a fleet nobody vouched for yet vouch for it at once: one
        // vouched for since the first look was vouched for by such a process, not restarted.
        restartedUnseen = peers === 'some' && !(await this.vouchedFor(node));
        if (this.stopped || !node.connected) return;
        if (peers === 'none') {
          await this.vouch(node);
          if (this.stopped || !node.connected) return;
        }
      }
    }
    const previous = node.runId;
    node.runId = runId;
    // Writes sent before this answer: exact when it did not restart (one connection, in order); after a
    // restart they may have raced another process's resync, so they are copied again (see unverifiedWrite).
    const written = this.unverifiedKeys.get(node)?.take() ?? null;
    this.unverifiedKeys.delete(node);
    if (previous === null) {
      if ((leaseHeld && done !== runId) || restartedUnseen) {
        state.restarted = true;
        state.beforeCheck = written;
        node.hints.restarted();
        node.setVerified(true);
        this.markStale(node, 'restarted');
        return;
      }
    } else if (runId !== previous) {
      // Its data is another process's now, or nobody's yet. Writes this process could not send it
      // while it was away stay in the hint log either way.
      if (done !== runId) {
        state.restarted = true;
        state.beforeCheck = written;
        node.hints.restarted();
      } else {
        state.byPeer = true;
        if (written?.full === true) node.hints.overflow();
        else if (written !== null) node.hints.addIds(written.keys);
        this.addPeerGaps(node);
      }
      node.setVerified(true);
      this.markStale(node, 'restarted');
      return;
    }
    node.setVerified(true);
    if (node.sync !== Sync.InSync) this.schedule(node);
  }

  /** Whether the server process's script cache holds the vouch (false when it cannot tell: an ACL). */
  private async vouchedFor(node: ServerNode): Promise<boolean> {
    try {
      const reply = await node.client.sendCommand(['SCRIPT', 'EXISTS', VOUCH_SHA], CommandFlags.None);
      return Array.isArray(reply) && reply[0] === 1;
    } catch {
      return false;
    }
  }

  /** Vouches for the server process's data; best effort (without it a later process cannot tell). */
  private async vouch(node: ServerNode): Promise<void> {
    await node.client.sendCommand(['SCRIPT', 'LOAD', VOUCH_SCRIPT], CommandFlags.None).catch(() => undefined);
  }

  /**
   * What the first checks of `node`'s peers found: 'some' is vouched for, 'none' when no peer is and
   * every peer answered, 'unknown' when a peer did not answer within PEER_ASK_MS
   * (a Cluster's servers are checked at once; one that is down never answers).
   */
  private async peersVouched(node: ServerNode): Promise<'some' | 'none' | 'unknown'> {
    const peers = this.shards[node.shard].nodes.filter((other) => other !== node);
    if (peers.length === 0) return 'none';
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), PEER_ASK_MS);
      // A Cluster closed meanwhile must not be kept alive by this wait.
      timer.unref();
    });
    const found = await Promise.all(peers.map((peer) => Promise.race([this.state(peer).firstVouch, bound])));
    clearTimeout(timer);
    if (found.some((vouched) => vouched === true)) return 'some';
    return found.some((vouched) => vouched === null) ? 'unknown' : 'none';
  }

  private retryCheck(node: ServerNode): void {
    const timer = setTimeout(() => {
      if (node.connected && !node.verified) this.state(node).verifying = this.checkRunId(node);
    }, this.retryMs);
    timer.unref();
  }

  /**
   * Kills this Client's earlier sockets to the same server process (node.unfenced). One given up on
   * (a stall, a timeout past the stall bound) may still hold commands the server has not read: a paused
   * server reads a long backlog over several event-loop turns, and a network can deliver late. Run after
   * a repair copied a key, such a write would undo it (an INCR counted twice, an older SET). Once killed
   * there, nothing more of it runs. Returns false when this connection was lost meanwhile.
   */
  private async fence(node: ServerNode): Promise<boolean> {
    const ids = node.unfenced.splice(0);
    if (ids.length === 0) return true;
    const outcomes = await Promise.allSettled(
      ids.map((id) => node.client.sendCommand(['CLIENT', 'KILL', 'ID', id], CommandFlags.None)),
    );
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      // 'No such client': it is gone there already, its commands run or dropped.
      if (outcome.reason instanceof ReplyError && /no such client/i.test(outcome.reason.message)) return;
      if (outcome.reason instanceof ReplyError) {
        // Refused (an ACL without CLIENT KILL): nothing can fence it; said once, not retried.
        this.listener.onError(node, asError(outcome.reason));
        return;
      }
      node.unfenced.push(ids[i]);
    });
    return !this.stopped && node.connected && node.unfenced.length === 0;
  }

  private schedule(node: ServerNode): void {
    const state = this.state(node);
    if (state.running || this.stopped || !this.options.enabled) return;
    state.running = true;
    void this.repairLoop(node).finally(() => {
      state.running = false;
      // A markStale between the loop's last check and here found it still running: go on for it.
      if (!this.stopped && node.sync !== Sync.InSync) this.schedule(node);
    });
  }

  /** Repairs `node` until it is in sync, one pass after another (writes may fail again meanwhile). */
  private async repairLoop(node: ServerNode): Promise<void> {
    const state = this.state(node);
    const startedAt = Date.now();
    let keys = 0;
    let mode: RepairMode = 'hints';
    let byPeer = false;
    while (!this.stopped && node.sync !== Sync.InSync) {
      if (state.byPeer) {
        state.byPeer = false;
        byPeer = true;
        mode = 'full';
      }
      if (!node.connected || !node.verified) {
        await sleep(this.retryMs);
        continue;
      }
      const source = this.sourceFor(node);
      if (source === null) {
        try {
          // It may be this one, or another replica (whose own loop then sees it in sync and ends).
          if ((await this.promoteIfAlone(node)) === node) return;
        } catch (error) {
          this.listener.onError(node, asError(error));
        }
        await sleep(this.retryMs);
        continue;
      }
      try {
        if (state.restarted) {
          mode = 'full';
          const outcome = await this.resyncRestarted(node, state);
          if (outcome === 'peer') byPeer = true;
          else keys += outcome;
          continue;
        }
        if (node.hints.empty) {
          node.setSync(Sync.InSync);
          node.repairRemaining = 0;
          this.listener.onRepaired(node, {
            mode,
            keys,
            durationMs: Date.now() - startedAt,
            runId: node.runId,
            byPeer,
          });
          return;
        }
        const taken = node.hints.take();
        node.setSync(Sync.Repairing);
        if (taken.full) {
          mode = 'full';
          try {
            keys += await this.fullResync(node);
          } finally {
            // Other processes may take it for in sync all along: what they copied from it may lack anything.
            this.journals[node.shard].record(node, null);
          }
        } else {
          keys += await this.repairKeys(node, taken.keys);
        }
      } catch (error) {
        this.listener.onError(node, asError(error));
        if (node.sync === Sync.Repairing) node.setSync(Sync.Stale);
        await sleep(this.retryMs);
      }
    }
  }

  /**
   * A restarted server is resynced by one process: the one that sets the lease. Others wait for the
   * done marker naming its run_id, recording meanwhile the keys they write (the resync may copy an
   * older value over them), then copy those. Returns keys copied, or 'peer'.
   */
  private async resyncRestarted(node: ServerNode, state: NodeRepairState): Promise<number | 'peer'> {
    const runId = node.runId;
    const client = node.client;
    const leaseMs = this.options.leaseMs;
    const acquired = await client.sendCommand(
      ['EVAL', ACQUIRE_LEASE, 2, LEASE_KEY, DONE_KEY, this.owner, runId ?? '', leaseMs],
      CommandFlags.None,
    );
    if (acquired === 1) {
      // The whole shard is copied: what the log held is covered, and new misses are logged anew.
      node.hints.take();
      node.setSync(Sync.Repairing);
      const renew = setInterval(
        () => {
          client
            .sendCommand(['EVAL', RENEW_LEASE, 1, LEASE_KEY, this.owner, leaseMs], CommandFlags.None)
            .catch(() => undefined);
        },
        Math.max(1, Math.floor(leaseMs / 3)),
      );
      renew.unref();
      try {
        const keys = await this.fullResync(node);
        if (node.runId !== runId || !node.verified) throw new Error('the server restarted during its resync');
        await Promise.all([
          client.sendCommand(['SET', DONE_KEY, runId ?? ''], CommandFlags.None),
          this.vouch(node),
        ]);
        state.restarted = false;
        state.beforeCheck = null;
        return keys;
      } finally {
        clearInterval(renew);
        client
          .sendCommand(['EVAL', RELEASE_LEASE, 1, LEASE_KEY, this.owner], CommandFlags.None)
          .catch(() => undefined);
      }
    }
    // Another process resyncs it, or did: wait for its marker, or for its lease to lapse (then try again).
    // Its resync covers what this process missed there before it saw the restart, not what it missed
    // since (those keys were recorded all the same), which are copied once the marker says it is done.
    const missed = node.hints.take();
    if (!missed.full || missed.sinceRestart) node.hints.addIds(missed.keys);
    else node.hints.overflow();
    // What this process wrote there before it knew of the restart raced that resync too.
    if (state.beforeCheck?.full === true) node.hints.overflow();
    else if (state.beforeCheck !== null) node.hints.addIds(state.beforeCheck.keys);
    node.setSync(Sync.Repairing);
    node.repairRemaining = -1;
    const watch = this.watchShard(node);
    watch.waiting.add(node);
    try {
      const poll = Math.max(20, Math.min(250, Math.floor(leaseMs / 4)));
      for (;;) {
        if (this.stopped || node.runId !== runId || !node.connected)
          throw new Error('stopped waiting for the resync');
        const [done, lease] = await Promise.all([
          client.sendCommand(['GET', DONE_KEY], CommandFlags.None),
          client.sendCommand(['PTTL', LEASE_KEY], CommandFlags.None),
        ]);
        if (done !== null && String(done) === runId) break;
        if (lease === -2) return 0; // lapsed without the marker: the loop tries for the lease again
        await sleep(poll);
      }
      state.restarted = false;
      state.beforeCheck = null;
      this.addPeerGaps(node);
      return 'peer';
    } finally {
      watch.waiting.delete(node);
      this.unwatchShard(node);
      node.repairRemaining = 0;
    }
  }

  /** Copies `ids` from in-sync replicas, retrying keys written meanwhile, paced. Returns keys changed. */
  private async repairKeys(node: ServerNode, ids: Set<string>): Promise<number> {
    const pending = [...ids];
    // The keys not done yet: `pending` and the batch being copied.
    const outstanding = new Set(ids);
    const repair: ActiveRepair = { target: node, source: null, keys: ids };
    node.repairingKeys = ids;
    const watch = this.watchShard(node);
    this.active.add(repair);
    let scanned = 0;
    let copied = 0;
    let deleted = 0;
    try {
      node.setRepairPending(outstanding);
      while (pending.length > 0) {
        const batch = pending.splice(0, this.batchSize);
        let result: CopyResult;
        try {
          result = await this.copy(repair, batch, watch, false);
        } catch (error) {
          // Not lost: back into the log, for the next pass.
          node.hints.addIds(batch);
          node.hints.addIds(pending);
          throw error;
        }
        this.journals[node.shard].record(node, batch);
        scanned += batch.length - result.retry.length;
        copied += result.copied;
        deleted += result.deleted;
        pending.push(...result.retry);
        const retried = new Set(result.retry);
        for (const id of batch) if (!retried.has(id)) outstanding.delete(id);
        node.setRepairPending(outstanding);
        this.listener.onProgress(node, {
          mode: 'hints',
          scanned,
          copied,
          deleted,
          remaining: pending.length,
        });
      }
      return copied + deleted;
    } finally {
      node.setRepairPending(null);
      node.repairingKeys = null;
      this.active.delete(repair);
      this.unwatchShard(node);
    }
  }

  /**
   * Every key: SCAN the source and copy each key; SCAN the target and delete what the source lacks (a
   * server restarted with its data may hold keys deleted since). Keys written meanwhile are retried at
   * the end. Repair's own keys are skipped both ways.
   */
  private async fullResync(node: ServerNode): Promise<number> {
    const repair: ActiveRepair = { target: node, source: null, keys: null };
    const watch = this.watchShard(node);
    this.active.add(repair);
    node.repairRemaining = -1;
    const progress = { mode: 'full' as RepairMode, scanned: 0, copied: 0, deleted: 0, remaining: null };
    const retry: string[] = [];
    const account = (count: number, result: CopyResult): void => {
      progress.scanned += count;
      progress.copied += result.copied;
      progress.deleted += result.deleted;
      retry.push(...result.retry);
      this.listener.onProgress(node, { ...progress });
    };
    try {
      for (const pass of ['source', 'target'] as const) {
        let cursor = '0';
        let scanning: ServerNode | null = null;
        let epoch = -1;
        for (;;) {
          const scanned = pass === 'source' ? this.pickSource(repair) : node;
          // A cursor is only good on the server process that gave it: start over elsewhere, or after
          // a reconnect (keys already copied are copied again, which is harmless).
          if (scanned !== scanning || scanned.client.stats().reconnects !== epoch) {
            scanning = scanned;
            epoch = scanned.client.stats().reconnects;
            cursor = '0';
          }
          const reply = await scanned.client.sendCommand(
            ['SCAN', cursor, 'COUNT', this.batchSize],
            CommandFlags.Buffers,
          );
          if (scanned.client.stats().reconnects !== epoch) {
            epoch = -1;
            cursor = '0';
            continue;
          }
          const page = parseScanPage(reply);
          cursor = page.cursor;
          const ids = page.keys.filter((key) => !isRepairKey(key)).map((key) => keyId(key));
          account(ids.length, await this.copy(repair, ids, watch, pass === 'target'));
          if (cursor === '0') break;
        }
      }
      while (retry.length > 0) {
        const batch = retry.splice(0, this.batchSize);
        const result = await this.copy(repair, batch, watch, false);
        account(batch.length - result.retry.length, result);
      }
      return progress.copied + progress.deleted;
    } catch (error) {
      node.hints.overflow();
      throw error;
    } finally {
      node.repairRemaining = 0;
      this.active.delete(repair);
      this.unwatchShard(node);
    }
  }

  /** One batch, then a pause that keeps the rate under maxKeysPerSecond. */
  private async copy(
    repair: ActiveRepair,
    ids: string[],
    watch: ShardWatch,
    onlyMissing: boolean,
  ): Promise<CopyResult> {
    if (this.stopped) throw new Error('the cluster is closed');
    const target = repair.target;
    if (!target.connected || !target.verified)
      throw new Error(`${target.url} lost its connection during repair`);
    const started = Date.now();
    const source = this.pickSource(repair);
    const result = await copyBatch(source.client, repair.target.client, ids, watch, onlyMissing);
    if (repair.source !== source || !source.readable) {
      // The source missed a write while this batch ran: its keys are in the target's log already
      // (missedWrite), but the batch itself may have copied from before it. Do it again elsewhere.
      result.retry = ids;
    }
    const budget = (ids.length * 1000) / this.options.maxKeysPerSecond;
    const wait = budget - (Date.now() - started);
    await sleep(Math.max(0, wait));
    return result;
  }

  /** The in-sync replica this repair copies from, chosen again when the last one stopped being one. */
  private pickSource(repair: ActiveRepair): ServerNode {
    if (repair.source !== null && repair.source.readable && repair.source.up) return repair.source;
    const source = this.sourceFor(repair.target);
    if (source === null) throw new Error(`no in-sync replica of shard ${repair.target.shard} to copy from`);
    repair.source = source;
    return source;
  }

  private sourceFor(node: ServerNode): ServerNode | null {
    let best: ServerNode | null = null;
    for (const other of this.shards[node.shard].nodes) {
      if (other === node || !other.readable || !other.connected) continue;
      if (best === null || (other.up && !best.up)) best = other;
    }
    return best;
  }

  /**
   * No replica of the shard is in sync (all restarted, or all missed writes): nothing to copy from.
   * The one with the fewest known missed writes becomes the reference, once each key it missed is copied
   * from a peer that holds it (stale only for other keys). While a peer that may hold one is unreachable,
   * nothing is promoted: reads go on to the least stale replica, reported as stale. Only keys no peer
   * can hold are lost, and an error says so.
   */
  private async promoteIfAlone(node: ServerNode): Promise<ServerNode | null> {
    const nodes = this.shards[node.shard].nodes;
    if (nodes.some((other) => other.sync === Sync.InSync)) return null;
    // The least behind of all, reachable or not (an empty restarted server must not become the
    // reference while a replica that missed a few keys is only paused), the lowest index on a tie so
    // that every process picks the same one.
    // A restarted server (empty, or as of its last save) ranks behind one whose log overflowed, which
    // ranks behind any with a count.
    let best = nodes[0];
    const behind = (other: ServerNode): number =>
      this.state(other).restarted
        ? Infinity
        : other.missedWrites < 0
          ? Number.MAX_SAFE_INTEGER
          : other.missedWrites;
    for (const other of nodes) if (behind(other) < behind(best)) best = other;
    // Any replica's loop promotes the best one, so that a best one whose own loop is not running, or is
    // waiting, cannot hold the shard without a reference. Not while the best one runs a repair itself.
    return (await this.promote(best, nodes)) ? best : null;
  }

  private async promote(node: ServerNode, nodes: readonly ServerNode[]): Promise<boolean> {
    if (!node.connected || !node.verified || this.promoting.has(node)) return false;
    if (node.repairingKeys !== null || node.repairRemaining < 0) return false;
    this.promoting.add(node);
    try {
      return await this.promoteNow(node, nodes);
    } finally {
      this.promoting.delete(node);
    }
  }

  private async promoteNow(node: ServerNode, nodes: readonly ServerNode[]): Promise<boolean> {
    const missed = node.missedWrites;
    const lost = await this.copyFromPeers(node);
    if (lost === null) return false;
    // Written or promoted meanwhile: the lost keys go back into its log, for the next pass or repair.
    if (!node.hints.empty || nodes.some((other) => other.sync === Sync.InSync)) {
      if (lost !== 'unknown') node.hints.addIds(lost);
      else node.hints.overflow();
      return false;
    }
    this.state(node).restarted = false;
    node.setSync(Sync.InSync);
    this.listener.onError(
      node,
      new Error(
        `no replica of shard ${node.shard} was in sync; replica ${node.replica} (${missed < 0 ? 'restarted or overflowed' : `${missed} missed keys`}) ` +
          `is the reference now: ${lost === 'unknown' ? 'writes it missed and no other replica holds are' : `${lost.length} keys it missed that no other replica holds are`} lost`,
      ),
    );
    this.listener.onRepaired(node, {
      mode: 'hints',
      keys: 0,
      durationMs: 0,
      runId: node.runId,
      byPeer: false,
    });
    return true;
  }

  /**
   * Before `node` becomes the reference: each key in its hint log, copied from a peer that holds it (see
   * holdsKey). Returns the keys no peer can hold ('unknown' when its log overflowed), or null when it must
   * wait (a peer that may hold one is unreachable, or keys were written during the copy).
   */
  private async copyFromPeers(node: ServerNode): Promise<string[] | 'unknown' | null> {
    const taken = node.hints.take();
    if (taken.full) return 'unknown';
    const nodes = this.shards[node.shard].nodes;
    const bySource = new Map<ServerNode, string[]>();
    const lost: string[] = [];
    for (const id of taken.keys) {
      const peer = nodes.find((other) => other !== node && this.holdsKey(other, id));
      if (peer !== undefined) {
        const ids = bySource.get(peer);
        if (ids === undefined) bySource.set(peer, [id]);
        else ids.push(id);
      } else if (nodes.some((other) => other !== node && this.mayHoldKey(other, id))) {
        // Only unreachable (paused, partitioned), not known to have lost it: no promotion yet.
        node.hints.addIds(taken.keys);
        return null;
      } else lost.push(id);
    }
    if (bySource.size === 0) return lost;
    const watch = this.watchShard(node);
    const retry: string[] = [];
    // Out of the log while they are copied, yet still missed: health() and the stale-read event count them.
    node.setRepairPending(taken.keys);
    try {
      for (const [peer, ids] of bySource) {
        for (let i = 0; i < ids.length; i += this.batchSize) {
          const batch = ids.slice(i, i + this.batchSize);
          const result = await copyBatch(peer.client, node.client, batch, watch, false);
          this.journals[node.shard].record(node, batch);
          retry.push(...result.retry);
        }
      }
    } catch (error) {
      node.hints.addIds(taken.keys);
      throw error;
    } finally {
      node.setRepairPending(null);
      this.unwatchShard(node);
    }
    if (retry.length === 0) return lost;
    node.hints.addIds(retry);
    node.hints.addIds(lost);
    return null;
  }

  /**
   * Another process resynced `node` from a replica that was in sync for IT; this process may know that
   * replica missed some of its writes. Every key this process has hinted on the other replicas is copied
   * again here (one owing a full resync: every key, by a full resync of `node`).
   */
  private addPeerGaps(node: ServerNode): void {
    for (const other of this.shards[node.shard].nodes) {
      if (other === node || this.state(other).restarted) continue;
      if (other.hints.overflowed || other.repairRemaining < 0) {
        node.hints.overflow();
        return;
      }
      node.hints.addIds(other.hints.ids());
      if (other.repairingKeys !== null) node.hints.addIds(other.repairingKeys);
    }
    // And the gaps this process closed since the restart: that resync may have read them still open.
    const closed = this.journals[node.shard].copiedSince(node, this.state(node).aliveAt - CLOCK_SLACK_MS);
    if (closed === null) node.hints.overflow();
    else node.hints.addIds(closed);
    this.handOverLate(node);
  }

  /**
   * Another process resynced `node` after its restart: the keys of this process's writes in flight at
   * the close, which that resync's sources may have applied only after it read them (its connections
   * are not this process's, so nothing orders them), are copied again; so are those that settle later
   * still, straight into its hint log. This process's own resync needs none of it: its reads follow
   * its writes on the same connection to each source.
   */
  private handOverLate(node: ServerNode): void {
    const late = this.state(node).late;
    if (late === null) return;
    const taken = late.handOver((args) => this.missedWrite(node, [args]));
    if (taken.full) node.hints.overflow();
    else node.hints.addIds(taken.keys);
  }

  private dropLate(node: ServerNode): void {
    const state = this.state(node);
    state.late?.end();
    state.late = null;
  }

  /**
   * Whether `other` may hold every write this process made to `id`, reachable or not: not restarted, no
   * full resync owed, the key neither hinted there nor in its running repair.
   */
  private mayHoldKey(other: ServerNode, id: string): boolean {
    if (this.state(other).restarted || other.hints.overflowed || other.repairRemaining < 0) return false;
    return !other.hints.has(id) && !(other.repairingKeys?.has(id) ?? false);
  }

  /** mayHoldKey, and it can be copied from now: connected, its run_id checked on this connection. */
  private holdsKey(other: ServerNode, id: string): boolean {
    return other.connected && other.verified && this.mayHoldKey(other, id);
  }

  private watchShard(node: ServerNode): ShardWatch {
    const replicas = this.shards[node.shard];
    let watch = replicas.watch instanceof ShardWatch ? replicas.watch : null;
    if (watch === null) {
      watch = new ShardWatch();
      replicas.watch = watch;
    }
    watch.users++;
    return watch;
  }

  private unwatchShard(node: ServerNode): void {
    const replicas = this.shards[node.shard];
    const watch = replicas.watch;
    if (watch instanceof ShardWatch && --watch.users === 0) replicas.watch = null;
  }
}

function parseRunId(reply: RespValue): string | null {
  const text = Buffer.isBuffer(reply) ? reply.toString() : typeof reply === 'string' ? reply : '';
  const match = /run_id:([0-9a-f]+)/.exec(text);
  return match === null ? null : match[1];
}

function parseScanPage(reply: RespValue): { cursor: string; keys: Buffer[] } {
  if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1]))
    throw new Error('repair: unexpected SCAN reply');
  const cursor = Buffer.isBuffer(reply[0]) ? reply[0].toString() : String(reply[0]);
  const keys = reply[1].filter((key): key is Buffer => Buffer.isBuffer(key));
  return { cursor, keys };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
  });
}
