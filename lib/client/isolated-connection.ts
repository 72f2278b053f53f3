import { ReplyModeRefusals } from '../commands/reply-mode-methods';
import { ISOLATED_ALLOWS, StateChange } from '../commands/connection-state';
import { shaped, type Transform } from '../commands/reply';
import type { Connection } from '../connection/connection';
import { CommandFlags } from '../connection/pending-command';
import { ConnectionClosedError, InvalidArgumentError, ReplyError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { BatchCommand } from './batch';
import type { ClientCache } from './cache';
import { execTransaction } from './exec-transaction';
import type { Lease } from './pool';
import { Transaction } from './transaction';

/**
 * One caller's use of a leased connection: whether it may still send, and what it changed that must
 * be undone before the connection is lent again. Kept off IsolatedConnection, whose names are commands.
 */
export class IsolatedSession {
  revoked = false;
  private watched = false;
  private multiOpen = false;
  private selected = false;
  /** Writes queued inside a MULTI sent with call(): they change their keys when EXEC runs. */
  private queued: BatchCommand[] = [];

  /** `cache`: the Client's, whose entries this connection's writes drop on their replies; null without. */
  constructor(
    readonly connection: Connection,
    private readonly cache: ClientCache | null = null,
  ) {}

  /** Why nothing may be sent now, or null. */
  refusal(): Error | null {
    return this.revoked
      ? new ConnectionClosedError(
          'this isolated connection was given back when its function returned; use it only inside the function',
        )
      : null;
  }

  /** Notes the state a command changes, counting it changed whether or not it succeeds. */
  track(args: readonly CommandArg[]): void {
    const name = args[0];
    if (typeof name !== 'string' || name.length > 7) return;
    switch (name.toUpperCase()) {
      case 'WATCH':
        this.watched = true;
        break;
      case 'MULTI':
        this.multiOpen = true;
        break;
      case 'EXEC':
      case 'DISCARD':
        this.multiOpen = false;
        break;
      case 'SELECT':
        this.selected = true;
        break;
    }
  }

  /**
   * Sends one of the caller's commands, noting the state it changes. With a cache, a write drops its
   * keys' entries on its reply; one queued inside a MULTI sent with call() does so on EXEC's (or
   * DISCARD's: a needless drop, never a stale hit).
   */
  send(args: readonly CommandArg[], flags: CommandFlags): Promise<RespValue> {
    const inMulti = this.multiOpen;
    this.track(args);
    const reply = this.connection.send(args, flags);
    const cache = this.cache;
    if (cache === null) return reply;
    if (!inMulti) return cache.afterWrite(args, flags, reply);
    if (this.multiOpen) {
      this.queued.push({ args, flags });
      return reply;
    }
    const queued = this.queued;
    this.queued = [];
    return cache.afterBatch(queued, reply);
  }

  execTransaction(commands: readonly BatchCommand[]): Promise<RespValue[]> {
    const refusal = this.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    if (this.multiOpen) {
      return Promise.reject(
        new InvalidArgumentError(
          'a MULTI sent with call() is still open on this connection: EXEC or DISCARD it first',
        ),
      );
    }
    for (const command of commands) this.track(command.args);
    // `watched` stays set: EXEC ends the watches only if it was sent, and a transaction refused before
    // sending (a bad argument, a full queue) leaves them armed. The UNWATCH on release is harmless.
    const reply = execTransaction(this.connection, commands);
    return this.cache === null ? reply : this.cache.afterBatch(commands, reply);
  }

  /**
   * Ends the caller's use and undoes what it changed: DISCARD an open MULTI, UNWATCH, SELECT the
   * configured db. Resolves true when the connection is as it was leased, false when it must be closed.
   */
  reset(db: number): Promise<boolean> {
    this.revoked = true;
    const connection = this.connection;
    if (connection.status !== 'ready') return Promise.resolve(false);
    const undo: Promise<boolean>[] = [];
    // DISCARD also drops the watches; "DISCARD without MULTI" only means there was nothing to drop.
    if (this.multiOpen) undo.push(connection.send(['DISCARD'], CommandFlags.None).then(done, noMultiOpen));
    if (this.watched) undo.push(connection.send(['UNWATCH'], CommandFlags.None).then(done, failed));
    if (this.selected) undo.push(connection.send(['SELECT', db], CommandFlags.None).then(done, failed));
    if (undo.length === 0) return Promise.resolve(true);
    return Promise.all(undo).then((results) => results.every(Boolean));
  }
}

/**
 * A connection of the caller's own inside `isolated()`: every command method, and WATCH, UNWATCH,
 * MULTI, EXEC, DISCARD and SELECT are allowed, since no other caller shares it. What they change is
 * undone (or the connection closed) before anyone else gets it. Usable only until the function returns.
 */
export class IsolatedConnection extends ReplyModeRefusals<'promise'> {
  protected override allowedStateChanges: StateChange = ISOLATED_ALLOWS;

  constructor(private readonly session: IsolatedSession) {
    super();
  }

  /**
   * MULTI … EXEC as one batch on this connection, checked against its WATCHed keys. SELECT may be
   * queued inside; WATCH and MULTI may not (Redis refuses them there too).
   */
  multi(): Transaction {
    return new Transaction((commands) => this.session.execTransaction(commands), StateChange.Database);
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): Promise<unknown> {
    if (args instanceof InvalidArgumentError) return Promise.reject(args);
    const session = this.session;
    const refusal = session.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    return shaped(session.send(args, flags), transform, args);
  }
}

/**
 * Runs `fn` with a leased connection and gives it back: reset and reused when `fn` resolved, closed
 * when it threw (the connection may be anywhere in a conversation the caller abandoned).
 */
export async function runIsolated<T>(
  lease: Lease,
  db: number,
  fn: (connection: IsolatedConnection) => Promise<T> | T,
  cache: ClientCache | null = null,
): Promise<T> {
  const session = new IsolatedSession(lease.connection, cache);
  let result: T;
  try {
    result = await fn(new IsolatedConnection(session));
  } catch (error) {
    session.revoked = true;
    lease.release(false);
    throw error;
  }
  // The caller has its result now; the reset finishes before the pool lends the connection again.
  void session.reset(db).then(
    (reusable) => lease.release(reusable),
    () => lease.release(false),
  );
  return result;
}

function done(): boolean {
  return true;
}

function failed(): boolean {
  return false;
}

function noMultiOpen(error: unknown): boolean {
  return error instanceof ReplyError && /without MULTI/i.test(error.message);
}
