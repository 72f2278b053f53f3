import { ReplyModeRefusals } from '../commands/reply-mode-methods';
import { StateChange } from '../commands/connection-state';
import type { Transform } from '../commands/reply';
import { CommandFlags } from '../connection/pending-command';
import { InvalidArgumentError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { BatchCommand } from './batch';

/**
 * Runs the recorded commands as one MULTI … EXEC and resolves with EXEC's raw reply per command, or
 * rejects for the whole transaction (WatchError, EXECABORT, a lost connection, a cross-shard refusal).
 */
export type TransactionRunner = (commands: readonly BatchCommand[]) => Promise<RespValue[]>;

/**
 * Commands recorded now and run atomically by `exec()` as MULTI … EXEC, which leave as one batch.
 * `exec()` resolves with one slot per command: its reply, shaped as its method shapes it, or the
 * Error it failed with while running. It rejects, and nothing ran, when a command was refused before
 * sending (a bad argument, a connection-state command), a watched key changed (WatchError) or Redis
 * refused a queued command (ReplyError with code EXECABORT).
 */
export class Transaction extends ReplyModeRefusals<'chain'> {
  private readonly commands: BatchCommand[] = [];
  private readonly transforms: (Transform | null)[] = [];
  private refusal: InvalidArgumentError | null = null;
  private executed = false;

  /**
   * `allowed`: the connection-state changes its connection may take inside MULTI (SELECT when isolated).
   * Internal: a Transaction comes from `multi()`.
   *
   * @internal
   */
  constructor(
    private readonly runner: TransactionRunner,
    allowed: StateChange = StateChange.None,
  ) {
    super();
    this.allowedStateChanges = allowed;
  }

  /** Commands recorded so far. */
  get length(): number {
    return this.commands.length;
  }

  /**
   * Sends MULTI, the recorded commands and EXEC as one batch. Resolves with one slot per command: its
   * shaped reply, or the ReplyError it got. Rejects with a WatchError when a WATCHed key changed, with a
   * ReplyError (EXECABORT) when Redis refused a command while queueing, or when the batch could not run.
   */
  exec(): Promise<unknown[]> {
    if (this.executed)
      return Promise.reject(new InvalidArgumentError('this transaction was already executed'));
    this.executed = true;
    if (this.refusal !== null) return Promise.reject(this.refusal);
    const { commands, transforms } = this;
    return this.runner(commands).then((slots) =>
      slots.map((slot, index) => shape(transforms[index], slot, commands[index].args)),
    );
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): this {
    if (args instanceof InvalidArgumentError) {
      // All or nothing: one refused command keeps the whole transaction from being sent.
      this.refusal ??= args;
      return this;
    }
    // A command inside MULTI only queues: resending it alone after a lost socket would run it outside,
    // and a cache must not answer it. Of its flags only the Buffers choice still applies.
    this.commands.push({ args, flags: flags & CommandFlags.Buffers });
    this.transforms.push(transform);
    return this;
  }
}

/** A slot's reply as its method gives it; a reply its transform cannot shape becomes that slot's error. */
function shape(transform: Transform | null, slot: RespValue, args: readonly CommandArg[]): unknown {
  if (transform === null || slot instanceof Error) return slot;
  try {
    return transform(slot, args);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
