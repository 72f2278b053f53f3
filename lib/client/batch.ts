import type { CallOptions } from '../connection/command-guard';
import type { BatchCommand, Connection } from '../connection/connection';
import type { RespValue } from '../resp/types';

export type { BatchCommand } from '../connection/connection';

/**
 * Sends commands that stand together (MULTI … EXEC) through Connection.sendBatch: all admitted or
 * none, back to back in one write, one deadline, never resent alone. Settles with each one's reply or
 * Error, in order; never rejects.
 */
export function sendBatch(
  connection: Connection,
  commands: readonly BatchCommand[],
  options?: CallOptions,
): Promise<(RespValue | Error)[]> {
  return new Promise((resolve) => {
    const outcomes = new Array<RespValue | Error>(commands.length);
    let remaining = commands.length;
    if (remaining === 0) return resolve(outcomes);
    connection.sendBatch(
      commands,
      (index, outcome) => {
        outcomes[index] = outcome;
        if (--remaining === 0) resolve(outcomes);
      },
      options,
    );
  });
}
