import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';

import { ProtocolError, ReplyError } from '../lib/errors';
import type { RespValue } from '../lib/resp/types';
import { EmbeddedServer, FaultProxy, type IncomingCommand } from '../lib/testing';
import { RequestParser } from '../lib/testing/request-parser';
import { RawClient, encodeCommand, type RawArg } from './support/raw-client';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { freeLoopbackPort } from '../lib/testing/loopback';
import { eventually, sleep } from './support/wait';

let redis: RedisProcess;
const openClients: RawClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(() => {
  for (const client of openClients.splice(0)) client.destroy();
});

afterAll(async () => {
  await stopAll();
});

async function connect(
  port: number,
  options: Parameters<typeof RawClient.connect>[1] = {},
): Promise<RawClient> {
  const client = await RawClient.connect(port, options);
  openClients.push(client);
  return client;
}

/** Sends `script` as one pipelined write and returns every byte of the replies. */
async function transcript(client: RawClient, script: readonly RawArg[][]): Promise<string> {
  const before = client.received.length;
  client.write(Buffer.concat(script.map((command) => encodeCommand(command))));
  for (let i = 0; i < script.length; i++) await client.next();
  return client.received.subarray(before).toString('latin1');
}

async function freePortWithNothingListening(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('FaultProxy', () => {
  let proxy: FaultProxy;

  beforeEach(async () => {
    await redis.command('FLUSHALL');
    proxy = new FaultProxy({ port: redis.port });
    await proxy.start();
  });

  afterEach(async () => {
    await proxy.stop();
  });

  test('forwards both ways to the upstream server and counts connections', async () => {
    expect(proxy.url).toBe(`redis://127.0.0.1:${proxy.port}`);
    const first = await connect(proxy.port);
    expect(await first.command('SET', 'k', 'through-proxy')).toBe('OK');
    expect(await redis.command('GET', 'k')).toBe('through-proxy');
    const second = await connect(proxy.port);
    expect(await second.command('GET', 'k')).toBe('through-proxy');
    expect(proxy.activeConnections).toBe(2);
    expect(proxy.totalConnections).toBe(2);

    first.destroy();
    await eventually(() => proxy.activeConnections === 1, 'the pair of the closed client to go');
    expect(proxy.totalConnections).toBe(2);
  });

  test('a delay holds bytes back and a shorter delay set later never reorders them', async () => {
    const client = await connect(proxy.port);
    proxy.setDelay(80);
    const forwardedBefore = proxy.stats().bytesToServer;
    client.send('ECHO', 'first');
    await sleep(10);
    // Held back: the proxy has the request but has not passed a byte of it on.
    expect(proxy.stats().bytesToServer).toBe(forwardedBefore);
    proxy.setDelay(0);
    client.send('ECHO', 'second');
    expect(await client.next()).toBe('first');
    expect(await client.next()).toBe('second');
  });

  test('a blackhole swallows bytes both ways while the sockets stay open', async () => {
    const client = await connect(proxy.port);
    expect(await client.command('PING')).toBe('PONG');

    proxy.blackhole(true);
    client.send('SET', 'swallowed', '1');
    await eventually(() => proxy.stats().swallowedToServer > 0, 'the request to be swallowed');
    expect(await redis.command('EXISTS', 'swallowed')).toBe(0);
    expect(client.isOpen).toBe(true);
    expect(proxy.activeConnections).toBe(1);
  });

  test('replies can be swallowed alone, while requests still reach the server', async () => {
    const client = await connect(proxy.port);
    proxy.blackhole(true, 'toClient');
    client.send('SET', 'heard', '1');
    await eventually(() => proxy.stats().swallowedToClient > 0, 'the reply to be swallowed');
    expect(await redis.command('EXISTS', 'heard')).toBe(1);
    expect(client.received.length).toBe(0);
  });

  test('lifting a blackhole resets the connections it took bytes from, as TCP would', async () => {
    const untouched = await connect(proxy.port);
    expect(await untouched.command('PING')).toBe('PONG');
    proxy.blackhole(true);
    const victim = await connect(proxy.port);
    victim.send('ECHO', 'lost');
    await eventually(() => proxy.stats().swallowedToServer > 0, 'the request to be swallowed');
    proxy.blackhole(false);
    // Resuming after a gap would hand later bytes to the wrong reader: the victim is reset instead.
    await eventually(() => !victim.isOpen, 'the broken connection to be reset');
    expect(untouched.isOpen).toBe(true);
    expect(await untouched.command('ECHO', 'still here')).toBe('still here');
  });

  test('bytes still delayed when a blackhole opens are swallowed too', async () => {
    const client = await connect(proxy.port);
    proxy.setDelay(60, 'toServer');
    client.send('SET', 'in-flight', '1');
    await sleep(15);
    proxy.blackhole(true);
    await eventually(() => proxy.stats().swallowedToServer > 0, 'the delayed request to be swallowed');
    proxy.clearFaults();
    await eventually(() => !client.isOpen, 'the broken connection to be reset');
    expect(await redis.command('EXISTS', 'in-flight')).toBe(0);
  });

  test('cutAfter closes the connection in the middle of a reply, once', async () => {
    const value = 'x'.repeat(100);
    await redis.command('SET', 'big', value);
    const client = await connect(proxy.port);
    expect(await client.command('PING')).toBe('PONG');

    proxy.cutAfter(10);
    client.send('GET', 'big');
    await client.closed;
    expect(client.received.toString()).toBe('+PONG\r\n' + '$100\r\nxxxx');
    await expect(client.next()).rejects.toThrow('connection closed');
    expect(proxy.stats().cuts).toBe(1);
    await eventually(() => proxy.activeConnections === 0, 'the cut pair to be gone');

    const next = await connect(proxy.port);
    expect(await next.command('GET', 'big')).toBe(value);
    expect(proxy.stats().cuts).toBe(1);
  });

  test('cutAfter toServer delivers part of a request, which the server never executes', async () => {
    const client = await connect(proxy.port);
    const before = proxy.stats().bytesToServer;
    proxy.cutAfter(8, 'toServer');
    client.send('SET', 'half', 'written');
    await client.closed;
    expect(proxy.stats().bytesToServer - before).toBe(8);
    expect(client.received.length).toBe(0);
    expect(await redis.command('EXISTS', 'half')).toBe(0);
  });

  test('rechunk(1) forwards every byte intact, one byte per write, both ways', async () => {
    const value = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    await redis.command('SET', 'bin', value);
    proxy.rechunk(1);
    const client = await connect(proxy.port);
    client.send('GET', 'bin');
    const expected = Buffer.concat([Buffer.from('$300\r\n'), value, Buffer.from('\r\n')]);
    const received = await client.waitForBytes(expected.length);
    expect(received.equals(expected)).toBe(true);
    expect(client.dataEvents).toBeGreaterThan(1);
    expect(proxy.stats().bytesToServer).toBe(encodeCommand(['GET', 'bin']).length);
  });

  test('resetAll destroys current connections and new ones still work', async () => {
    const client = await connect(proxy.port);
    expect(await client.command('PING')).toBe('PONG');
    proxy.resetAll();
    await client.closed;
    await eventually(() => proxy.activeConnections === 0, 'every pair to be gone');
    const next = await connect(proxy.port);
    expect(await next.command('PING')).toBe('PONG');
  });

  test('stop closes every connection; start listens again on the same port', async () => {
    const client = await connect(proxy.port);
    expect(await client.command('PING')).toBe('PONG');
    const port = proxy.port;
    await proxy.stop();
    await client.closed;
    await expect(RawClient.connect(port)).rejects.toThrow('ECONNREFUSED');
    await proxy.start();
    expect(proxy.port).toBe(port);
    const next = await connect(port);
    expect(await next.command('PING')).toBe('PONG');
  });

  test('clearFaults removes every fault, an armed cut included', async () => {
    proxy.blackhole(true);
    proxy.cutAfter(1);
    proxy.rechunk(2);
    proxy.clearFaults();
    const client = await connect(proxy.port);
    expect(await client.command('ECHO', 'clear')).toBe('clear');
    expect(proxy.stats().cuts).toBe(0);
  });

  test('an unreachable upstream closes the client side without crashing', async () => {
    const dead = new FaultProxy({ port: await freePortWithNothingListening() });
    await dead.start();
    try {
      const client = await connect(dead.port);
      await client.closed;
      expect(client.received.length).toBe(0);
      await eventually(() => dead.activeConnections === 0, 'the failed pair to be gone');
    } finally {
      await dead.stop();
    }
  });

  test('rejects nonsensical fault settings', () => {
    expect(() => proxy.setDelay(-1)).toThrow(RangeError);
    expect(() => proxy.rechunk(0)).toThrow(RangeError);
    expect(() => proxy.cutAfter(1.5)).toThrow(RangeError);
  });
});

describe('EmbeddedServer', () => {
  let server: EmbeddedServer;

  beforeEach(async () => {
    server = new EmbeddedServer();
    await server.start();
  });

  afterEach(async () => {
    await server.stop();
  });

  test('answers with the same bytes as Redis 7 for common commands and errors', async () => {
    const script: RawArg[][] = [
      ['FLUSHALL'],
      ['SET', 'k', 'v'],
      ['GET', 'k'],
      ['GET', 'missing'],
      ['PING'],
      ['PING', 'hello'],
      ['ECHO', 'echoed'],
      ['INCR', 'n'],
      ['INCR', 'n'],
      ['INCRBY', 'n', '10'],
      ['DEL', 'k', 'n', 'missing'],
      ['EXISTS', 'k'],
      ['MSET', 'a', '1', 'b', '2'],
      ['MGET', 'a', 'missing', 'b'],
      ['TYPE', 'a'],
      ['TYPE', 'missing'],
      ['SET', 'a', '3', 'NX'],
      ['SET', 'a', '4', 'XX', 'GET'],
      ['xyz', 'a', 'bb'],
      ['GET'],
      ['HSET', 'h', 'f', 'v', 'g', 'w'],
      ['HGETALL', 'h'],
      ['HGET', 'h', 'f'],
      ['LPUSH', 'l', 'x', 'y'],
      ['LRANGE', 'l', '0', '-1'],
      ['GET', 'l'],
      ['SET', 's', 'not-a-number'],
      ['INCR', 's'],
      ['RENAME', 'missing', 'x'],
      ['EXPIRE', 'a', '100'],
      ['EXPIRE', 'a', 'soon'],
      ['TTL', 'a'],
      ['SELECT', '1'],
      ['GET', 'a'],
      ['SELECT', '0'],
      ['MULTI'],
      ['SET', 't', '1'],
      ['INCR', 't'],
      ['EXEC'],
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['nosuchcommand'],
      ['EXEC'],
      ['CLIENT', 'SETNAME', 'conn-1'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'has space'],
      ['SELECT', '99'],
      ['SELECT', 'x'],
      ['AUTH', 'secret'],
      ['HELLO', '4'],
      ['QUIT'],
    ];
    const fromRedis = await transcript(await connect(redis.port), script);
    const embedded = await connect(server.port);
    const fromEmbedded = await transcript(embedded, script);

    expect(fromEmbedded).toBe(fromRedis);
    // Spot checks, so a change on both sides cannot hide a wrong status/bulk choice.
    expect(fromEmbedded.startsWith('+OK\r\n+OK\r\n$1\r\nv\r\n$-1\r\n+PONG\r\n$5\r\nhello\r\n')).toBe(true);
    expect(fromEmbedded).toContain(
      ':1\r\n:2\r\n:12\r\n:2\r\n:0\r\n+OK\r\n*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n+string\r\n+none\r\n',
    );
    expect(fromEmbedded).toContain("-ERR unknown command 'xyz', with args beginning with: 'a' 'bb' \r\n");
    expect(fromEmbedded).toContain('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    expect(fromEmbedded.endsWith('+OK\r\n')).toBe(true);
    await embedded.closed;
  });

  test('answers HELLO 2 with the RESP2 hello array', async () => {
    const client = await connect(server.port);
    const reply = await client.command('HELLO', '2');
    expect(reply).toEqual([
      'server',
      'redis',
      'version',
      '7.0.0',
      'proto',
      2,
      'id',
      1,
      'mode',
      'standalone',
      'role',
      'master',
      'modules',
      [],
    ]);
    expect(client.received.toString()).toMatch(/^\*14\r\n\$6\r\nserver\r\n/);
  });

  test('HELLO 3 switches the connection to RESP3, as Redis does', async () => {
    const script: RawArg[][] = [
      ['HSET', 'h3', 'f', 'v'],
      ['HGETALL', 'h3'],
      ['GET', 'missing'],
      ['HGETALL', 'missing'],
      ['DEL', 'h3'],
    ];
    const real = await connect(redis.port);
    const hello = await real.command('HELLO', '3');
    expect(hello).toBeInstanceOf(Map);
    const embedded = await connect(server.port);
    const embeddedHello = await embedded.command('HELLO', '3');
    expect(embeddedHello).toEqual(
      new Map<RespValue, RespValue>([
        ['server', 'redis'],
        ['version', '7.0.0'],
        ['proto', 3],
        ['id', 1],
        ['mode', 'standalone'],
        ['role', 'master'],
        ['modules', []],
      ]),
    );
    const fromEmbedded = await transcript(embedded, script);
    expect(fromEmbedded).toBe(await transcript(real, script));
    expect(fromEmbedded).toContain('%1\r\n$1\r\nf\r\n$1\r\nv\r\n_\r\n%0\r\n');
  });

  test('answers pipelined requests split at every byte, in order', async () => {
    // The inline command comes first: after a RESP request in the same chunk it is not recognised.
    const payload = Buffer.concat([
      Buffer.from('PING\r\n'),
      encodeCommand(['SET', 'p', 'é-1']),
      encodeCommand(['GET', 'p']),
      encodeCommand(['ECHO', Buffer.from([0, 13, 10, 255])]),
    ]);
    const expected = [['PING'], ['SET', 'p', 'é-1'], ['GET', 'p'], ['ECHO', '\u0000\r\n\ufffd']];
    for (let split = 0; split <= payload.length; split++) {
      const parsed: string[][] = [];
      const parser = new RequestParser((argv) => parsed.push(argv.map((arg) => arg.toString('utf8'))));
      parser.feed(payload.subarray(0, split));
      parser.feed(payload.subarray(split));
      expect(parsed).toEqual(expected);
    }

    // End to end: a proxy makes every byte a separate write to the server.
    const proxy = new FaultProxy({ port: server.port });
    await proxy.start();
    try {
      proxy.rechunk(1, 'toServer');
      const client = await connect(proxy.port, { buffers: true });
      client.write(payload);
      const replies = [await client.next(), await client.next(), await client.next(), await client.next()];
      expect(replies.map((reply) => (Buffer.isBuffer(reply) ? reply : Buffer.from(String(reply))))).toEqual([
        Buffer.from('PONG'),
        Buffer.from('OK'),
        Buffer.from('é-1'),
        Buffer.from([0, 13, 10, 255]),
      ]);
    } finally {
      await proxy.stop();
    }
  });

  test('keeps replies in request order when an earlier command is slow', async () => {
    let releaseSlow: () => void = () => undefined;
    server.respondWith(async (command) => {
      if (command.name === 'get' && command.args[0]?.toString() === 'slow') {
        await new Promise<void>((resolve) => (releaseSlow = resolve));
      }
      return undefined;
    });
    const client = await connect(server.port);
    // One pipelined write, then a later one that arrives while the slow command is still pending.
    client.write(Buffer.concat([encodeCommand(['SET', 'a', '1']), encodeCommand(['GET', 'slow'])]));
    expect(await client.next()).toBe('OK');
    client.send('GET', 'a');
    await sleep(20);
    expect(client.received.toString()).toBe('+OK\r\n');
    releaseSlow();
    expect(await client.next()).toBeNull();
    expect(await client.next()).toBe('1');
  });

  test('keeps data separate between servers and databases, shared between connections', async () => {
    const other = new EmbeddedServer();
    await other.start();
    try {
      const mine = await connect(server.port);
      const theirs = await connect(other.port);
      const sameServer = await connect(server.port);
      expect(await mine.command('SET', 'isolated', 'mine')).toBe('OK');
      expect(await theirs.command('GET', 'isolated')).toBeNull();
      expect(await theirs.command('DBSIZE')).toBe(0);
      expect(await sameServer.command('GET', 'isolated')).toBe('mine');
      expect(await sameServer.command('SELECT', '3')).toBe('OK');
      expect(await sameServer.command('GET', 'isolated')).toBeNull();
      expect(await sameServer.command('SET', 'isolated', 'db3')).toBe('OK');
      expect(await mine.command('GET', 'isolated')).toBe('mine');
      expect(await mine.command('FLUSHALL')).toBe('OK');
      expect(await sameServer.command('DBSIZE')).toBe(0);
    } finally {
      await other.stop();
    }
  });

  test('with a password, refuses commands until AUTH, exactly like Redis', async () => {
    const password = 'top-secret';
    const locked = new EmbeddedServer({ password });
    await locked.start();
    const real = await startRedis({ password });
    try {
      const script: RawArg[][] = [
        ['PING'],
        ['GET', 'k'],
        ['HELLO', '3'],
        ['AUTH', 'wrong'],
        ['AUTH', 'someone', password],
        ['PING'],
        ['AUTH', password],
        ['PING'],
        ['AUTH', 'default', password],
      ];
      const fromEmbedded = await transcript(await connect(locked.port), script);
      expect(fromEmbedded).toBe(await transcript(await connect(real.port), script));
      expect(fromEmbedded.startsWith('-NOAUTH Authentication required.\r\n')).toBe(true);
      expect(fromEmbedded).toContain('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(fromEmbedded.endsWith('+OK\r\n+PONG\r\n+OK\r\n')).toBe(true);

      const viaHello = await connect(locked.port);
      const hello = await viaHello.command('HELLO', '3', 'AUTH', 'default', password, 'SETNAME', 'worker');
      expect(hello).toBeInstanceOf(Map);
      expect(await viaHello.command('CLIENT', 'GETNAME')).toBe('worker');
    } finally {
      await locked.stop();
      await real.stop();
    }
  });

  test('respondWith answers chosen commands with raw bytes, a close, or nothing special', async () => {
    const seen: IncomingCommand[] = [];
    server.respondWith((command) => {
      seen.push(command);
      const key = command.args[0]?.toString();
      if (command.name !== 'get') return undefined;
      if (key === 'raw') return Buffer.from('+injected\r\n');
      if (key === 'malformed') return Buffer.from('?garbage\r\n');
      if (key === 'huge') return Buffer.from('$99999999999\r\n');
      if (key === 'cut') return { raw: Buffer.from('$10\r\nhal'), close: true };
      return undefined;
    });
    const client = await connect(server.port);
    expect(await client.command('SET', 'normal', 'served')).toBe('OK');
    expect(await client.command('GET', 'normal')).toBe('served');
    expect(await client.command('GET', 'raw')).toBe('injected');
    expect(seen.map((command) => command.name)).toEqual(['set', 'get', 'get']);
    expect(seen[0]).toMatchObject({ connectionId: 1, db: 0 });

    client.send('GET', 'malformed');
    await expect(client.next()).rejects.toBeInstanceOf(ProtocolError);

    const huge = await connect(server.port);
    huge.send('GET', 'huge');
    await expect(huge.next()).rejects.toThrow(/exceeds the limit/);

    const cut = await connect(server.port);
    cut.send('GET', 'cut');
    await cut.closed;
    expect(cut.received.toString()).toBe('$10\r\nhal');

    server.respondWith(undefined);
    const plain = await connect(server.port);
    expect(await plain.command('GET', 'raw')).toBeNull();
  });

  test('a hook that never settles stalls its own connection only', async () => {
    server.respondWith((command) => (command.name === 'blpop' ? new Promise(() => undefined) : undefined));
    const stalled = await connect(server.port);
    stalled.send('BLPOP', 'q', '0');
    stalled.send('PING');
    const other = await connect(server.port);
    expect(await other.command('PING')).toBe('PONG');
    expect(stalled.received.length).toBe(0);
  });

  test('injectRaw writes unsolicited bytes to every connection', async () => {
    const first = await connect(server.port);
    const second = await connect(server.port);
    await first.command('PING');
    await second.command('PING');
    expect(server.injectRaw(Buffer.from('>2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n'))).toBe(2);
    await eventually(() => first.pushes.length === 1 && second.pushes.length === 1, 'both pushes');
    expect(first.pushes[0]).toEqual(['message', 'hi']);
    expect(second.pushes[0]).toEqual(['message', 'hi']);
  });

  test('unsupported and unknown commands get an error reply, and the server carries on', async () => {
    const client = await connect(server.port);
    // Pub/sub and WATCH are refused by design; SORT is in Redis's table but ioredis-mock lacks it.
    for (const command of [['SUBSCRIBE', 'ch'], ['WATCH', 'k'], ['SORT', 'k'], ['FROBNICATE']]) {
      const reply = await client.command(...command);
      expect(reply).toBeInstanceOf(ReplyError);
      const shownArgs = command.slice(1).map((arg) => `'${arg}' `);
      expect((reply as ReplyError).message).toBe(
        `ERR unknown command '${command[0]}', with args beginning with: ${shownArgs.join('')}`,
      );
    }
    expect(await client.command('PING')).toBe('PONG');
  });

  test('accepts inline commands; a protocol error is answered, then the connection closed', async () => {
    const inline = await connect(server.port);
    inline.write('PING\r\nECHO inline\r\n');
    expect(await inline.next()).toBe('PONG');
    expect(await inline.next()).toBe('inline');

    const broken = await connect(server.port);
    broken.write(Buffer.concat([encodeCommand(['PING']), Buffer.from('*1\r\n$x\r\n')]));
    expect(await broken.next()).toBe('PONG');
    const error = await broken.next();
    expect(error).toBeInstanceOf(ReplyError);
    expect((error as ReplyError).message).toMatch(/^ERR Protocol error: /);
    await broken.closed;
  });

  test('counts connections; resetAll drops them; a restart keeps the data and the port', async () => {
    const first = await connect(server.port);
    await connect(server.port);
    expect(await first.command('SET', 'kept', 'yes')).toBe('OK');
    expect(server.connectionCount).toBe(2);
    expect(server.totalConnections).toBe(2);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);

    server.resetAll();
    await first.closed;
    await eventually(() => server.connectionCount === 0, 'connections to close');

    const port = server.port;
    await server.stop();
    await server.start();
    expect(server.port).toBe(port);
    const again = await connect(port);
    expect(await again.command('GET', 'kept')).toBe('yes');
    expect(server.totalConnections).toBe(3);
  });
});

describe('redis harness', () => {
  test('freeLoopbackPort never gives one process the same port twice, nor 6379', async () => {
    // Closed probes' ports come back from the OS: 2,000 draws from ~28,000 would repeat dozens of times.
    const ports: number[] = [];
    for (let i = 0; i < 2_000; i++) ports.push(await freeLoopbackPort());
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(6379);
  });

  test('a cluster-bus server listens on a bus port of its own, chosen like its client port', async () => {
    const nodes = await Promise.all(
      [1, 2, 3].map(() => startRedis({ clusterBus: true, args: ['--cluster-enabled', 'yes'] })),
    );
    try {
      const ports = new Set<number>();
      for (const node of nodes) {
        const [, busPort] = (await node.command('CONFIG', 'GET', 'cluster-port')) as [string, string];
        ports.add(node.port).add(Number(busPort));
      }
      expect(ports.size).toBe(6);
    } finally {
      await Promise.all(nodes.map((node) => node.stop()));
    }
  });

  test('restart brings the server back on the same port with a new process', async () => {
    const extra = await startRedis();
    try {
      const { port, pid } = extra;
      expect(await extra.command('SET', 'k', 'v')).toBe('OK');
      await extra.restart();
      expect(extra.port).toBe(port);
      expect(extra.pid).not.toBe(pid);
      expect(extra.running).toBe(true);
      // Started with --save "": nothing survives a restart.
      expect(await extra.command('DBSIZE')).toBe(0);
    } finally {
      await extra.stop();
    }
    expect(extra.running).toBe(false);
  });

  test('pause stops answers until resume', async () => {
    const client = await connect(redis.port);
    expect(await client.command('PING')).toBe('PONG');
    redis.pause();
    try {
      client.send('ECHO', 'while-paused');
      await sleep(100);
      expect(client.received.toString()).toBe('+PONG\r\n');
    } finally {
      redis.resume();
    }
    expect(await client.next()).toBe('while-paused');
  });

  test('TLS mode serves TLS only, also through a FaultProxy', async () => {
    const secure = await startRedis({ tls: true });
    const proxy = new FaultProxy({ port: secure.port });
    await proxy.start();
    try {
      expect(secure.url).toBe(`rediss://127.0.0.1:${secure.port}`);
      const ca = await readFile((secure.tls as { ca: string }).ca);
      const direct = await connect(secure.port, { tls: { ca } });
      expect(await direct.command('PING')).toBe('PONG');
      const proxied = await connect(proxy.port, { tls: { ca } });
      expect(await proxied.command('ECHO', 'over-tls')).toBe('over-tls');
      expect(await secure.command('ECHO', 'harness')).toBe('harness');

      const plain = await connect(secure.port);
      plain.send('PING');
      await plain.closed;
      expect(plain.received.toString()).not.toContain('PONG');
    } finally {
      await proxy.stop();
      await secure.stop();
    }
  });
});
