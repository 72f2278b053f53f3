import type { Connection, ConnectionListener } from '../connection/connection';
import { ConnectionClosedError, QueueFullError } from '../errors';
import type { RespValue } from '../resp/types';

/** A pooled connection, lent to one caller until it calls `release`. */
export interface Lease {
  /** Connected and handshaken when the lease is granted; owned by the lease holder alone. */
  readonly connection: Connection;
  /** RESP3 push frames of this connection go here while leased (a subscriber's messages). */
  onPush: ((message: RespValue[]) => void) | null;
  /**
   * Gives the connection back: `reusable` when its state is as it was when leased (no WATCH, no open
   * MULTI, the configured db), so the next caller may have it; otherwise it is closed. Once only.
   */
  release(reusable: boolean): void;
}

export interface PoolSettings {
  /** Most connections open (or opening) at once. */
  max: number;
  /** An idle connection closes after this many ms; 0 keeps it. */
  idleTimeout: number;
  /** How long a lease waits for a free connection past `max`; 0 waits as long as it takes. */
  leaseTimeout: number;
  /**
   * connectTimeout bounds every handshake, so quit() may let a connection opened for a command already
   * accepted finish opening (see lease's `finishOnQuit`): it cannot hang.
   */
  handshakeBounded: boolean;
}

export interface PoolEvents {
  /** A pooled connection's socket or protocol error. */
  onError(error: Error): void;
}

type EntryState = 'opening' | 'idle' | 'leased' | 'retired';

class PooledConnection {
  state: EntryState = 'opening';
  /** Its connection finished (closed for good); it no longer counts as open. */
  ended = false;
  idleTimer: NodeJS.Timeout | null = null;
  onPush: ((message: RespValue[]) => void) | null = null;
  readonly connection: Connection;
  /** Bumped at every lease, so a stale Lease handle cannot release a later holder's lease. */
  turn = 0;
  /** Opened for work quit() waits for: it goes on opening, and is lent, after quit(). */
  finishOnQuit = false;

  constructor(
    pool: ConnectionPool,
    create: (listener: ConnectionListener) => Connection,
    events: PoolEvents,
  ) {
    this.connection = create({
      onReady: noop,
      onError: (error) => events.onError(error),
      onReconnecting: noop,
      onClose: noop,
      onEnd: () => pool.ended(this),
      onPush: (message) => this.onPush?.(message),
    });
  }
}

/** The pool of dedicated connections behind `isolated()`, blocking commands and MONITOR, right now. */
export interface PoolStats {
  /** Connections opening, idle or leased. */
  open: number;
  /** Connected and waiting for a lease. */
  idle: number;
  /** Opening or leased. */
  leased: number;
  /** Leases waiting for a connection. */
  waiting: number;
}

interface Waiter {
  resolve(lease: Lease): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | null;
}

/**
 * A bounded pool of dedicated connections to one server, each with the same handshake as the shared
 * one. A lease past `max` waits its turn (first come, first served) up to `leaseTimeout`, then rejects
 * with QueueFullError. Idle connections close after `idleTimeout`; their timers never hold the process.
 */
export class ConnectionPool {
  /** Most recently released last: reused first, so the others age out when demand drops. */
  private readonly idle: PooledConnection[] = [];
  private readonly waiters = new Set<Waiter>();
  /** Every connection opening or leased, so disconnect() can reach them. */
  private readonly leasedOrOpening = new Set<PooledConnection>();
  /** Connections opening, idle or leased: what `max` bounds. */
  private open = 0;
  /** Connections not yet finished, retired ones included: what close() waits for. */
  private alive = 0;
  private closing: 'quit' | 'disconnect' | null = null;
  private readonly drained: (() => void)[] = [];

  constructor(
    private readonly settings: PoolSettings,
    private readonly create: (listener: ConnectionListener) => Connection,
    private readonly events: PoolEvents,
  ) {}

  /**
   * Resolves with a connected connection of the caller's own; release it when done. `finishOnQuit`: the
   * caller's work is already accepted (a blocking command with a timeout), so a connection opened for it
   * goes on opening after quit() and is lent, when connectTimeout bounds its handshake; otherwise quit()
   * refuses every lease not yet lent.
   */
  lease(finishOnQuit = false): Promise<Lease> {
    if (this.closing !== null) return Promise.reject(this.closedError());
    // Waiters go first: a new caller does not overtake them.
    if (this.waiters.size === 0 && (this.idle.length > 0 || this.open < this.settings.max))
      return this.take(finishOnQuit);
    return new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null };
      const timeout = this.settings.leaseTimeout;
      if (timeout > 0) {
        waiter.timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new QueueFullError(
              `all ${this.settings.max} pooled connections stayed leased for commandTimeout (${timeout} ms); ` +
                `raise pool.max or release connections sooner`,
            ),
          );
        }, timeout);
      }
      this.waiters.add(waiter);
    });
  }

  stats(): PoolStats {
    return {
      open: this.open,
      idle: this.idle.length,
      leased: this.open - this.idle.length,
      waiting: this.waiters.size,
    };
  }

  /**
   * Closes the pool: waiting leases reject with ConnectionClosedError, idle connections close.
   * 'quit' lets leased connections finish their work and closes each when released; 'disconnect'
   * closes them now, rejecting what they have pending. Resolves once every connection has closed.
   */
  close(mode: 'quit' | 'disconnect'): Promise<void> {
    if (this.closing !== 'disconnect') this.closing = mode;
    for (const waiter of this.waiters) {
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      waiter.reject(this.closedError());
    }
    this.waiters.clear();
    for (const entry of this.idle.slice()) this.retire(entry, mode);
    if (mode === 'disconnect') {
      // Still opening or leased: their holders see their commands rejected with ConnectionClosedError.
      for (const entry of this.leasedOrOpening) entry.connection.disconnect();
    } else {
      // Leases not yet lent are refused like waiting ones: their connection never became ready, and
      // its handshake might never finish (a silent server with connectTimeout 0). Unless accepted work
      // waits on one and connectTimeout bounds it.
      for (const entry of this.leasedOrOpening) {
        if (entry.state === 'opening' && !this.lentOnQuit(entry)) void entry.connection.quit();
      }
    }
    if (this.alive === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /**
   * Closes the idle connections now, so none is lent again: the server they reach was left (a Sentinel
   * failover), and the next lease opens a connection to the server found then. Leased ones stay.
   */
  retireIdle(): void {
    for (const entry of this.idle.slice()) this.retire(entry, 'disconnect');
  }

  /**
   * Closes the leased and opening connections now (a Sentinel failover): not reconnected, since a
   * holder's WATCH or open MULTI would not follow it to another server. What they have pending, and
   * every command their holders send later, rejects with ConnectionClosedError saying `why`.
   */
  closeLeased(why: string): void {
    for (const entry of [...this.leasedOrOpening]) entry.connection.disconnect(why);
  }

  /** Called by a Lease handle. */
  private release(entry: PooledConnection, turn: number, reusable: boolean): void {
    if (entry.turn !== turn || entry.state !== 'leased') return;
    this.leasedOrOpening.delete(entry);
    entry.onPush = null;
    if (!reusable || this.closing !== null || entry.connection.status !== 'ready') {
      this.retire(entry, reusable && this.closing === 'quit' ? 'quit' : 'disconnect');
      return;
    }
    entry.state = 'idle';
    this.idle.push(entry);
    this.serveWaiters();
    if (entry.state === 'idle' && this.settings.idleTimeout > 0) {
      entry.idleTimer = setTimeout(() => this.retire(entry, 'quit'), this.settings.idleTimeout);
      entry.idleTimer.unref();
    }
  }

  /** Called when a connection finished, whatever the reason (closed by us, by the server, by a failure). */
  ended(entry: PooledConnection): void {
    if (entry.ended) return;
    entry.ended = true;
    this.alive--;
    this.leasedOrOpening.delete(entry);
    if (entry.state !== 'retired') this.retire(entry, 'disconnect');
    if (this.alive === 0 && this.closing !== null) for (const resolve of this.drained.splice(0)) resolve();
  }

  private lentOnQuit(entry: PooledConnection): boolean {
    return entry.finishOnQuit && this.settings.handshakeBounded;
  }

  private take(finishOnQuit = false): Promise<Lease> {
    const reused = this.idle.pop();
    if (reused !== undefined) {
      if (reused.idleTimer !== null) clearTimeout(reused.idleTimer);
      reused.idleTimer = null;
      return Promise.resolve(this.lend(reused));
    }
    this.open++;
    this.alive++;
    const entry = new PooledConnection(this, this.create, this.events);
    entry.finishOnQuit = finishOnQuit;
    this.leasedOrOpening.add(entry);
    return entry.connection.connect().then(
      () => {
        if (
          entry.state === 'retired' ||
          this.closing === 'disconnect' ||
          (this.closing === 'quit' && !this.lentOnQuit(entry))
        ) {
          this.retire(entry, 'disconnect');
          throw this.closedError();
        }
        return this.lend(entry);
      },
      (error: unknown) => {
        this.retire(entry, 'disconnect');
        throw error;
      },
    );
  }

  private lend(entry: PooledConnection): Lease {
    entry.state = 'leased';
    entry.turn++;
    this.leasedOrOpening.add(entry);
    const turn = entry.turn;
    // A handle of its own: releasing it after the connection went to someone else does nothing.
    return {
      connection: entry.connection,
      get onPush() {
        return entry.onPush;
      },
      set onPush(handler) {
        if (entry.turn === turn) entry.onPush = handler;
      },
      release: (reusable: boolean) => this.release(entry, turn, reusable),
    };
  }

  /** Takes a connection out of the pool for good, freeing its place for someone waiting. */
  private retire(entry: PooledConnection, how: 'quit' | 'disconnect'): void {
    if (entry.state === 'retired') return;
    const wasIdle = entry.state === 'idle';
    entry.state = 'retired';
    this.open--;
    this.leasedOrOpening.delete(entry);
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
    if (wasIdle) this.idle.splice(this.idle.indexOf(entry), 1);
    if (!entry.ended) {
      if (how === 'quit') void entry.connection.quit();
      else entry.connection.disconnect();
    }
    this.serveWaiters();
  }

  private serveWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.closing !== null || (this.idle.length === 0 && this.open >= this.settings.max)) return;
      this.waiters.delete(waiter);
      if (waiter.timer !== null) clearTimeout(waiter.timer);
      this.take().then(waiter.resolve, waiter.reject);
    }
  }

  private closedError(): ConnectionClosedError {
    return new ConnectionClosedError('the client is closed: no dedicated connection can be leased');
  }
}

function noop(): void {}
