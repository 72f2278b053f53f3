import { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';

/**
 * What a command does to the connection it runs on. On the shared pipelined connection every caller
 * shares that state, so such commands are refused there and allowed only where one caller owns the
 * connection (`isolated()`), and only the kinds that can be undone before the connection is reused.
 */
export const StateChange = {
  None: 0,
  /** MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
  Transaction: 1,
  /** SELECT. */
  Database: 2,
  /** HELLO, AUTH, RESET, READONLY, READWRITE, CLIENT TRACKING: the handshake's business. */
  Session: 4,
  /** Replies stop being one per command: the SUBSCRIBE family, MONITOR, CLIENT REPLY, SYNC, PSYNC. */
  ReplyMode: 8,
} as const;
export type StateChange = number;

/** What an isolated connection may do: transactions and SELECT, both undone before reuse. */
export const ISOLATED_ALLOWS: StateChange = StateChange.Transaction | StateChange.Database;

const BY_NAME: ReadonlyMap<string, readonly [StateChange, string]> = new Map<
  string,
  readonly [StateChange, string]
>([
  ['MULTI', [StateChange.Transaction, 'use multi(), which sends MULTI … EXEC as one batch']],
  ['EXEC', [StateChange.Transaction, 'use multi()']],
  ['DISCARD', [StateChange.Transaction, 'use multi()']],
  ['WATCH', [StateChange.Transaction, 'use isolated(), which gives WATCH a connection of its own']],
  ['UNWATCH', [StateChange.Transaction, 'use isolated()']],
  [
    'SELECT',
    [StateChange.Database, 'use the db option (or the URL path), or isolated() for a passing change'],
  ],
  ['HELLO', [StateChange.Session, 'use the protocol, username, password and name options']],
  ['AUTH', [StateChange.Session, 'use the username and password options']],
  ['RESET', [StateChange.Session, 'use disconnect() and a new client']],
  ['QUIT', [StateChange.Session, "use the client's quit()"]],
  ['READONLY', [StateChange.Session, "use RedisCluster's readFrom option"]],
  ['READWRITE', [StateChange.Session, "use RedisCluster's readFrom option"]],
  ['CLIENT|TRACKING', [StateChange.Session, 'use the cache option']],
  ['SUBSCRIBE', [StateChange.ReplyMode, 'subscriber mode needs a connection of its own']],
  ['PSUBSCRIBE', [StateChange.ReplyMode, 'subscriber mode needs a connection of its own']],
  ['SSUBSCRIBE', [StateChange.ReplyMode, 'subscriber mode needs a connection of its own']],
  ['UNSUBSCRIBE', [StateChange.ReplyMode, 'subscriber mode needs a connection of its own']],
  ['PUNSUBSCRIBE', [StateChange.ReplyMode, 'subscriber mode needs a connection of its own']],
  ['SUNSUBSCRIBE', [StateChange.ReplyMode, 'subscriber mode needs a connection of its own']],
  ['MONITOR', [StateChange.ReplyMode, 'MONITOR streams every command and needs a connection of its own']],
  ['CLIENT|REPLY', [StateChange.ReplyMode, 'every command must get its reply on a pipelined connection']],
  ['SYNC', [StateChange.ReplyMode, 'replication streams are not a client protocol']],
  ['PSYNC', [StateChange.ReplyMode, 'replication streams are not a client protocol']],
]);

/** The state a command-table name ('SELECT', 'CLIENT|TRACKING') changes; containers are checked per call. */
export function stateChangeOf(name: string): StateChange {
  if (name === 'CLIENT') return StateChange.Session | StateChange.ReplyMode;
  return BY_NAME.get(name)?.[0] ?? StateChange.None;
}

/**
 * Why this command may not run on a connection that allows only `allowed`, or undefined when it may.
 * Looks at the subcommand of CLIENT, so `call('CLIENT', 'TRACKING', 'ON')` is caught like clientTracking.
 */
export function stateChangeRefusal(
  args: readonly CommandArg[],
  allowed: StateChange,
): InvalidArgumentError | undefined {
  const first = args[0];
  // A name or subcommand given as a Buffer reaches the server as the same word.
  const word = (arg: CommandArg | undefined): string | undefined =>
    typeof arg === 'string'
      ? arg.toUpperCase()
      : Buffer.isBuffer(arg)
        ? arg.toString().toUpperCase()
        : undefined;
  let name = word(first);
  if (name === undefined) return undefined;
  if (name === 'CLIENT') {
    const sub = word(args[1]);
    if (sub !== undefined) name = `CLIENT|${sub}`;
  }
  const entry = BY_NAME.get(name);
  if (entry === undefined || (entry[0] & allowed) !== 0) return undefined;
  const shown = name.replace('|', ' ');
  return new InvalidArgumentError(
    `${shown} changes the state of the connection it runs on, which every caller of this client shares; ` +
      `it is refused here: ${entry[1]}`,
  );
}
