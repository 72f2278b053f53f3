import type { CallOptions } from '../connection/command-guard';
import type { Connection } from '../connection/connection';
import { CommandFlags } from '../connection/pending-command';
import { ReplyError, ResplineError, WatchError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import { sendBatch, type BatchCommand } from './batch';

const MULTI: BatchCommand = { args: ['MULTI'], flags: CommandFlags.None };

/**
 * Runs `commands` as MULTI … EXEC, sent as one batch so no other caller's command falls inside it.
 * Resolves with EXEC's reply per command, as decoded: a ReplyError in the slot of a command that failed
 * while running. Rejects with WatchError when a watched key changed, with a ReplyError (EXECABORT)
 * when Redis refused a queued command, or with the connection's error (timeout, lost socket).
 */
export function execTransaction(
  connection: Connection,
  commands: readonly BatchCommand[],
  options?: CallOptions,
  /** Flags for every command of the batch, MULTI and EXEC included (CommandFlags.SocketBound). */
  batchFlags: CommandFlags = CommandFlags.None,
): Promise<RespValue[]> {
  // EXEC's reply is decoded in one mode; with Buffers when any command wants them, and the other slots
  // turned back into text, since each command's slot must look as it would on its own.
  const buffers = commands.some((command) => (command.flags & CommandFlags.Buffers) !== 0);
  const exec: BatchCommand = {
    args: ['EXEC'],
    flags: (buffers ? CommandFlags.Buffers : CommandFlags.None) | batchFlags,
  };
  const batch =
    batchFlags === CommandFlags.None
      ? [MULTI, ...commands, exec]
      : [
          { args: MULTI.args, flags: MULTI.flags | batchFlags },
          ...commands.map((command) => ({ args: command.args, flags: command.flags | batchFlags })),
          exec,
        ];
  return sendBatch(connection, batch, options).then((outcomes) => {
    const slots = execSlots(commands, outcomes);
    if (buffers) {
      commands.forEach((command, index) => {
        if ((command.flags & CommandFlags.Buffers) === 0) slots[index] = asText(slots[index]);
      });
    }
    return slots;
  });
}

/** EXEC's array, or the error the whole transaction rejects with. */
function execSlots(commands: readonly BatchCommand[], outcomes: (RespValue | Error)[]): RespValue[] {
  const multi = outcomes[0];
  if (multi instanceof Error) throw multi;
  const exec = outcomes[outcomes.length - 1];
  if (exec instanceof ReplyError)
    throw exec.code === 'EXECABORT' ? execAbort(exec, commands, outcomes) : exec;
  if (exec instanceof Error) throw exec;
  if (exec === null) {
    throw new WatchError(
      'a watched key changed before EXEC, so the transaction did not run (EXEC returned nil)',
    );
  }
  if (!Array.isArray(exec) || exec.length !== commands.length) {
    throw new ResplineError(
      `EXEC answered ${Array.isArray(exec) ? `${exec.length} replies` : typeof exec} for ${commands.length} commands`,
    );
  }
  exec.forEach((slot, index) => {
    if (slot instanceof ReplyError) slot.command = nameOf(commands[index].args);
  });
  return exec;
}

/** EXECABORT says only that something was refused; the message names what and why. */
function execAbort(
  exec: ReplyError,
  commands: readonly BatchCommand[],
  outcomes: (RespValue | Error)[],
): ReplyError {
  for (let index = 0; index < commands.length; index++) {
    const refusal = outcomes[index + 1];
    if (!(refusal instanceof Error)) continue;
    const error = new ReplyError(
      `${exec.message} (${nameOf(commands[index].args)}, command ${index + 1} of the transaction: ${refusal.message})`,
    );
    error.command = 'EXEC';
    return error;
  }
  return exec;
}

function nameOf(args: readonly CommandArg[]): string {
  const name = args[0];
  return typeof name === 'string' ? name : String(name);
}

/** The value as a string-mode decode would have given it. */
function asText(value: RespValue): RespValue {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(asText);
  if (value instanceof Map) {
    const map = new Map<RespValue, RespValue>();
    for (const [key, entry] of value) map.set(asText(key), asText(entry));
    return map;
  }
  if (value instanceof Set) {
    const set = new Set<RespValue>();
    for (const member of value) set.add(asText(member));
    return set;
  }
  return value;
}
