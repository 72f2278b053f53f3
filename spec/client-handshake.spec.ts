import { readFileSync } from 'node:fs';
import { Client } from '../lib/client';
import type { ReconnectingInfo } from '../lib/connection/connection';
import { Cluster } from '../lib/cluster/cluster';
import type { ClientOptions } from '../lib/connection/options';
import { ConnectionClosedError, ConnectionError, HandshakeError, InvalidArgumentError } from '../lib/errors';
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import type { RespValue } from '../lib/resp/types';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { startTwemproxy, stopAllTwemproxies, type TwemproxyProcess } from './support/twemproxy';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually } from './support/wait';
import { EmbeddedServer } from '../lib/testing';

const PASSWORD = 's3cret-Pa55word';
const track = cleanupAfterEachTest();

function clientInfo(reply: RespValue): Record<string, string> {
  return Object.fromEntries(
    String(reply)
      .trim()
      .split(' ')
      .map((pair) => pair.split('=') as [string, string]),
  );
}

describe('handshake', () => {
  test('AUTH, SELECT and CLIENT SETNAME are replayed after a server restart', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const client = track(
      new Client(`redis://:${PASSWORD}@127.0.0.1:${redis.port}/3`, {
        name: 'handshake-test',
        reconnect: { minDelay: 20, maxDelay: 50 },
      }),
    );
    await client.connect();
    expect(clientInfo(await client.call('CLIENT', 'INFO'))).toMatchObject({
      db: '3',
      name: 'handshake-test',
    });

    await redis.kill();
    await redis.restart();
    await eventually(() => client.status === 'ready' && client.stats().reconnects === 1, 'reconnect', 5_000);
    expect(await client.set('after-restart', 'v')).toBe('OK');
    expect(clientInfo(await client.call('CLIENT', 'INFO'))).toMatchObject({
      db: '3',
      name: 'handshake-test',
    });
    // The key landed in database 3, not 0.
    expect(await redis.command('EXISTS', 'after-restart')).toBe(0);
  });

  test('a wrong password fails with a clear HandshakeError that never shows the password', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const wrong = 'not-the-Right-one-42';
    const client = track(
      new Client(`redis://default:${wrong}@127.0.0.1:${redis.port}`, {
        reconnect: { minDelay: 20, maxDelay: 80 },
      }),
    );
    const errors: Error[] = [];
    const attempts: ReconnectingInfo[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('reconnecting', (info) => attempts.push(info));

    const failure = await client.connect().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(HandshakeError);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect(failure?.message).toMatch(/AUTH was refused by 127\.0\.0\.1:\d+: WRONGPASS/);

    await eventually(() => attempts.length >= 4, 'a few reconnect attempts', 5_000);
    // Backoff, not a storm: each planned delay is at least half the exponential step, capped at maxDelay.
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, ...attempts.slice(4).map((a) => a.attempt)]);
    for (const { attempt, delayMs } of attempts) {
      const step = Math.min(80, 20 * 2 ** (attempt - 1));
      expect(delayMs).toBeGreaterThanOrEqual(step / 2);
      expect(delayMs).toBeLessThanOrEqual(step);
    }
    const everything = JSON.stringify([
      failure?.message,
      failure?.stack,
      errors.map((e) => [e.message, e.stack]),
      attempts.map((a) => [a.error.message, a.error.stack]),
      client.stats(),
      client.address,
    ]);
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(PASSWORD);
  });

  test('explicit username and password options authenticate through AUTH', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const client = track(
      new Client(`redis://127.0.0.1:${redis.port}`, { username: 'default', password: PASSWORD }),
    );
    await client.connect();
    expect(await client.call('ACL', 'WHOAMI')).toBe('default');
  });
});

describe('RESP3', () => {
  test('HELLO 3 switches replies to RESP3 types', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const client = track(
      new Client(`redis://127.0.0.1:${redis.port}`, { protocol: 3, password: PASSWORD, name: 'resp3' }),
    );
    await client.connect();
    await client.call('HSET', 'h3', 'a', '1', 'b', '2');
    const hash = await client.call('HGETALL', 'h3');
    expect(hash).toBeInstanceOf(Map);
    expect([...(hash as Map<RespValue, RespValue>)]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(await client.call('ZADD', 'z3', '1.5', 'm')).toBe(1);
    expect(await client.call('ZSCORE', 'z3', 'm')).toBe(1.5);
    expect(clientInfo(await client.call('CLIENT', 'INFO'))).toMatchObject({ resp: '3', name: 'resp3' });
  });

  test('push frames between replies reach the push event and never settle a command', async () => {
    // CLIENT TRACKING is refused on the shared connection, so the server is told to push instead.
    const server = new EmbeddedServer();
    await server.start();
    try {
      const client = track(new Client(server.url, { protocol: 3 }));
      const pushes: RespValue[][] = [];
      client.on('push', (message) => pushes.push(message));
      await client.connect();
      expect(await client.set('tracked', 'v1')).toBe('OK');
      server.injectRaw(Buffer.from('>2\r\n$10\r\ninvalidate\r\n*1\r\n$7\r\ntracked\r\n'));
      await eventually(() => pushes.length > 0, 'an invalidation push');
      expect(pushes[0]).toEqual(['invalidate', ['tracked']]);
      expect(await client.get('tracked')).toBe('v1');
    } finally {
      await server.stop();
    }
  });
});

describe('TLS', () => {
  test('rediss:// with the CA verifies the server and works end to end', async () => {
    const redis = await startRedis({ tls: true });
    const files = redis.tls as NonNullable<typeof redis.tls>;
    const client = track(
      new Client(`rediss://127.0.0.1:${redis.port}`, { tls: { ca: readFileSync(files.ca) } }),
    );
    await client.connect();
    expect(await client.set('tls', 'secure')).toBe('OK');
    expect(await client.get('tls')).toBe('secure');
  });

  test('verification is on by default: an unknown CA is refused with a clear error', async () => {
    const redis = await startRedis({ tls: true });
    const client = track(new Client(`rediss://127.0.0.1:${redis.port}`, { reconnect: false }));
    await expect(client.connect()).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });
});

describe('through twemproxy (nutcracker), which closes the connection on HELLO and SELECT', () => {
  let redis: RedisProcess;
  let proxy: TwemproxyProcess;
  beforeAll(async () => {
    redis = await startRedis();
    proxy = await startTwemproxy(redis.port);
  });
  afterAll(async () => {
    await stopAllTwemproxies();
  });

  test('with no options, SET and GET work through it', async () => {
    const client = track(new Client(proxy.url));
    await client.connect();
    expect(await client.set('through:plain', 'v')).toBe('OK');
    expect(await client.get('through:plain')).toBe('v');
    expect(await redis.command('GET', 'through:plain')).toBe('v');
  });

  test('protocol 2 falls back to the RESP2 handshake and works', async () => {
    const client = track(new Client(proxy.url, { protocol: 2 }));
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    expect(await client.set('through:resp2', 'v2')).toBe('OK');
    expect(await client.get('through:resp2')).toBe('v2');
    expect(errors).toEqual([]);
  });

  test('protocol 3 fails with a HandshakeError naming HELLO 3; queued commands stay unsent', async () => {
    const client = track(new Client(proxy.url, { protocol: 3, reconnect: { minDelay: 50, maxDelay: 100 } }));
    const queued = client.get('through:queued');
    const outcome = { settled: false, error: undefined as unknown };
    queued.then(
      () => (outcome.settled = true),
      (error: unknown) => Object.assign(outcome, { settled: true, error }),
    );
    const failure = await client.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HandshakeError);
    expect(failure).toMatchObject({ step: 'HELLO 3', sent: false });
    expect((failure as Error).message).toMatch(/handshake failed at HELLO 3: .* closed the connection/);
    expect(outcome.settled).toBe(false);
    expect(client.stats().queued).toBe(1);
    client.disconnect();
    await eventually(() => outcome.settled, 'the queued GET to settle');
    expect(outcome.error).toBeInstanceOf(ConnectionClosedError);
  });

  test('db 1 fails with a HandshakeError naming SELECT 1', async () => {
    const client = track(new Client(proxy.url, { db: 1, reconnect: false }));
    const queued = client.set('through:never', 'v').catch((error: unknown) => error);
    const failure = await client.connect().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HandshakeError);
    expect(failure).toMatchObject({ step: 'SELECT 1', sent: false });
    expect((failure as Error).message).toMatch(/handshake failed at SELECT 1/);
    // With reconnect off the client ends: the SET is refused as never sent, not as an unknown outcome.
    const refused = await queued;
    expect(refused).not.toBeInstanceOf(ConnectionError);
    expect(refused).toBeInstanceOf(ConnectionClosedError);
    expect(await redis.command('EXISTS', 'through:never')).toBe(0);
  });
});

describe('option names', () => {
  // As a JavaScript caller would write them, or a TypeScript one through a cast.
  const asOptions = (options: object): ClientOptions => options as ClientOptions;

  test("the peers' address options are refused, not ignored for 127.0.0.1:6379", () => {
    const address =
      "is not a Client option: give the server as a URL, the first argument: new Client('redis://host:port/db', options)";
    expect(() => new Client(asOptions({ url: 'redis://127.0.0.1:1' }))).toThrow(
      new InvalidArgumentError(`url ${address}`),
    );
    expect(() => new Client(asOptions({ host: '127.0.0.1', port: 1 }))).toThrow(
      new InvalidArgumentError(`host ${address}`),
    );
    expect(() => new Client('redis://127.0.0.1:1', asOptions({ socket: { port: 1 } }))).toThrow(
      new InvalidArgumentError(`socket ${address}`),
    );
  });

  test('any other unknown key is refused by name, in a Client and in the client options of both clusters', () => {
    expect(() => new Client('redis://127.0.0.1:1', asOptions({ comandTimeout: 5 }))).toThrow(
      new InvalidArgumentError('comandTimeout is not a Client option'),
    );
    expect(
      () => new Cluster({ replicas: [['redis://127.0.0.1:1']], client: asOptions({ retryStrategy: 1 }) }),
    ).toThrow(new InvalidArgumentError('client options: retryStrategy is not a Client option'));
    expect(
      () => new RedisCluster({ seeds: ['redis://127.0.0.1:1'], client: asOptions({ natMap: {} }) }),
    ).toThrow(new InvalidArgumentError('client options: natMap is not a Client option'));
  });

  test('every documented option is accepted', () => {
    const client = new Client('redis://127.0.0.1:1', {
      protocol: 3,
      name: 'n',
      username: 'u',
      password: 'p',
      db: 1,
      commandTimeout: 1,
      connectTimeout: 1,
      stallTimeout: 1,
      heartbeatInterval: 1,
      reconnect: false,
      maxPending: 1,
      maxPendingBytes: 1,
      offlineQueue: true,
      maxOfflineQueue: 1,
      tls: false,
      limits: {},
      pool: {},
      pubsub: 'dedicated',
      cache: { maxEntries: 1 },
      readOnly: false,
      tracing: { args: 'none' },
    });
    expect(client.status).toBe('idle');
    client.disconnect();
  });
});
