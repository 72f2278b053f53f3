import { Client } from '../lib/client';
import type { ReconnectingInfo } from '../lib/connection/connection';
import {
  ConnectionClosedError,
  ConnectionError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from '../lib/errors';
import { EmbeddedServer, FaultProxy } from '../lib/testing';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually, sleep } from './support/wait';

const track = cleanupAfterEachTest();

describe('a stalled server (SIGSTOP)', () => {
  test('commands time out with TimeoutError, and late replies never reach another caller', async () => {
    const redis = await startRedis();
    const client = track(
      new Client(redis.url, { commandTimeout: 300, stallTimeout: 0, heartbeatInterval: 0 }),
    );
    await client.connect();
    for (let i = 0; i < 50; i++) await client.set(`stall:${i}`, `value-${i}`);

    redis.pause();
    const stalled = Array.from({ length: 50 }, (_, i) => client.get(`stall:${i}`));
    const outcomes = await Promise.allSettled(stalled);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof TimeoutError)).toBe(true);
    const first = (outcomes[0] as PromiseRejectedResult).reason as TimeoutError;
    expect(first).toMatchObject({ command: 'GET', timeoutMs: 300, sent: true });
    expect(client.stats().timeouts).toBe(50);

    redis.resume();
    // The 50 late replies arrive first and must be absorbed by their timed-out slots.
    const fresh = await Promise.all(Array.from({ length: 50 }, (_, i) => client.call('ECHO', `fresh-${i}`)));
    expect(fresh).toEqual(Array.from({ length: 50 }, (_, i) => `fresh-${i}`));
    expect(await client.get('stall:7')).toBe('value-7');
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    await redis.stop();
  });

  test('stallTimeout replaces a socket that goes silent while replies are owed', async () => {
    const redis = await startRedis();
    const client = track(
      new Client(redis.url, { commandTimeout: 0, stallTimeout: 300, heartbeatInterval: 0 }),
    );
    const reconnecting: ReconnectingInfo[] = [];
    client.on('reconnecting', (info) => reconnecting.push(info));
    await client.connect();
    redis.pause();
    const owed = client.set('stall:w', 'v');
    await expect(owed).rejects.toBeInstanceOf(ConnectionError);
    await expect(owed).rejects.toMatchObject({ sent: true });
    expect(reconnecting[0]?.error.message).toMatch(/stallTimeout/);
    redis.resume();
    await eventually(() => client.status === 'ready', 'reconnect after the stall');
    expect(await client.ping()).toBe('PONG');
    await redis.stop();
  });
});

describe('a server killed mid-stream', () => {
  test('every promise settles with a typed error or a retried reply, and the client comes back', async () => {
    const redis = await startRedis();
    const client = track(new Client(redis.url, { reconnect: { minDelay: 20, maxDelay: 100 } }));
    const readyEvents: number[] = [];
    client.on('ready', () => readyEvents.push(Date.now()));
    await client.connect();
    await client.set('kill:k', 'before');

    redis.pause(); // hold replies so commands are surely in flight when the process dies
    const writes = Array.from({ length: 200 }, (_, i) => client.set(`kill:w${i}`, 'v'));
    const reads = Array.from({ length: 200 }, () => client.get('kill:k'));
    // Collected now: the writes reject while the kill is still being awaited.
    const settledWrites = Promise.allSettled(writes);
    const settledReads = Promise.allSettled(reads);
    await eventually(() => client.stats().inFlight === 400, 'commands in flight');
    await redis.kill('SIGKILL');

    const writeOutcomes = await settledWrites;
    for (const outcome of writeOutcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as ConnectionError;
      expect(reason).toBeInstanceOf(ConnectionError);
      expect(reason.sent).toBe(true);
    }
    await redis.restart();
    await client.set('kill:k', 'after').catch(() => undefined);
    // Reads are resent once after reconnecting; the restarted server has no data, or the new value.
    const readOutcomes = await settledReads;
    for (const outcome of readOutcomes) {
      if (outcome.status === 'fulfilled') expect([null, 'after']).toContain(outcome.value);
      else expect(outcome.reason).toBeInstanceOf(ConnectionError);
    }
    expect(readOutcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    await eventually(() => client.status === 'ready', 'reconnected');
    expect(await client.set('kill:k2', 'v')).toBe('OK');
    expect(client.stats().reconnects).toBeGreaterThanOrEqual(1);
    expect(readyEvents.length).toBeGreaterThanOrEqual(2);
    await redis.stop();
  });

  test('a read cut in the middle of its reply is resent once; a write is not', async () => {
    const redis = await startRedis();
    await redis.command('SET', 'cut:k', 'x'.repeat(1000));
    const proxy = new FaultProxy({ port: redis.port });
    await proxy.start();
    const client = track(new Client(proxy.url, { reconnect: { minDelay: 10, maxDelay: 50 } }));
    await client.connect();
    proxy.cutAfter(100);
    expect(await client.get('cut:k')).toBe('x'.repeat(1000));
    proxy.cutAfter(2);
    const write = client.call('APPEND', 'cut:k', 'y');
    await expect(write).rejects.toMatchObject({ name: 'ConnectionError', sent: true });
    expect(proxy.stats().cuts).toBe(2);
    await eventually(() => client.status === 'ready', 'reconnect');
    // The APPEND ran once on the server even though its caller was told the outcome was unknown.
    expect(await client.call('STRLEN', 'cut:k')).toBe(1001);
    await proxy.stop();
    await redis.stop();
  });
});

describe('backpressure', () => {
  test('when the socket stops taking bytes, later commands wait in the queue for drain', async () => {
    const redis = await startRedis();
    const client = track(new Client(redis.url, { stallTimeout: 0, heartbeatInterval: 0 }));
    await client.connect();
    redis.pause();
    // About 20 MB in one flush: far more than the socket buffers hold while the server reads nothing.
    const value = 'v'.repeat(1000);
    const burst = Array.from({ length: 20_000 }, (_, i) => client.set(`bp:${i}`, value));
    await eventually(() => client.stats().inFlight === 20_000, 'the burst written');
    await sleep(50);
    const later = client.set('bp:later', 'after the drain');
    await sleep(100);
    // Not moved to the socket while it is backed up: still queued, not in flight.
    expect(client.stats()).toMatchObject({ queued: 1, inFlight: 20_000 });
    redis.resume();
    expect(await later).toBe('OK');
    expect((await Promise.all(burst)).every((reply) => reply === 'OK')).toBe(true);
    expect(await client.get('bp:later')).toBe('after the drain');
    await redis.stop();
  });
});

describe('heartbeat', () => {
  test('an idle connection blackholed by a proxy is noticed and replaced', async () => {
    const redis = await startRedis();
    const proxy = new FaultProxy({ port: redis.port });
    await proxy.start();
    const client = track(
      new Client(proxy.url, {
        heartbeatInterval: 150,
        connectTimeout: 300,
        reconnect: { minDelay: 20, maxDelay: 50 },
      }),
    );
    const reasons: string[] = [];
    client.on('reconnecting', (info) => reasons.push(info.error.message));
    await client.connect();
    proxy.blackhole(true);
    await eventually(() => reasons.length > 0, 'a heartbeat failure', 5_000);
    expect(reasons[0]).toMatch(/heartbeat PING .* got no reply/);
    proxy.blackhole(false);
    await eventually(() => client.status === 'ready', 'reconnect after the blackhole', 5_000);
    expect(await client.ping()).toBe('PONG');
    expect(proxy.stats().accepted).toBeGreaterThanOrEqual(2);
    await proxy.stop();
    await redis.stop();
  });
});

describe('offline queue', () => {
  let redis: RedisProcess;
  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await redis.stop();
  });

  test('commands issued while disconnected are sent after reconnect', async () => {
    const client = track(new Client(redis.url, { reconnect: { minDelay: 20, maxDelay: 50 } }));
    await client.connect();
    await redis.kill();
    await eventually(() => client.status === 'reconnecting', 'loss noticed');
    const queued = client.set('offline:k', 'queued');
    expect(client.stats().queued).toBe(1);
    await redis.restart();
    expect(await queued).toBe('OK');
    expect(await redis.command('GET', 'offline:k')).toBe('queued');
  });

  test('with offlineQueue off, calls while disconnected reject at once, unsent', async () => {
    const client = track(
      new Client(redis.url, { offlineQueue: false, reconnect: { minDelay: 5_000, maxDelay: 5_000 } }),
    );
    await client.connect();
    await redis.kill();
    await eventually(() => client.status === 'reconnecting', 'loss noticed');
    await expect(client.get('k')).rejects.toMatchObject({ name: 'ConnectionError', sent: false });
  });

  test('the offline queue has its own bound', async () => {
    const client = track(
      new Client(redis.url, { maxOfflineQueue: 3, reconnect: { minDelay: 5_000, maxDelay: 5_000 } }),
    );
    await client.connect();
    await redis.kill();
    await eventually(() => client.status === 'reconnecting', 'loss noticed');
    const held = [client.get('a'), client.get('b'), client.get('c')];
    await expect(client.get('d')).rejects.toBeInstanceOf(QueueFullError);
    client.disconnect();
    for (const outcome of await Promise.allSettled(held)) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: expect.any(ConnectionClosedError) });
    }
  });

  test('a client that runs out of reconnect attempts ends and rejects what it held', async () => {
    const client = track(
      new Client(redis.url, { reconnect: { minDelay: 10, maxDelay: 20, maxAttempts: 2 } }),
    );
    const ended = new Promise<void>((resolve) => client.on('end', resolve));
    await client.connect();
    await redis.kill();
    const held = client.get('k');
    await ended;
    await expect(held).rejects.toThrow(/gave up reconnecting .* after 2 attempts/);
    await expect(client.get('k')).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});

describe('malformed bytes from the server (in-process server)', () => {
  let server: EmbeddedServer;
  beforeEach(async () => {
    server = new EmbeddedServer();
    await server.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  test('a protocol error rejects every pending command and the connection is replaced', async () => {
    const client = track(new Client(server.url, { reconnect: { minDelay: 10, maxDelay: 20 } }));
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    server.respondWith((command) => (command.name === 'get' ? Buffer.from('$3\r\nabcXY') : undefined));
    const first = client.get('a');
    const second = client.call('ECHO', 'b');
    await expect(first).rejects.toBeInstanceOf(ProtocolError);
    await expect(second).rejects.toThrow(/missing CRLF/);
    expect(errors.some((error) => error instanceof ProtocolError)).toBe(true);
    server.respondWith(undefined);
    await eventually(() => client.status === 'ready', 'reconnect after the protocol error');
    expect(await client.set('a', '1')).toBe('OK');
    expect(await client.get('a')).toBe('1');
  });

  test('an unsolicited reply with no pending command poisons the connection', async () => {
    const client = track(new Client(server.url, { reconnect: { minDelay: 10, maxDelay: 20 } }));
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    server.injectRaw(Buffer.from('+SURPRISE\r\n'));
    await eventually(() => errors.length > 0, 'the poisoning');
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(errors[0]?.message).toMatch(/unsolicited reply/);
    await eventually(() => client.status === 'ready', 'reconnect');
    expect(await client.ping()).toBe('PONG');
  });

  test('a reply declaring more than maxBulkLength fails at once, without waiting for the body', async () => {
    const client = track(new Client(server.url, { limits: { maxBulkLength: 1024 }, commandTimeout: 0 }));
    await client.connect();
    server.respondWith(() => Buffer.from('$999999999\r\n'));
    await expect(client.get('a')).rejects.toThrow(/length exceeds the limit \(1024\)/);
    server.respondWith(undefined);
  });

  test('a timed-out command whose reply never comes does not hang quit beyond the deadline', async () => {
    const client = track(new Client(server.url, { commandTimeout: 200 }));
    await client.connect();
    server.respondWith((command) =>
      command.name === 'get' ? new Promise<undefined>(() => undefined) : undefined,
    );
    await expect(client.get('never')).rejects.toBeInstanceOf(TimeoutError);
    await client.quit();
    expect(client.status).toBe('closed');
    server.respondWith(undefined);
    await sleep(0);
  });
});
