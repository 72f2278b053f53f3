import net from 'node:net';
import { inspect } from 'node:util';
import tls from 'node:tls';
import {
  ConnectionClosedError,
  ConnectionError,
  ProtocolError,
  QueueFullError,
  ReplyError,
  ResplineError,
} from '../errors';
import { RespDecoder, type ReplySink } from '../resp/decoder';
import { encodeCommand, writeCommand } from '../resp/encoder';
import type { CommandArg, RespValue } from '../resp/types';
import { backoffDelay } from './backoff';
import { CommandQueue } from './command-queue';
import { abortedBeforeSending, CommandGuard, type CallOptions, type GuardHost } from './command-guard';
import { Handshake, type HandshakeHost } from './handshake';
import { Heartbeat, type HeartbeatHost } from './heartbeat';
import type { FifoSink } from './reply-modes';
import type { ResolvedOptions } from './options';
import { CommandFlags, PendingCommand, prepareCommand, type Settle } from './pending-command';
import { Watchdog, type WatchdogHost } from './watchdog';
import { connectTraced, serverTrace, traceConnect, type AttemptTrace } from './tracing';
import { tickNow } from './tick-clock';

/**
 * TCP keepalive's first probe on a socket that carries a blocked command: no PING can pass the command
 * and the server may rightly say nothing for long, so the kernel's probes are what notice a dead peer.
 */
const BLOCKED_KEEPALIVE_DELAY_MS = 5_000;

/**
 * A connection's state: 'idle' before `connect()`, 'connecting', 'ready', 'reconnecting' after a loss,
 * 'closing' during `quit()`, 'closed' for good.
 */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

/** What the `reconnecting` event tells. */
export interface ReconnectingInfo {
  /** The attempt about to be made: 1 for the first after a loss. */
  attempt: number;
  /** The backoff before it, in milliseconds. */
  delayMs: number;
  /** What ended the previous connection or attempt. */
  error: Error;
}

/** What a Connection tells its owner. Plain callbacks: the Client turns them into events. */
export interface ConnectionListener {
  onReady(): void;
  onError(error: Error): void;
  onReconnecting(info: ReconnectingInfo): void;
  onClose(): void;
  onEnd(): void;
  onPush(message: RespValue[]): void;
  /** Every error reply, after its command was rejected: a Sentinel client watches for READONLY. */
  onReplyError?(error: ReplyError): void;
}

/** Counters and state of one connection, as `stats()` reports them. */
export interface ConnectionStats {
  /** Written and awaiting a reply (including timed-out commands whose late reply is still owed). */
  inFlight: number;
  /** Accepted but not yet written. */
  queued: number;
  /** Encoded bytes of every accepted, unanswered command. */
  pendingBytes: number;
  /** Callers' commands written; the connection's own (handshake, heartbeat) are not counted here. */
  sent: number;
  /** Replies to callers' commands, late ones to timed-out commands included. */
  replies: number;
  /** Callers' commands that timed out. */
  timeouts: number;
  /** Successful reconnections since the client was created. */
  reconnects: number;
  /** The state now. */
  state: ConnectionState;
}

type Socket = net.Socket | tls.TLSSocket;

/** One command of a batch: its arguments, name first, and how the connection may treat it. */
export interface BatchCommand {
  readonly args: readonly CommandArg[];
  readonly flags: CommandFlags;
}

/** Receives each batch member's outcome, by its index in the batch: its reply or its Error. */
export type BatchSettle = (index: number, outcome: RespValue | Error) => void;

/**
 * One pipelined socket to one server: the queues, the state and the socket's life.
 *
 * Calls append to `queue`; one flush per event-loop pass moves them to the socket in a single write
 * and to `inflight`. Each decoded reply settles the head of `inflight`. Three helpers, each with one
 * job and its own timer, keep the rest out of this class:
 * - the Handshake prepares each fresh socket within connectTimeout, and says which step failed;
 * - the Watchdog enforces command deadlines and notices a server gone silent (stall);
 * - the Heartbeat PINGs an idle connection, so a dead peer is noticed without traffic.
 *
 * States: idle → connecting (socket open, handshake running) → ready ⇄ reconnecting, and from any of
 * them closing → closed. Callers' commands are written only once the handshake is done, so a socket
 * lost before the server answered never takes one with it. Every socket has a generation, and events
 * of an earlier one are ignored.
 */
export class Connection implements ReplySink {
  private state: ConnectionState = 'idle';
  private socket: Socket | null = null;
  private generation = 0;
  private readonly queue = new CommandQueue();
  private readonly inflight = new CommandQueue();
  private readonly decoder: RespDecoder;
  private readonly watchdog: Watchdog;
  private readonly handshake: Handshake;
  private readonly heartbeat: Heartbeat;
  /** What the guards of commands sent with CallOptions reach this connection through. */
  private readonly guardHost: GuardHost;
  private pendingBytes = 0;
  private flushScheduled = false;
  private writable = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private everReady = false;
  private readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private quitWaiters: (() => void)[] = [];
  /** A socket was opened and its 'close' has not been told yet. */
  private closeOwed = false;
  /** What disconnect(because) said: every later command is refused with it. */
  private closedBecause: string | null = null;
  /** The address resolver is running for the current attempt: there is no socket yet. */
  private resolving = false;
  /** The attempt being traced on `respline:connect`; null when nobody subscribes. */
  private attemptTrace: AttemptTrace | null = null;
  private readonly counters = { sent: 0, replies: 0, reconnects: 0 };
  /**
   * The server's id (CLIENT ID) for the current socket, learned in its handshake with options.identify;
   * null before that, or without it. It stays after the socket closes, until the next one opens.
   */
  serverId: number | null = null;
  /** When bytes last arrived from the server (epoch ms; 0 before any): its process was alive then. */
  lastDataAt = 0;
  readonly address: string;

  /**
   * `frames` puts the connection in a reply mode where not every frame answers a command (subscriber,
   * MONITOR): it is given this connection's own sink and returns the one the decoder feeds, which
   * passes replies on and keeps the rest. The shared connection has none: its decoder feeds it directly.
   */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly listener: ConnectionListener,
    frames?: (connection: FifoSink) => ReplySink,
  ) {
    this.decoder = new RespDecoder(frames === undefined ? this : frames(this), options.limits);
    this.address =
      options.addressResolver?.label ??
      `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    // The helpers reach the connection only through these: none of it is public.
    const watchdogHost: WatchdogHost = {
      dequeued: (command) => {
        this.pendingBytes -= command.bytes;
      },
      stalled: (error) => this.dropSocket(error),
    };
    const handshakeHost: HandshakeHost = {
      address: this.address,
      writeInternal: (command) => this.writeInternal(command),
      identified: (id) => {
        this.serverId = id;
      },
      done: () => this.onHandshakeDone(),
      failed: (error) => this.dropSocket(error),
    };
    const heartbeatHost: HeartbeatHost = {
      address: this.address,
      isIdle: () => this.inflight.length === 0 && this.queue.length === 0,
      writeInternal: (command) => this.writeInternal(command),
      missed: (error) => this.dropSocket(error),
    };
    this.watchdog = new Watchdog(
      this.queue,
      this.inflight,
      watchdogHost,
      options.commandTimeout,
      options.stallTimeout,
      this.address,
    );
    this.guardHost = {
      address: this.address,
      cancel: (command, error) => this.cancel(command, error),
      timedOut: () => {
        this.watchdog.timeouts++;
      },
    };
    this.handshake = new Handshake(options, handshakeHost);
    this.heartbeat = new Heartbeat(heartbeatHost, options.heartbeatInterval, options.commandTimeout);
  }

  get status(): ConnectionState {
    return this.state;
  }

  /** What console.log shows: never the options, which hold credentials. */
  [inspect.custom](): string {
    return `Connection { ${this.address}, ${this.state} }`;
  }

  /** Opens the socket if needed; resolves when the handshake is done, rejects if this attempt fails. */
  connect(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'closing' || this.state === 'closed') {
      return Promise.reject(new ConnectionClosedError(`the client for ${this.address} is closed`));
    }
    const waiting = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (this.state === 'idle') this.open();
    // Someone now awaits the next attempt: its timer must keep the process alive.
    else this.reconnectTimer?.ref();
    return waiting;
  }

  /** Sends a command; the promise settles with its reply, a ReplyError, or a typed failure. */
  send(args: readonly CommandArg[], flags: CommandFlags): Promise<RespValue> {
    const command = new PendingCommand(args[0] as string, flags);
    const refusal = this.admit(command, args);
    if (refusal !== null) return Promise.reject(refusal);
    const promise = command.promise();
    this.submit(command);
    return promise;
  }

  /**
   * Like `send`, with a signal and/or a timeout of its own (CallOptions): a signal already aborted
   * rejects at once and nothing is sent; one that aborts later drops the command if it is still
   * unwritten, or rejects it at once and absorbs its late reply if it was written, as a timeout does.
   */
  sendWith(args: readonly CommandArg[], flags: CommandFlags, options: CallOptions): Promise<RespValue> {
    const { signal, timeout } = options;
    if (signal?.aborted === true)
      return Promise.reject(abortedBeforeSending(String(args[0]), signal, this.address));
    const own = timeout !== undefined;
    const command = new PendingCommand(args[0] as string, own ? flags | CommandFlags.OwnDeadline : flags);
    const refusal = this.admit(command, args);
    if (refusal !== null) return Promise.reject(refusal);
    const promise = command.promise();
    this.guard([command], options);
    this.submit(command);
    return promise;
  }

  /** Puts commands sent with CallOptions under a guard; an own deadline replaces the watchdog's. */
  private guard(commands: PendingCommand[], options: CallOptions): void {
    const timeout = options.timeout;
    if (timeout !== undefined) for (const command of commands) command.deadline = Infinity;
    new CommandGuard(this.guardHost, commands, options.signal, timeout ?? 0);
  }

  /** A guard's verdict on one of its commands (command-guard.ts). */
  private cancel(command: PendingCommand, error: Error): void {
    if (command.settled) return;
    command.settled = true;
    if (!command.sent) {
      // Dropped: the flush, or the watchdog from the head, unlinks it later; its bytes go now.
      this.pendingBytes -= command.bytes;
      command.bytes = 0;
      command.releaseArgs();
    }
    command.reject(error);
  }

  /**
   * Sends a command that may keep the server silent on this socket for `blockMs` (0: until it is
   * served), as BLPOP or XREAD BLOCK do; meant for a dedicated connection with nothing else in flight.
   * - Its deadline is `blockMs` + commandTimeout, none when either is 0.
   * - The stall detector lets the server stay silent for `blockMs` (for good when 0); TCP keepalive,
   *   set to probe soon, is what notices a dead peer meanwhile, since no PING can pass a blocked command.
   * - It is never resent, even if read-only: its connection is meant to be closed, not reused, after a loss.
   */
  sendBlocking(
    args: readonly CommandArg[],
    flags: CommandFlags,
    blockMs: number,
    options?: CallOptions,
  ): Promise<RespValue> {
    const signal = options?.signal;
    if (signal?.aborted === true)
      return Promise.reject(abortedBeforeSending(String(args[0]), signal, this.address));
    const command = new PendingCommand(args[0] as string, flags & ~CommandFlags.ReadOnly);
    const refusal = this.admit(command, args);
    if (refusal !== null) return Promise.reject(refusal);
    const now = Date.now();
    // A per-call timeout stands in for commandTimeout on top of the blocking time.
    const timeout = options?.timeout ?? this.options.commandTimeout;
    const bounded = blockMs > 0 && timeout > 0;
    command.deadline = bounded ? now + blockMs + timeout : Infinity;
    if (signal !== undefined) new CommandGuard(this.guardHost, [command], signal, 0);
    const watchdog = this.watchdog;
    watchdog.quietUntil = blockMs > 0 ? now + blockMs : Infinity;
    this.socket?.setKeepAlive(true, BLOCKED_KEEPALIVE_DELAY_MS);
    const promise = command.promise();
    this.submit(command);
    return promise.finally(() => {
      watchdog.quietUntil = 0;
    });
  }

  /**
   * Like `send`, but settles through the given callbacks instead of a promise of its own: a pipeline
   * gathers many replies under one promise. A refusal is reported through `reject` at once.
   */
  sendTo(
    args: readonly CommandArg[],
    flags: CommandFlags,
    resolve: Settle<RespValue>,
    reject: Settle<Error>,
    options?: CallOptions,
  ): void {
    if (options === undefined) {
      const command = new PendingCommand(args[0] as string, flags, resolve, reject);
      const refusal = this.admit(command, args);
      if (refusal !== null) reject(refusal);
      else this.submit(command);
      return;
    }
    const signal = options.signal;
    if (signal?.aborted === true) return reject(abortedBeforeSending(String(args[0]), signal, this.address));
    const own = options.timeout !== undefined ? CommandFlags.OwnDeadline : 0;
    const command = new PendingCommand(args[0] as string, flags | own, resolve, reject);
    const refusal = this.admit(command, args);
    if (refusal !== null) return reject(refusal);
    this.guard([command], options);
    this.submit(command);
  }

  /**
   * Sends commands that must stand together, as MULTI … EXEC does: all are admitted or none.
   *
   * - Admission is checked for the whole batch first (closed, maxPending, maxPendingBytes, the offline
   *   queue, every argument); if refused, every index settles with that same error, before this returns.
   * - Admitted, the commands join the queue contiguously, so they leave back to back in one write, in
   *   order, with nothing of another caller's between them; they share one deadline, and time out
   *   together.
   * - None is ever resent, whatever its flags: a member retried alone after a reconnect would run
   *   outside its batch. Once written, a lost socket rejects every unsettled member with
   *   ConnectionError (sent: true); unwritten, they wait for the next socket together.
   * Each member settles once, through `settle(index, outcome)`; a ReplyError is an outcome like a reply.
   */
  sendBatch(commands: readonly BatchCommand[], settle: BatchSettle, options?: CallOptions): void {
    const count = commands.length;
    if (count === 0) return;
    const members = new Array<PendingCommand>(count);
    const signal = options?.signal;
    let refusal: Error | null =
      signal?.aborted === true
        ? abortedBeforeSending(String(commands[0].args[0]), signal, this.address)
        : this.batchRefusal(count);
    let bytes = 0;
    const own = options?.timeout !== undefined ? CommandFlags.OwnDeadline : CommandFlags.None;
    for (let i = 0; i < count && refusal === null; i++) {
      const { args, flags } = commands[i] as BatchCommand;
      const member = (outcome: RespValue | Error): void => settle(i, outcome);
      const memberFlags = (flags & ~CommandFlags.ReadOnly) | own;
      const command = new PendingCommand(args[0] as string, memberFlags, member, member);
      try {
        prepareCommand(command, args);
      } catch (error) {
        refusal = error as Error;
      }
      bytes += command.bytes;
      members[i] = command;
    }
    if (refusal === null && this.pendingBytes + bytes > this.options.maxPendingBytes) {
      refusal = new QueueFullError(
        `maxPendingBytes (${this.options.maxPendingBytes}) would be exceeded by a batch of ${bytes} bytes`,
      );
    }
    if (refusal !== null) {
      for (let i = 0; i < count; i++) settle(i, refusal);
      return;
    }
    const deadline = this.options.commandTimeout > 0 ? tickNow() + this.options.commandTimeout : 0;
    for (const command of members) command.deadline = deadline;
    // One guard for the batch: aborted or expired, it goes whole, as a batch does.
    if (options !== undefined) this.guard(members, options);
    for (const command of members) this.enqueue(command);
    if (this.state === 'idle') this.open();
  }

  /** Why a batch of `count` commands cannot be admitted now, or null; the arguments are checked apart. */
  private batchRefusal(count: number): Error | null {
    const state = this.state;
    if (state === 'closing' || state === 'closed') return this.closedError();
    if (this.inflight.length + this.queue.length + count > this.options.maxPending) {
      return new QueueFullError(
        `maxPending (${this.options.maxPending}) commands would be exceeded by a batch of ${count}`,
      );
    }
    return state === 'ready' ? null : this.offlineRefusal(count);
  }

  /** Checks the bounds and the arguments; returns why the command is refused, or null. */
  private admit(command: PendingCommand, args: readonly CommandArg[]): Error | null {
    const state = this.state;
    if (state === 'closing' || state === 'closed') return this.closedError();
    if (this.inflight.length + this.queue.length >= this.options.maxPending) {
      return new QueueFullError(`maxPending (${this.options.maxPending}) commands are already pending`);
    }
    try {
      prepareCommand(command, args);
    } catch (error) {
      return error as Error;
    }
    if (this.pendingBytes + command.bytes > this.options.maxPendingBytes) {
      return new QueueFullError(
        `maxPendingBytes (${this.options.maxPendingBytes}) would be exceeded by ${command.bytes} bytes`,
      );
    }
    return state === 'ready' ? null : this.offlineRefusal(1);
  }

  private submit(command: PendingCommand): void {
    this.enqueue(command);
    if (this.state === 'idle') this.open();
  }

  stats(): ConnectionStats {
    return {
      inFlight: this.inflight.length,
      queued: this.queue.length,
      pendingBytes: this.pendingBytes,
      sent: this.counters.sent,
      replies: this.counters.replies,
      timeouts: this.watchdog.timeouts,
      reconnects: this.counters.reconnects,
      state: this.state,
    };
  }

  /**
   * Stops taking commands, lets every accepted one get its reply, then closes.
   *
   * During the handshake, accepted commands still go out once it succeeds, but only as long as
   * connectTimeout bounds the wait: quit() never waits on a server that has not answered beyond it.
   * With connectTimeout off, or with no socket at all (idle, reconnecting), there is nothing to wait
   * for that is sure to end: it closes at once and rejects what was queued.
   */
  quit(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.quitWaiters.push(resolve));
    if (this.state === 'closing') return done;
    const state = this.state;
    this.state = 'closing';
    if (state !== 'ready' && (state !== 'connecting' || this.options.connectTimeout === 0)) {
      this.rejectQueued(() => new ConnectionClosedError(`quit() while not connected to ${this.address}`));
      this.finish();
      return done;
    }
    this.heartbeat.stop();
    if (state === 'connecting') {
      // The connection will never be ready for those who awaited connect().
      const closing = new ConnectionClosedError(`quit() was called before ${this.address} was ready`);
      for (const waiter of this.readyWaiters.splice(0)) waiter.reject(closing);
    }
    const quit = new PendingCommand(
      'QUIT',
      CommandFlags.None,
      () => this.finish(),
      () => this.finish(),
    );
    prepareCommand(quit, ['QUIT']);
    this.enqueue(quit);
    return done;
  }

  /** Rejects everything pending with ConnectionClosedError (saying `because`, if given) and closes at once. */
  disconnect(because?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    const why = because ?? `disconnect() was called on the client for ${this.address}`;
    if (because !== undefined) this.closedBecause = because;
    const reason = () => new ConnectionClosedError(why);
    this.rejectInflight(reason);
    this.rejectQueued(reason);
    this.finish();
  }

  // ---- ReplySink: called by the decoder for every complete frame ----

  wantsBuffers(): boolean {
    const head = this.inflight.head;
    return head !== null && (head.flags & CommandFlags.Buffers) !== 0;
  }

  /** The command the next reply answers: a reply mode tells the server's own frames from replies by it. */
  awaited(): PendingCommand | null {
    return this.inflight.head;
  }

  onReply(value: RespValue): void {
    const command = this.inflight.shift();
    if (command === null) {
      throw new ProtocolError(`unsolicited reply from ${this.address}: no command was waiting for it`);
    }
    this.watchdog.replied(command);
    this.pendingBytes -= command.bytes;
    // stats() counts callers' traffic: the handshake's and the heartbeat's commands are not theirs.
    if ((command.flags & CommandFlags.Internal) === 0) this.counters.replies++;
    if (!command.settled) {
      command.settled = true;
      if (value instanceof ReplyError) {
        value.command = command.name;
        command.reject(value);
        this.listener.onReplyError?.(value);
      } else {
        command.resolve(value);
      }
    }
  }

  onPush(message: RespValue[]): void {
    this.listener.onPush(message);
  }

  // ---- write path ----

  private enqueue(command: PendingCommand): void {
    if (this.state === 'ready' || this.state === 'closing') this.scheduleFlush();
    else this.reconnectTimer?.ref();
    if (this.options.commandTimeout > 0 && command.deadline === 0) {
      command.deadline = tickNow() + this.options.commandTimeout;
    }
    this.queue.push(command);
    this.pendingBytes += command.bytes;
    this.watchdog.watch(command.deadline);
  }

  /**
   * The flush runs in the check phase of the event loop's current pass: after every callback of the
   * pass, so commands issued from several ticks (replies landing on several sockets, as under a
   * Cluster) still leave in one write, yet without waiting for another pass.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  /**
   * Moves every queued command to the socket in one write. Never during the handshake: a caller's
   * command written before the server proved alive would be lost with the socket, its outcome unknown.
   */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const socket = this.socket;
    if (socket === null || !this.writable || this.handshake.running) return;
    const queue = this.queue;
    const inflight = this.inflight;
    if (queue.length === 0) return;
    const now = Date.now();
    const wasIdle = inflight.length === 0;
    this.heartbeat.activityAt = now;
    // One Buffer per flush, filled command by command: a joined string would be a deep rope that the
    // write must flatten, and that flattening was a tenth of the client's CPU under load.
    let batchBytes = 0;
    for (let command = queue.head; command !== null; command = command.next) batchBytes += command.bytes;
    const batch = Buffer.allocUnsafe(batchBytes);
    let offset = 0;
    let sent = 0;
    for (let command = queue.shift(); command !== null; command = queue.shift()) {
      if (command.settled) {
        this.pendingBytes -= command.bytes;
        continue;
      }
      command.sent = true;
      inflight.push(command);
      sent++;
      offset = writeCommand(command.args, command.ascii, batch, offset);
      // Only a read-only command can be sent twice; let other arguments go so memory follows the socket.
      if ((command.flags & CommandFlags.ReadOnly) === 0) command.releaseArgs();
    }
    const accepted = offset === 0 || socket.write(offset === batchBytes ? batch : batch.subarray(0, offset));
    this.counters.sent += sent;
    if (!accepted) this.writable = false;
    // Replies are now owed: the stall detector must be watching even when no command has a deadline.
    if (wasIdle && sent > 0) this.watchdog.repliesOwed(now);
  };

  /** Writes a handshake or heartbeat command straight to the socket, ahead of anything queued. */
  private writeInternal(command: PendingCommand): void {
    const socket = this.socket as Socket;
    const wasIdle = this.inflight.length === 0;
    command.sent = true;
    this.inflight.push(command);
    this.pendingBytes += command.bytes;
    if (!socket.write(encodeCommand(command.args))) this.writable = false;
    if (wasIdle) this.watchdog.repliesOwed(Date.now());
    this.watchdog.watch(command.deadline);
  }

  /** Why a command cannot join the offline queue now, or null; `count` commands would join it. */
  private offlineRefusal(count: number): Error | null {
    if (!this.options.offlineQueue) {
      return new ConnectionError(`not connected to ${this.address} and offlineQueue is off`, false);
    }
    if (this.queue.length + count > this.options.maxOfflineQueue) {
      return new QueueFullError(
        `the offline queue for ${this.address} holds maxOfflineQueue (${this.options.maxOfflineQueue}) commands`,
      );
    }
    return null;
  }

  // ---- socket lifecycle ----

  private onHandshakeDone(): void {
    this.settleAttempt(null);
    // quit() during the handshake: what it accepted, QUIT last, goes out now; no 'ready'.
    if (this.state === 'closing') return this.scheduleFlush();
    if (this.state !== 'connecting') return;
    if (this.everReady) this.counters.reconnects++;
    this.everReady = true;
    // Only now, with the server's answer in hand, does the attempt count as a success.
    this.attempt = 0;
    this.state = 'ready';
    this.heartbeat.start(Date.now());
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    this.listener.onReady();
    this.scheduleFlush();
  }

  /**
   * Replaces the socket now, as if it had been lost: what is in flight fails as it would (a read is
   * resent once), what is queued waits for the next socket, whose address is resolved again. For a
   * server known to be the wrong one (a demoted master); does nothing without a socket.
   */
  reconnect(reason: Error): void {
    if (this.state === 'ready' || this.state === 'connecting') this.dropSocket(reason);
  }

  private open(): void {
    const generation = ++this.generation;
    this.state = 'connecting';
    if (connectTraced.hasSubscribers) {
      this.attemptTrace = traceConnect({ ...serverTrace(this.options), attempt: this.attempt });
    }
    this.writable = false;
    this.serverId = null;
    this.decoder.reset();
    const resolver = this.options.addressResolver;
    if (resolver === undefined) return this.openSocket(generation, this.options.host, this.options.port);
    // connectTimeout covers finding the address too; a failure to find it is a failed attempt.
    this.handshake.begin();
    this.resolving = true;
    resolver.resolve().then(
      ({ host, port }) => {
        if (generation !== this.generation) return;
        this.resolving = false;
        this.openSocket(generation, host, port);
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        this.dropSocket(error instanceof Error ? error : new ConnectionError(String(error), false));
      },
    );
  }

  private openSocket(generation: number, host: string, port: number): void {
    this.closeOwed = true;
    const socket: Socket = this.options.tls
      ? tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, ...this.options.tls, host, port })
      : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    if (!this.handshake.running) this.handshake.begin();
    let socketError: Error | null = null;
    socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
      if (generation !== this.generation) return;
      this.writable = true;
      this.handshake.start();
    });
    socket.on('data', (chunk: Buffer) => {
      if (generation !== this.generation) return;
      this.lastDataAt = this.watchdog.progressAt = this.heartbeat.activityAt = Date.now();
      try {
        this.decoder.feed(chunk);
      } catch (error) {
        this.poison(error as Error);
      }
    });
    socket.on('drain', () => {
      if (generation !== this.generation) return;
      this.writable = true;
      this.flush();
    });
    socket.on('error', (error: Error) => {
      socketError = error;
    });
    socket.on('close', () => {
      if (generation !== this.generation) return;
      if (!this.handshake.running) return this.onSocketGone(socketError);
      const why = this.handshake.lost(socketError);
      if (why !== null) this.onSocketGone(why);
      else if (this.state === 'connecting') this.reopenWithoutHello();
      else this.onSocketGone(new ConnectionError(`${this.address} closed the connection on HELLO`, false));
    });
  }

  /**
   * A proxy closed the socket on HELLO 2 (twemproxy does): the next socket goes without HELLO, at
   * once. Not a failed attempt: nothing but the handshake was written, callers and connect() wait on.
   */
  private reopenWithoutHello(): void {
    this.socket = null;
    this.writable = false;
    const superseded = new ConnectionError(`${this.address} closed the connection on HELLO`, false);
    this.settleAttempt(superseded);
    this.rejectInflight(() => superseded);
    this.emitClose();
    // A 'close' listener may have ended the connection.
    if (this.state === 'connecting') this.open();
  }

  /** A protocol error poisons the socket: nothing after it is decoded, and every pending command fails. */
  private poison(error: Error): void {
    this.rejectInflight(() => error);
    this.dropSocket(error);
  }

  /**
   * Condemns the current socket now rather than when its 'close' event arrives, so no command issued
   * in between is written to it. Its late events carry a stale generation and are ignored.
   */
  private dropSocket(reason: Error): void {
    const socket = this.socket;
    if (socket === null && !this.resolving) return;
    this.generation++;
    this.resolving = false;
    socket?.destroy();
    this.onSocketGone(reason);
  }

  private onSocketGone(failure: Error | null): void {
    // Socket and TLS failures arrive as plain Node errors; callers get a typed one that names the server.
    const socketError =
      failure === null || failure instanceof ResplineError
        ? failure
        : new ConnectionError(`connection to ${this.address} failed: ${failure.message}`, false, {
            cause: failure,
          });
    const cause = socketError ?? new ConnectionError(`${this.address} closed the connection`, true);
    this.settleAttempt(cause);
    this.socket = null;
    this.writable = false;
    this.handshake.end();
    this.heartbeat.stop();
    // Every command leaves the in-flight queue before anyone hears of the loss: the callbacks and
    // events below may call quit() or disconnect(), which must then find each command where it belongs.
    const failures = new CommandQueue();
    const retries = new CommandQueue();
    const closing = this.state === 'closing' || this.state === 'closed';
    for (let command = this.inflight.shift(); command !== null; command = this.inflight.shift()) {
      if (command.settled) {
        this.pendingBytes -= command.bytes;
        continue;
      }
      // A socket-bound read is not carried to the next socket either: it fails here, as sent.
      const retry =
        !closing &&
        (command.flags & (CommandFlags.ReadOnly | CommandFlags.SocketBound)) === CommandFlags.ReadOnly &&
        !command.retried;
      if (retry) {
        command.retried = true;
        command.sent = false;
        retries.push(command);
      } else {
        this.pendingBytes -= command.bytes;
        failures.push(command);
      }
    }
    this.watchdog.inflightCleared();
    this.queue.prepend(retries);
    if (socketError !== null) this.emitError(socketError);
    for (let command = failures.shift(); command !== null; command = failures.shift()) {
      command.settled = true;
      command.reject(
        new ConnectionError(
          `connection to ${this.address} was lost after ${command.name} was sent: it may or may not have run (${cause.message})`,
          true,
          { cause },
        ),
      );
    }
    this.failSocketBound(cause);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(cause);
    this.emitClose();
    // Read again: a callback or a listener may have closed the connection meanwhile.
    if ((this.state as ConnectionState) === 'closing' || (this.state as ConnectionState) === 'closed') {
      this.rejectQueued(
        () => new ConnectionClosedError(`the client for ${this.address} closed before sending this command`),
      );
      this.finish();
      return;
    }
    this.scheduleReconnect(cause);
  }

  private scheduleReconnect(cause: Error): void {
    const policy = this.options.reconnect;
    this.attempt++;
    if (policy === false || this.attempt > policy.maxAttempts) {
      const why =
        policy === false
          ? `connection to ${this.address} lost and reconnect is off`
          : `gave up reconnecting to ${this.address} after ${policy.maxAttempts} attempts`;
      this.state = 'closing';
      this.rejectQueued(() => new ConnectionClosedError(`${why}: ${cause.message}`, { cause }));
      this.finish();
      return;
    }
    this.state = 'reconnecting';
    if (!this.options.offlineQueue) {
      this.rejectQueued(
        () =>
          new ConnectionError(
            `not connected to ${this.address} and offlineQueue is off: ${cause.message}`,
            false,
            { cause },
          ),
      );
    }
    const delayMs = backoffDelay(this.attempt, policy);
    if (this.state === 'reconnecting') {
      this.listener.onReconnecting({ attempt: this.attempt, delayMs, error: cause });
    }
    // A callback or a 'reconnecting' listener that called quit() or disconnect() ended the connection:
    // no timer may bring it back.
    if ((this.state as ConnectionState) !== 'reconnecting') return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'reconnecting') this.open();
    }, delayMs);
    // A client with nothing to deliver must not keep the process alive just to reconnect.
    if (this.queue.length === 0) this.reconnectTimer.unref();
  }

  private finish(): void {
    const wasClosed = this.state === 'closed';
    this.state = 'closed';
    this.resolving = false;
    this.watchdog.stop();
    this.handshake.end();
    this.heartbeat.stop();
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.generation++;
    const closed = new ConnectionClosedError(`the client for ${this.address} is closed`);
    this.settleAttempt(closed);
    this.rejectInflight(() => closed);
    this.rejectQueued(() => closed);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(closed);
    socket?.destroy();
    this.emitClose();
    for (const resolve of this.quitWaiters.splice(0)) resolve();
    if (!wasClosed) this.listener.onEnd();
  }

  /** Ends the traced attempt, if one is being traced: ready (null), or failed with `error`. */
  private settleAttempt(error: Error | null): void {
    const trace = this.attemptTrace;
    if (trace === null) return;
    this.attemptTrace = null;
    if (error === null) trace.succeeded();
    else trace.failed(error);
  }

  /** Why nothing more may be sent: closed, and the reason disconnect() was given, if any. */
  private closedError(): ConnectionClosedError {
    return new ConnectionClosedError(this.closedBecause ?? `the client for ${this.address} is closed`);
  }

  private rejectInflight(reason: () => Error): void {
    for (let command = this.inflight.shift(); command !== null; command = this.inflight.shift()) {
      this.pendingBytes -= command.bytes;
      if (command.settled) continue;
      command.settled = true;
      command.reject(reason());
    }
    this.watchdog.inflightCleared();
  }

  /** Unwritten commands meant for the socket just lost alone (CommandFlags.SocketBound) fail now. */
  private failSocketBound(cause: Error): void {
    let bound: PendingCommand[] | null = null;
    for (let command = this.queue.head; command !== null; command = command.next) {
      if ((command.flags & CommandFlags.SocketBound) !== 0 && !command.settled) (bound ??= []).push(command);
    }
    if (bound === null) return;
    // Rejected once the walk is over: a caller's callback may queue more.
    for (const command of bound) {
      this.cancel(
        command,
        new ConnectionError(
          `connection to ${this.address} was lost before ${command.name} was sent; it was meant for that connection only (${cause.message})`,
          false,
          { cause },
        ),
      );
    }
  }

  private rejectQueued(reason: () => Error): void {
    for (let command = this.queue.shift(); command !== null; command = this.queue.shift()) {
      this.pendingBytes -= command.bytes;
      if (command.settled) continue;
      command.settled = true;
      command.reject(reason());
    }
  }

  private emitError(error: Error): void {
    this.listener.onError(error);
  }

  /**
   * 'close' once per socket, and before 'end' even when a listener of an earlier event ended the
   * connection while the socket was being torn down.
   */
  private emitClose(): void {
    if (!this.closeOwed) return;
    this.closeOwed = false;
    this.listener.onClose();
  }
}
