/**
 * The heartbeat's failures are its own: a missed PING replaces the socket without counting as a
 * caller's timeout, and a PING caught in another failure does not hide that failure.
 */
import { Connection, type ConnectionListener, type ReconnectingInfo } from '../lib/connection/connection';
import { resolveOptions, type ClientOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import { ConnectionError, ProtocolError } from '../lib/errors';
import { EmbeddedServer } from '../lib/testing';
import { eventually } from './support/wait';

let server: EmbeddedServer;
const connections: Connection[] = [];
beforeEach(async () => {
  server = new EmbeddedServer();
  await server.start();
});
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  await server.stop();
});

function open(options: ClientOptions): {
  connection: Connection;
  errors: Error[];
  reconnecting: ReconnectingInfo[];
} {
  const errors: Error[] = [];
  const reconnecting: ReconnectingInfo[] = [];
  const listener: ConnectionListener = {
    onReady: () => undefined,
    onError: (error) => errors.push(error),
    onReconnecting: (info) => reconnecting.push(info),
    onClose: () => undefined,
    onEnd: () => undefined,
    onPush: () => undefined,
  };
  const connection = new Connection(resolveOptions(server.url, options), listener);
  connections.push(connection);
  return { connection, errors, reconnecting };
}

/** Answers the next PING with `action`, then lets PINGs through again. */
function onNextPing(action: () => Buffer | Promise<undefined>): void {
  let used = false;
  server.respondWith((command) => {
    if (command.name !== 'ping' || used) return undefined;
    used = true;
    return action();
  });
}

test('a missed heartbeat replaces the socket and is not counted as a timeout of a caller', async () => {
  const { connection, reconnecting } = open({
    heartbeatInterval: 30,
    commandTimeout: 1_000,
    reconnect: { minDelay: 5, maxDelay: 10 },
  });
  await connection.connect();
  onNextPing(() => new Promise<undefined>(() => undefined));
  await eventually(() => reconnecting.length > 0, 'the missed heartbeat');
  expect(reconnecting[0]?.error).toBeInstanceOf(ConnectionError);
  expect(reconnecting[0]?.error.message).toMatch(/heartbeat PING to .* got no reply within 30 ms/);
  await eventually(() => connection.status === 'ready', 'a new socket');
  expect(await connection.send(['ECHO', 'after'], CommandFlags.None)).toBe('after');
  expect(connection.stats()).toMatchObject({ timeouts: 0, sent: 1, replies: 1 });
});

test('a protocol error in the reply to a heartbeat PING is reported as itself', async () => {
  const { connection, errors, reconnecting } = open({
    heartbeatInterval: 30,
    reconnect: { minDelay: 5, maxDelay: 10 },
  });
  await connection.connect();
  onNextPing(() => Buffer.from('$4\r\nPONGXX'));
  await eventually(() => reconnecting.length > 0, 'the poisoning');
  expect(errors[0]).toBeInstanceOf(ProtocolError);
  expect(reconnecting[0]?.error).toBeInstanceOf(ProtocolError);
  expect(errors.some((error) => /heartbeat/.test(error.message))).toBe(false);
  await eventually(() => connection.status === 'ready', 'a new socket');
});

test('a heartbeat PING is due within commandTimeout, so it never holds back the deadlines behind it', async () => {
  const { connection, reconnecting } = open({
    heartbeatInterval: 50,
    commandTimeout: 20,
    reconnect: { minDelay: 5, maxDelay: 10 },
  });
  await connection.connect();
  onNextPing(() => new Promise<undefined>(() => undefined));
  await eventually(() => reconnecting.length > 0, 'the missed heartbeat');
  // The watchdog checks in-flight deadlines in order: a PING due after a whole interval would have
  // kept a command written behind it from timing out at its own deadline.
  expect(reconnecting[0]?.error.message).toMatch(/got no reply within 20 ms/);
});
