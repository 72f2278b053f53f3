/**
 * Connection.sendBatch: the atomic admission that transactions build on, against a real redis-server.
 * A batch is admitted whole or refused whole, leaves as one contiguous run, shares one deadline, and
 * no member of it is ever resent alone.
 */
import { Connection, type BatchCommand } from '../lib/connection/connection';
import { resolveOptions, type ClientOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import {
  ConnectionClosedError,
  ConnectionError,
  InvalidArgumentError,
  QueueFullError,
  ReplyError,
  TimeoutError,
} from '../lib/errors';
import type { CommandArg, RespValue } from '../lib/resp/types';
import { quietListener as quiet } from './support/quiet-listener';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { eventually } from './support/wait';

const connections: Connection[] = [];
afterEach(() => {
  for (const connection of connections.splice(0)) connection.disconnect();
});
afterAll(async () => {
  await stopAll();
});

function connectionTo(redis: RedisProcess, options: ClientOptions = {}): Connection {
  const connection = new Connection(resolveOptions(redis.url, options), quiet);
  connections.push(connection);
  return connection;
}

const plain = (...args: CommandArg[]): BatchCommand => ({ args, flags: CommandFlags.None });
const readOnly = (...args: CommandArg[]): BatchCommand => ({ args, flags: CommandFlags.ReadOnly });

interface BatchOutcome {
  /** Each member's reply or Error, by index; undefined until it settles. */
  outcomes: (RespValue | Error | undefined)[];
  /** How many times each index settled. */
  settles: number[];
  done: Promise<(RespValue | Error)[]>;
}

function batch(connection: Connection, commands: BatchCommand[]): BatchOutcome {
  const outcomes = new Array<RespValue | Error | undefined>(commands.length);
  const settles = new Array<number>(commands.length).fill(0);
  let remaining = commands.length;
  let finish: (value: (RespValue | Error)[]) => void = () => undefined;
  const done = new Promise<(RespValue | Error)[]>((resolve) => (finish = resolve));
  connection.sendBatch(commands, (index, outcome) => {
    outcomes[index] = outcome;
    settles[index] = (settles[index] as number) + 1;
    if (--remaining === 0) finish(outcomes as (RespValue | Error)[]);
  });
  return { outcomes, settles, done };
}

const transaction = (key: string): BatchCommand[] => [
  plain('MULTI'),
  plain('SET', `${key}:last`, key),
  plain('INCR', 'batch:counter'),
  plain('EXEC'),
];

describe('sendBatch on a healthy server', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedis();
  });

  test('MULTI … EXEC batches from many callers never capture a plain command', async () => {
    const connection = connectionTo(redis);
    await connection.connect();
    const batches: BatchOutcome[] = [];
    const plains: Promise<RespValue>[] = [];
    // Interleaved in one tick and across ticks: plain commands before, between and after batches.
    for (let round = 0; round < 20; round++) {
      for (let caller = 0; caller < 10; caller++) {
        plains.push(connection.send(['ECHO', `plain-${round}-${caller}`], CommandFlags.None));
        batches.push(batch(connection, transaction(`r${round}c${caller}`)));
        plains.push(connection.send(['INCR', 'plain:counter'], CommandFlags.None));
      }
      if (round % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const plainReplies = await Promise.all(plains);
    expect(plainReplies).not.toContain('QUEUED');
    expect(plainReplies.filter((reply) => typeof reply === 'string')).toEqual(
      Array.from({ length: 20 }, (_, round) =>
        Array.from({ length: 10 }, (_, caller) => `plain-${round}-${caller}`),
      ).flat(),
    );
    const counters: number[] = [];
    for (const { done, settles } of batches) {
      const [multi, set, incr, exec] = await done;
      expect([multi, set, incr]).toEqual(['OK', 'QUEUED', 'QUEUED']);
      expect(Array.isArray(exec)).toBe(true);
      expect((exec as RespValue[])[0]).toBe('OK');
      counters.push((exec as RespValue[])[1] as number);
      expect(settles).toEqual([1, 1, 1, 1]);
    }
    // Each EXEC ran its own INCR exactly once: 1…200, each once.
    expect(counters.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  test('an error reply is one member outcome; the others still settle with theirs', async () => {
    const connection = connectionTo(redis);
    await redis.command('SET', 'batch:string', 'x');
    const { done } = batch(connection, [plain('MULTI'), plain('INCR', 'batch:string'), plain('EXEC')]);
    const [multi, incr, exec] = await done;
    expect([multi, incr]).toEqual(['OK', 'QUEUED']);
    expect((exec as RespValue[])[0]).toBeInstanceOf(ReplyError);
  });

  test('one bad argument refuses the whole batch, with the same error for every member', async () => {
    const connection = connectionTo(redis);
    await connection.connect();
    const { outcomes } = batch(connection, [plain('MULTI'), plain('SET', 'k', NaN), plain('EXEC')]);
    // Refused before sendBatch returned: nothing was enqueued.
    expect(outcomes[0]).toBeInstanceOf(InvalidArgumentError);
    expect(new Set(outcomes).size).toBe(1);
    expect(connection.stats()).toMatchObject({ queued: 0, inFlight: 0 });
    expect(await connection.send(['ECHO', 'after'], CommandFlags.None)).toBe('after');
    expect(connection.stats().sent).toBe(1);
  });

  test('a closed connection refuses every member', async () => {
    const connection = connectionTo(redis);
    await connection.connect();
    await connection.quit();
    const { outcomes } = batch(connection, transaction('closed'));
    expect(outcomes.every((outcome) => outcome instanceof ConnectionClosedError)).toBe(true);
    expect(new Set(outcomes).size).toBe(1);
  });
});

describe('sendBatch at its bounds and through failures', () => {
  let redis: RedisProcess;
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    if (redis.running) redis.resume();
    await redis.stop();
  });

  test('maxPending refuses a batch that does not fit whole, and takes one that does', async () => {
    const connection = connectionTo(redis, { maxPending: 5, stallTimeout: 0, heartbeatInterval: 0 });
    await connection.connect();
    redis.pause();
    const held = [1, 2, 3].map((i) => connection.send(['ECHO', `held-${i}`], CommandFlags.None));
    await eventually(() => connection.stats().inFlight === 3, 'three commands in flight');

    const refused = batch(connection, transaction('too-big'));
    expect(refused.outcomes.every((outcome) => outcome instanceof QueueFullError)).toBe(true);
    expect(new Set(refused.outcomes).size).toBe(1);
    expect(connection.stats()).toMatchObject({ queued: 0, inFlight: 3 });

    const fits = batch(connection, [plain('ECHO', 'a'), plain('ECHO', 'b')]);
    expect(fits.outcomes).toEqual([undefined, undefined]);
    redis.resume();
    expect(await fits.done).toEqual(['a', 'b']);
    expect(await Promise.all(held)).toEqual(['held-1', 'held-2', 'held-3']);
  });

  test('the offline queue takes a batch whole or not at all', async () => {
    const connection = connectionTo(redis, {
      maxOfflineQueue: 3,
      reconnect: { minDelay: 10_000, maxDelay: 10_000 },
    });
    await connection.connect();
    await redis.kill();
    await eventually(() => connection.status === 'reconnecting', 'the loss noticed');
    const refused = batch(connection, transaction('offline'));
    expect(refused.outcomes.every((outcome) => outcome instanceof QueueFullError)).toBe(true);
    expect(connection.stats().queued).toBe(0);
    const taken = batch(connection, [plain('ECHO', 'x'), plain('ECHO', 'y'), plain('ECHO', 'z')]);
    expect(connection.stats().queued).toBe(3);
    connection.disconnect();
    const outcomes = await taken.done;
    expect(outcomes.every((outcome) => outcome instanceof ConnectionClosedError)).toBe(true);
  });

  test('a queued batch times out whole, in one pass, never a member alone', async () => {
    const connection = connectionTo(redis, {
      commandTimeout: 100,
      reconnect: { minDelay: 10_000, maxDelay: 10_000 },
    });
    await connection.connect();
    await redis.kill();
    await eventually(() => connection.status === 'reconnecting', 'the loss noticed');
    // A turn counter: members settled in one watchdog pass all see the same turn.
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    tick();
    const turns: number[] = [];
    const commands = [plain('MULTI'), readOnly('GET', 'k'), plain('INCR', 'n'), plain('EXEC')];
    const outcomes = new Array<RespValue | Error>(commands.length);
    const done = new Promise<void>((resolve) => {
      let remaining = commands.length;
      connection.sendBatch(commands, (index, outcome) => {
        outcomes[index] = outcome;
        turns.push(turn);
        if (--remaining === 0) resolve();
      });
    });
    await done;
    ticking = false;
    expect(outcomes.every((outcome) => outcome instanceof TimeoutError)).toBe(true);
    expect(outcomes.map((outcome) => (outcome as TimeoutError).sent)).toEqual([false, false, false, false]);
    expect(new Set(turns).size).toBe(1);
  });

  test('a written batch whose socket dies fails whole with sent: true; no member is resent alone', async () => {
    const connection = connectionTo(redis, {
      commandTimeout: 0,
      stallTimeout: 0,
      heartbeatInterval: 0,
      reconnect: { minDelay: 10, maxDelay: 20 },
    });
    await connection.connect();
    redis.pause();
    // GET is read-only: sent alone it would be retried once after the reconnect; in a batch, never.
    const { done, settles } = batch(connection, [
      plain('MULTI'),
      readOnly('GET', 'batch:read'),
      plain('EXEC'),
    ]);
    const plainRead = connection.send(['GET', 'plain:read'], CommandFlags.ReadOnly);
    await eventually(() => connection.stats().inFlight === 4, 'the batch and a plain read in flight');
    await redis.kill('SIGKILL');
    await redis.restart();
    const outcomes = await done;
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(ConnectionError);
      expect((outcome as ConnectionError).sent).toBe(true);
    }
    expect(settles).toEqual([1, 1, 1]);
    // The plain read is resent once and answered by the new server; the batch's GET never reaches it.
    expect(await plainRead).toBeNull();
    const stats = String(await redis.command('INFO', 'commandstats'));
    expect(stats).toMatch(/cmdstat_get:calls=1,/);
    expect(stats).not.toMatch(/cmdstat_multi|cmdstat_exec/);
  });

  test('an unwritten batch waits for the next socket and leaves on it whole', async () => {
    const connection = connectionTo(redis, { reconnect: { minDelay: 10, maxDelay: 20 } });
    await connection.connect();
    await redis.kill();
    await eventually(() => connection.status === 'reconnecting', 'the loss noticed');
    const { done } = batch(connection, transaction('after-restart'));
    const echo = connection.send(['ECHO', 'behind'], CommandFlags.None);
    await redis.restart();
    const [multi, set, incr, exec] = await done;
    expect([multi, set, incr]).toEqual(['OK', 'QUEUED', 'QUEUED']);
    expect(exec).toEqual(['OK', 1]);
    expect(await echo).toBe('behind');
  });
});
