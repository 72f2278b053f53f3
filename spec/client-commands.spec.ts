import net from 'node:net';
import { Client } from '../lib/client';
import { ConnectionClosedError, InvalidArgumentError, QueueFullError, ReplyError } from '../lib/errors';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';

let redis: RedisProcess;
let client: Client;

beforeAll(async () => {
  redis = await startRedis();
  client = new Client(redis.url);
  await client.connect();
});

afterAll(async () => {
  client.disconnect();
  await stopAll();
});

describe('typed commands against redis-server', () => {
  test('set with its options left undefined is a plain SET', async () => {
    const options: { ex: number } | undefined = undefined;
    expect(await client.set('opt:undef', 'v1', options)).toBe('OK');
    expect(await client.get('opt:undef')).toBe('v1');
  });

  test('set, get, del, incr, exists, expire, ttl, ping', async () => {
    expect(await client.set('basic:a', 'hello')).toBe('OK');
    expect(await client.get('basic:a')).toBe('hello');
    expect(await client.get('basic:missing')).toBeNull();
    expect(await client.exists('basic:a', 'basic:missing', 'basic:a')).toBe(2);
    expect(await client.incr('basic:n')).toBe(1);
    expect(await client.incr('basic:n')).toBe(2);
    expect(await client.expire('basic:a', 100)).toBe(1);
    const ttl = await client.ttl('basic:a');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await client.ttl('basic:missing')).toBe(-2);
    expect(await client.del('basic:a', 'basic:n', 'basic:missing')).toBe(2);
    expect(await client.ping()).toBe('PONG');
    expect(await client.ping('echo me')).toBe('echo me');
  });

  test('set options: ex, px, nx, xx, get', async () => {
    expect(await client.set('opt:k', 'v1', { ex: 50 })).toBe('OK');
    expect(await client.ttl('opt:k')).toBeGreaterThan(40);
    expect(await client.set('opt:k', 'v2', { nx: true })).toBeNull();
    expect(await client.set('opt:absent', 'v', { xx: true })).toBeNull();
    expect(await client.set('opt:k', 'v3', { xx: true, get: true })).toBe('v1');
    expect(await client.set('opt:p', 'v', { px: 60_000 })).toBe('OK');
    expect(Number(await client.call('PTTL', 'opt:p'))).toBeGreaterThan(50_000);
  });

  test('mget and mset keep the caller order', async () => {
    expect(await client.mset({ 'm:a': '1', 'm:b': '2' })).toBe('OK');
    expect(await client.mset(new Map([['m:c', 3]]))).toBe('OK');
    expect(await client.mget(['m:c', 'm:missing', 'm:a', 'm:b'])).toEqual(['3', null, '1', '2']);
  });

  test('call runs any command and error replies reject only that command', async () => {
    expect(await client.call('HSET', 'h', 'f', 'v', 'g', 7)).toBe(2);
    expect(await client.call('HGET', 'h', 'g')).toBe('7');
    const failed = client.call('INCR', 'h');
    const after = client.call('HGET', 'h', 'f');
    await expect(failed).rejects.toBeInstanceOf(ReplyError);
    await expect(failed).rejects.toMatchObject({ code: 'WRONGTYPE', command: 'INCR' });
    expect(await after).toBe('v');
    await expect(client.call('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
  });

  test('bad arguments reject with InvalidArgumentError and never reach the server', async () => {
    const sentBefore = client.stats().sent;
    await expect(client.set('k', 'v', { ex: 1, px: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.set('k', 'v', { ex: -3 })).rejects.toThrow(/positive integer/);
    await expect(client.set('k', 'v', 'EX', 10, { nx: true } as unknown as string)).rejects.toThrow(
      /not both/,
    );
    await expect(client.set('k', undefined as unknown as string)).rejects.toThrow(
      /argument 2 of SET is undefined/,
    );
    await expect(client.mget([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.del()).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.mset({})).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.hset('h')).rejects.toThrow(/HSET needs at least 3 argument/);
    await expect(client.call('')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(client.stats().sent).toBe(sentBefore);
  });

  test('commands that would break reply ordering are refused', async () => {
    await expect(client.call('SUBSCRIBE', 'chan')).rejects.toThrow(
      /SUBSCRIBE changes the state of the connection/,
    );
    await expect(client.call('monitor')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.call('CLIENT', 'reply', 'OFF')).rejects.toThrow(/CLIENT REPLY/);
    await expect(client.call('CLIENT', Buffer.from('tracking'), 'ON')).rejects.toThrow(/CLIENT TRACKING/);
    await expect(client.callBuffer('MuLtI')).rejects.toThrow(/use multi\(\)/);
    await expect(client.call('QUIT')).rejects.toThrow(/use the client's quit\(\)/);
    // Ready-made arguments are checked too: layers above the Client send through these.
    await expect(client.sendCommand(['MULTI'])).rejects.toThrow(/use multi\(\)/);
    await expect(client.sendCommand([Buffer.from('select'), 5])).rejects.toThrow(/use the db option/);
    await expect(client.sendTransaction([{ args: ['SELECT', 5], flags: 0 }])).rejects.toThrow(
      /use the db option/,
    );
    expect(await client.sendTransaction([{ args: ['ECHO', 'tx-ok'], flags: 0 }])).toEqual(['tx-ok']);
    expect(await client.call('CLIENT', 'GETNAME')).toBeNull();
  });

  test('50,000 concurrent commands each get their own reply', async () => {
    const count = 50_000;
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) writes.push(client.set(`many:${i}`, `value-${i}`));
    await Promise.all(writes);
    const reads: Promise<string | null>[] = [];
    for (let i = 0; i < count; i++)
      reads.push(
        i % 2 === 0 ? client.get(`many:${i}`) : (client.call('ECHO', `echo-${i}`) as Promise<string>),
      );
    const replies = await Promise.all(reads);
    const wrong = replies.filter((reply, i) => reply !== (i % 2 === 0 ? `value-${i}` : `echo-${i}`));
    expect(wrong).toEqual([]);
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, pendingBytes: 0 });
  });

  test('binary values round-trip byte for byte', async () => {
    const every = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) every[i] = i;
    await client.set(Buffer.from([0xff, 0x00, 0x0d, 0x0a]), every);
    const back = await client.getBuffer(Buffer.from([0xff, 0x00, 0x0d, 0x0a]));
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(back?.equals(every)).toBe(true);
    expect(await client.callBuffer('ECHO', 'x')).toEqual(Buffer.from('x'));
  });

  test('a 32 MiB value round-trips', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    expect(await client.set('big', big)).toBe('OK');
    const back = await client.getBuffer('big');
    expect(back?.length).toBe(big.length);
    expect(back?.equals(big)).toBe(true);
    await client.del('big');
  });
});

describe('pipeline', () => {
  test('a failing command in the middle fails alone', async () => {
    await client.set('pipe:str', 'text');
    const results = await client
      .pipeline()
      .set('pipe:a', '1')
      .incr('pipe:str')
      .get('pipe:a')
      .call('HSET', 'pipe:h', 'f', 'v')
      .set('pipe:bad', 'v', { ex: 0 })
      .incr('pipe:a')
      .exec();
    expect(results[0]).toBe('OK');
    expect(results[1]).toBeInstanceOf(ReplyError);
    expect((results[1] as ReplyError).message).toMatch(/not an integer/);
    expect(results[2]).toBe('1');
    expect(results[3]).toBe(1);
    expect(results[4]).toBeInstanceOf(InvalidArgumentError);
    expect(results[5]).toBe(2);
  });

  test('an empty pipeline resolves to no results, and a pipeline runs once', async () => {
    const pipeline = client.pipeline();
    expect(await pipeline.exec()).toEqual([]);
    await expect(pipeline.exec()).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  test('a bound reached inside a pipeline fails only the commands past it', async () => {
    const bounded = new Client(redis.url, { maxPending: 3 });
    await bounded.connect();
    const results = await bounded.pipeline().set('pb:a', '1').get('pb:a').incr('pb:n').get('pb:a').exec();
    expect(results.slice(0, 3)).toEqual(['OK', '1', 1]);
    expect(results[3]).toBeInstanceOf(QueueFullError);
    bounded.disconnect();
  });

  test('exec on a closed client gives an error per command and does not reject', async () => {
    const closed = new Client(redis.url);
    await closed.connect();
    await closed.quit();
    const results = await closed.pipeline().get('a').get('b').exec();
    expect(results).toHaveLength(2);
    for (const result of results) expect(result).toBeInstanceOf(ConnectionClosedError);
  });
});

describe('one write per tick', () => {
  test('commands issued in one tick reach the server in one write', async () => {
    // A real server cannot report how its bytes arrived, so this in-process listener counts them.
    const chunks: Buffer[] = [];
    const server = net.createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const commands = chunk.toString('latin1').split('*1\r\n$4\r\nPING\r\n').length - 1;
        socket.write('+PONG\r\n'.repeat(commands));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const local = new Client(`redis://127.0.0.1:${port}`, { heartbeatInterval: 0 });
    try {
      await local.connect();
      // With nothing else to handshake, connect() proved the server alive with a PING of its own.
      chunks.length = 0;
      const replies = await Promise.all(Array.from({ length: 100 }, () => local.ping()));
      expect(replies).toEqual(Array(100).fill('PONG'));
      expect(chunks).toHaveLength(1);
      expect(chunks[0]?.toString('latin1')).toBe('*1\r\n$4\r\nPING\r\n'.repeat(100));
    } finally {
      local.disconnect();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('bounds', () => {
  test('maxPending rejects at once with QueueFullError, and frees up as replies arrive', async () => {
    const bounded = new Client(redis.url, { maxPending: 10 });
    await bounded.connect();
    const accepted = Array.from({ length: 10 }, (_, i) => bounded.set(`bound:${i}`, 'v'));
    await expect(bounded.get('bound:0')).rejects.toBeInstanceOf(QueueFullError);
    expect(await Promise.all(accepted)).toEqual(Array(10).fill('OK'));
    expect(await bounded.get('bound:0')).toBe('v');
    bounded.disconnect();
  });

  test('maxPendingBytes rejects a command that would overflow it', async () => {
    const bounded = new Client(redis.url, { maxPendingBytes: 1000 });
    await bounded.connect();
    await expect(bounded.set('bytes', 'x'.repeat(2000))).rejects.toThrow(/maxPendingBytes \(1000\)/);
    expect(await bounded.set('bytes', 'x'.repeat(100))).toBe('OK');
    bounded.disconnect();
  });
});

describe('closing', () => {
  test('quit delivers every accepted reply, then every call rejects at once', async () => {
    const closing = new Client(redis.url);
    await closing.connect();
    const accepted = Array.from({ length: 1000 }, (_, i) => closing.call('ECHO', `q${i}`));
    const quitting = closing.quit();
    const late = expect(closing.get('x')).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(await Promise.all(accepted)).toEqual(Array.from({ length: 1000 }, (_, i) => `q${i}`));
    await quitting;
    await late;
    await expect(closing.get('x')).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(closing.status).toBe('closed');
  });

  test('disconnect rejects everything pending with ConnectionClosedError', async () => {
    const closing = new Client(redis.url);
    await closing.connect();
    const ends: string[] = [];
    closing.on('end', () => ends.push('end'));
    const pending = Array.from({ length: 100 }, (_, i) => closing.call('ECHO', `d${i}`));
    closing.disconnect();
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof ConnectionClosedError)).toBe(
      true,
    );
    await expect(closing.ping()).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(closing.connect()).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(ends).toEqual(['end']);
  });

  test('commands issued before connect() are queued and sent once ready', async () => {
    const lazy = new Client(redis.url);
    const early = lazy.set('lazy:k', 'v');
    expect(await early).toBe('OK');
    expect(await lazy.get('lazy:k')).toBe('v');
    await lazy.quit();
  });
});
