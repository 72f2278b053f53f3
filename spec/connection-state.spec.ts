/**
 * A property test of the connection's state machine: random interleavings of connect(), commands,
 * quit(), disconnect() (also from inside the connection's own events) and a scripted server that
 * answers, closes every connection it accepts, goes silent or drops its connections, under random
 * timeouts (each possibly 0) and reconnect policies.
 *
 * After each sequence the server answers new connections again and the checks are:
 * - every promise settles, unless it waits on a socket that went silent and the caller turned off every
 *   deadline that could notice (commandTimeout or connectTimeout, and stallTimeout, 0): that wait is
 *   the caller's choice;
 * - then quit() settles everything too, unless a caller's command (or QUIT itself) went into a silent
 *   socket with commandTimeout and stallTimeout 0, and the connection is closed;
 * - disconnect() settles whatever is left at once, and no timer of the connection's is left;
 * - all along: 'ready' never comes before the server answered something on that socket, and reconnect
 *   attempts count 1, 2, 3… between two 'ready's (the backoff grows); nothing is heard after 'end'.
 */
import { createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';

import { Connection, type ConnectionListener } from '../lib/connection/connection';
import { resolveOptions, type ClientOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import { closeServer, listenOnLoopback } from '../lib/testing/loopback';
import { RequestParser } from '../lib/testing/request-parser';
import { eventually, sleep } from './support/wait';

/** How the server treats a connection it accepts: answer it, close it at once, or never answer. */
type Mode = 'answer' | 'close' | 'mute';

/** Commands a caller sends, as opposed to the handshake's, the heartbeat's and the probe's. */
const CALLER_COMMANDS = new Set(['get', 'set', 'incr', 'quit']);

class ServerSide {
  muted = false;
  answered = false;
  /** A caller's command arrived while muted: it will never get its reply. */
  owesCaller = false;
  /** A handshake step (or the probe) arrived while muted. */
  owesHandshake = false;
  constructor(readonly socket: Socket) {}
}

class ScriptedServer {
  mode: Mode = 'answer';
  /** Connections that answered at least one request. */
  answeredConnections = 0;
  private readonly open = new Set<ServerSide>();
  private readonly server: Server = createServer((socket) => this.accept(socket));
  port = 0;

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server, 0);
  }

  async stop(): Promise<void> {
    this.dropAll();
    await closeServer(this.server);
  }

  muteAll(): void {
    for (const side of this.open) side.muted = true;
  }

  dropAll(): void {
    for (const side of this.open) side.socket.destroy();
    this.open.clear();
  }

  /** An open connection holds a caller's command it will never answer. */
  owesCallerForever(): boolean {
    for (const side of this.open) if (side.owesCaller) return true;
    return false;
  }

  /** An open connection holds a handshake step (or a heartbeat) it will never answer. */
  owesHandshakeForever(): boolean {
    for (const side of this.open) if (side.owesHandshake) return true;
    return false;
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.mode === 'close') {
      socket.destroy();
      return;
    }
    const side = new ServerSide(socket);
    side.muted = this.mode === 'mute';
    this.open.add(side);
    socket.on('close', () => this.open.delete(side));
    socket.on('end', () => socket.destroy());
    const parser = new RequestParser((argv) => this.handle(side, argv));
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch {
        socket.destroy();
      }
    });
  }

  private handle(side: ServerSide, argv: Buffer[]): void {
    const name = (argv[0] as Buffer).toString().toLowerCase();
    if (side.muted) {
      if (CALLER_COMMANDS.has(name)) side.owesCaller = true;
      else side.owesHandshake = true;
      return;
    }
    if (!side.answered) {
      side.answered = true;
      this.answeredConnections++;
    }
    const { socket } = side;
    switch (name) {
      case 'hello':
        socket.write(String(argv[1]) === '3' ? '%1\r\n+proto\r\n:3\r\n' : '*2\r\n$5\r\nproto\r\n:2\r\n');
        return;
      case 'ping':
        socket.write('+PONG\r\n');
        return;
      case 'get':
        socket.write('$-1\r\n');
        return;
      case 'incr':
        socket.write(':1\r\n');
        return;
      case 'quit':
        socket.end('+OK\r\n');
        return;
      default:
        socket.write('+OK\r\n');
    }
  }
}

type Step =
  | { kind: 'connect' }
  | { kind: 'command'; name: 'GET' | 'SET' | 'INCR' }
  | { kind: 'quit' }
  | { kind: 'disconnect' }
  | { kind: 'wait'; ms: number }
  | { kind: 'serverMode'; mode: Mode }
  | { kind: 'serverMutesAll' }
  | { kind: 'serverDropsAll' }
  /** The next time this event fires, its listener calls quit() or disconnect(). */
  | { kind: 'endFromListener'; event: ListenedEvent; how: 'quit' | 'disconnect' };

type ListenedEvent = 'onReady' | 'onError' | 'onReconnecting' | 'onClose';

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'connect' }) },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom('GET' as const, 'SET' as const, 'INCR' as const)
      .map((name): Step => ({ kind: 'command', name })),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'quit' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'disconnect' }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }).map((ms): Step => ({ kind: 'wait', ms })) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<Mode>('answer', 'close', 'mute')
      .map((mode): Step => ({ kind: 'serverMode', mode })),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'serverMutesAll' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'serverDropsAll' }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('endFromListener' as const),
      event: fc.constantFrom<ListenedEvent>('onReady', 'onError', 'onReconnecting', 'onClose'),
      how: fc.constantFrom('quit' as const, 'disconnect' as const),
    }),
  },
);

const timeout = fc.constantFrom(0, 30);
/** Every deadline off, every one on, or each drawn alone: "all off" is where hangs hide, so it is common. */
const deadlines = fc.oneof(
  fc.constant({ commandTimeout: 0, connectTimeout: 0, stallTimeout: 0 }),
  fc.constant({ commandTimeout: 30, connectTimeout: 30, stallTimeout: 30 }),
  fc.record({ commandTimeout: timeout, connectTimeout: timeout, stallTimeout: timeout }),
);
const settings = fc.record({
  protocol: fc.constantFrom(undefined, 2 as const, 3 as const),
  db: fc.constantFrom(0, 1),
  heartbeatInterval: fc.constantFrom(0, 25),
  offlineQueue: fc.boolean(),
  reconnect: fc.oneof(
    fc.constant(false as const),
    fc.record({
      minDelay: fc.integer({ min: 1, max: 5 }),
      maxDelay: fc.integer({ min: 5, max: 30 }),
      maxAttempts: fc.constantFrom(Infinity, 2),
    }),
  ),
});
const options: fc.Arbitrary<ClientOptions> = fc
  .tuple(settings, deadlines)
  .map(([rest, timeouts]) => ({ ...rest, ...timeouts }));

/**
 * Every timer created while a run is under way, until it fires or is cleared. Module code calls the
 * global setTimeout at call time, so wrapping it here sees the connection's timers; the spec's own
 * sleeps have all fired by the time this is read.
 */
const liveTimers = new Set<NodeJS.Timeout>();
const realSetTimeout = global.setTimeout;
const realClearTimeout = global.clearTimeout;
beforeAll(() => {
  global.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = realSetTimeout(() => {
      liveTimers.delete(timer);
      callback(...args);
    }, ms);
    liveTimers.add(timer);
    return timer;
  }) as typeof setTimeout;
  global.clearTimeout = ((timer: NodeJS.Timeout | undefined) => {
    if (timer !== undefined) liveTimers.delete(timer);
    realClearTimeout(timer);
  }) as typeof clearTimeout;
});
afterAll(() => {
  global.setTimeout = realSetTimeout;
  global.clearTimeout = realClearTimeout;
});

interface Tracked {
  what: string;
  settled: boolean;
}

/** Long enough for every deadline and backoff above to have run out many times over. */
const SETTLE_LIMIT_MS = 2_000;

async function run(config: ClientOptions, initialMode: Mode, steps: Step[]): Promise<void> {
  const server = new ScriptedServer();
  server.mode = initialMode;
  await server.start();
  const violations: string[] = [];
  const tracked: Tracked[] = [];
  let ready = 0;
  let nextAttempt = 1;
  let ended = false;
  const armed = new Map<ListenedEvent, 'quit' | 'disconnect'>();
  // Assigned below: listeners run only once the connection exists.
  let connection = undefined as unknown as Connection;
  const heard = (event: ListenedEvent): void => {
    if (ended) violations.push(`${event} after 'end'`);
    const how = armed.get(event);
    if (how === undefined) return;
    armed.delete(event);
    if (how === 'quit') track(`quit from ${event}`, connection.quit());
    else connection.disconnect();
  };
  const listener: ConnectionListener = {
    onReady: () => {
      heard('onReady');
      ready++;
      if (ready > server.answeredConnections) {
        violations.push(`'ready' #${ready} with only ${server.answeredConnections} answering sockets`);
      }
      nextAttempt = 1;
    },
    onError: () => heard('onError'),
    onReconnecting: ({ attempt }) => {
      heard('onReconnecting');
      if (attempt !== nextAttempt) violations.push(`reconnect attempt ${attempt}, expected ${nextAttempt}`);
      nextAttempt = attempt + 1;
    },
    onClose: () => heard('onClose'),
    onEnd: () => {
      if (ended) violations.push(`a second 'end'`);
      ended = true;
    },
    onPush: () => undefined,
  };
  connection = new Connection(resolveOptions(`redis://127.0.0.1:${server.port}`, config), listener);
  const track = (what: string, promise: Promise<unknown>): void => {
    const entry: Tracked = { what, settled: false };
    tracked.push(entry);
    promise.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
  };
  const pending = () => tracked.filter((entry) => !entry.settled).map((entry) => entry.what);
  const allSettled = async (): Promise<boolean> => {
    try {
      await eventually(() => pending().length === 0, 'settlement', SETTLE_LIMIT_MS);
      return true;
    } catch {
      return false;
    }
  };
  try {
    for (const [index, action] of steps.entries()) {
      const label = `#${index} ${action.kind}`;
      switch (action.kind) {
        case 'connect':
          track(label, connection.connect());
          break;
        case 'command': {
          const args = action.name === 'SET' ? ['SET', 'k', 'v'] : [action.name, 'k'];
          const flags = action.name === 'GET' ? CommandFlags.ReadOnly : CommandFlags.None;
          track(`${label} ${action.name}`, connection.send(args, flags));
          break;
        }
        case 'quit':
          track(label, connection.quit());
          break;
        case 'disconnect':
          connection.disconnect();
          break;
        case 'wait':
          await sleep(action.ms);
          break;
        case 'serverMode':
          server.mode = action.mode;
          break;
        case 'serverMutesAll':
          server.muteAll();
          break;
        case 'serverDropsAll':
          server.dropAll();
          break;
        case 'endFromListener':
          armed.set(action.event, action.how);
          break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }

    // The server answers new connections again; silent ones stay silent.
    server.mode = 'answer';
    const callerChoseToWait = () =>
      server.owesCallerForever() && config.commandTimeout === 0 && config.stallTimeout === 0;
    // connect(), and commands queued behind it without a deadline, wait for a silent handshake.
    const handshakeMayWait = () =>
      server.owesHandshakeForever() && config.connectTimeout === 0 && config.stallTimeout === 0;
    if (!(await allSettled()) && !callerChoseToWait() && !handshakeMayWait()) {
      violations.push(`still pending with the server answering: ${pending().join(', ')}`);
    }
    track('final quit', connection.quit());
    if (!(await allSettled()) && !callerChoseToWait()) {
      violations.push(`still pending after quit(): ${pending().join(', ')} (${connection.status})`);
    }
    if (!callerChoseToWait() && (connection.status !== 'closed' || !ended)) {
      violations.push(`quit() settled but the connection is ${connection.status}, ended: ${ended}`);
    }
    connection.disconnect();
    await new Promise((resolve) => setImmediate(resolve));
    if (pending().length > 0) violations.push(`still pending after disconnect(): ${pending().join(', ')}`);
    if (connection.status !== 'closed' || !ended) violations.push(`not ended after disconnect()`);
    try {
      await eventually(() => liveTimers.size === 0, 'timers cleared', SETTLE_LIMIT_MS);
    } catch {
      violations.push(`${liveTimers.size} timer(s) left after disconnect()`);
    }
  } finally {
    connection.disconnect();
    await server.stop();
  }
  if (violations.length > 0) throw new Error(violations.join('\n'));
}

test('every promise settles and no timer outlives the connection, whatever the interleaving', async () => {
  await fc.assert(
    fc.asyncProperty(
      options,
      fc.constantFrom<Mode>('answer', 'close', 'mute'),
      fc.array(step, { minLength: 1, maxLength: 14 }),
      run,
    ),
    // CONNECTION_STATE_RUNS explores further locally; 50 runs keep CI well under a minute.
    { numRuns: Number(process.env.CONNECTION_STATE_RUNS ?? 50) },
  );
}, 180_000);
