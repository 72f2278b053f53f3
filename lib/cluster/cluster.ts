import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { Client } from '../client';
import type { BatchCommand } from '../client/batch';
import { Transaction } from '../client/transaction';
import {
  BYTES,
  hashScan,
  keyScan,
  setScan,
  sortedSetScan,
  TEXT,
  type ElementScanOptions,
  type ScanOptions,
} from '../client/scan';
import { evalWrites } from '../client/script';
import { CommandApi, flagsOf, type RedisKey } from '../commands/api';
import { shaped, type ScoredMember, type Transform } from '../commands/reply';
import { blockingTime } from '../commands/blocking';
import { commandInfo, resolveCommand, type CommandInfo } from '../commands/command-table';
import { routableKeyPositions } from '../commands/movable-keys';
import { CommandFlags } from '../connection/pending-command';
import {
  AbortError,
  ConnectionClosedError,
  ConnectionError,
  InvalidArgumentError,
  ReplicationError,
  type ReplicaOutcome,
} from '../errors';
import type { CallOptions } from '../connection/command-guard';
import {
  abortable,
  OptionsView,
  resolveCallOptions,
  type CommandOptions,
  type ViewHost,
} from '../client/with-options';
import { Pipeline } from '../pipeline';
import { measureCommand } from '../resp/encoder';
import type { CommandArg, RespValue } from '../resp/types';
import {
  requiredAcks,
  resolveClusterOptions,
  type ClusterOptions,
  type ResolvedClusterOptions,
} from './cluster-options';
import type { ClusterEvents, ReplicaErrorDetail, ServerHealth, ServerInfo, ServerOutcome } from './events';
import { HealthMonitor } from './health';
import { HedgeScheduler } from './hedge-scheduler';
import { gatherParts, SPLITTABLE, splitByShard } from './multi-key';
import { asError, describeOutcomes } from './outcome-kind';
import { sendRead } from './read-path';
import type { RouteContext } from './route-context';
import { loadXxhashAddon } from './key-hash';
import { shardOf } from './routing';
import { ServerNode, Sync } from './server-node';
import { scanEveryShard, scanKeyShard } from './shard-scan';
import { ShardReplicas } from './shard-replicas';
import { parseTopology } from './topology';
import { sendTransactionToShard } from './transaction-fanout';
import { sendWrite } from './write-fanout';
import { LATE_WINDOW_MS, RepairEngine } from './repair-engine';
import { DEFAULTS as CLIENT_DEFAULTS } from '../connection/options';
import { ClusterSubscriber, publishToShard, type ReplicaView } from './cluster-pubsub';
import type { MonitorListener } from '../client/monitor';
import type { MessageListener, PatternListener, SubscribeOptions, Subscription } from '../client/subscriber';

/** Past the Clients' commandTimeout, how long repair follows writes that were in flight at a close. */
const LATE_MARGIN_MS = 1_000;
/** Script and function calls: keys are the `numkeys` arguments after args[2]. The _RO forms are reads. */
const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

const ESCAPE_HATCH = 'run it on every server with each(), or on one with server(replica, shard)';

/** The state the read and write paths share with the cluster, kept off the public class. */
class ClusterRuntime implements RouteContext {
  closed = false;
  readonly hedges: HedgeScheduler | null;
  readonly requiredAcks: number;
  /** Null when repair is off. */
  repair: RepairEngine | null = null;
  readonly readFlagMask: number;

  constructor(
    options: ResolvedClusterOptions,
    replicaCount: number,
    private readonly emitReplicaError: (error: Error, detail: ReplicaErrorDetail) => void,
  ) {
    this.hedges = options.hedgeAfter > 0 ? new HedgeScheduler(options.hedgeAfter) : null;
    this.requiredAcks = requiredAcks(options.writeAck, replicaCount);
    this.readFlagMask = options.repair.enabled ? ~CommandFlags.ReadOnly : ~0;
  }

  reportReplicaError(
    error: Error,
    node: ServerNode,
    command: string,
    kind: ReplicaErrorDetail['kind'],
  ): void {
    node.errors++;
    this.emitReplicaError(error, { replica: node.replica, shard: node.shard, url: node.url, command, kind });
  }

  unverifiedWrite(node: ServerNode, commands: readonly (readonly CommandArg[])[]): void {
    this.repair?.unverifiedWrite(node, commands);
  }

  missedWrite(node: ServerNode, commands: readonly (readonly CommandArg[])[]): void {
    this.repair?.missedWrite(node, commands);
  }

  reportStaleRead(node: ServerNode, command: string): void {
    const missed = node.missedWrites;
    const error = new ReplicationError(
      `${command} was served by replica ${node.replica} of shard ${node.shard}, which is ` +
        `${node.sync === Sync.InSync ? 'reconnecting (its run_id not checked yet)' : node.state} ` +
        `(${missed < 0 ? 'awaiting a full resync' : `${missed} missed keys`}): no in-sync replica of the shard could take it`,
      [],
    );
    this.emitReplicaError(error, {
      replica: node.replica,
      shard: node.shard,
      url: node.url,
      command,
      kind: 'stale',
    });
  }
}

/**
 * Replicated, sharded Redis over plain redis-servers: every replica holds the whole keyspace, split
 * into the same shards. A key's shard is jump(xxh64(key), shards); writes go to that shard on every
 * replica, reads to one replica with failover. See DESIGN.md, "Cluster semantics".
 *
 * Commands are routed by Redis's command table: write commands fan out, read-only ones fail over.
 * MGET, MSET, DEL, UNLINK, EXISTS and TOUCH may span shards (split, then merged in order); any other
 * command must keep its keys in one shard (use {hash tags}). Commands without keys are not guessed:
 * use `each()` or `server()`. PING is the exception: it pings every server.
 *
 * A write that cannot meet `writeAck` rejects at once with a ReplicationError; replicas that had not
 * answered by then show `ok: false` with no `error` in its outcomes, and are filled in (the same array)
 * when they do. Failures the caller's promise does not carry, and replicas whose answers disagree, are
 * emitted as `replicaError` and counted in `health()`.
 */
export class Cluster extends CommandApi<'promise'> {
  /** A write script runs here as EVAL: replicas' script caches may differ (see Script). */
  readonly [evalWrites] = true;
  /** Number of replicas: `replicas.length`. */
  readonly replicaCount: number;
  /** Number of shards in each replica. */
  readonly shardCount: number;
  private readonly options: ResolvedClusterOptions;
  /** Replica-major, as in `replicas`: nodes[r * shardCount + s]. */
  private readonly nodes: readonly ServerNode[];
  private readonly shards: readonly ShardReplicas[];
  private readonly runtime: ClusterRuntime;
  private readonly healthMonitor: HealthMonitor;
  private readonly events = new EventEmitter();
  private connecting: Promise<void> | null = null;
  /** What withOptions() views route through; made on first use. */
  private viewHost: ViewHost | null = null;
  private quitting: Promise<void> | null = null;
  /** Each channel listened to on one replica of its shard (cluster-pubsub.ts). */
  private readonly subscriptions: ClusterSubscriber;

  /** Validates everything and opens no socket; throws InvalidArgumentError for a bad topology or option. */
  constructor(options: ClusterOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('Cluster takes an options object with `replicas`');
    }
    this.options = resolveClusterOptions(options);
    const topology = parseTopology(options.replicas, this.options.client);
    // Routing hashes long keys with xxhash-addon, loaded lazily so a plain Client never loads it; load
    // it here so a broken native build fails at construction, not on the first long key.
    loadXxhashAddon();
    this.replicaCount = topology.replicaCount;
    this.shardCount = topology.shardCount;
    this.runtime = new ClusterRuntime(this.options, this.replicaCount, (error, detail) =>
      this.emit('replicaError', error, detail),
    );
    this.healthMonitor = new HealthMonitor(this.options.downAfter, this.options.probeInterval, {
      onDown: (node, reason) => {
        this.subscriptions.serverDown(node.replica, node.shard);
        this.emit('serverDown', node.info(), reason);
      },
      onUp: (node) => {
        this.subscriptions.serverUp(node.shard);
        this.emit('serverUp', node.info());
      },
      onClientError: (node, error) => {
        if (this.events.listenerCount('error') > 0) this.emit('error', error, node.info());
      },
    });
    const repair = this.options.repair;
    this.nodes = topology.servers.map((spec) => {
      const client = new Client(spec.url, this.options.client);
      // Repair fences sockets it gave up on by their server id (RepairEngine.fence).
      if (repair.enabled) client.identifyConnections();
      const node = new ServerNode(spec, client, this.healthMonitor, repair.maxHints, repair.enabled);
      this.healthMonitor.watch(node);
      return node;
    });
    this.shards = Array.from(
      { length: this.shardCount },
      (_, shard) =>
        new ShardReplicas(
          shard,
          Array.from(
            { length: this.replicaCount },
            (_, replica) => this.nodes[replica * this.shardCount + shard],
          ),
          this.options.readFrom,
        ),
    );
    if (repair.enabled) {
      const commandTimeout = this.options.client?.commandTimeout ?? CLIENT_DEFAULTS.commandTimeout;
      this.runtime.repair = new RepairEngine(
        repair,
        this.shards,
        {
          onStale: (node, reason) => this.emit('serverStale', node.info(), reason),
          onProgress: (node, progress) => this.emit('repairProgress', node.info(), progress),
          onRepaired: (node, summary) => this.emit('serverRepaired', node.info(), summary),
          onError: (node, error) => {
            if (this.events.listenerCount('error') > 0) this.emit('error', error, node.info());
          },
        },
        commandTimeout > 0 ? commandTimeout + LATE_MARGIN_MS : LATE_WINDOW_MS,
      );
    }
    this.subscriptions = new ClusterSubscriber({
      shardCount: this.shardCount,
      shardOf: (channel) => this.shardIndex(channel),
      replicasOf: (shard) => this.replicaViews(shard),
      onError: (error) => {
        if (this.events.listenerCount('error') > 0)
          this.emit('error', error, { replica: -1, shard: -1, url: '' });
      },
    });
  }

  /**
   * Listens to channels: each on one healthy replica of its shard (the channel is routed like a key),
   * moving to another replica when that one goes down, so a message is delivered once. Resolves once
   * confirmed. At most once: what is published while a listener moves is lost.
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

  /** Patterns may match a channel of any shard: each listens on one replica of every shard. */
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

  /** Shard channels (Redis 7): routed like channels, each on one healthy replica of its shard. */
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

  /** MONITOR watches one server: use server(replica, shard).monitor(listener). */
  monitor(listener: MonitorListener): Promise<never> {
    void listener;
    return Promise.reject(
      new InvalidArgumentError('MONITOR watches one server: use server(replica, shard).monitor(listener)'),
    );
  }

  /**
   * Connects every server. Resolves once each attempt has settled and every shard has at least one
   * replica up; servers that failed are marked down and keep reconnecting in the background. Rejects
   * with a ReplicationError naming each shard that has no reachable replica (its outcomes hold each
   * server's error); reconnecting goes on, so call connect() again later, or disconnect().
   */
  connect(): Promise<void> {
    if (this.runtime.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    this.connecting ??= this.connectAll().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  /** The shard that holds `key` (its {hash tag} only, when it has one). Throws InvalidArgumentError for a non-key. */
  shardOf(key: RedisKey): number {
    return shardOf(key, this.shardCount);
  }

  /** What console.log shows: the shape and health, never options, URLs' credentials or clients' state. */
  [inspect.custom](): string {
    const up = this.nodes.filter((node) => node.up).length;
    return `Cluster { ${this.replicaCount} replicas x ${this.shardCount} shards, ${up}/${this.nodes.length} up }`;
  }

  /** One entry per server, replica-major: its state, latency and failures now. */
  health(): ServerHealth[] {
    return this.nodes.map((node) => node.snapshot());
  }

  /**
   * Runs one command on every server, whatever it is (FLUSHALL, INFO, CONFIG SET…). Resolves with one
   * outcome per server, replica-major (replicas[0][0], replicas[0][1], …): `ok` with the reply, or
   * the error, error replies included. It rejects only for a bad command or arguments, or a closed
   * cluster. A server marked down and not connected is not sent anything: its outcome is a ConnectionError.
   */
  each(command: string, ...args: CommandArg[]): Promise<ServerOutcome[]> {
    if (typeof command !== 'string' || command.length === 0) {
      return Promise.reject(new InvalidArgumentError('each() needs a command name'));
    }
    if (this.runtime.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    const full: CommandArg[] = [command, ...args];
    try {
      // Each Client would refuse bad arguments one by one; refuse them once, up front.
      measureCommand(full, { bytes: 0, ascii: true });
    } catch (error) {
      return Promise.reject(asError(error));
    }
    const flags = flagsOf(command);
    return Promise.all(this.nodes.map((node) => runOn(node, full, flags)));
  }

  /** The Client of `replicas[replica][shard]`, for anything the cluster does not route. */
  server(replica: number, shard: number): Client {
    if (!Number.isInteger(replica) || replica < 0 || replica >= this.replicaCount) {
      throw new InvalidArgumentError(
        `replica must be an integer in [0, ${this.replicaCount - 1}], not ${String(replica)}`,
      );
    }
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shardCount) {
      throw new InvalidArgumentError(
        `shard must be an integer in [0, ${this.shardCount - 1}], not ${String(shard)}`,
      );
    }
    return this.nodes[replica * this.shardCount + shard].client;
  }

  /**
   * Commands recorded now and routed together by `exec()`; each goes to its own shard and replicas,
   * and the commands bound for one server leave in one write.
   */
  pipeline(): Pipeline {
    return new Pipeline((args, flags, settle) => {
      this.routeCommand(args, flags).then(settle, (error: unknown) => settle(asError(error)));
    });
  }

  /**
   * Commands recorded now and run atomically by `exec()` as one MULTI … EXEC on every replica of the
   * shard their keys share (keep them together with a {hash tag}), acknowledged as a write is, under
   * `writeAck`; it resolves with the first replica's replies. Keys on several shards, or a command
   * without keys, reject exec() with InvalidArgumentError before anything is sent.
   */
  multi(): Transaction {
    return new Transaction((commands) => this.transact(commands));
  }

  private transact(commands: readonly BatchCommand[]): Promise<RespValue[]> {
    if (this.runtime.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    let shard: number;
    try {
      shard = this.transactionShard(commands);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    return sendTransactionToShard(this.runtime, this.shards[shard], commands);
  }

  /**
   * A view with every command method, `pipeline()` and `multi()`, under an AbortSignal and/or a
   * timeout (see `Client.withOptions`). A signal already aborted rejects at once: nothing is sent to
   * any server. Otherwise:
   * - a read passes them to the Client of each replica it tries: unwritten when the signal aborts, it
   *   is dropped; written, it rejects and its late reply is absorbed; an abort is never failed over;
   * - a write, or a transaction, rejects with AbortError at once, but its fan-out is not withdrawn:
   *   dropping it on the replicas where it is still unwritten, while others ran it, would leave the
   *   replicas disagreeing unseen. Every replica's outcome is still counted in health() and failures
   *   reported through `replicaError`, as without a signal. `timeout` applies to reads only; writes
   *   keep each Client's commandTimeout.
   */
  withOptions(options: CommandOptions): OptionsView {
    return new OptionsView(this.views(), resolveCallOptions(options, undefined));
  }

  private views(): ViewHost {
    return (this.viewHost ??= {
      dispatch: (args, flags, transform, options) => {
        if (options === undefined) return this.dispatch(args, flags, transform);
        const reply = this.routeWith(args, flags, options);
        return args instanceof InvalidArgumentError ? reply : shaped(reply, transform, args);
      },
      pipeline: (options) =>
        options === undefined
          ? this.pipeline()
          : new Pipeline(
              (args, flags, settle) => {
                this.routeWith(args, flags, options).then(settle, (error: unknown) => settle(asError(error)));
              },
              { signal: options.signal },
            ),
      multi: (options) =>
        options === undefined
          ? this.multi()
          : new Transaction((commands) => {
              const signal = options.signal;
              if (signal?.aborted === true) return Promise.reject(notSent('MULTI', signal));
              const outcome = this.transact(commands);
              if (signal !== undefined) this.reportAfterAbort(outcome, signal, 'MULTI');
              return abortable(outcome, signal, 'MULTI', 'its replicas were answering');
            }),
    });
  }

  /** A view's command: refused at once under an aborted signal, released at once when it aborts. */
  private routeWith(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    options: CallOptions,
  ): Promise<RespValue> {
    if (args instanceof InvalidArgumentError) return Promise.reject(args);
    const signal = options.signal;
    const name = String(args[0]);
    if (signal?.aborted === true) return Promise.reject(notSent(name, signal));
    const routed = this.routeCommand(args, flags, options);
    if (signal !== undefined) this.reportAfterAbort(routed, signal, name);
    return abortable(routed, signal, name, 'its replicas were answering');
  }

  /**
   * A write's fan-out goes on after its caller aborted; the ReplicationError it may still end with has
   * no caller left to carry it, so each failed replica is reported through `replicaError` instead.
   */
  private reportAfterAbort(routed: Promise<unknown>, signal: AbortSignal, name: string): void {
    routed.catch((error: unknown) => {
      if (!signal.aborted || !(error instanceof ReplicationError)) return;
      for (const outcome of error.outcomes) {
        if (outcome.ok || outcome.error === undefined) continue;
        const node = this.nodes[outcome.replica * this.shardCount + outcome.shard];
        this.runtime.reportReplicaError(outcome.error, node, name, 'failure');
      }
    });
  }

  /**
   * Every key of every shard, once: each shard is scanned on one healthy replica, and when that replica
   * fails mid-scan the shard starts over on another, skipping keys already yielded (remembered per shard
   * while it is scanned, so memory grows with the largest shard).
   */
  scanIterator(options?: ScanOptions): AsyncGenerator<string, void, undefined> {
    return scanEveryShard(this.runtime, this.shards, keyScan(TEXT, options));
  }

  /** As `scanIterator`, with each key as a Buffer. */
  scanBufferIterator(options?: ScanOptions): AsyncGenerator<Buffer, void, undefined> {
    return scanEveryShard(this.runtime, this.shards, keyScan(BYTES, options));
  }

  /** Every [field, value] of a hash, once, on one replica of its shard (failing over as scanIterator does). */
  hscanIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<[string, string], void, undefined> {
    return scanKeyShard(this.runtime, this.shards, hashScan(TEXT, key, options));
  }

  /** As `hscanIterator`, with Buffers. */
  hscanBufferIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<[Buffer, Buffer], void, undefined> {
    return scanKeyShard(this.runtime, this.shards, hashScan(BYTES, key, options));
  }

  /** Every member of a set, once, on one replica of its shard (failing over as scanIterator does). */
  sscanIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<string, void, undefined> {
    return scanKeyShard(this.runtime, this.shards, setScan(TEXT, key, options));
  }

  /** As `sscanIterator`, with Buffers. */
  sscanBufferIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<Buffer, void, undefined> {
    return scanKeyShard(this.runtime, this.shards, setScan(BYTES, key, options));
  }

  /** Every `{ member, score }` of a sorted set, once, on one replica of its shard (failing over as scanIterator does). */
  zscanIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<ScoredMember, void, undefined> {
    return scanKeyShard(this.runtime, this.shards, sortedSetScan(TEXT, key, options));
  }

  /** As `zscanIterator`, with Buffer members. */
  zscanBufferIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<ScoredMember<Buffer>, void, undefined> {
    return scanKeyShard(this.runtime, this.shards, sortedSetScan(BYTES, key, options));
  }

  /** Stops taking commands, lets every accepted one finish, then closes every Client. */
  quit(): Promise<void> {
    if (this.quitting !== null) return this.quitting;
    this.close();
    this.quitting = Promise.all(this.nodes.map((node) => node.client.quit())).then(() => undefined);
    return this.quitting;
  }

  /** Closes every Client now; everything pending rejects. */
  disconnect(): void {
    this.close();
    for (const node of this.nodes) node.client.disconnect();
    this.quitting ??= Promise.resolve();
  }

  /** Adds a listener for one of {@link ClusterEvents}. */
  on<E extends keyof ClusterEvents>(event: E, listener: ClusterEvents[E]): this {
    this.events.on(event, listener);
    return this;
  }

  /** Adds a listener called at most once. */
  once<E extends keyof ClusterEvents>(event: E, listener: ClusterEvents[E]): this {
    this.events.once(event, listener);
    return this;
  }

  /** Removes a listener added by `on` or `once`. */
  off<E extends keyof ClusterEvents>(event: E, listener: ClusterEvents[E]): this {
    this.events.off(event, listener);
    return this;
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): Promise<unknown> {
    const reply = this.routeCommand(args, flags);
    return args instanceof InvalidArgumentError ? reply : shaped(reply, transform, args);
  }

  /** Sends a command where its keys live and settles with the raw reply, reassembled when split. */
  private routeCommand(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    options?: CallOptions,
  ): Promise<RespValue> {
    if (args instanceof InvalidArgumentError) return Promise.reject(args);
    if (this.runtime.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    const info = commandInfo(args[0] as string);
    // The common case, kept short: a command with one key at a fixed place (GET, SET, INCR…).
    if (
      info !== undefined &&
      info.firstKey > 0 &&
      info.firstKey === info.lastKey &&
      !info.movableKeys &&
      (info.readonly || info.write) &&
      args.length > info.firstKey
    ) {
      let shard: number;
      try {
        shard = this.shardIndex(args[info.firstKey]);
      } catch (error) {
        return Promise.reject(asError(error));
      }
      const replicas = this.shards[shard];
      return info.readonly
        ? sendRead(this.runtime, replicas, args, flags, options)
        : sendWrite(this.runtime, replicas, args, flags);
    }
    try {
      return this.route(args, flags, info, options);
    } catch (error) {
      return Promise.reject(asError(error));
    }
  }

  /** Everything but the single-key case. Throws InvalidArgumentError for what cannot be routed. */
  private route(
    args: CommandArg[],
    flags: CommandFlags,
    info: CommandInfo | undefined,
    options?: CallOptions,
  ): Promise<RespValue> {
    const name = String(args[0]);
    if (info === undefined) {
      throw new InvalidArgumentError(
        `unknown command '${name}': the cluster routes by Redis's command table; ${ESCAPE_HATCH}`,
      );
    }
    const upper = info.name;
    if (upper === 'PING') return this.pingAll(args, flags);
    // A channel is routed like a key, and a message published like a write: to every replica of its
    // shard, each of which delivers it to the subscribers listening there (cluster-pubsub.ts).
    if ((upper === 'PUBLISH' || upper === 'SPUBLISH') && args.length === 3) {
      return publishToShard(this.replicaViews(this.shardIndex(args[1])), args, flags);
    }
    if (info.pubsub) {
      throw new InvalidArgumentError(
        `${upper} is pub/sub, which lives on one connection: use server(replica, shard)`,
      );
    }
    if ((flags & CommandFlags.Blocking) !== 0 && blockingTime(args) !== undefined) {
      throw new InvalidArgumentError(
        `${upper} blocks its connection until served: the cluster would send it as a write to every ` +
          `replica of the shard (a pop would pop once on each), so it is refused; ` +
          `run it on one server with server(replica, shard)` +
          (args.length > 1 && info.firstKey > 0 ? `, shard ${this.shardIndex(args[1])} for this key` : ''),
      );
    }
    const command = resolveCommand(args) ?? info;
    const script = SCRIPT_COMMANDS.has(upper);
    const positions = script ? scriptKeyPositions(name, args) : routableKeyPositions(args);
    if (positions === undefined) {
      throw new InvalidArgumentError(
        `cannot tell which keys ${name} uses (wrong argument count, or keys that move with its arguments); ` +
          `send it to one server with server(replica, shard)`,
      );
    }
    if (positions.length === 0)
      throw new InvalidArgumentError(`${name} has no key to route it by: ${ESCAPE_HATCH}`);
    // Scripts may write; only their _RO forms are known not to.
    const write = script ? !command.readonly : command.write;
    if (!write && !command.readonly) {
      throw new InvalidArgumentError(
        `${name} neither reads nor writes keys (it acts on its connection): use server(replica, shard)`,
      );
    }
    const keyShards = positions.map((position) => this.shardIndex(args[position]));
    const shard = keyShards[0];
    if (keyShards.every((other) => other === shard)) {
      const replicas = this.shards[shard];
      return write
        ? sendWrite(this.runtime, replicas, args, flags)
        : sendRead(this.runtime, replicas, args, flags, options);
    }
    const merge = SPLITTABLE.get(upper);
    if (merge === undefined) {
      const distinct = [...new Set(keyShards)].sort((a, b) => a - b);
      throw new InvalidArgumentError(
        `the keys of ${name} belong to different shards (${distinct.join(', ')}): keep them in one shard with a ` +
          `{hash tag}, or use server(replica, shard)`,
      );
    }
    const step = command.step;
    if ((args.length - 1) % step !== 0) throw new InvalidArgumentError(`${name} needs a value for every key`);
    const parts = splitByShard(args, step, keyShards);
    const pending = parts.map((part) => {
      const replicas = this.shards[part.shard];
      return write
        ? sendWrite(this.runtime, replicas, part.args, flags)
        : sendRead(this.runtime, replicas, part.args, flags, options);
    });
    return gatherParts(name, parts, pending, merge, keyShards.length);
  }

  /**
   * PING on every server. Resolves with the first reply once every shard has a replica that answered;
   * rejects with a ReplicationError once some shard has none left (its outcomes list every server's).
   */
  private pingAll(args: CommandArg[], flags: CommandFlags): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      const outcomes = new Array<ServerOutcome>(this.nodes.length);
      const answeredShards = new Set<number>();
      const settledPerShard = new Array<number>(this.shardCount).fill(0);
      let done = false;
      this.nodes.forEach((node, index) => {
        void runOn(node, args, flags).then((outcome) => {
          outcomes[index] = outcome;
          if (done) return;
          if (outcome.ok) {
            answeredShards.add(node.shard);
            if (answeredShards.size === this.shardCount) {
              done = true;
              resolve(outcome.reply as RespValue);
            }
          } else if (++settledPerShard[node.shard] === this.replicaCount && !answeredShards.has(node.shard)) {
            done = true;
            const failed = outcomes.filter((entry) => entry !== undefined && entry.shard === node.shard);
            reject(
              new ReplicationError(
                `PING: no replica of shard ${node.shard} answered: ${describeOutcomes(failed)}`,
                failed,
              ),
            );
          }
        });
      });
    });
  }

  /** The one shard every key of a transaction maps to. Throws InvalidArgumentError otherwise. */
  private transactionShard(commands: readonly BatchCommand[]): number {
    const shards = new Set<number>();
    for (const { args } of commands) {
      const name = String(args[0]);
      const positions = SCRIPT_COMMANDS.has(name.toUpperCase())
        ? scriptKeyPositions(name, args)
        : routableKeyPositions(args);
      if (positions === undefined) {
        throw new InvalidArgumentError(
          `cannot tell which keys ${name} uses (wrong argument count, or keys that move with its arguments), ` +
            `so a cluster transaction cannot route it; use server(replica, shard).multi()`,
        );
      }
      if (positions.length === 0) {
        throw new InvalidArgumentError(
          `${name} has no key: a cluster transaction runs on the shard of its keys, on every replica of it; ` +
            `use server(replica, shard).multi()`,
        );
      }
      for (const position of positions) shards.add(this.shardIndex(args[position]));
    }
    const list = [...shards].sort((a, b) => a - b);
    if (list.length === 0) throw new InvalidArgumentError('a cluster transaction needs at least one command');
    if (list.length > 1) {
      throw new InvalidArgumentError(
        `the keys of this transaction belong to different shards (${list.join(', ')}): keep them in one ` +
          `shard with a {hash tag}`,
      );
    }
    return list[0];
  }

  private async connectAll(): Promise<void> {
    const failures = await Promise.all(
      this.nodes.map((node) =>
        node.client.connect().then(
          () => null,
          (error: unknown) => asError(error),
        ),
      ),
    );
    // Reads wait for each server's run_id (repair-engine.ts): a server restarted empty is never read.
    const repair = this.runtime.repair;
    if (repair !== null) await Promise.all(this.nodes.map((node) => repair.verified(node)));
    const unreachable = new Set<number>();
    for (const shard of this.shards) {
      if (shard.nodes.every((node) => failures[this.indexOf(node)] !== null)) unreachable.add(shard.shard);
    }
    this.nodes.forEach((node, index) => {
      const failure = failures[index];
      // It may have connected since; its Client keeps retrying in the background either way.
      if (failure !== null && !node.connected) this.healthMonitor.markDown(node, failure);
    });
    if (unreachable.size === 0) return;
    const outcomes: ReplicaOutcome[] = [];
    this.nodes.forEach((node, index) => {
      const error = failures[index];
      if (unreachable.has(node.shard) && error !== null) outcomes.push({ ...node.info(), ok: false, error });
    });
    const list = [...unreachable].sort((a, b) => a - b);
    throw new ReplicationError(
      `no replica of shard${list.length > 1 ? 's' : ''} ${list.join(', ')} is reachable: ${describeOutcomes(outcomes)}`,
      outcomes,
    );
  }

  private indexOf(node: ServerNode): number {
    return node.replica * this.shardCount + node.shard;
  }

  private replicaViews(shard: number): ReplicaView[] {
    return this.shards[shard].nodes.map((node) => ({
      replica: node.replica,
      shard: node.shard,
      url: node.url,
      client: node.client,
      up: node.up,
      reachable: node.reachable,
    }));
  }

  private shardIndex(key: CommandArg): number {
    if (typeof key === 'number') return shardOf(String(key), this.shardCount);
    return shardOf(key, this.shardCount);
  }

  /**
   * Events fire from inside reads, writes and health checks. A listener that throws must not leave any
   * of them half done (a read that never settles), so its error is rethrown on its own, as uncaught.
   */
  private emit<E extends keyof ClusterEvents>(event: E, ...args: Parameters<ClusterEvents[E]>): void {
    try {
      this.events.emit(event, ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  private close(): void {
    this.subscriptions.closeAll();
    this.runtime.closed = true;
    this.runtime.repair?.stop();
    this.healthMonitor.stop();
    this.runtime.hedges?.stop();
  }
}

/** One command on one server, as an outcome that never rejects; health is recorded on the way. */
function runOn(node: ServerNode, args: CommandArg[], flags: CommandFlags): Promise<ServerOutcome> {
  const where: ServerInfo = node.info();
  if (!node.reachable) {
    const error = new ConnectionError(`not sent: ${node.url} is marked down and not connected`, false);
    return Promise.resolve({ ...where, ok: false, error });
  }
  const startedAt = node.startTimer();
  return node.client.sendCommand(args, flags).then(
    (reply): ServerOutcome => {
      node.answered(startedAt);
      return { ...where, ok: true, reply };
    },
    (rejection: unknown): ServerOutcome => {
      const error = asError(rejection);
      node.rejected(error, startedAt);
      return { ...where, ok: false, error };
    },
  );
}

/** A view's command refused because its signal had already aborted: nothing went to any server. */
function notSent(name: string, signal: AbortSignal): AbortError {
  return new AbortError(`${name} was not sent: its signal had already aborted`, name, false, {
    cause: signal.reason,
  });
}

/** EVAL script numkeys key… arg…: the key positions, or undefined when numkeys does not fit. */
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
