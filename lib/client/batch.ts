import type { Connection } from '../connection/connection';
import type { CommandFlags } from '../connection/pending-command';
import type { CommandArg, RespValue } from '../resp/types';

/** One command of a batch: its full argument list (name first) and how the connection treats it. */
export interface BatchCommand {
  readonly args: readonly CommandArg[];
  readonly flags: CommandFlags;
}

/**
 * Sends commands so they leave back to back, and settles with each one's reply or Error, in order;
 * never rejects. STAND-IN until Connection.sendBatch lands: it enqueues in one synchronous run, which
 * keeps them contiguous in the one write of a flush, but does not yet admit all or none.
 */
export function sendBatch(
  connection: Connection,
  commands: readonly BatchCommand[],
): Promise<(RespValue | Error)[]> {
  return new Promise((resolve) => {
    const outcomes = new Array<RespValue | Error>(commands.length);
    let remaining = commands.length;
    const settle = (index: number, outcome: RespValue | Error): void => {
      outcomes[index] = outcome;
      if (--remaining === 0) resolve(outcomes);
    };
    commands.forEach(({ args, flags }, index) => {
      connection.sendTo(
        args,
        flags,
        (reply) => settle(index, reply),
        (error) => settle(index, error),
      );
    });
  });
}
