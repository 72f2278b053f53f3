/**
 * examples/http-service, over real HTTP: the service in-process against a real redis-server (cache
 * hits and misses, invalidation, the rate limit's exact counts, also under concurrency, and 503 when
 * Redis is gone), the same service on the EmbeddedServer, and `npm run example`'s entry point in a
 * child process against a real redis-server, stopped by SIGINT.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';

import { Catalog, SAMPLE_PRODUCTS } from '../examples/http-service/catalog';
import { createService, type ServiceOptions } from '../examples/http-service/service';
import { Client } from '../lib/client';
import { EmbeddedServer } from '../lib/testing/embedded-server';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';

const track = cleanupAfterEachTest();
const ROOT = join(__dirname, '..');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
/**
 * The child is killed after this long: a hung example fails the test instead of the whole run. ts-node
 * transpiling lib/ takes ~5 s on a quiet machine and took 37 s on a 2-core one under load average 20.
 */
const CHILD_LIMIT_MS = 100_000;
const LIMIT = 5;
/** Far longer than the tests, so no request leaves the window while they run. */
const WINDOW_MS = 10 * 60_000;

let redis: RedisProcess;
const servers: Server[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

beforeEach(async () => {
  await redis.command('FLUSHALL');
});

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

interface Running {
  base: string;
  catalog: Catalog;
  client: Client;
}

async function serve(url: string, overrides: Partial<ServiceOptions> = {}): Promise<Running> {
  const client = track(new Client(url));
  await client.connect();
  const catalog = new Catalog(SAMPLE_PRODUCTS);
  const server = createService({
    client,
    catalog,
    rateLimit: LIMIT,
    windowMs: WINDOW_MS,
    cacheTtlSeconds: 30,
    ...overrides,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { base: `http://127.0.0.1:${address.port}`, catalog, client };
}

let callerSeq = 0;
/** A caller of its own, so no test shares a rate-limit log with another. */
function newCaller(): string {
  return `caller-${process.pid}-${++callerSeq}`;
}

function get(base: string, path: string, caller: string): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { 'x-api-key': caller } });
}

describe('the product service on a real redis-server', () => {
  test('a first GET misses and loads from the catalog, the second hits Redis; the entry has a TTL', async () => {
    const { base, catalog } = await serve(redis.url);
    const caller = newCaller();

    const first = await get(base, '/products/2', caller);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(await first.json()).toEqual({ id: '2', name: 'Pour-over kettle', priceCents: 4500 });
    expect(catalog.loads).toBe(1);

    const second = await get(base, '/products/2', caller);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(await second.json()).toEqual({ id: '2', name: 'Pour-over kettle', priceCents: 4500 });
    expect(catalog.loads).toBe(1);

    expect(await redis.command('GET', 'example:product:2')).toBe(
      JSON.stringify({ id: '2', name: 'Pour-over kettle', priceCents: 4500 }),
    );
    const ttl = Number(await redis.command('TTL', 'example:product:2'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  test('a PUT updates the catalog and invalidates the entry: the next GET misses and shows the change', async () => {
    const { base, catalog } = await serve(redis.url);
    const caller = newCaller();
    await get(base, '/products/1', caller);
    expect((await get(base, '/products/1', caller)).headers.get('x-cache')).toBe('HIT');

    const put = await fetch(`${base}/products/1`, {
      method: 'PUT',
      headers: { 'x-api-key': caller, 'content-type': 'application/json' },
      body: JSON.stringify({ priceCents: 1234 }),
    });
    expect(put.status).toBe(204);
    expect(await redis.command('EXISTS', 'example:product:1')).toBe(0);

    const after = await get(base, '/products/1', caller);
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(await after.json()).toEqual({ id: '1', name: 'Espresso cup', priceCents: 1234 });
    expect(catalog.loads).toBe(2);

    const bad = await fetch(`${base}/products/1`, {
      method: 'PUT',
      headers: { 'x-api-key': caller },
      body: JSON.stringify({ priceCents: 'free' }),
    });
    expect(bad.status).toBe(400);
  });

  test('an unknown product is a 404 and is not cached', async () => {
    const { base, catalog } = await serve(redis.url);
    const caller = newCaller();
    for (let i = 0; i < 2; i++) {
      const response = await get(base, '/products/nope', caller);
      expect(response.status).toBe(404);
      expect(response.headers.get('x-cache')).toBe('MISS');
    }
    expect(catalog.loads).toBe(2);
    expect(await redis.command('EXISTS', 'example:product:nope')).toBe(0);
  });

  test(`exactly ${LIMIT} requests per caller pass, then 429 with Retry-After; another caller is not affected`, async () => {
    const { base } = await serve(redis.url);
    const caller = newCaller();
    const remaining: string[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const response = await get(base, '/products/3', caller);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
      remaining.push(response.headers.get('x-ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    for (let i = 0; i < 3; i++) {
      const refused = await get(base, '/products/3', caller);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
      // A refused request is not a product read.
      expect(refused.headers.get('x-cache')).toBeNull();
    }
    // Refused requests are not logged: only the allowed ones are in the window.
    expect(await redis.command('ZCARD', `example:ratelimit:key:${caller}`)).toBe(LIMIT);
    const ttl = Number(await redis.command('PTTL', `example:ratelimit:key:${caller}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(WINDOW_MS);

    const other = await get(base, '/products/3', newCaller());
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe(String(LIMIT - 1));
  });

  test('concurrent requests of one caller: the script lets exactly the limit through', async () => {
    const { base } = await serve(redis.url);
    const caller = newCaller();
    const statuses = (
      await Promise.all(Array.from({ length: 4 * LIMIT }, () => get(base, '/products/1', caller)))
    ).map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3 * LIMIT);
    expect(await redis.command('ZCARD', `example:ratelimit:key:${caller}`)).toBe(LIMIT);
  });

  test('with Redis unreachable the service answers 503, not an unlimited 200', async () => {
    const { base, client, catalog } = await serve(redis.url);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    client.disconnect();
    const response = await get(base, '/products/1', newCaller());
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: string }).error).toMatch(/^redis unavailable: /);
    expect(catalog.loads).toBe(0);
  });
});

test('the same service on the EmbeddedServer: cache hit and miss, and the limit', async () => {
  const embedded = new EmbeddedServer();
  await embedded.start();
  try {
    const { base, catalog } = await serve(embedded.url, { rateLimit: 3 });
    const caller = newCaller();
    expect((await get(base, '/products/1', caller)).headers.get('x-cache')).toBe('MISS');
    expect((await get(base, '/products/1', caller)).headers.get('x-cache')).toBe('HIT');
    expect(catalog.loads).toBe(1);
    expect((await get(base, '/products/1', caller)).status).toBe(200);
    expect((await get(base, '/products/1', caller)).status).toBe(429);
  } finally {
    await embedded.stop();
  }
});

test(
  'npm run example against REDIS_URL: serves, reports MISS then HIT, and stops on SIGINT',
  async () => {
    const child = spawn(process.execPath, [TS_NODE, '--transpile-only', 'examples/http-service/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: redis.url, PORT: '0', RATE_LIMIT: '7' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const base = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /product service on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (match !== null) resolve(match[1]);
        });
        void exited.then((code) => reject(new Error(`example exited (${code}): ${stdout}${stderr}`)));
      });
      expect(stdout).toContain(`Redis: ${redis.url}`);
      const caller = newCaller();
      const first = await get(base, '/products/3', caller);
      expect(first.headers.get('x-cache')).toBe('MISS');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('6');
      expect((await get(base, '/products/3', caller)).headers.get('x-cache')).toBe('HIT');
      expect(await redis.command('EXISTS', 'example:product:3')).toBe(1);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopped');
      // The example logs the client's errors as `redis: …`; a clean run has none.
      expect(stderr).not.toContain('redis:');
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  },
  CHILD_LIMIT_MS + 10_000,
);
