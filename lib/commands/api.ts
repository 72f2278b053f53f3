import { CommandFlags } from '../connection/pending-command';
import { InvalidArgumentError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { ApiMode, Returns } from './api-types';
import { isBlockingCommand } from './blocking';
import { commandInfo } from './command-table';
import { StateChange, stateChangeRefusal } from './connection-state';
import type { CommandDef } from './define';
import { CommandMethods } from './generated/command-methods';
import type { Transform } from './reply';

export type { ApiMode, RedisKey, Returns } from './api-types';
export type { MsetEntries, SetOptions } from './arguments';

/**
 * The one seam every surface shares, as go-redis's cmdable: the generated methods build arguments
 * and name their definition; `run` refuses what this surface cannot allow and hands the rest to the
 * surface's `dispatch` — the Client sends it, the Pipeline records it, the Cluster routes it.
 */
export abstract class CommandApi<Mode extends ApiMode> extends CommandMethods<Mode> {
  /** The connection-state changes this surface allows; none on a shared pipelined connection. */
  protected allowedStateChanges: StateChange = StateChange.None;

  /**
   * Sends or records a command. A caller's mistake arrives as an InvalidArgumentError, to reject that
   * command alone; `transform` reshapes a successful reply (null: as decoded).
   */
  protected abstract dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): unknown;

  /** Any command, for modules and commands newer than the table. Arguments are strings, Buffers or finite numbers. */
  call(command: string, ...args: CommandArg[]): Returns<Mode, RespValue, this> {
    return this.dispatchRaw(command, args, CommandFlags.None);
  }

  /** Like `call`, with strings in the reply left as Buffers. */
  callBuffer(command: string, ...args: CommandArg[]): Returns<Mode, RespValue, this> {
    return this.dispatchRaw(command, args, CommandFlags.Buffers);
  }

  protected run<T, TB>(
    def: CommandDef<T, TB>,
    args: CommandArg[] | InvalidArgumentError,
    buffers: false,
  ): Returns<Mode, T, this>;
  protected run<T, TB>(
    def: CommandDef<T, TB>,
    args: CommandArg[] | InvalidArgumentError,
    buffers: true,
  ): Returns<Mode, TB, this>;
  protected run<T, TB>(
    def: CommandDef<T, TB>,
    args: CommandArg[] | InvalidArgumentError,
    buffers: boolean,
  ): Returns<Mode, T | TB, this> {
    if (!(args instanceof InvalidArgumentError)) {
      if (args.length < def.minArgs) args = tooFewArguments(def, args.length);
      else if (def.stateChange !== StateChange.None)
        args = stateChangeRefusal(args, this.allowedStateChanges) ?? args;
    }
    const flags = buffers ? def.flags | CommandFlags.Buffers : def.flags;
    // The one place a reply's static type meets the dispatched value: `def` carries both.
    return this.dispatch(args, flags, def.transform) as Returns<Mode, T | TB, this>;
  }

  private dispatchRaw(
    command: string,
    args: CommandArg[],
    flags: CommandFlags,
  ): Returns<Mode, RespValue, this> {
    let full: CommandArg[] | InvalidArgumentError;
    if (typeof command !== 'string' || command.length === 0) {
      full = new InvalidArgumentError('the command name must be a non-empty string');
    } else {
      full = [command, ...args];
      full = stateChangeRefusal(full, this.allowedStateChanges) ?? full;
    }
    return this.dispatch(full, flags | flagsOf(command), null) as Returns<Mode, RespValue, this>;
  }
}

function tooFewArguments(def: CommandDef<unknown, unknown>, given: number): InvalidArgumentError {
  const words = def.name.split('|').length;
  return new InvalidArgumentError(
    `${def.name.replace('|', ' ')} needs at least ${def.minArgs - words} argument(s), got ${given - words}`,
  );
}

/**
 * Read-only commands may be resent once after a lost connection; everything else never is. Blocking
 * commands are marked so a Client runs them on a connection of their own. One table lookup.
 */
export function flagsOf(command: string): CommandFlags {
  if (typeof command !== 'string') return CommandFlags.None;
  const info = commandInfo(command);
  const readOnly = info?.readonly === true ? CommandFlags.ReadOnly : CommandFlags.None;
  return isBlockingCommand(command, info) ? readOnly | CommandFlags.Blocking : readOnly;
}
