import { Connection, type ConnectionListener } from '../connection/connection';
import { resolveOptions } from '../connection/options';
import { CommandFlags } from '../connection/pending-command';
import type { CommandArg, RespValue } from '../resp/types';
import { hostPort, type SentinelEndpoint } from './config';

const quiet: ConnectionListener = {
  onReady: noop,
  onError: noop,
  onReconnecting: noop,
  onClose: noop,
  onEnd: noop,
  onPush: noop,
};

/**
 * Sends one command to one sentinel over a connection of its own, closed afterwards whatever happens.
 * `timeoutMs` bounds connecting and the reply each, so a dead sentinel costs at most that much before
 * the next is asked. Rejects with the connection's typed errors, which name the sentinel, never its
 * credentials. While it runs, its connection is in `open`, so a closing Client can end it at once.
 */
export async function askSentinel(
  sentinel: SentinelEndpoint,
  args: readonly CommandArg[],
  timeoutMs: number,
  open: Set<Connection>,
): Promise<RespValue> {
  const options = resolveOptions(
    `${sentinel.tls ? 'rediss' : 'redis'}://${hostPort(sentinel.host, sentinel.port)}`,
    {
      username: sentinel.username,
      password: sentinel.password,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      stallTimeout: 0,
      heartbeatInterval: 0,
      reconnect: false,
    },
  );
  const connection = new Connection(options, quiet);
  open.add(connection);
  try {
    await connection.connect();
    return await connection.send(args, CommandFlags.None);
  } finally {
    open.delete(connection);
    connection.disconnect();
  }
}

/** A sentinel's field/value reply (RESP2 flat array, or a RESP3 map) as a plain record of strings. */
export function fieldsOf(entry: RespValue): Record<string, string> {
  const record: Record<string, string> = Object.create(null) as Record<string, string>;
  if (Array.isArray(entry)) {
    for (let i = 0; i + 1 < entry.length; i += 2) record[String(entry[i])] = String(entry[i + 1]);
  } else if (entry instanceof Map) {
    for (const [field, value] of entry) record[String(field)] = String(value);
  }
  return record;
}

function noop(): void {}
