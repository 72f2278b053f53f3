import { CommandApi } from './commands/api';
import type { CommandFlags } from './connection/pending-command';
import { InvalidArgumentError } from './errors';
import type { CommandArg, RespValue } from './resp/types';

type Send = (args: CommandArg[] | InvalidArgumentError, flags: CommandFlags) => Promise<RespValue>;

/**
 * Records commands, then sends them back to back in one tick, so they leave in one write.
 * `exec()` never rejects: each slot holds that command's reply or its Error.
 */
export class Pipeline extends CommandApi<'chain'> {
  private readonly recorded: { args: CommandArg[] | InvalidArgumentError; flags: CommandFlags }[] = [];
  private executed = false;

  constructor(private readonly send: Send) {
    super();
  }

  get length(): number {
    return this.recorded.length;
  }

  exec(): Promise<(RespValue | Error)[]> {
    if (this.executed) return Promise.reject(new InvalidArgumentError('this pipeline was already executed'));
    this.executed = true;
    return Promise.all(
      this.recorded.map(({ args, flags }) => this.send(args, flags).then(identity, asError)),
    );
  }

  protected dispatch(args: CommandArg[] | InvalidArgumentError, flags: CommandFlags): this {
    this.recorded.push({ args, flags });
    return this;
  }
}

function identity(value: RespValue): RespValue {
  return value;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
