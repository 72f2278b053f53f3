/**
 * Issue 9: when a connection counts as up, and how quit() ends one that never got there.
 *
 * The servers here are scripted net.Servers: one accepts and closes at once (a proxy in front of a dead
 * backend), one accepts and never answers (a hung proxy). A real redis-server can do neither.
 */
import { createServer, type Server, type Socket } from 'node:net';

import { Connection, type ConnectionListener, type ReconnectingInfo } from '../lib/connection/connection';
import { resolveOptions, type ClientOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import { ConnectionClosedError, ConnectionError } from '../lib/errors';
import { closeServer, listenOnLoopback } from '../lib/testing/loopback';
import { eventually } from './support/wait';

type Behaviour = 'close' | 'mute' | 'answer';

/** Accepts, then closes at once, says nothing, or answers every request with +PONG/+OK, as told. */
class ScriptedServer {
  behaviour: Behaviour;
  accepted = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  port = 0;

  constructor(behaviour: Behaviour) {
    this.behaviour = behaviour;
    this.server = createServer((socket) => this.accept(socket));
  }

  async start(): Promise<this> {
    this.port = await listenOnLoopback(this.server, 0);
    servers.push(this);
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await closeServer(this.server);
  }

  /** Resets every open connection (RST), so the client sees a socket error. */
  reset(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  private accept(socket: Socket): void {
    this.accepted++;
    socket.on('error', () => undefined);
    if (this.behaviour === 'close') {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const answers = this.behaviour === 'answer';
    socket.on('data', (chunk: Buffer) => {
      if (!answers) return;
      // One reply per request: each RESP request starts with '*'.
      for (const byte of chunk) if (byte === 0x2a) socket.write('+OK\r\n');
    });
  }
}

interface Watched {
  connection: Connection;
  listener: ConnectionListener;
  ready: number;
  reconnecting: ReconnectingInfo[];
}

const connections: Connection[] = [];
const servers: ScriptedServer[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

function watch(port: number, options: ClientOptions): Watched {
  const listener: ConnectionListener = {
    onReady: () => watched.ready++,
    onError: () => undefined,
    onReconnecting: (info) => watched.reconnecting.push(info),
    onClose: () => undefined,
    onEnd: () => undefined,
    onPush: () => undefined,
  };
  const connection = new Connection(resolveOptions(`redis://127.0.0.1:${port}`, options), listener);
  const watched: Watched = { connection, listener, ready: 0, reconnecting: [] };
  connections.push(connection);
  return watched;
}

function outcome(promise: Promise<unknown>): { settled: boolean; value?: unknown; error?: unknown } {
  const state: { settled: boolean; value?: unknown; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('a server that accepts and closes at once, with no handshake configured', () => {
  test('backoff grows, no ready event, connect() does not resolve, queued commands stay unsent', async () => {
    const server = await new ScriptedServer('close').start();
    const watched = watch(server.port, { reconnect: { minDelay: 2, maxDelay: 1_000 } });
    const { connection, reconnecting } = watched;
    const connected = outcome(connection.connect());
    const command = outcome(connection.send(['SET', 'k', 'v'], CommandFlags.None));
    await eventually(() => reconnecting.length >= 6, 'six reconnect attempts', 10_000);

    // Each failed attempt counts: 1, 2, 3… and the planned delay doubles (within its jitter).
    expect(reconnecting.slice(0, 6).map((info) => info.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    const sixth = reconnecting[5] as ReconnectingInfo;
    expect(sixth.delayMs).toBeGreaterThanOrEqual((2 * 2 ** 5) / 2);
    expect(watched.ready).toBe(0);
    expect(connection.status).not.toBe('ready');
    // connect() reports the failed first attempt; it never resolves on a server that said nothing.
    expect(connected.settled).toBe(true);
    expect(connected.error).toBeInstanceOf(ConnectionError);
    expect(connected.error).toMatchObject({ sent: false });
    // The SET was never written: it is still queued, to be sent once a server answers.
    expect(command.settled).toBe(false);
    expect(connection.stats().queued).toBe(1);

    server.behaviour = 'answer';
    await eventually(() => command.settled, 'the SET delivered', 10_000);
    expect(command.value).toBe('OK');
  });
});

describe('quit() before the server ever answered', () => {
  test.each<[string, ClientOptions]>([
    ['HELLO 3', { protocol: 3 }],
    ['SELECT 1', { db: 1 }],
    ['the PING probe', {}],
  ])(
    'with every timeout off, quit() during an unanswered %s settles everything at once',
    async (_label, options) => {
      const server = await new ScriptedServer('mute').start();
      const { connection } = watch(server.port, {
        ...options,
        commandTimeout: 0,
        connectTimeout: 0,
        stallTimeout: 0,
        heartbeatInterval: 0,
      });
      const connected = outcome(connection.connect());
      const command = outcome(connection.send(['GET', 'k'], CommandFlags.ReadOnly));
      await eventually(() => server.accepted === 1 && connection.stats().inFlight > 0, 'handshake written');

      const quit = outcome(connection.quit());
      await eventually(() => quit.settled && connected.settled && command.settled, 'quit() to settle');
      expect(connection.status).toBe('closed');
      expect(connected.error).toBeInstanceOf(ConnectionClosedError);
      expect(command.error).toBeInstanceOf(ConnectionClosedError);
    },
  );

  test('quit() during a handshake that succeeds delivers what was accepted, then closes', async () => {
    const server = await new ScriptedServer('answer').start();
    const { connection, ...watched } = watch(server.port, { protocol: 3, connectTimeout: 5_000 });
    const connected = outcome(connection.connect());
    const accepted = outcome(connection.send(['SET', 'k', 'v'], CommandFlags.None));
    const quit = outcome(connection.quit());
    await eventually(() => quit.settled && accepted.settled && connected.settled, 'everything to settle');
    expect(accepted.value).toBe('OK');
    expect(connected.error).toBeInstanceOf(ConnectionClosedError);
    expect(connection.status).toBe('closed');
    expect(watched.ready).toBe(0);
  });

  test('connectTimeout bounds an unanswered handshake even after quit() was called', async () => {
    const server = await new ScriptedServer('mute').start();
    const { connection } = watch(server.port, {
      protocol: 3,
      commandTimeout: 0,
      connectTimeout: 50,
      stallTimeout: 0,
      heartbeatInterval: 0,
      reconnect: false,
    });
    const connected = outcome(connection.connect());
    await eventually(() => connection.stats().inFlight > 0, 'HELLO written');
    const quit = outcome(connection.quit());
    await eventually(() => quit.settled && connected.settled, 'quit() and connect() to settle');
    expect(connection.status).toBe('closed');
  });
});

describe('a listener that ends the connection from inside an event', () => {
  test.each(['onClose', 'onReconnecting', 'onError'] as const)(
    'disconnect() from %s ends it for good: no reconnect brings it back',
    async (event) => {
      const server = await new ScriptedServer('answer').start();
      const { connection, listener } = watch(server.port, { reconnect: { minDelay: 1, maxDelay: 2 } });
      await connection.connect();
      const ends: string[] = [];
      listener[event] = () => connection.disconnect();
      listener.onEnd = () => ends.push('end');
      const held = outcome(connection.send(['GET', 'k'], CommandFlags.ReadOnly));
      // A reset rather than a clean close, so that onError fires too.
      server.reset();
      await eventually(() => held.settled, 'the GET to settle');
      // Long enough for several reconnects at 1-2 ms, had one been scheduled.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(connection.status).toBe('closed');
      expect(server.accepted).toBe(1);
      expect(ends).toEqual(['end']);
      expect(held.error).toBeInstanceOf(ConnectionClosedError);
    },
  );

  test('connect() while reconnecting keeps the process alive until the attempt ends', async () => {
    const server = await new ScriptedServer('close').start();
    const { connection } = watch(server.port, { reconnect: { minDelay: 5_000, maxDelay: 5_000 } });
    await connection.connect().catch(() => undefined);
    await eventually(() => connection.status === 'reconnecting', 'the first attempt to fail');
    // With nothing queued the reconnect timer does not hold the process; an awaited connect() must.
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    void connection.connect().catch(() => undefined);
    expect(timers()).toBe(before + 1);
  });
});
