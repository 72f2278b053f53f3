import net from 'node:net';
import { inspect } from 'node:util';
import tls from 'node:tls';
import {
  ConnectionClosedError,
  ConnectionError,
  HandshakeError,
  ProtocolError,
  QueueFullError,
  ReplyError,
  ResplineError,
  TimeoutError,
} from '../errors';
import { RespDecoder, type ReplySink } from '../resp/decoder';
import { encodeCommand, measureCommand, writeCommand } from '../resp/encoder';
import type { CommandArg, RespValue } from '../resp/types';
import { backoffDelay } from './backoff';
import { CommandQueue } from './command-queue';
import { handshakeCommands } from './handshake';
import type { ResolvedOptions } from './options';
import { CommandFlags, PendingCommand, type Settle } from './pending-command';

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

export interface ReconnectingInfo {
  attempt: number;
  delayMs: number;
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
}

export interface ConnectionStats {
  /** Written and awaiting a reply (including timed-out commands whose late reply is still owed). */
  inFlight: number;
  /** Accepted but not yet written. */
  queued: number;
  /** Encoded bytes of every accepted, unanswered command. */
  pendingBytes: number;
  sent: number;
  replies: number;
  timeouts: number;
  reconnects: number;
  state: ConnectionState;
}

type Socket = net.Socket | tls.TLSSocket;

/**
 * One pipelined socket to one server.
 *
 * Calls append to `queue`; one flush per tick moves them to the socket in a single write and to
 * `inflight`. Each decoded reply settles the head of `inflight`. A single watchdog timer serves
 * every deadline: command timeouts, the stall detector and the heartbeat.
 */
export class Connection implements ReplySink {
  private state: ConnectionState = 'idle';
  private socket: Socket | null = null;
  private generation = 0;
  private readonly queue = new CommandQueue();
  private readonly inflight = new CommandQueue();
  private readonly decoder: RespDecoder;
  private pendingBytes = 0;
  private flushScheduled = false;
  /** Date.now() read once per tick for deadlines; valid while `tickClockSet` is true. */
  private tickClock = 0;
  private tickClockSet = false;
  private writable = false;
  private handshaking = false;
  private watchdog: NodeJS.Timeout | null = null;
  /** Whether the watchdog keeps the process alive: only while commands await an outcome. */
  private watchdogHeld = false;
  /** When the armed watchdog fires. */
  private watchdogAt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** First in-flight command the watchdog has not yet expired; null means start at the head. */
  private scanFrom: PendingCommand | null = null;
  /** Last time bytes arrived, or in-flight work began after a quiet spell. */
  private lastProgressAt = 0;
  private lastActivityAt = 0;
  private heartbeatInFlight = false;
  private attempt = 0;
  private everReady = false;
  private readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private quitWaiters: (() => void)[] = [];
  /** A socket was opened and its 'close' has not been told yet. */
  private closeOwed = false;
  private readonly counters = { sent: 0, replies: 0, timeouts: 0, reconnects: 0 };
  readonly address: string;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly listener: ConnectionListener,
  ) {
    this.decoder = new RespDecoder(this, options.limits);
    this.address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
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
   * Like `send`, but settles through the given callbacks instead of a promise of its own: a pipeline
   * gathers many replies under one promise. A refusal is reported through `reject` at once.
   */
  sendTo(
    args: readonly CommandArg[],
    flags: CommandFlags,
    resolve: Settle<RespValue>,
    reject: Settle<Error>,
  ): void {
    const command = new PendingCommand(args[0] as string, flags, resolve, reject);
    const refusal = this.admit(command, args);
    if (refusal !== null) reject(refusal);
    else this.submit(command);
  }

  /** Checks the bounds and the arguments; returns why the command is refused, or null. */
  private admit(command: PendingCommand, args: readonly CommandArg[]): Error | null {
    const state = this.state;
    if (state === 'closing' || state === 'closed') {
      return new ConnectionClosedError(`the client for ${this.address} is closed`);
    }
    if (this.inflight.length + this.queue.length >= this.options.maxPending) {
      return new QueueFullError(`maxPending (${this.options.maxPending}) commands are already pending`);
    }
    try {
      prepare(command, args);
    } catch (error) {
      return error as Error;
    }
    if (this.pendingBytes + command.bytes > this.options.maxPendingBytes) {
      return new QueueFullError(
        `maxPendingBytes (${this.options.maxPendingBytes}) would be exceeded by ${command.bytes} bytes`,
      );
    }
    return state === 'ready' ? null : this.offlineRefusal();
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
      ...this.counters,
      state: this.state,
    };
  }

  /** Stops taking commands, lets every accepted one get its reply, then closes. */
  quit(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.quitWaiters.push(resolve));
    if (this.state === 'closing') return done;
    const wasReady = this.state === 'ready';
    this.state = 'closing';
    if (!wasReady) {
      // No reply is owed to any caller yet: waiting for a handshake the server may never answer would
      // leave quit() hanging on connectTimeout or, with it off, forever.
      this.rejectQueued(() => new ConnectionClosedError(`quit() while not connected to ${this.address}`));
      this.finish();
      return done;
    }
    const quit = new PendingCommand(
      'QUIT',
      CommandFlags.None,
      () => this.finish(),
      () => this.finish(),
    );
    prepare(quit, ['QUIT']);
    this.enqueue(quit);
    return done;
  }

  /** Rejects everything pending with ConnectionClosedError and closes at once. */
  disconnect(): void {
    if (this.state === 'closed') return;
    this.state = 'closing';
    const reason = () =>
      new ConnectionClosedError(`disconnect() was called on the client for ${this.address}`);
    this.rejectInflight(reason);
    this.rejectQueued(reason);
    this.finish();
  }

  // ---- ReplySink: called by the decoder for every complete frame ----

  wantsBuffers(): boolean {
    const head = this.inflight.head;
    return head !== null && (head.flags & CommandFlags.Buffers) !== 0;
  }

  onReply(value: RespValue): void {
    const command = this.inflight.shift();
    if (command === null) {
      throw new ProtocolError(`unsolicited reply from ${this.address}: no command was waiting for it`);
    }
    if (command === this.scanFrom) this.scanFrom = null;
    this.pendingBytes -= command.bytes;
    this.counters.replies++;
    if (!command.settled) {
      command.settled = true;
      if (value instanceof ReplyError) {
        value.command = command.name;
        command.reject(value);
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
      command.deadline = this.now() + this.options.commandTimeout;
    }
    this.queue.push(command);
    this.pendingBytes += command.bytes;
    if (this.watchdog === null || (command.deadline !== 0 && command.deadline < this.watchdogAt)) {
      this.rearmWatchdog();
    } else if (!this.watchdogHeld) {
      this.watchdog.ref();
      this.watchdogHeld = true;
    }
  }

  /** Commands issued in one tick share one clock reading, forgotten when the tick ends. */
  private now(): number {
    if (!this.tickClockSet) {
      this.tickClock = Date.now();
      this.tickClockSet = true;
      process.nextTick(this.forgetClock);
    }
    return this.tickClock;
  }

  private readonly forgetClock = (): void => {
    this.tickClockSet = false;
  };

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

  /** Moves every queued command to the socket in one write. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const socket = this.socket;
    if (socket === null || !this.writable || this.handshaking) return;
    const queue = this.queue;
    const inflight = this.inflight;
    if (queue.length === 0) return;
    const now = Date.now();
    const wasIdle = inflight.length === 0;
    if (wasIdle) this.lastProgressAt = now;
    this.lastActivityAt = now;
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
    if (wasIdle) this.watchStall();
  };

  /** Writes handshake or heartbeat commands straight to the socket, ahead of anything queued. */
  private writeInternal(command: PendingCommand): void {
    const socket = this.socket as Socket;
    command.sent = true;
    if (this.inflight.length === 0) this.lastProgressAt = Date.now();
    this.inflight.push(command);
    this.pendingBytes += command.bytes;
    this.counters.sent++;
    if (!socket.write(encodeCommand(command.args))) this.writable = false;
    this.watchStall();
  }

  private watchStall(): void {
    const stallAt = this.lastProgressAt + this.options.stallTimeout;
    if (this.watchdog === null || (this.options.stallTimeout > 0 && stallAt < this.watchdogAt))
      this.rearmWatchdog();
  }

  private offlineRefusal(): Error | null {
    if (!this.options.offlineQueue) {
      return new ConnectionError(`not connected to ${this.address} and offlineQueue is off`, false);
    }
    if (this.queue.length >= this.options.maxOfflineQueue) {
      return new QueueFullError(
        `the offline queue for ${this.address} holds maxOfflineQueue (${this.options.maxOfflineQueue}) commands`,
      );
    }
    return null;
  }

  // ---- socket lifecycle ----

  private open(): void {
    const generation = ++this.generation;
    this.closeOwed = true;
    this.state = 'connecting';
    this.writable = false;
    this.decoder.reset();
    const { host, port } = this.options;
    const socket: Socket = this.options.tls
      ? tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, ...this.options.tls, host, port })
      : net.connect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const connectTimer =
      this.options.connectTimeout > 0
        ? setTimeout(() => {
            // Whatever the state: quit() or anything else must not leave a handshake unbounded.
            if (generation === this.generation) {
              this.dropSocket(
                new ConnectionError(
                  `connecting to ${this.address} took longer than connectTimeout (${this.options.connectTimeout} ms)`,
                  false,
                ),
              );
            }
          }, this.options.connectTimeout)
        : null;
    let socketError: Error | null = null;
    socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
      if (generation === this.generation) this.startHandshake(generation, connectTimer);
    });
    socket.on('data', (chunk: Buffer) => {
      if (generation !== this.generation) return;
      this.lastProgressAt = this.lastActivityAt = Date.now();
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
      if (connectTimer !== null) clearTimeout(connectTimer);
      if (generation !== this.generation) return;
      this.onSocketGone(socketError);
    });
  }

  private startHandshake(generation: number, connectTimer: NodeJS.Timeout | null): void {
    this.writable = true;
    this.handshaking = true;
    const steps = handshakeCommands(this.options);
    let remaining = steps.length;
    const done = (): void => {
      if (generation !== this.generation) return;
      if (connectTimer !== null) clearTimeout(connectTimer);
      this.handshaking = false;
      this.onHandshakeDone();
    };
    if (remaining === 0) return done();
    for (const args of steps) {
      const name = String(args[0]);
      const step = new PendingCommand(
        name,
        CommandFlags.None,
        () => {
          if (--remaining === 0) done();
        },
        (error: Error) => {
          if (generation !== this.generation) return;
          this.dropSocket(error instanceof ReplyError ? this.handshakeRefusal(name, error) : error);
        },
      );
      prepare(step, args);
      this.writeInternal(step);
    }
  }

  /**
   * A server that does not know HELLO or AUTH echoes the arguments in its error, password included,
   * so the message is scrubbed and the original reply is not kept as the cause.
   */
  private handshakeRefusal(command: string, refusal: ReplyError): HandshakeError {
    const password = this.options.password;
    const said = password ? refusal.message.split(password).join('***') : refusal.message;
    const cause = new ReplyError(said);
    cause.command = command;
    return new HandshakeError(`${command} was refused by ${this.address}: ${said}`, { cause });
  }

  private onHandshakeDone(): void {
    if (this.everReady) this.counters.reconnects++;
    this.everReady = true;
    this.attempt = 0;
    if (this.state === 'connecting') this.state = 'ready';
    this.lastActivityAt = Date.now();
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    this.listener.onReady();
    this.scheduleFlush();
    // The watchdog may be set for the handshake's stall deadline, later than the first heartbeat.
    this.rearmWatchdog();
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
    if (socket === null) return;
    this.generation++;
    socket.destroy();
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
    // Closed during the handshake, nothing of the caller's had been written: connect() must say so.
    const cause =
      socketError ?? new ConnectionError(`${this.address} closed the connection`, !this.handshaking);
    this.socket = null;
    this.writable = false;
    this.handshaking = false;
    this.heartbeatInFlight = false;
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
      const retry = !closing && (command.flags & CommandFlags.ReadOnly) !== 0 && !command.retried;
      if (retry) {
        command.retried = true;
        command.sent = false;
        retries.push(command);
      } else {
        this.pendingBytes -= command.bytes;
        failures.push(command);
      }
    }
    this.scanFrom = null;
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
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(cause);
    this.emitClose();
    // Read again: a callback or a 'close' listener may have closed the connection meanwhile.
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
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.watchdog = this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.generation++;
    const closed = new ConnectionClosedError(`the client for ${this.address} is closed`);
    this.rejectInflight(() => closed);
    this.rejectQueued(() => closed);
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(closed);
    socket?.destroy();
    this.emitClose();
    for (const resolve of this.quitWaiters.splice(0)) resolve();
    if (!wasClosed) this.listener.onEnd();
  }

  private rejectInflight(reason: () => Error): void {
    for (let command = this.inflight.shift(); command !== null; command = this.inflight.shift()) {
      this.pendingBytes -= command.bytes;
      if (command.settled) continue;
      command.settled = true;
      command.reject(reason());
    }
    this.scanFrom = null;
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

  // ---- the watchdog: every deadline on one timer ----

  private rearmWatchdog(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = null;
    this.armWatchdog();
  }

  private armWatchdog(): void {
    const wake = this.nextWake();
    if (wake === 0) return;
    this.watchdogAt = wake;
    this.watchdog = setTimeout(this.onWatchdog, Math.max(1, wake - Date.now()));
    this.watchdogHeld = this.inflight.length > 0 || this.queue.length > 0;
    if (!this.watchdogHeld) this.watchdog.unref();
  }

  private readonly onWatchdog = (): void => {
    this.watchdog = null;
    if (this.state === 'closed') return;
    const now = Date.now();
    this.expireInflight(now);
    this.expireQueued(now);
    this.checkStall(now);
    this.checkHeartbeat(now);
    if (this.watchdog === null && (this.state as ConnectionState) !== 'closed') this.armWatchdog();
  };

  /** The earliest moment anything could be due, or 0 when nothing is being watched. */
  private nextWake(): number {
    let wake = Infinity;
    const firstInflight = this.firstUnsettledInflight();
    if (firstInflight !== null && firstInflight.deadline > 0) wake = firstInflight.deadline;
    const firstQueued = this.queue.head;
    if (firstQueued !== null && firstQueued.deadline > 0) wake = Math.min(wake, firstQueued.deadline);
    if (this.inflight.length > 0 && this.options.stallTimeout > 0) {
      wake = Math.min(wake, this.lastProgressAt + this.options.stallTimeout);
    }
    if (this.state === 'ready' && this.options.heartbeatInterval > 0) {
      wake = Math.min(wake, this.lastActivityAt + this.options.heartbeatInterval);
    }
    return wake === Infinity ? 0 : wake;
  }

  private firstUnsettledInflight(): PendingCommand | null {
    let command = this.scanFrom ?? this.inflight.head;
    while (command !== null && command.settled) command = command.next;
    return command;
  }

  private expireInflight(now: number): void {
    let command = this.scanFrom ?? this.inflight.head;
    while (command !== null) {
      if (!command.settled) {
        if (command.deadline === 0 || command.deadline > now) break;
        this.timeOut(command, true);
      }
      if (command.next === null) break;
      command = command.next;
    }
    this.scanFrom = command;
  }

  private expireQueued(now: number): void {
    const queue = this.queue;
    while (
      queue.head !== null &&
      (queue.head.settled || (queue.head.deadline > 0 && queue.head.deadline <= now))
    ) {
      const command = queue.shift() as PendingCommand;
      this.pendingBytes -= command.bytes;
      if (!command.settled) this.timeOut(command, false);
    }
  }

  private timeOut(command: PendingCommand, sent: boolean): void {
    command.settled = true;
    this.counters.timeouts++;
    const where = sent ? 'waiting for its reply' : 'queued before it could be sent';
    command.reject(
      new TimeoutError(
        `${command.name} timed out after ${this.options.commandTimeout} ms ${where} (${this.address})`,
        command.name,
        this.options.commandTimeout,
        sent,
      ),
    );
  }

  private checkStall(now: number): void {
    if (this.socket === null || this.inflight.length === 0 || this.options.stallTimeout === 0) return;
    if (now - this.lastProgressAt < this.options.stallTimeout) return;
    this.dropSocket(
      new ConnectionError(
        `${this.address} sent nothing for stallTimeout (${this.options.stallTimeout} ms) while replies were owed`,
        true,
      ),
    );
  }

  private checkHeartbeat(now: number): void {
    const interval = this.options.heartbeatInterval;
    if (this.state !== 'ready' || interval === 0 || this.heartbeatInFlight) return;
    if (this.inflight.length > 0 || this.queue.length > 0 || now - this.lastActivityAt < interval) return;
    const generation = this.generation;
    const ping = new PendingCommand(
      'PING',
      CommandFlags.None,
      () => {
        if (generation === this.generation) this.heartbeatInFlight = false;
      },
      (error: Error) => {
        if (generation !== this.generation) return;
        this.heartbeatInFlight = false;
        if (error instanceof ReplyError) return; // the server answered: it is alive
        this.dropSocket(
          new ConnectionError(`heartbeat PING to ${this.address} got no reply within ${interval} ms`, true),
        );
      },
    );
    prepare(ping, ['PING']);
    ping.deadline = now + interval;
    this.heartbeatInFlight = true;
    this.lastActivityAt = now;
    this.writeInternal(ping);
  }
}

/** Measures and validates a command's arguments (throwing InvalidArgumentError) and keeps them for the flush. */
function prepare(command: PendingCommand, args: readonly CommandArg[]): void {
  measureCommand(args, command);
  command.args = args;
}
