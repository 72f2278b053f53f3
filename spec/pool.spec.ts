/**
 * The pool of dedicated connections behind isolated(), against real redis-server: the bound and its
 * waiting line, reuse, the idle timeout, and what quit() and disconnect() do to leased work.
 */
import net from 'node:net';
import { Client } from '../lib/client';
import type { ClientOptions } from '../lib/connection/options';
import { ConnectionClosedError, InvalidArgumentError, QueueFullError } from '../lib/errors';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { sleep } from './support/wait';

let redis: RedisProcess;
const track = cleanupAfterEachTest();

beforeAll(async () => {
  redis = await startRedis();
});

function client(options: ClientOptions = {}): Client {
  return track(new Client(redis.url, options));
}

/** A promise the test resolves when it wants. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`${what} did not happen`);
}

/** Names of the server's connected clients. */
async function clientNames(): Promise<string[]> {
  const list = String(await redis.command('CLIENT', 'LIST'));
  return [...list.matchAll(/ name=(\S*) /g)].map((match) => match[1]);
}

test('past max a lease waits, rejects with QueueFullError after commandTimeout, and is served once one is released', async () => {
  const c = client({ pool: { max: 2 }, commandTimeout: 300 });
  const held = [gate(), gate()];
  const holders = held.map((g, i) =>
    c.isolated(async (conn) => {
      await conn.set(`bound:${i}`, String(i));
      await g.wait;
      return i;
    }),
  );
  await until(() => c.stats().pool.leased === 2, 'two leases');
  await expect(c.isolated((conn) => conn.ping())).rejects.toBeInstanceOf(QueueFullError);
  expect(c.stats().pool).toEqual({ open: 2, idle: 0, leased: 2, waiting: 0 });

  const third = c.isolated((conn) => conn.get('bound:0'));
  expect(c.stats().pool.waiting).toBe(1);
  held[0].open();
  expect(await third).toBe('0');
  held[1].open();
  expect(await Promise.all(holders)).toEqual([0, 1]);
  expect(c.stats().pool.open).toBe(2);
});

test('waiting leases are served first come, first served, and a new caller does not overtake them', async () => {
  const c = client({ pool: { max: 1 }, commandTimeout: 0 });
  const held = gate();
  const order: string[] = [];
  const first = c.isolated(() => held.wait);
  await until(() => c.stats().pool.leased === 1, 'the lease');
  const waiting = ['a', 'b', 'c'].map((name) => c.isolated(() => void order.push(name)));
  expect(c.stats().pool.waiting).toBe(3);
  held.open();
  await first;
  const late = c.isolated(() => void order.push('late'));
  await Promise.all([...waiting, late]);
  expect(order).toEqual(['a', 'b', 'c', 'late']);
});

test('a connection is reused while it is idle and closed after idleTimeout', async () => {
  const name = 'pool-idle-test';
  const c = client({ name, pool: { max: 4, idleTimeout: 100 } });
  await c.ping();
  const ids = new Set<unknown>();
  for (let i = 0; i < 5; i++) ids.add(await c.isolated((conn) => conn.clientId()));
  expect(ids.size).toBe(1);
  expect((await clientNames()).filter((entry) => entry === name)).toHaveLength(2);
  await until(() => c.stats().pool.open === 0, 'the idle connection to close');
  await until(
    async () => (await clientNames()).filter((entry) => entry === name).length === 1,
    'the server to see it',
  );
  // The shared connection is untouched, and a new lease opens a new connection.
  expect(await c.isolated((conn) => conn.ping())).toBe('PONG');
});

test('disconnect() rejects leased work, waiting leases and later calls with ConnectionClosedError', async () => {
  const c = client({ pool: { max: 1 }, commandTimeout: 0 });
  let started = false;
  const blocked = c.isolated(async (conn) => {
    const pop = conn.blpop('pool:never', 0);
    started = true;
    return pop;
  });
  await until(() => started && c.stats().pool.leased === 1, 'the blocked lease');
  const waiting = c.isolated((conn) => conn.ping());
  c.disconnect();
  await expect(blocked).rejects.toBeInstanceOf(ConnectionClosedError);
  await expect(waiting).rejects.toBeInstanceOf(ConnectionClosedError);
  await expect(c.isolated((conn) => conn.ping())).rejects.toBeInstanceOf(ConnectionClosedError);
  expect(c.stats().pool).toEqual({ open: 0, idle: 0, leased: 0, waiting: 0 });
});

test('quit() lets leased work finish, then closes its connection; waiting leases reject', async () => {
  const name = 'pool-quit-test';
  const c = client({ name, pool: { max: 1 }, commandTimeout: 0 });
  const held = gate();
  let lent = false;
  const working = c.isolated(async (conn) => {
    lent = true;
    await held.wait;
    await conn.set('quit:k', 'written after quit()');
    return conn.get('quit:k');
  });
  // Lent, not merely opening: a lease still opening when quit() comes is refused like a waiting one.
  await until(() => lent, 'the lease');
  const waiting = c.isolated((conn) => conn.ping());
  let quitDone = false;
  const quitting = c.quit().then(() => (quitDone = true));
  await expect(waiting).rejects.toBeInstanceOf(ConnectionClosedError);
  await expect(c.isolated((conn) => conn.ping())).rejects.toBeInstanceOf(ConnectionClosedError);
  expect(quitDone).toBe(false);
  held.open();
  expect(await working).toBe('written after quit()');
  await quitting;
  expect(c.stats().pool.open).toBe(0);
  await until(async () => !(await clientNames()).includes(name), 'every connection to close');
});

test('bad pool options are refused', () => {
  expect(() => new Client(redis.url, { pool: { max: 0 } })).toThrow(InvalidArgumentError);
  expect(() => new Client(redis.url, { pool: { max: 1.5 } })).toThrow(InvalidArgumentError);
  expect(() => new Client(redis.url, { pool: { idleTimeout: -1 } })).toThrow(InvalidArgumentError);
});

test('isolated() needs a function', async () => {
  const c = client();
  await expect(c.isolated(undefined as unknown as () => void)).rejects.toBeInstanceOf(InvalidArgumentError);
});

describe('quit() with a lease still opening', () => {
  test('settles at once against a server that never answers, even with connectTimeout 0', async () => {
    // A real server always answers; only a silent listener can hold a handshake open forever.
    let accepted = 0;
    const silent = net.createServer((socket) => {
      accepted++;
      // Read and drop: a paused socket would never see the client's FIN, and close() would wait on it.
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const c = track(
        new Client(`redis://127.0.0.1:${port}`, { connectTimeout: 0, commandTimeout: 0, stallTimeout: 0 }),
      );
      const work = c.isolated((conn) => conn.get('k'));
      const outcome = work.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      // The lease's socket is connected and waiting for its handshake's answer.
      // The shared connection opens nothing until a command needs it: the one socket is the lease's.
      await until(() => accepted > 0, 'the lease connecting');
      await c.quit();
      expect(await outcome).toBeInstanceOf(ConnectionClosedError);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
