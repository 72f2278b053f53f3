/**
 * The handshake against an in-process server whose answers a test chooses: the RESP2 fallback when
 * HELLO 2 is refused (by an error reply, or by a proxy closing the socket), and a HandshakeError that
 * names the failed step, never the password, with every caller's command left unsent.
 * (spec/client-handshake.spec.ts runs the same cases through a real twemproxy.)
 */
import { Connection, type ConnectionListener, type ReconnectingInfo } from '../lib/connection/connection';
import { resolveOptions, type ClientOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import { ConnectionClosedError, HandshakeError } from '../lib/errors';
import type { RespValue } from '../lib/resp/types';
import { EmbeddedServer, type CommandHook, type IncomingCommand } from '../lib/testing';
import { eventually } from './support/wait';

const PASSWORD = 'hand-Shake-s3cret';

let server: EmbeddedServer;
/** Every command the server received, as `name args…` with the password masked. */
let received: string[];
const connections: Connection[] = [];

beforeEach(async () => {
  server = new EmbeddedServer({ password: PASSWORD });
  await server.start();
  received = [];
});
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  await server.stop();
});

function describeCommand(command: IncomingCommand): string {
  const words = [command.name, ...command.args.map((arg) => arg.toString())];
  return words.join(' ').split(PASSWORD).join('<password>');
}

/** Records every command; `answer` may replace the server's reply to one. */
function serve(answer: CommandHook = () => undefined): void {
  server.respondWith((command) => {
    received.push(describeCommand(command));
    return answer(command);
  });
}

interface Opened {
  connection: Connection;
  reconnecting: ReconnectingInfo[];
  errors: Error[];
}

function open(options: ClientOptions): Opened {
  const reconnecting: ReconnectingInfo[] = [];
  const errors: Error[] = [];
  const listener: ConnectionListener = {
    onReady: () => undefined,
    onError: (error) => errors.push(error),
    onReconnecting: (info) => reconnecting.push(info),
    onClose: () => undefined,
    onEnd: () => undefined,
    onPush: () => undefined,
  };
  const connection = new Connection(
    resolveOptions(server.url, { reconnect: { minDelay: 20, maxDelay: 40 }, ...options }),
    listener,
  );
  connections.push(connection);
  return { connection, reconnecting, errors };
}

function track(promise: Promise<RespValue>): { settled: boolean; error?: unknown } {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => (state.settled = true),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const unknownCommand = (command: IncomingCommand): Buffer =>
  Buffer.from(`-ERR unknown command '${describeCommand(command).replace('<password>', PASSWORD)}'\r\n`);

describe('protocol 2 falls back to the RESP2 handshake when HELLO is refused', () => {
  test('an error reply to HELLO: AUTH, SELECT and CLIENT SETNAME follow on the same socket', async () => {
    serve((command) => (command.name === 'hello' ? unknownCommand(command) : undefined));
    const { connection, errors } = open({ protocol: 2, password: PASSWORD, db: 2, name: 'fallback' });
    await connection.connect();
    expect(server.totalConnections).toBe(1);
    // SELECT, pipelined behind HELLO, ran unauthenticated; the RESP2 steps repeat it.
    expect(received).toEqual([
      'hello 2 AUTH default <password> SETNAME fallback',
      'select 2',
      'auth <password>',
      'select 2',
      'client SETNAME fallback',
    ]);
    expect(await connection.send(['CLIENT', 'GETNAME'], CommandFlags.None)).toBe('fallback');
    expect(errors).toEqual([]);

    // Remembered: the next socket goes straight to RESP2.
    received = [];
    server.resetAll();
    await eventually(() => connection.status === 'ready' && received.length >= 3, 'a new socket');
    expect(received.slice(0, 3)).toEqual(['auth <password>', 'select 2', 'client SETNAME fallback']);
  });

  test('a socket closed on HELLO (twemproxy): a new socket at once, without HELLO', async () => {
    serve((command) => (command.name === 'hello' ? { close: true } : undefined));
    const { connection, reconnecting, errors } = open({ protocol: 2, password: PASSWORD });
    const queued = connection.send(['ECHO', 'queued'], CommandFlags.None);
    await connection.connect();
    expect(await queued).toBe('queued');
    expect(server.totalConnections).toBe(2);
    expect(received).toEqual(['hello 2 AUTH default <password>', 'auth <password>', 'echo queued']);
    // Not a failed attempt: no backoff, no error.
    expect(reconnecting).toEqual([]);
    expect(errors).toEqual([]);
    expect(connection.stats()).toMatchObject({ sent: 1, reconnects: 0 });
  });
});

describe('a failed step is named in a HandshakeError, and callers’ commands stay unsent', () => {
  test('protocol 3: an error reply to HELLO fails with HELLO 3, the password scrubbed', async () => {
    serve((command) => (command.name === 'hello' ? unknownCommand(command) : undefined));
    const { connection, reconnecting } = open({ protocol: 3, password: PASSWORD });
    const queued = track(connection.send(['SET', 'k', 'v'], CommandFlags.None));
    const failure = await connection.connect().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandshakeError);
    expect(failure).toMatchObject({ step: 'HELLO 3', sent: false });
    expect((failure as Error).message).toMatch(
      /^handshake failed at HELLO 3: HELLO was refused by 127\.0\.0\.1:\d+: ERR unknown command/,
    );
    expect((failure as Error).message).not.toContain(PASSWORD);
    expect(String((failure as Error).cause)).not.toContain(PASSWORD);
    await eventually(() => reconnecting.length >= 2, 'retries with backoff');
    expect(queued.settled).toBe(false);
    expect(connection.stats()).toMatchObject({ queued: 1, sent: 0 });
    expect(received.filter((command) => command.startsWith('set'))).toEqual([]);
  });

  test.each<[string, ClientOptions, string]>([
    ['HELLO 3', { protocol: 3 }, 'hello'],
    ['AUTH', { password: PASSWORD }, 'auth'],
    ['SELECT 1', { password: PASSWORD, db: 1 }, 'select'],
    ['CLIENT SETNAME', { password: PASSWORD, name: 'named' }, 'client'],
    ['PING', {}, 'ping'],
  ])('a socket closed before answering %s', async (step, options, name) => {
    if (options.password === undefined) {
      // Without a password option, the server must not require one.
      await server.stop();
      server = new EmbeddedServer();
      await server.start();
    }
    serve((command) => (command.name === name ? { close: true } : undefined));
    const { connection } = open({ ...options, reconnect: false });
    const queued = track(connection.send(['SET', 'k', 'v'], CommandFlags.None));
    const failure = await connection.connect().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandshakeError);
    expect(failure).toMatchObject({ step, sent: false });
    const command = step === 'CLIENT SETNAME' ? step : (step.split(' ')[0] as string);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^handshake failed at ${step}: 127\\.0\\.0\\.1:\\d+ closed the connection before answering ${command}`,
      ),
    );
    // reconnect is off, so the client ends; the SET was never written and says so.
    await eventually(() => queued.settled, 'the queued SET to settle');
    expect(queued.error).toBeInstanceOf(ConnectionClosedError);
    expect(received.filter((entry) => entry.startsWith('set'))).toEqual([]);
  });

  test('an error reply to SELECT names SELECT and the database', async () => {
    serve();
    const { connection } = open({ password: PASSWORD, db: 99 });
    const failure = await connection.connect().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandshakeError);
    expect(failure).toMatchObject({ step: 'SELECT 99', sent: false });
    expect((failure as Error).message).toMatch(
      /^handshake failed at SELECT 99: SELECT was refused by .*: ERR/,
    );
  });
});
