import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { CommandApi, flagsOf } from './commands/api';
import { blockingTime } from './commands/blocking';
import { StateChange, stateChangeRefusal } from './commands/connection-state';
import { shaped, type Transform } from './commands/reply';
import { Connection, type ConnectionStats, type ReconnectingInfo } from './connection/connection';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './connection/options';
import { CommandFlags } from './connection/pending-command';
import { abortedBeforeSending, type CallOptions } from './connection/command-guard';
import { batchTraced, commandTraced, serverTrace, type ServerTrace } from './connection/tracing';
import { InvalidArgumentError } from './errors';
import { traceBatch, traceCommand } from './client/command-tracing';
import {
  abortable,
  OptionsView,
  resolveCallOptions,
  type CommandOptions,
  type ViewHost,
} from './client/with-options';
import { attachSentinel } from './sentinel/attach';
import type { SentinelDiscovery } from './sentinel/discovery';
import { sendBatch, type BatchCommand } from './client/batch';
import { execTransaction } from './client/exec-transaction';
import { runIsolated, type IsolatedConnection } from './client/isolated-connection';
import { ConnectionPool, type PoolStats } from './client/pool';
import { ClientCache, type CacheStats } from './client/cache';
import { BlockingCommands } from './client/blocking-commands';
import { dedicatedOptions } from './client/dedicated-options';
import { Transaction } from './client/transaction';
import { startMonitor, type Monitor, type MonitorListener } from './client/monitor';
import {
  Subscriber,
  type MessageListener,
  type PatternListener,
  type SubscribeOptions,
  type Subscription,
} from './client/subscriber';
import type { RedisKey } from './commands/api-types';
import type { ScoredMember } from './commands/reply';
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
} from './client/scan';
import { Pipeline, type PipelineExec } from './pipeline';
import type { CommandArg, RespValue } from './resp/types';

/** The events of a {@link Client}, for `on`, `once` and `off`. */
export interface ClientEvents {
  /** The handshake finished; queued commands are going out. Fires again after every reconnect. */
  ready: () => void;
  /** A socket or protocol failure. Emitted only when someone listens, so it never crashes a process. */
  error: (error: Error) => void;
  /** The connection was lost; the next attempt starts after `info.delayMs`. */
  reconnecting: (info: ReconnectingInfo) => void;
  /** A socket closed. */
  close: () => void;
  /** The client is finished for good: quit(), disconnect(), or reconnecting gave up. */
  end: () => void;
  /** A RESP3 push frame (pub/sub message, invalidation, …). */
  push: (message: RespValue[]) => void;
  /** The subscriber connection came back and every channel, pattern and shard channel is subscribed again. */
  resubscribed: () => void;
  /**
   * The server ended a shard channel's subscription by itself (Redis Cluster moved its slot to another
   * node) and its listeners are dropped: subscribe again where the slot lives now (RedisCluster does).
   */
  sunsubscribed: (channel: string) => void;
}

/** What `stats()` returns: the shared connection's counters, the pool's, and the cache's. */
export type ClientStats = ConnectionStats & {
  /** The dedicated connections of isolated(): open (idle or leased), idle, leased, and leases waiting. */
  pool: PoolStats;
  /** With the `cache` option only. */
  cache?: CacheStats;
};

/** The command API over one pipelined connection to one server. */
export class Client extends CommandApi<'promise'> {
  private readonly connection: Connection;
  private readonly events = new EventEmitter();
  /** Dedicated connections for isolated(); none is opened until one is leased. */
  private readonly pool: ConnectionPool;
  /** BLPOP, XREAD BLOCK, WAIT…: each on a connection leased from `pool`, never on the shared one. */
  private readonly blocking: BlockingCommands;
  private readonly db: number;
  /** With the `sentinels` option: finds the server, and says when to leave it (lib/sentinel). */
  private readonly sentinel: SentinelDiscovery | null;
  /** The client-side cache (the `cache` option), or null: then nothing is looked up. */
  private readonly cache: ClientCache | null;
  /** Subscriptions, on a connection of their own opened on first use (client/subscriber.ts). */
  private readonly subscriber: Subscriber;
  private readonly monitors = new Set<Monitor>();
  private readonly resolved: ResolvedOptions;
  /** Where traces say commands go (lib/connection/tracing.ts). */
  private readonly server: ServerTrace;
  /** Traces every pipeline's exec on `respline:batch` while someone subscribes. */
  private readonly tracedPipelines: PipelineExec;
  /** What withOptions() views send through; made on first use. */
  private viewHost: ViewHost | null = null;
  private plainView: OptionsView | null = null;

  constructor(url?: string | ClientOptions, options?: ClientOptions) {
    super();
    if (url !== undefined && typeof url !== 'string' && (typeof url !== 'object' || url === null)) {
      throw new InvalidArgumentError('Client takes a redis:// URL, options, or both');
    }
    const resolved = typeof url === 'string' ? resolveOptions(url, options) : resolveOptions(undefined, url);
    this.db = resolved.db;
    this.sentinel = attachSentinel(typeof url === 'string' ? options : url, resolved);
    const cacheOptions = (typeof url === 'string' ? options : url)?.cache;
    this.cache = cacheOptions === undefined ? null : new ClientCache(cacheOptions, resolved.protocol);
    this.resolved = resolved;
    this.server = serverTrace(resolved);
    this.tracedPipelines = this.pipelineExec(undefined);
    this.subscriber = new Subscriber(resolved, {
      onResubscribed: () => this.events.emit('resubscribed'),
      onError: (error) => this.emitError(error),
      onShardDropped: (channel) => this.events.emit('sunsubscribed', channel),
    });
    this.pool = this.createPool(resolved);
    this.blocking = new BlockingCommands(this.pool, resolved.commandTimeout);
    const pubsub = sharedPubsub(typeof url === 'string' ? options : url, resolved.protocol);
    this.connection = new Connection(
      resolved,
      {
        onReady: () => {
          if (pubsub) this.subscriber.sharedReady();
          this.events.emit('ready');
        },
        onError: (error) => {
          if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
        },
        onReconnecting: (info) => this.events.emit('reconnecting', info),
        onClose: () => {
          // Invalidations sent while no socket was open are lost: nothing cached can be trusted.
          this.cache?.clear();
          this.events.emit('close');
        },
        onEnd: () => {
          this.sentinel?.close();
          this.events.emit('end');
        },
        onReplyError: (error) => this.sentinel?.noticeReplyError(error),
        onPush: (message) => {
          this.cache?.onPush(message);
          this.events.emit('push', message);
        },
      },
      pubsub ? this.subscriber.sharedFrames() : undefined,
    );
    if (pubsub) this.subscriber.useShared(this.connection);
    this.sentinel?.listen({
      leave: (reason) => {
        this.connection.reconnect(reason);
        this.subscriber.reconnect(reason);
        this.pool.retireIdle();
        // Leased connections (isolated(), blocking commands) are closed, not moved: a WATCH or an open
        // MULTI would not follow them, and nothing more may reach a demoted master.
        this.pool.closeLeased(
          `${reason.message}: this dedicated connection (isolated() or a blocking command) was closed with it; run it again`,
        );
      },
      error: (error) => this.emitError(error),
    });
  }

  /** host:port of the server, for messages. Never includes credentials. */
  get address(): string {
    return this.connection.address;
  }

  /** The shared connection's state now; see {@link ConnectionState}. */
  get status(): ReturnType<Connection['stats']>['state'] {
    return this.connection.status;
  }

  /** What console.log shows: the server and state, never options or credentials. */
  [inspect.custom](): string {
    return `Client { ${this.address}, ${this.status} }`;
  }

  /** Resolves once connected and ready; rejects if this attempt fails (reconnecting goes on). */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Commands recorded now and sent together, in one write, by `exec()`. */
  pipeline(): Pipeline {
    return new Pipeline((args, flags, settle) => {
      if (args instanceof InvalidArgumentError) return settle(args);
      const done = this.cache === null ? settle : this.cache.settleAfterWrite(args, flags, settle);
      this.connection.sendTo(args, flags, done, done);
    }, this.tracedPipelines);
  }

  /**
   * A view with every command method, `pipeline()` and `multi()`, whose commands carry an AbortSignal
   * and/or a timeout of their own:
   * `await client.withOptions({ signal: AbortSignal.timeout(50) }).get('k')`.
   *
   * - A command not yet written when the signal aborts is dropped: the server never sees it; it rejects
   *   with AbortError, `sent: false`.
   * - A command already written rejects at once with AbortError, `sent: true`; it may still run (a
   *   write may still apply), and its late reply is absorbed, as after a timeout.
   * - A signal already aborted rejects every call at once; nothing is sent.
   * - `timeout` replaces commandTimeout for these commands (0: none).
   * - A pipeline's or transaction's `exec()` honours them for the batch as a whole.
   */
  withOptions(options: CommandOptions): OptionsView {
    const call = resolveCallOptions(options, undefined);
    // No option set: one view serves every such call, so `withOptions({})` per request costs nothing.
    if (call === undefined) return (this.plainView ??= new OptionsView(this.views(), undefined));
    return new OptionsView(this.views(), call);
  }

  private views(): ViewHost {
    return (this.viewHost ??= {
      dispatch: (args, flags, transform, options) => {
        if (args instanceof InvalidArgumentError) return Promise.reject(args);
        if (options === undefined) return this.dispatch(args, flags, transform);
        if (commandTraced.hasSubscribers) {
          return traceCommand(this.server, this.resolved.traceKeys, args, () =>
            this.sendWith(args, flags, transform, options),
          );
        }
        return this.sendWith(args, flags, transform, options);
      },
      pipeline: (options) =>
        options === undefined
          ? this.pipeline()
          : new Pipeline((args, flags, settle) => {
              if (args instanceof InvalidArgumentError) return settle(args);
              const done = this.cache === null ? settle : this.cache.settleAfterWrite(args, flags, settle);
              this.connection.sendTo(args, flags, done, done, options);
            }, this.pipelineExec(options)),
      multi: (options) =>
        new Transaction((commands) =>
          this.tracedTransaction(commands, () =>
            this.afterBatch(commands, execTransaction(this.connection, commands, options)),
          ),
        ),
    });
  }

  /** A pipeline's exec under `options`' signal, traced on `respline:batch` while someone subscribes. */
  private pipelineExec(options: CallOptions | undefined): PipelineExec {
    return {
      signal: options?.signal,
      around: (commands, run) =>
        batchTraced.hasSubscribers ? traceBatch(this.server, 'pipeline', commands, run) : run(),
    };
  }

  /** With a cache, the batch's writes drop their keys' entries before its caller sees the replies. */
  private afterBatch<T>(commands: readonly BatchCommand[], reply: Promise<T>): Promise<T> {
    return this.cache === null ? reply : this.cache.afterBatch(commands, reply);
  }

  private tracedTransaction(
    commands: readonly BatchCommand[],
    run: () => Promise<RespValue[]>,
  ): Promise<RespValue[]> {
    return batchTraced.hasSubscribers ? traceBatch(this.server, 'multi', commands, run) : run();
  }

  /** A command of a view with options: the connection drops or absorbs it as its signal and timeout say. */
  private sendWith(
    args: CommandArg[],
    flags: CommandFlags,
    transform: Transform | null,
    options: CallOptions,
  ): Promise<unknown> {
    if (this.cache !== null && (flags & CommandFlags.Cacheable) !== 0) {
      const cache = this.cache;
      return this.cachedWith(args, options, () => cache.read(args, flags, transform, this.connection));
    }
    return shaped(this.sendRaw(args, flags, options), transform, args);
  }

  /**
   * A read through the client-side cache is shared by every caller of its key, so it cannot be
   * withdrawn: the signal releases this caller alone, and the read goes on for the others.
   */
  private cachedWith<T>(
    args: readonly CommandArg[],
    options: CallOptions,
    read: () => Promise<T>,
  ): Promise<T> {
    const signal = options.signal;
    const name = String(args[0]);
    if (signal?.aborted === true) return Promise.reject(abortedBeforeSending(name, signal, this.address));
    return abortable(read(), signal, name, `reading through the client-side cache (${this.address})`);
  }

  /**
   * One command's raw reply, sent as its flags and options say; the cache is not consulted, but a
   * write drops its keys' entries on its reply (`ClientCache.afterWrite`).
   */
  private sendRaw(
    args: readonly CommandArg[],
    flags: CommandFlags,
    options: CallOptions | undefined,
  ): Promise<RespValue> {
    const reply =
      (flags & CommandFlags.Blocking) !== 0
        ? this.sendBlockable(args, flags, options)
        : options === undefined
          ? this.connection.send(args, flags)
          : this.connection.sendWith(args, flags, options);
    return this.cache === null ? reply : this.cache.afterWrite(args, flags, reply);
  }

  /**
   * Commands recorded now and run atomically by `exec()`: MULTI … EXEC leave as one batch, so no other
   * caller's command falls inside. Connection-state commands (WATCH, SELECT…) are refused inside; WATCH
   * belongs in `isolated()`.
   */
  multi(): Transaction {
    return new Transaction((commands) =>
      this.tracedTransaction(commands, () =>
        this.afterBatch(commands, execTransaction(this.connection, commands)),
      ),
    );
  }

  /**
   * Runs `fn` with a connection of its own, leased from a bounded pool (`pool.max`, waiting up to
   * commandTimeout for one), where WATCH, MULTI/EXEC and SELECT are allowed. When `fn` resolves, the
   * connection is reset (DISCARD, UNWATCH, SELECT back) before anyone else gets it; when it throws, it
   * is closed. The promise settles as `fn`'s does.
   */
  isolated<T>(fn: (connection: IsolatedConnection) => Promise<T> | T): Promise<T> {
    if (typeof fn !== 'function')
      return Promise.reject(new InvalidArgumentError('isolated() takes a function'));
    return this.pool.lease().then((lease) => runIsolated(lease, this.db, fn, this.cache));
  }

  /**
   * Runs ready-made commands (name first) as one MULTI … EXEC batch and resolves with EXEC's raw reply
   * per command: what layers above the Client (clusters) use instead of `multi()`. Rejects as `exec()` does.
   *
   * @internal
   */
  sendTransaction(
    commands: readonly BatchCommand[],
    batchFlags: CommandFlags = CommandFlags.None,
  ): Promise<RespValue[]> {
    for (const { args } of commands) {
      const refusal = stateChangeRefusal(args, StateChange.None);
      if (refusal !== undefined) return Promise.reject(refusal);
    }
    return this.tracedTransaction(commands, () =>
      this.afterBatch(commands, execTransaction(this.connection, commands, undefined, batchFlags)),
    );
  }

  /**
   * Sends ready-made commands that must leave together: all admitted or none (a full queue refuses the
   * whole batch), back to back in one write, none resent alone after a lost socket. Settles with each
   * one's reply or Error, in order, and never rejects. RedisCluster sends ASKING and its command so.
   *
   * @internal
   */
  sendTogether(commands: readonly BatchCommand[]): Promise<(RespValue | Error)[]> {
    for (const { args } of commands) {
      const refusal = stateChangeRefusal(args, StateChange.None);
      if (refusal !== undefined) return Promise.resolve(commands.map(() => refusal));
    }
    return this.afterBatch(commands, sendBatch(this.connection, commands));
  }

  /**
   * Asks for the server's id of every socket of the shared connection from now on (CLIENT ID, sent in
   * the handshake, so it is known before anything is written on the socket). Cluster repair uses it to
   * kill a socket it gave up on, whose commands could otherwise still run after a repair.
   * @internal
   */
  identifyConnections(): void {
    this.resolved.identify = true;
  }

  /**
   * The server's id (CLIENT ID) of the shared connection's current socket, once its handshake learned
   * it (see identifyConnections); null before.
   * @internal
   */
  get connectionId(): number | null {
    return this.connection.serverId;
  }

  /**
   * When the shared connection last received bytes (epoch ms; 0 before any), on whichever socket.
   * @internal
   */
  get lastDataAt(): number {
    return this.connection.lastDataAt;
  }

  /** Counters of the shared connection, the pool of dedicated connections and the cache, right now. */
  stats(): ClientStats {
    const stats: ClientStats = { ...this.connection.stats(), pool: this.pool.stats() };
    if (this.cache !== null) stats.cache = this.cache.stats();
    return stats;
  }

  /**
   * Every key, one SCAN page at a time (`match`, `count`, `type` filter it). A key present for the whole
   * scan is yielded at least once, and may be yielded twice: respline does not remember yielded keys.
   */
  scanIterator(options?: ScanOptions): AsyncGenerator<string, void, undefined> {
    return scanConnection(this, keyScan(TEXT, options));
  }

  /** As `scanIterator`, with each key as a Buffer. */
  scanBufferIterator(options?: ScanOptions): AsyncGenerator<Buffer, void, undefined> {
    return scanConnection(this, keyScan(BYTES, options));
  }

  /** Every [field, value] of a hash, by HSCAN. */
  hscanIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<[string, string], void, undefined> {
    return scanConnection(this, hashScan(TEXT, key, options));
  }

  /** As `hscanIterator`, with Buffers. */
  hscanBufferIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<[Buffer, Buffer], void, undefined> {
    return scanConnection(this, hashScan(BYTES, key, options));
  }

  /** Every member of a set, by SSCAN. */
  sscanIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<string, void, undefined> {
    return scanConnection(this, setScan(TEXT, key, options));
  }

  /** As `sscanIterator`, with Buffers. */
  sscanBufferIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<Buffer, void, undefined> {
    return scanConnection(this, setScan(BYTES, key, options));
  }

  /** Every `{ member, score }` of a sorted set, by ZSCAN. */
  zscanIterator(key: RedisKey, options?: ElementScanOptions): AsyncGenerator<ScoredMember, void, undefined> {
    return scanConnection(this, sortedSetScan(TEXT, key, options));
  }

  /** As `zscanIterator`, with Buffer members. */
  zscanBufferIterator(
    key: RedisKey,
    options?: ElementScanOptions,
  ): AsyncGenerator<ScoredMember<Buffer>, void, undefined> {
    return scanConnection(this, sortedSetScan(BYTES, key, options));
  }

  /**
   * Listens to channels on the subscriber connection; resolves once the server confirmed each, so a
   * message published after that is delivered. `{ buffers: true }` delivers message and channel as
   * Buffers. Delivery is at most once: what is published while the connection is down is lost.
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
    return this.subscriber.subscribe('channel', channels, listener, options);
  }

  /** Like subscribe, for glob-style patterns; the listener also gets the pattern that matched. */
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
    return this.subscriber.subscribe('pattern', patterns, listener, options);
  }

  /** Like subscribe, for shard channels (SSUBSCRIBE, Redis 7). */
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
    return this.subscriber.subscribe('shard', channels, listener, options);
  }

  /** Removes every listener of these channels (of all channels when none is named). */
  unsubscribe(...channels: string[]): Promise<void> {
    return this.subscriber.unsubscribe('channel', channels);
  }

  /** Removes every listener of these patterns (of all patterns when none is named). */
  punsubscribe(...patterns: string[]): Promise<void> {
    return this.subscriber.unsubscribe('pattern', patterns);
  }

  /** Removes every listener of these shard channels (of all shard channels when none is named). */
  sunsubscribe(...channels: string[]): Promise<void> {
    return this.subscriber.unsubscribe('shard', channels);
  }

  /** Streams every command the server runs to `listener`, on a connection of its own, until stop(). */
  monitor(listener: MonitorListener): Promise<Monitor> {
    return startMonitor(this.resolved, listener, {
      onError: (error) => this.emitError(error),
      onEnd: (monitor) => this.monitors.delete(monitor),
    }).then((monitor) => {
      this.monitors.add(monitor);
      return monitor;
    });
  }

  /**
   * Delivers every reply already owed, then closes. Work already running in isolated() finishes first;
   * isolated() calls still waiting for a connection reject with ConnectionClosedError. A blocking
   * command with a timeout is waited for; one blocked with no timeout (BLPOP … 0) is ended at once.
   */
  quit(): Promise<void> {
    this.blocking.endUnbounded();
    this.cache?.close();
    return Promise.all([
      this.connection.quit(),
      this.pool.close('quit'),
      this.subscriber.close('quit'),
      ...[...this.monitors].map((monitor) => monitor.stop()),
    ]).then(() => this.sentinel?.close());
  }

  /** Closes now, dedicated connections too; every pending command rejects with ConnectionClosedError. */
  disconnect(): void {
    this.cache?.close();
    this.connection.disconnect();
    this.sentinel?.close();
    void this.pool.close('disconnect');
    void this.subscriber.close('disconnect');
    for (const monitor of this.monitors) void monitor.stop();
  }

  private emitError(error: Error): void {
    if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
  }

  /** Adds a listener for one of {@link ClientEvents}. */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.events.on(event, listener);
    return this;
  }

  /** Adds a listener called at most once. */
  once<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.events.once(event, listener);
    return this;
  }

  /** Removes a listener added by `on` or `once`. */
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Sends a ready-made argument list (name first) with the flags the caller knows for it, as the
   * command methods do: what layers above the Client (clusters, scripts) use instead of `call`.
   */
  sendCommand(
    args: readonly CommandArg[],
    flags: CommandFlags = flagsOf(String(args[0])),
    options?: CommandOptions,
  ): Promise<RespValue> {
    // Ready-made arguments skipped the command methods' checks: a MULTI or SELECT here would change
    // the connection every caller shares.
    const refusal = stateChangeRefusal(args, StateChange.None);
    if (refusal !== undefined) return Promise.reject(refusal);
    let call: CallOptions | undefined;
    try {
      call = options === undefined ? undefined : resolveCallOptions(options, undefined);
    } catch (error) {
      return Promise.reject(error);
    }
    if (commandTraced.hasSubscribers) {
      return traceCommand(this.server, this.resolved.traceKeys, args, () =>
        this.sendReady(args, flags, call),
      );
    }
    return this.sendReady(args, flags, call);
  }

  private sendReady(
    args: readonly CommandArg[],
    flags: CommandFlags,
    options: CallOptions | undefined,
  ): Promise<RespValue> {
    if (
      this.cache !== null &&
      (flags & CommandFlags.Cacheable) !== 0 &&
      (flags & CommandFlags.Blocking) === 0
    ) {
      const cache = this.cache;
      const read = () => cache.read(args, flags, null, this.connection) as Promise<RespValue>;
      return options === undefined ? read() : this.cachedWith(args, options, read);
    }
    return this.sendRaw(args, flags, options);
  }

  /** A command that may block: on a leased connection when this call does block (XREAD only with BLOCK). */
  private sendBlockable(
    args: readonly CommandArg[],
    flags: CommandFlags,
    options?: CallOptions,
  ): Promise<RespValue> {
    const blockMs = blockingTime(args);
    if (blockMs === undefined) {
      return options === undefined
        ? this.connection.send(args, flags)
        : this.connection.sendWith(args, flags, options);
    }
    return this.blocking.send(args, flags, blockMs, options);
  }

  private createPool(resolved: ResolvedOptions): ConnectionPool {
    const options = dedicatedOptions(resolved);
    return new ConnectionPool(
      {
        ...resolved.pool,
        leaseTimeout: resolved.commandTimeout,
        handshakeBounded: resolved.connectTimeout > 0,
      },
      (listener) => new Connection(options, listener),
      {
        onError: (error) => {
          if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
        },
      },
    );
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): Promise<unknown> {
    if (args instanceof InvalidArgumentError) return Promise.reject(args);
    if (commandTraced.hasSubscribers) {
      return traceCommand(this.server, this.resolved.traceKeys, args, () =>
        this.sendPlain(args, flags, transform),
      );
    }
    if (this.cache !== null) return this.dispatchCached(args, flags, transform, this.cache);
    const reply =
      (flags & CommandFlags.Blocking) === 0
        ? this.connection.send(args, flags)
        : this.sendBlockable(args, flags);
    return shaped(reply, transform, args);
  }

  /** dispatch() with a cache: a write drops its keys' entries before its caller resumes (read-your-own-writes). */
  private dispatchCached(
    args: CommandArg[],
    flags: CommandFlags,
    transform: Transform | null,
    cache: ClientCache,
  ): Promise<unknown> {
    if ((flags & CommandFlags.Cacheable) !== 0) return cache.read(args, flags, transform, this.connection);
    const reply =
      (flags & CommandFlags.Blocking) === 0
        ? cache.send(args, flags, this.connection)
        : cache.afterWrite(args, flags, this.sendBlockable(args, flags));
    return shaped(reply, transform, args);
  }

  /** dispatch()'s own path, for the traced call: one command with neither signal nor timeout. */
  private sendPlain(args: CommandArg[], flags: CommandFlags, transform: Transform | null): Promise<unknown> {
    if (this.cache !== null && (flags & CommandFlags.Cacheable) !== 0)
      return this.cache.read(args, flags, transform, this.connection);
    return shaped(this.sendRaw(args, flags, undefined), transform, args);
  }
}

/** `pubsub: 'shared'` was chosen; only RESP3 can carry messages and replies on one connection. */
function sharedPubsub(options: ClientOptions | undefined, protocol: ResolvedOptions['protocol']): boolean {
  const mode = options?.pubsub ?? 'dedicated';
  if (mode !== 'dedicated' && mode !== 'shared') {
    throw new InvalidArgumentError(`pubsub must be 'dedicated' or 'shared', got ${String(mode)}`);
  }
  if (mode === 'shared' && protocol !== 3) {
    throw new InvalidArgumentError(
      "pubsub: 'shared' needs protocol: 3: a subscribed RESP2 connection can run no other command",
    );
  }
  return mode === 'shared';
}
