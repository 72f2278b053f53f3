import { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';

/**
 * Commands after which the server no longer answers one reply per command (subscriber mode,
 * MONITOR's stream, CLIENT REPLY OFF, replication) or silently drops the handshake's state (RESET).
 * On a pipelined connection they would hand replies to the wrong callers, so they are refused.
 */
const REPLY_BREAKING = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
  'SYNC',
  'PSYNC',
  'RESET',
]);

/** Why this command cannot run on a pipelined connection, or undefined when it can. */
export function replyBreakingReason(
  command: string,
  args: readonly CommandArg[],
): InvalidArgumentError | undefined {
  const name = command.toUpperCase();
  const breaking =
    REPLY_BREAKING.has(name) ||
    (name === 'CLIENT' && typeof args[0] === 'string' && args[0].toUpperCase() === 'REPLY');
  if (!breaking) return undefined;
  const shown = name === 'CLIENT' ? 'CLIENT REPLY' : name;
  return new InvalidArgumentError(
    `${shown} changes how the server replies on this connection, which would break reply ordering on a ` +
      `pipelined connection; it is not supported`,
  );
}
