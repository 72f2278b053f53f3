import { readFileSync } from 'node:fs';
import { Client } from '../lib/client';
import type { ReconnectingInfo } from '../lib/connection/connection';
import { ConnectionError, HandshakeError } from '../lib/errors';
import type { RespValue } from '../lib/resp/types';
import { startRedis } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually } from './support/wait';

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
  test('HELLO 3 switches replies to RESP3 types and push frames reach the push event', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const client = track(
      new Client(`redis://127.0.0.1:${redis.port}`, { protocol: 3, password: PASSWORD, name: 'resp3' }),
    );
    const pushes: RespValue[][] = [];
    client.on('push', (message) => pushes.push(message));
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

    // Client-side caching invalidations arrive as push frames between ordinary replies.
    await client.call('CLIENT', 'TRACKING', 'on');
    await client.set('tracked', 'v1');
    expect(await client.get('tracked')).toBe('v1');
    await redis.command('SET', 'tracked', 'v2');
    await eventually(() => pushes.length > 0, 'an invalidation push');
    expect(pushes[0]).toEqual(['invalidate', ['tracked']]);
    expect(await client.get('tracked')).toBe('v2');
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
