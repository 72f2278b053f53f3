import type { CallOptions } from '../connection/command-guard';
import type { Connection } from '../connection/connection';
import type { CommandFlags } from '../connection/pending-command';
import { AbortError, ConnectionClosedError, InvalidArgumentError, ReplyError, TimeoutError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { ConnectionPool } from './pool';

/**
 * Runs blocking commands (BLPOP, XREAD BLOCK, WAIT…) each on a connection leased from the Client's
 * pool, so a command the server holds for seconds never holds up the shared pipeline behind it.
 *
 * - The lease waits within commandTimeout for a free connection, then rejects with QueueFullError.
 * - The command's deadline is its own blocking time plus commandTimeout; none when it blocks until served.
 * - A connection comes back to the pool only after a reply (an error reply included). One that timed
 *   out or was lost is closed: the server may still answer on it, and that answer must reach no one.
 */
export class BlockingCommands {
  /** Connections blocked with no timeout: the only ones quit() cannot wait for. */
  private readonly unbounded = new Set<Connection>();
  private quitting = false;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly commandTimeout: number,
  ) {}

  /** Sends `args`, which block for `blockMs` (0: until served), on a connection of their own. */
  send(
    args: readonly CommandArg[],
    flags: CommandFlags,
    blockMs: number,
    options?: CallOptions,
  ): Promise<RespValue> {
    // One with a timeout is waited for by quit(), even while its connection is still opening.
    return this.pool.lease(blockMs > 0).then((lease) => {
      const connection = lease.connection;
      if (blockMs === 0) this.unbounded.add(connection);
      return connection.sendBlocking(args, flags, blockMs, options).then(
        (reply) => {
          this.unbounded.delete(connection);
          lease.release(true);
          return reply;
        },
        (error: unknown) => {
          this.unbounded.delete(connection);
          // A reply or a refusal before sending leaves the connection in step; anything else does not.
          // An abort before sending (the signal fired while the lease was awaited) leaves it in step too.
          const inStep =
            error instanceof ReplyError ||
            error instanceof InvalidArgumentError ||
            (error instanceof AbortError && !error.sent);
          lease.release(inStep);
          throw this.explained(error, blockMs);
        },
      );
    });
  }

  /**
   * For quit(): a command blocked with no timeout may never be answered, so its connection is closed
   * now and it rejects with ConnectionClosedError. Those with a timeout end by their deadline.
   */
  endUnbounded(): void {
    this.quitting = true;
    for (const connection of [...this.unbounded]) connection.disconnect();
  }

  private explained(error: unknown, blockMs: number): unknown {
    if (error instanceof TimeoutError) {
      // The watchdog's message names commandTimeout alone; this deadline also had the blocking time.
      return new TimeoutError(
        `${error.command} got no reply within its blocking time (${blockMs} ms) plus commandTimeout ` +
          `(${this.commandTimeout} ms); it may or may not have run, and its connection was closed`,
        error.command,
        blockMs + this.commandTimeout,
        error.sent,
      );
    }
    if (error instanceof ConnectionClosedError && this.quitting && blockMs === 0) {
      return new ConnectionClosedError(
        'quit() closed the connection of a command blocked with no timeout, which might never have been answered',
        { cause: error },
      );
    }
    return error;
  }
}
