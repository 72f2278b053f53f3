import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { Client } from '../client';
import type { MonitorListener } from '../client/monitor';
import type { MessageListener, PatternListener, SubscribeOptions, Subscription } from '../client/subscriber';
import type { BatchCommand } from '../client/batch';
import {
  BYTES,
  hashScan,
  keyScan,
  scanConnection,
  setScan,
  sortedSetScan,
  TEXT,
  type ElementScanOptions,
  type ScanOptions,
  type ScanRequest,
} from '../client/scan';
import { Transaction } from '../client/transaction';
import { CommandApi, flagsOf, type RedisKey } from '../commands/api';
import { blockingTime } from '../commands/blocking';
import { commandInfo, resolveCommand, type CommandInfo } from '../commands/command-table';
import { StateChange, stateChangeOf } from '../commands/connection-state';
import { routableKeyPositions } from '../commands/movable-keys';
import type { ClusterShard, ClusterSlotRange } from '../commands/replies-cluster';
import { shaped, type ScoredMember, type Transform } from '../commands/reply';
import { CommandFlags } from '../connection/pending-command';
import {
  ConnectionClosedError,
  ConnectionError,
  InvalidArgumentError,
  ReplyError,
  TimeoutError,
} from '../errors';
import { gatherParts, SPLITTABLE, splitByShard } from '../cluster/multi-key';
import { asError } from '../cluster/outcome-kind';
import { Pipeline } from '../pipeline';
import type { CommandArg, RespValue } from '../resp/types';
import { clusterScan, SlotScanConnection, type ClusterScanHost } from './cluster-scan';
import { ClusterSubscriptions } from './cluster-subscriptions';
import { staggeredRace, type RaceAttempt } from './staggered-race';
import { ClusterNode, HEALTH_CHECK_MS, type RedisClusterNodeHealth, type RedisClusterNodeInfo } from './node';
import {
  resolveRedisClusterOptions,
  type RedisClusterOptions,
  type ResolvedRedisClusterOptions,
} from './options';
import { redirectOf, retryReason } from './redirect';
import { SLOT_COUNT, slotOf } from './slot';
import { SlotOwner } from './slot-owner';
import { addressKey, viewsFromShards, viewsFromSlots, type NodeAddress, type ShardView } from './topology';
import { tickNow } from '../connection/tick-clock';

/** The longest one node may take to answer CLUSTER SHARDS when commandTimeout is off. */
const TOPOLOGY_QUERY_MS = 5_000;
const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);
const ESCAPE_HATCH = 'run it on every master with each(), or on one node with node(url)';
/** While a master is lost, the map is reloaded this often until its replica has taken over. */
const LOST_NODE_REFRESH_MS = 200;
/**
 * Ms a seed asked for the slot map has to answer before the next seed is asked too: one that accepts
 * connections and never answers would otherwise hold the load for its whole connectTimeout.
 */
const SLOT_MAP_STAGGER_MS = 500;
const RETRY_MIN_MS = 10;
const RETRY_MAX_MS = 250;

/** The events of a {@link RedisCluster}, for `on`, `once` and `off`. */
export interface RedisClusterEvents {
  /** The slot map changed (first load included). */
  topology: (nodes: RedisClusterNodeInfo[]) => void;
  /** A node's Client failed (socket or protocol); emitted only when someone listens. */
  error: (error: Error) => void;
}

/** One command on one node, as an outcome that never rejects. */
export interface RedisClusterNodeOutcome {
  /** The node, as redis://host:port, never with credentials. */
  readonly url: string;
  /** True when the node replied without an error. */
  readonly ok: boolean;
  /** Its reply, when `ok`. */
  readonly reply?: RespValue;
  /** Its error (an error reply or a failure), when not `ok`. */
  readonly error?: Error;
}

/**
 * Redis's own cluster protocol: keys live in 16384 slots (CRC16 of the key or its {hash tag}), each
 * served by one master and its replicas. Each node is a pipelined Client; a command goes to its slot's
 * node by an array lookup, and MOVED, ASK (with ASKING), TRYAGAIN and CLUSTERDOWN are followed within
 * `maxRedirects` and the command's deadline, so a caller only sees the single-server path's errors.
 *
 * MGET, MSET, DEL, UNLINK, EXISTS and TOUCH may span slots (split per slot, merged in order; not
 * atomic). Any other command keeps its keys in one slot; keys that move with the arguments (ZUNIONSTORE,
 * XREAD … STREAMS, LMPOP, SORT … STORE…) are found as the sharded Cluster finds them. Commands without
 * keys are not guessed: use `each()` or `node(url)`.
 */
export class RedisCluster extends CommandApi<'promise'> {
  // MULTI, EXEC, DISCARD, WATCH, UNWATCH and SELECT reach routing, whose refusal names what works on a
  // RedisCluster: the shared refusal's advice (isolated(), the db option) is a Client's.
  protected override allowedStateChanges: StateChange = CLUSTER_ROUTED_STATE;
  private readonly options: ResolvedRedisClusterOptions;
  private readonly events = new EventEmitter();
  private readonly byAddress = new Map<string, ClusterNode>();
  /** The hot path: slot → owner, one array index. */
  private owners: (SlotOwner | undefined)[] = new Array<SlotOwner | undefined>(SLOT_COUNT);
  private readonly readFromReplicas: boolean;
  /** readFrom 'replica': a read never goes to a master, and fails when its slot has no replica up. */
  private readonly replicasOnly: boolean;
  private signature = '';
  private refreshing: Promise<void> | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private lostNodeTimer: NodeJS.Timeout | null = null;
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  /** client.commandTimeout is on: a redirected command keeps the deadline it was issued with. */
  private readonly timed: boolean;
  private connecting: Promise<void> | null = null;
  /** quit() or disconnect(): no command is accepted any more. */
  private closed = false;
  /**
   * disconnect(), or quit() once everything it accepted has settled: redirects and retries stop. Until
   * then, a command accepted before quit() may still follow MOVED or wait out TRYAGAIN.
   */
  private ended = false;
  private quitting: Promise<void> | null = null;
  /** Commands accepted and not settled, in their redirects and retries too: quit() waits for them. */
  private pending = 0;
  private whenDrained: (() => void) | null = null;
  /** Settles a command whose first attempt was answered: one function for all, none made per command. */
  private readonly landed = (reply: RespValue): RespValue => {
    this.settle();
    return reply;
  };
  private readonly subscriptions = new ClusterSubscriptions({
    slotMaster: (slot) => this.owners[slot]?.master,
    liveMasters: () => this.masters().filter((node) => !node.down),
    reload: () => this.refresh(),
  });

  private readonly scanHost: ClusterScanHost;

  /** Validates options and opens no socket; throws InvalidArgumentError. */
  constructor(options: RedisClusterOptions) {
    super();
    this.options = resolveRedisClusterOptions(options);
    this.readFromReplicas = this.options.readFrom !== 'master';
    this.replicasOnly = this.options.readFrom === 'replica';
    this.timed = Number.isFinite(this.options.commandTimeout);
    this.scanHost = {
      mapLoaded: () => this.mapLoaded(),
      masters: () => this.masters(),
      masterAfterLoss: (slot) => this.masterAfterLoss(slot),
      maxRestarts: this.options.maxRedirects,
    };
  }

  /** Loads the slot map through the seeds and connects every node; rejects when no seed answers. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    this.connecting ??= this.refresh()
      .then(() => this.connectNodes())
      .then(() => this.startPeriodicRefresh())
      .catch((error: unknown) => {
        this.connecting = null;
        throw error;
      });
    return this.connecting;
  }

  /** Resolves once a slot map is loaded: at once after connect(), else through connect(). */
  private mapLoaded(): Promise<void> {
    return this.masters().length > 0 ? Promise.resolve() : this.connect();
  }

  /** The slot of `key`: CRC16-XMODEM of its {hash tag}, or of the whole key, mod 16384. */
  slotOf(key: RedisKey): number {
    return slotOf(key);
  }

  /** Every node of the slot map, masters first. */
  nodes(): RedisClusterNodeInfo[] {
    return this.sortedNodes().map((node) => node.info());
  }

  /**
   * Every node of the slot map, masters first: its state ('down' while its connection is lost; a
   * replica 'stale' or 'repairing' while its link or lag keeps it from reads), latency, load, errors,
   * and a replica's lag, as its last health check (INFO replication, once a second) found them.
   */
  health(): RedisClusterNodeHealth[] {
    return this.sortedNodes().map((node) => node.health());
  }

  /** The Client of a node of the map, by its URL or host:port; throws InvalidArgumentError for another. */
  node(url: string): Client {
    const key =
      typeof url === 'string' ? url.replace(/^rediss?:\/\/([^@/]*@)?/, '').replace(/\/.*$/, '') : '';
    const node = this.byAddress.get(key);
    if (node === undefined) {
      throw new InvalidArgumentError(`${String(url)} is not a node of this cluster's slot map`);
    }
    return node.client;
  }

  /**
   * Runs one command on every master (FLUSHALL, INFO, SCRIPT LOAD…); one outcome per master, in nodes()
   * order. Rejects only for a bad command name or a closed cluster.
   */
  each(command: string, ...args: CommandArg[]): Promise<RedisClusterNodeOutcome[]> {
    if (typeof command !== 'string' || command.length === 0) {
      return Promise.reject(new InvalidArgumentError('each() needs a command name'));
    }
    if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    const full: CommandArg[] = [command, ...args];
    const flags = flagsOf(command);
    // Before connect(), no master is known: an empty answer would say the command ran everywhere.
    return this.mapLoaded().then(() => this.onEveryMaster(full, flags));
  }

  private onEveryMaster(full: CommandArg[], flags: CommandFlags): Promise<RedisClusterNodeOutcome[]> {
    return Promise.all(
      this.masters().map((node) =>
        node.client.sendCommand(full, flags).then(
          (reply): RedisClusterNodeOutcome => ({ url: node.url, ok: true, reply }),
          (error: unknown): RedisClusterNodeOutcome => ({ url: node.url, ok: false, error: asError(error) }),
        ),
      ),
    );
  }

  /** Commands recorded now and routed by `exec()`; the commands bound for one node leave in one write. */
  pipeline(): Pipeline {
    return new RedisClusterPipeline((args, flags, settle) => {
      this.route(args, flags).then(settle, (error: unknown) => settle(asError(error)));
    });
  }

  /**
   * Commands recorded now and run as one MULTI … EXEC on the master of the one slot all their keys
   * share (keep them together with a {hash tag}). Keys in several slots, or a command without keys,
   * reject exec() with InvalidArgumentError before anything is sent.
   */
  multi(): Transaction {
    // Its MULTI, WATCH and the like are recorded, for transactionSlot to refuse with cluster advice.
    return new Transaction((commands) => {
      if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
      let slot: number;
      try {
        slot = transactionSlot(commands);
      } catch (error) {
        return Promise.reject(asError(error));
      }
      this.pending++;
      // Its first attempt is made in withRedirects, so its deadline counts from there (issued: 0).
      return this.withRedirects('EXEC', slot, false, 0, true, (node, asking) =>
        asking
          ? Promise.reject(new ReplyError(`TRYAGAIN slot ${slot} is migrating`))
          : node.client.sendTransaction(commands),
      );
    }, CLUSTER_ROUTED_STATE);
  }

  /**
   * Every key of every master, one master after the other. A master lost mid-scan has its part start
   * over on the master serving its slots then (after a failover, its promoted replica), so some keys
   * may come twice; a key present for the whole scan comes at least once (SCAN's guarantee).
   */
  scanIterator(options?: ScanOptions): AsyncGenerator<string, void, undefined> {
    return clusterScan(this.scanHost, keyScan(TEXT, options));
  }

  /** As `scanIterator`, with each key as a Buffer. */
  scanBufferIterator(options?: ScanOptions): AsyncGenerator<Buffer, void, undefined> {
    return clusterScan(this.scanHost, keyScan(BYTES, options));
  }

  /**
   * A hash's fields and values, as `[field, value]`, from the master of its slot (HSCAN). When the slot
   * moves mid-scan, the scan starts over on its new master, so some fields may come twice; a field present
   * for the whole scan comes at least once (SCAN's guarantee). Likewise for SSCAN and ZSCAN below.
   */
  hscanIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<[string, string], void, undefined> {
    return this.keyScan(key, hashScan(TEXT, key, options));
  }

  /** As `hscanIterator`, with Buffers. */
  hscanBufferIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<[Buffer, Buffer], void, undefined> {
    return this.keyScan(key, hashScan(BYTES, key, options));
  }

  /** A set's members, from the master of its slot (SSCAN). */
  sscanIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<string, void, undefined> {
    return this.keyScan(key, setScan(TEXT, key, options));
  }

  /** As `sscanIterator`, with Buffers. */
  sscanBufferIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<Buffer, void, undefined> {
    return this.keyScan(key, setScan(BYTES, key, options));
  }

  /** A sorted set's members with their scores, from the master of its slot (ZSCAN). */
  zscanIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<ScoredMember, void, undefined> {
    return this.keyScan(key, sortedSetScan(TEXT, key, options));
  }

  /** As `zscanIterator`, with Buffer members. */
  zscanBufferIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<ScoredMember<Buffer>, void, undefined> {
    return this.keyScan(key, sortedSetScan(BYTES, key, options));
  }

  /**
   * Listens to channels on one live master (Redis propagates PUBLISH to every node), moving to another
   * master when that one is lost; never on two at once, so a message is delivered at most once. What is
   * published while a listener moves is lost. Resolves once the server confirmed each channel.
   */
  subscribe(channels: string | readonly string[], listener: MessageListener<string>): Promise<Subscription>;
  subscribe(
    channels: string | readonly string[],
    listener: MessageListener<Buffer>,
    options: SubscribeOptions & { buffers: true },
  ): Promise<Subscription>;
  subscribe(
    channels: string | readonly string[],
    listener: MessageListener<string> | MessageListener<Buffer>,
    options?: SubscribeOptions,
  ): Promise<Subscription> {
    return this.subscriptions.subscribe('channel', channels, listener, options);
  }

  /** Like subscribe, for glob-style patterns, on the same node as the channels. */
  psubscribe(patterns: string | readonly string[], listener: PatternListener<string>): Promise<Subscription>;
  psubscribe(
    patterns: string | readonly string[],
    listener: PatternListener<Buffer>,
    options: SubscribeOptions & { buffers: true },
  ): Promise<Subscription>;
  psubscribe(
    patterns: string | readonly string[],
    listener: PatternListener<string> | PatternListener<Buffer>,
    options?: SubscribeOptions,
  ): Promise<Subscription> {
    return this.subscriptions.subscribe('pattern', patterns, listener, options);
  }

  /** Shard channels (Redis 7): each on the master of its slot, following the slot when it moves. */
  ssubscribe(channels: string | readonly string[], listener: MessageListener<string>): Promise<Subscription>;
  ssubscribe(
    channels: string | readonly string[],
    listener: MessageListener<Buffer>,
    options: SubscribeOptions & { buffers: true },
  ): Promise<Subscription>;
  ssubscribe(
    channels: string | readonly string[],
    listener: MessageListener<string> | MessageListener<Buffer>,
    options?: SubscribeOptions,
  ): Promise<Subscription> {
    return this.subscriptions.subscribe('shard', channels, listener, options);
  }

  /** Removes every listener of these channels (of all channels when none is named). */
  unsubscribe(...channels: string[]): Promise<void> {
    return this.subscriptions.unsubscribe('channel', channels);
  }

  /** Removes every listener of these patterns (of all patterns when none is named). */
  punsubscribe(...patterns: string[]): Promise<void> {
    return this.subscriptions.unsubscribe('pattern', patterns);
  }

  /** Removes every listener of these shard channels (of all shard channels when none is named). */
  sunsubscribe(...channels: string[]): Promise<void> {
    return this.subscriptions.unsubscribe('shard', channels);
  }

  /** MONITOR watches one server: use node(url).monitor(listener). */
  monitor(listener: MonitorListener): Promise<never> {
    void listener;
    return Promise.reject(
      new InvalidArgumentError('MONITOR watches one server: use node(url).monitor(listener)'),
    );
  }

  /**
   * Stops taking commands, lets every accepted one finish (following its redirects and retries, within
   * its deadline), then closes every node. A command blocked with no timeout (BLPOP … 0) is not waited
   * for: closing its node ends it, as a Client's quit() does.
   */
  quit(): Promise<void> {
    if (this.quitting !== null) return this.quitting;
    this.close();
    const drained =
      this.pending === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.whenDrained = resolve;
          });
    this.quitting = drained
      .then(() => {
        this.end();
        // Nodes met while draining (a MOVED to a node new to the map) are in byAddress too.
        return Promise.all([...this.byAddress.values()].map((node) => node.client.quit()));
      })
      .then(() => undefined);
    return this.quitting;
  }

  /** Closes every node now; everything pending rejects with ConnectionClosedError. */
  disconnect(): void {
    this.close();
    this.end();
    for (const node of this.byAddress.values()) node.client.disconnect();
    this.quitting ??= Promise.resolve();
  }

  /** What console.log shows: the shape, never options or credentials. */
  [inspect.custom](): string {
    const nodes = [...this.byAddress.values()];
    const masters = nodes.filter((node) => node.role === 'master' && node.ranges.length > 0).length;
    const up = nodes.filter((node) => !node.down).length;
    return `RedisCluster { ${masters} masters, ${nodes.length} nodes, ${up} up${this.closed ? ', closed' : ''} }`;
  }

  /** Adds a listener for one of {@link RedisClusterEvents}. */
  on<E extends keyof RedisClusterEvents>(event: E, listener: RedisClusterEvents[E]): this {
    this.events.on(event, listener);
    return this;
  }

  /** Adds a listener called at most once. */
  once<E extends keyof RedisClusterEvents>(event: E, listener: RedisClusterEvents[E]): this {
    this.events.once(event, listener);
    return this;
  }

  /** Removes a listener added by `on` or `once`. */
  off<E extends keyof RedisClusterEvents>(event: E, listener: RedisClusterEvents[E]): this {
    this.events.off(event, listener);
    return this;
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): Promise<unknown> {
    const reply = this.route(args, flags);
    return args instanceof InvalidArgumentError ? reply : shaped(reply, transform, args);
  }

  /** Sends a command to its slot's node and settles with the raw reply, merged when split. */
  private route(args: CommandArg[] | InvalidArgumentError, flags: CommandFlags): Promise<RespValue> {
    if (args instanceof InvalidArgumentError) return Promise.reject(args);
    if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    const info = commandInfo(args[0] as string);
    // The common case, kept short: one key at a fixed place (GET, SET, INCR…).
    if (
      info !== undefined &&
      info.firstKey > 0 &&
      info.firstKey === info.lastKey &&
      !info.movableKeys &&
      (info.readonly || info.write) &&
      args.length > info.firstKey
    ) {
      let slot: number;
      try {
        slot = slotOf(args[info.firstKey]);
      } catch (error) {
        return Promise.reject(asError(error));
      }
      return this.sendToSlot(slot, info.readonly, args, flags);
    }
    try {
      return this.routeOther(args, flags, info);
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  private sendToSlot(
    slot: number,
    read: boolean,
    args: CommandArg[],
    flags: CommandFlags,
  ): Promise<RespValue> {
    // When the command was issued, for its deadline if it is redirected: one clock reading per tick, not
    // per command, and none when commandTimeout is off.
    const issued = this.timed ? tickNow() : 0;
    // quit() waits for what it accepted, but not for a command blocked until served (BLPOP … 0), which
    // may never end: closing its node ends it, as a Client's quit() does.
    const counted = (flags & CommandFlags.Blocking) === 0 || blockingTime(args) !== 0;
    if (counted) this.pending++;
    const owner = this.owners[slot];
    if (owner !== undefined) {
      const node = read && this.readFromReplicas ? owner.reader(this.replicasOnly) : owner.master;
      if (node !== undefined && !node.down) {
        return node.client
          .sendCommand(args, flags)
          .then(counted ? this.landed : null, (error: unknown) =>
            this.afterError(error, node, slot, read, issued, counted, args, flags),
          );
      }
    }
    return this.redirected(slot, read, issued, counted, args, flags);
  }

  /** One accepted command has settled; the last one lets a waiting quit() go on. */
  private settle(): void {
    if (--this.pending !== 0 || this.whenDrained === null) return;
    const drained = this.whenDrained;
    this.whenDrained = null;
    drained();
  }

  /**
   * One command through withRedirects. A blocking one may block past commandTimeout (its Client allows
   * for that), so its deadline counts from its redirect, not from its issue; its resends keep the
   * Client's own deadline.
   */
  private redirected(
    slot: number,
    read: boolean,
    issued: number,
    counted: boolean,
    args: CommandArg[],
    flags: CommandFlags,
    first?: unknown,
    firstNode?: ClusterNode,
  ): Promise<RespValue> {
    const blocking = (flags & CommandFlags.Blocking) !== 0;
    return this.withRedirects(
      String(args[0]).toUpperCase(),
      slot,
      read,
      blocking ? 0 : issued,
      counted,
      (target, asking, timeout) => this.sendOn(target, asking, args, flags, blocking ? undefined : timeout),
      first,
      firstNode,
    );
  }

  /** A resend: `timeout` (ms), when given, replaces the node's commandTimeout for a plain command. */
  private sendOn(
    node: ClusterNode,
    asking: boolean,
    args: readonly CommandArg[],
    flags: CommandFlags,
    timeout: number | undefined,
  ): Promise<RespValue> {
    if (!asking) {
      return timeout === undefined
        ? node.client.sendCommand(args, flags)
        : node.client.sendCommand(args, flags, { timeout });
    }
    if ((flags & CommandFlags.Blocking) !== 0) {
      // It would hold the node's shared connection (ASKING covers the next command on that socket
      // only): wait, as for TRYAGAIN, until the migration ends and MOVED names the one node.
      return Promise.reject(new ReplyError(`TRYAGAIN ${String(args[0])} waits for its slot's migration`));
    }
    // One batch: ASKING and the command are admitted together or refused together (a full queue), leave
    // in one write, and are never resent apart. An ASKING left alone would cover another caller's command.
    // A batch takes no timeout of its own: it keeps the node's commandTimeout, so it may end up to one
    // commandTimeout past the command's deadline.
    return node.client
      .sendTogether([
        { args: ['ASKING'], flags: CommandFlags.None },
        { args, flags: flags & ~(CommandFlags.ReadOnly | CommandFlags.Cacheable) },
      ])
      .then((outcomes) => {
        const reply = outcomes[1] as RespValue | Error;
        if (reply instanceof Error) throw reply;
        return reply;
      });
  }

  /** The first attempt failed: a redirect is followed, a lost node triggers a refresh, the rest is the answer. */
  private afterError(
    error: unknown,
    node: ClusterNode,
    slot: number,
    read: boolean,
    issued: number,
    counted: boolean,
    args: CommandArg[],
    flags: CommandFlags,
  ): Promise<RespValue> {
    if (redirectOf(error) === null) {
      if (error instanceof ConnectionError || error instanceof TimeoutError) this.noteTrouble(node, error);
      if (!(error instanceof ConnectionError) || error.sent) {
        if (counted) this.settle();
        return Promise.reject(error);
      }
    }
    return this.redirected(slot, read, issued, counted, args, flags, error, node);
  }

  /**
   * Sends through `send` until an answer, following redirects and waiting out TRYAGAIN, CLUSTERDOWN and
   * lost masters. `first` is the error of an attempt already made. A command that reached a socket which
   * then failed is never sent again. Every command's retries end:
   * - MOVED and ASK count against maxRedirects (ConnectionError, `sent: false`, past it);
   * - the waits, and every send after the first, end by the deadline: commandTimeout from `issued` (0: from
   *   now), or with commandTimeout off, retryTimeout from now. A resend starts only before the deadline
   *   and is given only what is left of it (`send`'s timeout; undefined for the first send, or when
   *   commandTimeout is off). Past it: TimeoutError, `sent: false` (nothing sent had run).
   * A `counted` command (see `pending`) is settled when this ends.
   */
  private async withRedirects<T>(
    name: string,
    slot: number,
    read: boolean,
    issued: number,
    counted: boolean,
    send: (node: ClusterNode, asking: boolean, timeout: number | undefined) => Promise<T>,
    first?: unknown,
    firstNode?: ClusterNode,
  ): Promise<T> {
    // Who answered last: a redirect to ':port' (an unknown endpoint) means that node's host.
    let answered = firstNode;
    const deadline = (this.timed && issued > 0 ? issued : Date.now()) + this.retryBound[1];
    let error: unknown = first;
    let redirects = 0;
    let waits = 0;
    try {
      for (;;) {
        if (this.ended) throw new ConnectionClosedError('the cluster is closed');
        let target: ClusterNode | undefined;
        let asking = false;
        if (error !== undefined) {
          const redirect = redirectOf(error);
          if (redirect !== null && redirect.kind !== 'RETRY' && ++redirects > this.options.maxRedirects) {
            throw new ConnectionError(
              `${name} gave up on slot ${slot} after ${this.options.maxRedirects} redirects (the last to ${redirect.target.host}:${redirect.target.port})`,
              false,
            );
          }
          if (redirect !== null && redirect.kind === 'MOVED' && read && this.replicasOnly) {
            // MOVED names the new master, which a strict replica read must not use: the reloaded map
            // names the replicas behind it.
            await this.refresh().catch(() => undefined);
          } else if (redirect !== null && redirect.kind === 'MOVED') {
            target = this.nodeAt(redirectTarget(redirect.target, answered));
            this.assign(redirect.slot, target);
            this.scheduleRefresh();
          } else if (redirect !== null && redirect.kind === 'ASK') {
            target = this.nodeAt(redirectTarget(redirect.target, answered));
            asking = true;
          } else {
            // TRYAGAIN, CLUSTERDOWN, or a master lost until its replica takes over: wait, bounded by the deadline.
            const backoff = Math.min(RETRY_MAX_MS, RETRY_MIN_MS << Math.min(waits++, 5));
            if (!(await this.pause(backoff, deadline))) throw this.deadlineError(name, slot, error);
          }
        }
        if (target === undefined) {
          const owner = this.owners[slot];
          const node =
            owner === undefined
              ? undefined
              : read && this.readFromReplicas
                ? owner.reader(this.replicasOnly)
                : owner.master;
          if (owner !== undefined && node === undefined) {
            // Not waited for like a lost master: no failover is coming to fix it, and the caller chose
            // never to read from a master.
            throw new ConnectionError(
              `no replica of slot ${slot} is up, and readFrom 'replica' never reads from a master (use 'prefer-replica' to fall back)`,
              false,
            );
          }
          if (node === undefined || node.down) {
            // The map must change before anything can be sent there.
            this.scheduleRefresh();
            error = new ConnectionError(`no reachable node serves slot ${slot}`, false);
            continue;
          }
          target = node;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw this.deadlineError(name, slot, error);
        const timeout = error === undefined || !this.timed ? undefined : Math.ceil(left);
        try {
          answered = target;
          return await send(target, asking, timeout);
        } catch (caught) {
          if (redirectOf(caught) === null) {
            if (caught instanceof ConnectionError || caught instanceof TimeoutError)
              this.noteTrouble(target, caught);
            if (caught instanceof TimeoutError && timeout !== undefined) {
              throw new TimeoutError(
                `${name} on slot ${slot} ran out of its commandTimeout (${this.options.commandTimeout} ms) after a redirect, ` +
                  `${caught.sent ? 'waiting for its reply: it may or may not have run' : 'before it was sent'} (${target.url})`,
                name,
                this.options.commandTimeout,
                caught.sent,
              );
            }
            if (!(caught instanceof ConnectionError) || caught.sent) throw caught;
          }
          error = caught;
        }
      }
    } finally {
      if (counted) this.settle();
    }
  }

  /**
   * A scan lost its node: the live master of `slot` once the map names one, waited for within
   * commandTimeout (retryTimeout when it is off).
   */
  private async masterAfterLoss(slot: number): Promise<ClusterNode> {
    const deadline = Date.now() + this.retryBound[1];
    for (;;) {
      if (this.closed) throw new ConnectionClosedError('the cluster is closed');
      await this.refresh().catch(() => undefined);
      const master = this.owners[slot]?.master;
      if (master !== undefined && !master.down) return master;
      if (!(await this.pause(LOST_NODE_REFRESH_MS, deadline))) {
        throw this.deadlineError(
          'SCAN',
          slot,
          new ConnectionError(`no live master serves slot ${slot}`, false),
        );
      }
    }
  }

  /** Waits `ms`, never past the deadline (nor past close()); false at once when the deadline has passed. */
  private async pause(ms: number, deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(
          () => {
            this.sleepers.delete(sleeper);
            resolve();
          },
          Math.min(ms, left),
        ),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
    return true;
  }

  /** The deadline passed while `name` was redirected or retried; `last` is what it waited on then. */
  private deadlineError(name: string, slot: number, last: unknown): TimeoutError {
    const [bound, ms] = this.retryBound;
    return new TimeoutError(
      `${name} on slot ${slot} could not be served within its ${bound} (${ms} ms): ${retryReason(last)}`,
      name,
      ms,
      false,
    );
  }

  /** Everything but the single-key case. Throws InvalidArgumentError for what cannot be routed. */
  private routeOther(
    args: CommandArg[],
    flags: CommandFlags,
    info: CommandInfo | undefined,
  ): Promise<RespValue> {
    const name = String(args[0]);
    if (info === undefined) {
      throw new InvalidArgumentError(
        `unknown command '${name}': RedisCluster routes by Redis's command table; ${ESCAPE_HATCH}`,
      );
    }
    const upper = info.name;
    if ((stateChangeOf(upper) & StateChange.Transaction) !== 0)
      throw this.transactionStateRefusal(upper, args);
    if (upper === 'SELECT') throw selectRefusal();
    // PUBLISH reaches every node through the cluster bus; SPUBLISH must reach its slot's master.
    if ((upper === 'PUBLISH' || upper === 'SPUBLISH') && args.length === 3) {
      return this.sendToSlot(slotOf(args[1]), false, args, flags);
    }
    if (info.pubsub)
      throw new InvalidArgumentError(`${upper} is pub/sub, which lives on one connection: use node(url)`);
    const command = resolveCommand(args) ?? info;
    const script = SCRIPT_COMMANDS.has(upper);
    const positions = script ? scriptKeyPositions(name, args) : routableKeyPositions(args);
    if (positions === undefined) {
      throw new InvalidArgumentError(
        `cannot tell which keys ${name} uses (wrong argument count, or keys its arguments do not show): use node(url)`,
      );
    }
    if (positions.length === 0)
      throw new InvalidArgumentError(`${name} has no key to route it by: ${ESCAPE_HATCH}`);
    const write = script ? !command.readonly : command.write;
    if (!write && !command.readonly) {
      throw new InvalidArgumentError(
        `${name} neither reads nor writes keys (it acts on its connection): use node(url)`,
      );
    }
    const slots = positions.map((position) => slotOf(args[position]));
    const slot = slots[0];
    if (slots.every((other) => other === slot)) return this.sendToSlot(slot, !write, args, flags);
    const merge = SPLITTABLE.get(upper);
    if (merge === undefined) {
      throw new InvalidArgumentError(
        `the keys of ${name} are in different slots (${[...new Set(slots)].join(', ')}): keep them in one slot with a {hash tag}`,
      );
    }
    if ((args.length - 1) % command.step !== 0)
      throw new InvalidArgumentError(`${name} needs a value for every key`);
    // One command per slot, not per node: a node's slots can move apart at any time, and Redis refuses
    // (CROSSSLOT) a multi-key command whose keys are in different slots even on one node.
    const parts = splitByShard(args, command.step, slots);
    const pending = parts.map((part) => this.sendToSlot(part.shard, !write, part.args, flags));
    return gatherParts(name, parts, pending, merge, slots.length);
  }

  private masters(): ClusterNode[] {
    return this.sortedNodes().filter((node) => node.role === 'master' && node.ranges.length > 0);
  }

  /**
   * WATCH and UNWATCH need a connection of their own, on the master of the watched keys' slot: that
   * master's Client lends one through isolated(), which a RedisCluster itself has not.
   */
  private transactionStateRefusal(name: string, args: readonly CommandArg[]): InvalidArgumentError {
    if (name !== 'WATCH' || args.length < 2) return transactionRefusal(name);
    let slot: number;
    try {
      slot = slotOf(args[1]);
    } catch {
      return transactionRefusal(name);
    }
    const master = this.owners[slot]?.master;
    return transactionRefusal(name, master === undefined ? undefined : { url: master.url, slot });
  }

  /**
   * A per-key scan (HSCAN, SSCAN, ZSCAN): each page goes to the key's slot as any keyed command does,
   * redirects followed; SlotScanConnection starts the scan over when another node answers.
   */
  private keyScan<T>(key: RedisKey, request: ScanRequest<T>): AsyncGenerator<T, void, undefined> {
    // A key that is no string or Buffer is the request's error, thrown by the first step.
    const slot = request instanceof InvalidArgumentError ? 0 : slotOf(key);
    const connection = new SlotScanConnection((args, flags, scan) => {
      if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
      this.pending++;
      // Always the master: a cursor is one node's, and reads spread over replicas would change node.
      return this.withRedirects(
        String(args[0]),
        slot,
        false,
        this.timed ? tickNow() : 0,
        true,
        (node, asking, timeout) =>
          this.sendOn(node, asking, args, flags, timeout).then((reply) => {
            scan.answered(node);
            return reply;
          }),
      );
    });
    return scanConnection(connection, request);
  }

  private sortedNodes(): ClusterNode[] {
    return [...this.byAddress.values()].sort(
      (a, b) =>
        (a.role === b.role ? 0 : a.role === 'master' ? -1 : 1) ||
        (a.ranges[0]?.[0] ?? SLOT_COUNT) - (b.ranges[0]?.[0] ?? SLOT_COUNT) ||
        a.key.localeCompare(b.key),
    );
  }

  /** The node at `address`, created (and connecting) when the map does not know it yet. */
  private nodeAt(address: NodeAddress): ClusterNode {
    const key = addressKey(address);
    const known = this.byAddress.get(key);
    if (known !== undefined) return known;
    const node = new ClusterNode(address, this.options.tls, this.options.client, (lost) =>
      this.onNodeLost(lost),
    );
    this.byAddress.set(key, node);
    node.client.on('error', (error) => {
      if (this.events.listenerCount('error') > 0) this.emit('error', error);
    });
    // The node's own SUNSUBSCRIBE: a shard channel's slot left it, and the subscription follows.
    node.client.on('sunsubscribed', (channel) => this.subscriptions.dropped(node, channel));
    if (this.connecting !== null) void node.client.connect().catch(() => undefined);
    return node;
  }

  /** MOVED said where one slot lives now: only that slot changes until the refresh. */
  private assign(slot: number, master: ClusterNode): void {
    const owner = this.owners[slot];
    if (owner?.master === master) return;
    this.owners[slot] = new SlotOwner(master, []);
  }

  private onNodeLost(node: ClusterNode): void {
    // A node dropped from the map ends when it is quit: that is no news.
    if (this.ended || this.byAddress.get(node.key) !== node) return;
    this.subscriptions.rebalance();
    this.scheduleRefresh();
  }

  private noteTrouble(node: ClusterNode, error: Error): void {
    node.errors++;
    if (error instanceof ConnectionError) this.scheduleRefresh();
  }

  /**
   * A refresh soon, shared by everyone who asks while it runs; failures wait for the next one. Also while
   * quit() waits: a command it accepted may need the new map to finish.
   */
  private scheduleRefresh(): void {
    if (this.ended || this.refreshing !== null) return;
    void this.refresh().catch(() => undefined);
  }

  /**
   * How long one node may take to answer CLUSTER SHARDS: commandTimeout, or with it off, at most
   * TOPOLOGY_QUERY_MS (within retryTimeout). A node that dies or hangs with the query queued must not hold
   * the one refresh every caller shares (with no deadline it would wait in its offline queue for good).
   */
  private get topologyTimeout(): number {
    return this.timed ? this.retryBound[1] : Math.min(this.retryBound[1], TOPOLOGY_QUERY_MS);
  }

  /** What bounds a command's redirects and retries, by name and in ms: commandTimeout, or retryTimeout when it is off. */
  private get retryBound(): readonly ['commandTimeout' | 'retryTimeout', number] {
    return this.timed
      ? ['commandTimeout', this.options.commandTimeout]
      : ['retryTimeout', this.options.retryTimeout];
  }

  /** Reloads the slot map; one load in flight serves every caller. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.loadSlotMap().finally(() => {
      this.refreshing = null;
      this.watchLostMasters();
    });
    return this.refreshing;
  }

  /** While a master with slots is down, reload often: its replica's promotion must be seen soon. */
  private watchLostMasters(): void {
    if (this.closed || this.lostNodeTimer !== null) return;
    const lost = [...this.byAddress.values()].some(
      (node) => node.down && node.role === 'master' && node.ranges.length > 0,
    );
    if (!lost) return;
    this.lostNodeTimer = setTimeout(() => {
      this.lostNodeTimer = null;
      this.scheduleRefresh();
    }, LOST_NODE_REFRESH_MS);
    this.lostNodeTimer.unref();
  }

  private async loadSlotMap(): Promise<void> {
    const known = [...this.byAddress.values()]
      .filter((node) => !node.down && node.client.status === 'ready')
      .sort((a, b) => (a.role === b.role ? 0 : a.role === 'master' ? -1 : 1));
    // Known nodes one at a time: each is connected and answers at once, or is bounded by topologyTimeout;
    // asking a second one meanwhile would only double the load of every reload.
    const fromKnown = await staggeredRace(
      known.map((node) => ({
        label: node.key,
        run: () => fetchViews(node.client, node.key.replace(/:\d+$/, ''), this.topologyTimeout),
        // A query on a node's own Client is bounded by topologyTimeout; its late answer is dropped.
        cancel: noop,
      })),
      null,
      () => this.ended,
    );
    if (fromKnown.answer !== undefined) return this.apply(fromKnown.answer);
    // Seeds staggered: each needs a connection of its own, and one that accepts it and never answers
    // would otherwise hold the load for its whole connectTimeout.
    const seeds = this.options.seeds
      .map((seed) => ({ seed, key: addressKey(seed) }))
      .filter(({ key }) => !known.some((node) => node.key === key))
      .map(({ seed, key }) => this.seedAttempt(seed, key));
    const fromSeeds = await staggeredRace(seeds, SLOT_MAP_STAGGER_MS, () => this.ended);
    if (fromSeeds.answer !== undefined) return this.apply(fromSeeds.answer);
    if (this.ended) throw new ConnectionClosedError('the cluster is closed');
    const failures = [...fromKnown.failures, ...fromSeeds.failures];
    throw new ConnectionError(
      `no node answered CLUSTER SHARDS or CLUSTER SLOTS: ${failures.join('; ')}`,
      false,
    );
  }

  /** The slot map through a seed, on a connection of its own, closed once done or cancelled. */
  private seedAttempt(seed: { readonly host: string }, key: string): RaceAttempt<ShardView[]> {
    let client: Client | null = null;
    return {
      label: key,
      run: async () => {
        client = new Client(`${this.options.tls ? 'rediss' : 'redis'}://${key}`, {
          ...this.options.client,
          reconnect: false,
          offlineQueue: false,
          heartbeatInterval: 0,
        });
        client.on('error', noop);
        try {
          await client.connect();
          return await fetchViews(client, seed.host, this.topologyTimeout);
        } finally {
          client.disconnect();
        }
      },
      cancel: () => client?.disconnect(),
    };
  }

  /** Installs a slot map: nodes created or dropped, roles and ranges set, `topology` emitted on change. */
  private apply(views: readonly ShardView[]): void {
    if (this.ended) return;
    const owners = new Array<SlotOwner | undefined>(SLOT_COUNT);
    const inMap = new Set<ClusterNode>();
    const ranges = new Map<ClusterNode, [number, number][]>();
    for (const view of views) {
      const master = this.nodeAt(view.master);
      const replicas = view.replicas.map((address) => this.nodeAt(address));
      inMap.add(master);
      for (const replica of replicas) inMap.add(replica);
      const owner = new SlotOwner(
        master,
        view.readers.map((address) => this.nodeAt(address)),
      );
      const own = ranges.get(master) ?? [];
      for (const [first, last] of view.ranges) {
        own.push([first, last]);
        for (let slot = first; slot <= last && slot < SLOT_COUNT; slot++) owners[slot] = owner;
      }
      ranges.set(master, own);
      master.setRole('master');
      for (const replica of replicas) {
        replica.setRole('replica');
        replica.ranges = [];
      }
    }
    for (const [node, own] of ranges) node.ranges = own.sort((a, b) => a[0] - b[0]);
    this.owners = owners;
    for (const [key, node] of this.byAddress) {
      if (inMap.has(node)) continue;
      this.byAddress.delete(key);
      void node.client.quit().catch(() => undefined);
    }
    const signature = this.sortedNodes()
      .map((node) => `${node.key}:${node.role}:${node.ranges.map(([a, b]) => `${a}-${b}`).join(',')}`)
      .join(' ');
    if (signature !== this.signature) {
      this.signature = signature;
      this.emit('topology', this.nodes());
      this.subscriptions.rebalance();
    }
  }

  private async connectNodes(): Promise<void> {
    const masters = this.masters();
    const nodes = [...this.byAddress.values()];
    const results = await Promise.all(
      nodes.map((node) =>
        node.client.connect().then(
          () => null,
          (error: unknown) => ({ node, error: asError(error) }),
        ),
      ),
    );
    const failedMasters = results.filter((result) => result !== null && masters.includes(result.node));
    if (failedMasters.length === masters.length && masters.length > 0) {
      throw new ConnectionError(
        `no master is reachable: ${failedMasters.map((result) => `${result?.node.url}: ${result?.error.message}`).join('; ')}`,
        false,
      );
    }
    if (this.readFromReplicas)
      await this.replicaVerdicts(nodes.filter((_, index) => results[index] === null));
  }

  /**
   * Waits (at most two check periods) for the first check of every replica that connected, so that a
   * replica whose master link is down, or that is far behind, serves no read right after connect().
   */
  private async replicaVerdicts(connected: readonly ClusterNode[]): Promise<void> {
    const replicas = connected.filter((node) => node.role === 'replica');
    if (replicas.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2 * HEALTH_CHECK_MS);
    });
    await Promise.race([Promise.all(replicas.map((node) => node.firstVerdict())), bound]);
    clearTimeout(timer);
  }

  private startPeriodicRefresh(): void {
    if (this.closed || this.refreshTimer !== null || this.options.refreshInterval === 0) return;
    this.refreshTimer = setInterval(() => this.scheduleRefresh(), this.options.refreshInterval);
    this.refreshTimer.unref();
  }

  /** Takes no more commands; what was accepted goes on (see `ended`). */
  private close(): void {
    this.closed = true;
    this.subscriptions.close();
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    if (this.lostNodeTimer !== null) clearTimeout(this.lostNodeTimer);
    this.refreshTimer = null;
    this.lostNodeTimer = null;
  }

  /** Stops every redirect and retry: a command waiting between two attempts rejects at once. */
  private end(): void {
    this.ended = true;
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.sleepers.clear();
  }

  /** A listener that throws must not leave a refresh or a command half done: its error is rethrown alone. */
  private emit<E extends keyof RedisClusterEvents>(
    event: E,
    ...args: Parameters<RedisClusterEvents[E]>
  ): void {
    try {
      this.events.emit(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }
}

function redirectTarget(target: NodeAddress, answered: ClusterNode | undefined): NodeAddress {
  if (target.host !== '' || answered === undefined) return target;
  return { host: answered.host, port: target.port };
}

/** CLUSTER SHARDS, or CLUSTER SLOTS from a server that does not know SHARDS (Redis before 7). */
async function fetchViews(client: Client, host: string, timeout: number): Promise<ShardView[]> {
  const bounded = client.withOptions({ timeout });
  let shards: ClusterShard[];
  try {
    shards = await bounded.clusterShards();
  } catch (error) {
    if (!(error instanceof ReplyError)) throw error;
    const ranges: ClusterSlotRange[] = await bounded.clusterSlots();
    return viewsFromSlots(ranges, host);
  }
  return viewsFromShards(shards, host);
}

/** The one slot every key of a transaction maps to. Throws InvalidArgumentError otherwise. */
function transactionSlot(commands: readonly BatchCommand[]): number {
  const slots = new Set<number>();
  for (const { args } of commands) {
    const name = String(args[0]);
    const upper = name.toUpperCase();
    if ((stateChangeOf(upper) & StateChange.Transaction) !== 0) throw transactionRefusal(upper);
    if (upper === 'SELECT') throw selectRefusal();
    const positions = SCRIPT_COMMANDS.has(upper)
      ? scriptKeyPositions(name, args)
      : routableKeyPositions(args);
    if (positions === undefined) {
      throw new InvalidArgumentError(
        `cannot tell which keys ${name} uses (wrong argument count, or keys its arguments do not show), ` +
          `so it cannot join a cluster transaction; use node(url).multi()`,
      );
    }
    if (positions.length === 0) {
      throw new InvalidArgumentError(
        `${name} has no key RedisCluster can route by, so it cannot join a cluster transaction; use node(url).multi()`,
      );
    }
    for (const position of positions) slots.add(slotOf(args[position]));
  }
  if (slots.size === 0) throw new InvalidArgumentError('a cluster transaction needs at least one command');
  if (slots.size > 1) {
    throw new InvalidArgumentError(
      `the keys of this transaction are in different slots (${[...slots].sort((a, b) => a - b).join(', ')}): ` +
        `keep them in one slot with a {hash tag}`,
    );
  }
  return [...slots][0];
}

/**
 * The connection-state commands that reach routing, which refuses them with advice for a RedisCluster
 * (the shared refusal's is a Client's): transactions, and SELECT.
 */
const CLUSTER_ROUTED_STATE: StateChange = StateChange.Transaction | StateChange.Database;

function selectRefusal(): InvalidArgumentError {
  return new InvalidArgumentError('SELECT is refused: a Redis Cluster serves database 0 only, on every node');
}

/**
 * MULTI, EXEC, DISCARD, WATCH or UNWATCH, refused as on a Client but with advice that works on a
 * RedisCluster. `master`: the node serving the watched key's slot now, when known.
 */
function transactionRefusal(name: string, master?: { url: string; slot: number }): InvalidArgumentError {
  const where =
    master === undefined
      ? "node(url).isolated(fn), with the url of the master serving the keys' slot (slotOf(key), nodes())"
      : `node('${master.url}').isolated(fn), the master of slot ${master.slot} now`;
  const advice =
    name === 'WATCH' || name === 'UNWATCH'
      ? `WATCH, MULTI and EXEC need a connection of their own on the master of the watched keys' slot: ${where}`
      : "use multi(), which runs MULTI … EXEC as one batch on the master of its keys' slot";
  return new InvalidArgumentError(
    `${name} changes the state of the connection it runs on, which every caller of this cluster shares; ` +
      `it is refused here: ${advice}`,
  );
}

/** A RedisCluster's pipeline: its MULTI, WATCH and the like reach routing, which refuses them with cluster advice. */
class RedisClusterPipeline extends Pipeline {
  protected override allowedStateChanges: StateChange = CLUSTER_ROUTED_STATE;
}

/** EVAL script numkeys key… arg…: the key positions; throws when numkeys does not fit. */
function scriptKeyPositions(name: string, args: readonly CommandArg[]): number[] | undefined {
  if (args.length < 3) return undefined;
  const count = Number(typeof args[2] === 'number' ? args[2] : String(args[2]));
  if (!Number.isInteger(count) || count < 0 || 3 + count > args.length) {
    throw new InvalidArgumentError(
      `${name}'s numkeys must be an integer between 0 and the number of arguments after it`,
    );
  }
  return Array.from({ length: count }, (_, i) => 3 + i);
}

function noop(): void {}
