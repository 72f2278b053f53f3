import { ReplyModeRefusals } from './commands/reply-mode-methods';
import type { Transform } from './commands/reply';
import type { CommandFlags, Settle } from './connection/pending-command';
import { InvalidArgumentError } from './errors';
import type { CommandArg, RespValue } from './resp/types';

/** Sends one command and reports its reply or error through `settle`; never throws. */
export type PipelineSink = (
  args: CommandArg[] | InvalidArgumentError,
  flags: CommandFlags,
  settle: Settle<RespValue | Error>,
) => void;

/**
 * Records commands, then sends them back to back in one tick, so they leave in one write.
 * `exec()` never rejects: each slot holds that command's reply or its Error.
 */
export class Pipeline extends ReplyModeRefusals<'chain'> {
  private readonly recorded: {
    args: CommandArg[] | InvalidArgumentError;
    flags: CommandFlags;
    transform: Transform | null;
  }[] = [];
  private executed = false;

  constructor(private readonly sink: PipelineSink) {
    super();
  }

  get length(): number {
    return this.recorded.length;
  }

  exec(): Promise<unknown[]> {
    if (this.executed) return Promise.reject(new InvalidArgumentError('this pipeline was already executed'));
    this.executed = true;
    const recorded = this.recorded;
    const results = new Array<unknown>(recorded.length);
    if (recorded.length === 0) return Promise.resolve(results);
    // One promise for the whole batch: each command settles its own slot, the last one resolves.
    return new Promise((resolve) => {
      let remaining = recorded.length;
      recorded.forEach(({ args, flags, transform }, index) => {
        this.sink(args, flags, (outcome) => {
          results[index] =
            transform === null || outcome instanceof Error ? outcome : reshape(transform, outcome, args);
          if (--remaining === 0) resolve(results);
        });
      });
    });
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): this {
    this.recorded.push({ args, flags, transform });
    return this;
  }
}

/** A reply that does not have the shape its transform expects becomes that slot's error. */
function reshape(transform: Transform, value: RespValue, args: CommandArg[] | InvalidArgumentError): unknown {
  try {
    return transform(value, args instanceof InvalidArgumentError ? [] : args);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
