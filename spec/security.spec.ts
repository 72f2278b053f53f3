/**
 * Security and limits of one Client: no password in anything it says, TLS verification and client
 * certificates, a hostile or broken server that must not exhaust memory, and a slow server whose
 * backlog stays within maxPendingBytes.
 *
 * Cluster.health() is not covered yet: the cluster layer is still being built.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { Client } from '../lib/client';
import type { ClientOptions } from '../lib/connection/options';
import {
  ConnectionClosedError,
  ConnectionError,
  HandshakeError,
  InvalidArgumentError,
  ProtocolError,
  QueueFullError,
  TimeoutError,
} from '../lib/errors';
import type { RespDecoder } from '../lib/resp/decoder';
import type { RespValue } from '../lib/resp/types';
import { EmbeddedServer, FaultProxy } from '../lib/testing';
import {
  generateClientCertificate,
  generateTlsFiles,
  startRedis,
  type ClientCertificateFiles,
  type RedisProcess,
  type TlsFiles,
} from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually, sleep } from './support/wait';
import { retainedBytes } from './support/heap';
import { SaidLog } from './support/said-log';

const track = cleanupAfterEachTest();

const KiB = 1024;
const MiB = 1024 * KiB;

/** The Client's decoder, reached through private fields, only to watch bufferedBytes from outside. */
function decoderOf(client: Client): RespDecoder {
  return (client as unknown as { connection: { decoder: RespDecoder } }).connection.decoder;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------------

/** Everything a client tells the outside world: errors with their causes, events, stats, address. */
class Transcript extends SaidLog {
  constructor(private readonly client: Client) {
    super();
    client.on('error', (error) => this.said.push(['error', error]));
    client.on('reconnecting', (info) => this.said.push(['reconnecting', info]));
    client.on('push', (message) => this.said.push(['push', message]));
    client.on('ready', () => this.said.push(['ready']));
    client.on('close', () => this.said.push(['close']));
    client.on('end', () => this.said.push(['end']));
  }

  errors(): Error[] {
    return this.said.flat().filter((item): item is Error => item instanceof Error);
  }

  /** As text, the way a log line or a debugger would show it: messages, stacks, causes, every field. */
  text(): string {
    const errors = this.errors();
    const causes = errors.flatMap((error) => {
      const chain: string[] = [];
      for (let e: unknown = error; e instanceof Error; e = e.cause)
        chain.push(`${e.message}\n${e.stack ?? ''}`);
      return chain;
    });
    const stats = this.client.stats();
    return [
      inspect(this.said, { depth: Infinity, showHidden: true }),
      ...causes,
      JSON.stringify(stats),
      inspect(stats, { depth: Infinity }),
      this.client.address,
      String(this.client.status),
    ].join('\n');
  }
}

describe('passwords never appear in errors, events, stats() or debug output', () => {
  const PASSWORD = 'Pa55-w0rd_never-shown';

  /*
   * BUG (reported): the resolved options, password included, sit in enumerable fields of the
   * Connection, so console.log(client) or a debugger's view prints the password.
   */
  test('util.inspect of a Client (what console.log prints) does not show the password', async () => {
    const server = new EmbeddedServer({ password: PASSWORD });
    await server.start();
    try {
      const fromUrl = track(new Client(`redis://default:${PASSWORD}@127.0.0.1:${server.port}`));
      const fromOptions = track(new Client(`redis://127.0.0.1:${server.port}`, { password: PASSWORD }));
      await Promise.all([fromUrl.connect(), fromOptions.connect()]);
      for (const client of [fromUrl, fromOptions]) {
        expect(await client.ping()).toBe('PONG');
        // console.log's depth, and a little deeper (not so deep as to walk into node and jest internals).
        expect(inspect(client)).not.toContain(PASSWORD);
        expect(inspect(client, { depth: 4, showHidden: true })).not.toContain(PASSWORD);
      }
    } finally {
      await server.stop();
    }
  });

  /*
   * BUG (reported): redactUrl stops at the first "@" or "/", so a password holding either (common in
   * generated passwords: base64 has "/") is shown whole or in part when the URL is refused.
   */
  test.each([
    ['a bad port', `redis://user:${PASSWORD}@127.0.0.1:port/0`, [PASSWORD]],
    ['a bad database', `redis://user:${PASSWORD}@127.0.0.1:6390/db`, [PASSWORD]],
    ['a bad scheme', `http://user:${PASSWORD}@127.0.0.1`, [PASSWORD]],
    ['no host', `redis://:${PASSWORD}@/0`, [PASSWORD]],
    ['a "#" in the password', 'redis://user:Secret#Part@127.0.0.1:6390/db', ['Secret#Part', 'Part@']],
    ['a "/" in the password', 'redis://user:Secret/Part2@127.0.0.1:6390', ['Secret', 'Part2']],
    ['an "@" in the password', 'redis://user:Secret@Part3@127.0.0.1:6390/db', ['Secret', 'Part3']],
  ])('a URL refused for %s names it with the password hidden', (_label, url, secrets) => {
    let caught: unknown;
    try {
      new Client(url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    const message = (caught as Error).message;
    expect(message).toMatch(/URL|scheme|database/);
    for (const secret of secrets) expect(message).not.toContain(secret);
  });

  /*
   * BUG (reported): a server that does not know HELLO or AUTH (Redis < 6 for HELLO, a renamed or
   * disabled command, a proxy) answers "unknown command ..., with args beginning with: ..." and echoes
   * the arguments, password included. HandshakeError copies that text into its message, and keeps
   * the ReplyError as its cause, so the password reaches connect()'s rejection, 'error' and
   * 'reconnecting'. Reproduced on a real redis-server 7 with the commands renamed.
   */
  describe('a server that echoes the handshake arguments in its error', () => {
    let redis: RedisProcess;
    beforeAll(async () => {
      redis = await startRedis({
        args: ['--rename-command', 'HELLO', 'hello-renamed', '--rename-command', 'AUTH', 'auth-renamed'],
      });
    });

    test.each<[string, ClientOptions]>([
      ['HELLO 3 AUTH default <password>', { protocol: 3 }],
      ['AUTH <password>', {}],
      ['AUTH <username> <password>', { username: 'app' }],
    ])('%s: refused with a HandshakeError that does not repeat the password', async (_label, options) => {
      const client = track(
        new Client(`redis://127.0.0.1:${redis.port}`, {
          ...options,
          password: PASSWORD,
          reconnect: { minDelay: 10, maxDelay: 20 },
        }),
      );
      const transcript = new Transcript(client);
      const failure = await transcript.settle(client.connect());
      expect(failure).toBeInstanceOf(HandshakeError);
      expect((failure as Error).message).toMatch(
        /(HELLO|AUTH) was refused by 127\.0\.0\.1:\d+: ERR unknown command/,
      );
      // Refused again on every retry, each with its 'error' and 'reconnecting' events.
      await eventually(() => transcript.count('reconnecting') >= 3, 'a few retries');
      expect(transcript.count('error')).toBeGreaterThanOrEqual(3);
      expect(transcript.text()).not.toContain(PASSWORD);
    });
  });

  test('timeouts, protocol errors, lost connections, a full queue and close never show the password', async () => {
    const server = new EmbeddedServer({ password: PASSWORD });
    await server.start();
    try {
      const client = track(
        new Client(`redis://default:${PASSWORD}@127.0.0.1:${server.port}/2`, {
          name: 'security-test',
          commandTimeout: 150,
          maxPending: 20,
          reconnect: { minDelay: 10, maxDelay: 20 },
        }),
      );
      const transcript = new Transcript(client);
      await client.connect();
      expect(await transcript.settle(client.set('k', 'v'))).toBe('OK');

      // TimeoutError: the reply is held back, then the socket is dropped so the hold ends.
      server.respondWith((command) => (command.name === 'get' ? new Promise(() => undefined) : undefined));
      expect(await transcript.settle(client.get('k'))).toBeInstanceOf(TimeoutError);
      // ConnectionError (sent, outcome unknown): the server drops the socket with a write in flight.
      const lost = transcript.settle(client.call('APPEND', 'k', 'x'));
      await eventually(() => client.stats().inFlight >= 2, 'APPEND in flight');
      server.respondWith(undefined);
      server.resetAll();
      expect(await lost).toBeInstanceOf(ConnectionError);
      await eventually(() => client.status === 'ready', 'reconnect after the reset');

      // QueueFullError.
      server.respondWith((command) => (command.name === 'get' ? new Promise(() => undefined) : undefined));
      const held = Array.from({ length: 21 }, () => transcript.settle(client.get('k')));
      const outcomes = await Promise.all(held);
      expect(outcomes.some((outcome) => outcome instanceof QueueFullError)).toBe(true);
      server.respondWith(undefined);
      const closes = transcript.count('close');
      server.resetAll();
      await eventually(() => transcript.count('close') > closes && client.status === 'ready', 'a new socket');

      // ProtocolError.
      server.respondWith((command) => (command.name === 'get' ? Buffer.from('$2\r\nabXY') : undefined));
      expect(await transcript.settle(client.get('k'))).toBeInstanceOf(ProtocolError);
      server.respondWith(undefined);
      await eventually(() => client.status === 'ready', 'reconnect after the protocol error');

      // ConnectionClosedError.
      await client.quit();
      expect(await transcript.settle(client.get('k'))).toBeInstanceOf(ConnectionClosedError);

      const kinds = new Set(transcript.errors().map((error) => error.constructor.name));
      for (const kind of [
        'TimeoutError',
        'ConnectionError',
        'QueueFullError',
        'ProtocolError',
        'ConnectionClosedError',
      ]) {
        expect(kinds).toContain(kind);
      }
      expect(transcript.text()).not.toContain(PASSWORD);
    } finally {
      await server.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------------

describe('TLS with client certificates (redis-server requiring them)', () => {
  const dirs: string[] = [];
  let files: TlsFiles;
  let clientCert: ClientCertificateFiles;
  let strangerCert: ClientCertificateFiles;
  let redis: RedisProcess;

  beforeAll(async () => {
    const [dir, otherDir] = await Promise.all([
      mkdtemp(join(tmpdir(), 'respline-security-')),
      mkdtemp(join(tmpdir(), 'respline-security-other-')),
    ]);
    dirs.push(dir, otherDir);
    [files] = await Promise.all([generateTlsFiles(dir), generateTlsFiles(otherDir)]);
    [clientCert, strangerCert] = await Promise.all([
      generateClientCertificate(dir),
      generateClientCertificate(otherDir, 'stranger'),
    ]);
    redis = await startRedis({ tls: files });
    // Started without, so the harness's own connections get in; from now on, a certificate is required.
    expect(await redis.command('CONFIG', 'SET', 'tls-auth-clients', 'yes')).toBe('OK');
  });

  afterAll(async () => {
    await redis?.stop();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  function pem(path: string): Buffer {
    return readFileSync(path);
  }

  /** Connects and sends a PING; resolves with the first failure, or undefined when both worked. */
  async function firstFailure(client: Client): Promise<Error | undefined> {
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    try {
      await client.connect();
      await client.ping();
      return undefined;
    } catch (error) {
      return errors[0] ?? (error as Error);
    }
  }

  test('with the CA, a certificate and its key as options, the client authenticates and works', async () => {
    const client = track(
      new Client(`rediss://127.0.0.1:${redis.port}`, {
        tls: { ca: pem(files.ca), cert: pem(clientCert.cert), key: pem(clientCert.key) },
      }),
    );
    await client.connect();
    expect(await client.set('mtls', 'yes')).toBe('OK');
    expect(await client.get('mtls')).toBe('yes');
  });

  test('without a client certificate, the server refuses and the error says so', async () => {
    const client = track(
      new Client(`rediss://127.0.0.1:${redis.port}`, { tls: { ca: pem(files.ca) }, reconnect: false }),
    );
    const failure = await firstFailure(client);
    // Under TLS 1.3 the server's alert races its reset of the socket: either may reach the client first.
    expect(failure).toBeInstanceOf(ConnectionError);
    expect(failure?.message).toMatch(/certificate required|ECONNRESET|EPIPE/i);
    expect(client.stats().replies).toBe(0);
  });

  test('a client certificate from another CA is refused', async () => {
    const client = track(
      new Client(`rediss://127.0.0.1:${redis.port}`, {
        tls: { ca: pem(files.ca), cert: pem(strangerCert.cert), key: pem(strangerCert.key) },
        reconnect: false,
      }),
    );
    const failure = await firstFailure(client);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect(failure?.message).toMatch(/unknown ca|ECONNRESET|EPIPE/i);
    expect(client.stats().replies).toBe(0);
  });

  test('giving a certificate and key does not turn server verification off', async () => {
    const client = track(
      new Client(`rediss://127.0.0.1:${redis.port}`, {
        tls: { cert: pem(clientCert.cert), key: pem(clientCert.key) },
        reconnect: false,
      }),
    );
    const failure = await firstFailure(client);
    expect(failure?.message).toMatch(/self[- ]signed|unable to (get|verify)/i);
  });

  test('the server name is verified, not only the chain', async () => {
    const client = track(
      new Client(`rediss://127.0.0.1:${redis.port}`, {
        tls: {
          ca: pem(files.ca),
          cert: pem(clientCert.cert),
          key: pem(clientCert.key),
          servername: 'not-this-server.example',
        },
        reconnect: false,
      }),
    );
    const failure = await firstFailure(client);
    expect(failure?.message).toMatch(/does not match certificate's altnames/);
  });
});

// ---------------------------------------------------------------------------------------------------
// A hostile or broken server
// ---------------------------------------------------------------------------------------------------

describe('a hostile or broken server cannot exhaust memory', () => {
  let server: EmbeddedServer;
  beforeEach(async () => {
    server = new EmbeddedServer();
    await server.start();
  });
  afterEach(async () => {
    server.respondWith(undefined);
    await server.stop();
  });

  test('endless nesting is cut off at the default maxDepth and the connection is replaced', async () => {
    const client = track(new Client(server.url, { reconnect: { minDelay: 10, maxDelay: 20 } }));
    const transcript = new Transcript(client);
    await client.connect();
    server.respondWith((command) =>
      command.name === 'get' ? Buffer.from('*1\r\n'.repeat(100_000)) : undefined,
    );
    const failure = await transcript.settle(client.get('deep'));
    expect(failure).toBeInstanceOf(ProtocolError);
    expect((failure as Error).message).toMatch(/maxDepth \(16384\)/);
    server.respondWith(undefined);
    await eventually(() => client.status === 'ready', 'reconnect');
    expect(decoderOf(client).idle).toBe(true);
    expect(await client.set('deep', 'ok')).toBe('OK');
    expect(await client.get('deep')).toBe('ok');
  });

  test('a flood of replies to one command is one protocol error; the flood is never decoded', async () => {
    const client = track(
      new Client(server.url, { heartbeatInterval: 0, reconnect: { minDelay: 10, maxDelay: 20 } }),
    );
    const transcript = new Transcript(client);
    await client.connect();
    const repliesBefore = client.stats().replies;
    server.respondWith((command) =>
      command.name === 'get' ? Buffer.from('$5\r\nfirst\r\n' + '+unasked\r\n'.repeat(100_000)) : undefined,
    );
    // The command gets its own reply; the first extra reply poisons the connection.
    expect(await client.get('flooded')).toBe('first');
    await eventually(() => transcript.errors().length > 0, 'the poisoning');
    server.respondWith(undefined);
    await eventually(() => client.status === 'ready', 'reconnect');
    const errors = transcript.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProtocolError);
    expect(errors[0]?.message).toMatch(/unsolicited reply from 127\.0\.0\.1:\d+: no command was waiting/);
    // Exactly one reply was decoded from that socket; 100,000 more were thrown away undecoded.
    expect(client.stats().replies - repliesBefore).toBe(1);
    expect(await client.call('ECHO', 'after')).toBe('after');
  });

  test('a never-ending simple string fails at maxLineLength, holding at most that much', async () => {
    const maxLineLength = 64 * KiB;
    const client = track(new Client(server.url, { limits: { maxLineLength }, commandTimeout: 0 }));
    await client.connect();
    server.respondWith((command) => (command.name === 'get' ? Buffer.from('+') : undefined));
    let outcome: unknown;
    const pending = client.get('line').then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await eventually(() => !decoderOf(client).idle, 'the start of the line');
    const drip = Buffer.alloc(4 * KiB, 'a');
    let drips = 0;
    let mostBuffered = 0;
    while (outcome === undefined && drips < 1000) {
      server.injectRaw(drip);
      drips++;
      await turn();
      mostBuffered = Math.max(mostBuffered, decoderOf(client).bufferedBytes);
    }
    await pending;
    expect(outcome).toBeInstanceOf(ProtocolError);
    expect((outcome as Error).message).toMatch(/maxLineLength \(65536\)/);
    // It really was fed past the limit, and never held more than the limit.
    expect(drips * drip.length).toBeGreaterThan(maxLineLength);
    expect(mostBuffered).toBeLessThanOrEqual(maxLineLength + 2);
  });

  test('a slow drip of a large bulk declared within maxBulkLength is held to its size, then delivered', async () => {
    const size = MiB;
    const client = track(new Client(server.url, { limits: { maxBulkLength: size }, commandTimeout: 0 }));
    await client.connect();
    server.respondWith((command) => (command.name === 'get' ? Buffer.from(`$${size}\r\n`) : undefined));
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7) & 0xff;
    const reply = client.getBuffer('big');
    await eventually(() => client.stats().inFlight === 1 && decoderOf(client).idle === false, 'the header');
    let mostBuffered = 0;
    for (let offset = 0; offset < size; offset += 4 * KiB) {
      server.injectRaw(body.subarray(offset, offset + 4 * KiB));
      await turn();
      mostBuffered = Math.max(mostBuffered, decoderOf(client).bufferedBytes);
    }
    await eventually(() => decoderOf(client).bufferedBytes === size, 'the whole body');
    mostBuffered = Math.max(mostBuffered, decoderOf(client).bufferedBytes);
    server.injectRaw(Buffer.from('\r\n'));
    const value = await reply;
    expect(Buffer.isBuffer(value) && value.equals(body)).toBe(true);
    expect(mostBuffered).toBe(size);
    expect(decoderOf(client).bufferedBytes).toBe(0);
  });

  /*
   * BUG (reported), seen from the socket: the same body arriving one byte per packet (FaultProxy
   * rechunk(1)) costs about 100 bytes of heap per byte held. See decoder-fuzz.spec.ts for the
   * decoder-level test.
   */
  test('a bulk body dripped one byte per packet costs memory in proportion to the bytes held', async () => {
    const size = 128 * KiB;
    const proxy = new FaultProxy({ port: server.port });
    await proxy.start();
    try {
      const client = track(new Client(proxy.url, { commandTimeout: 0, stallTimeout: 0 }));
      await client.connect();
      server.respondWith((command) => (command.name === 'get' ? Buffer.from(`$${size + 1}\r\n`) : undefined));
      const reply = client.get('dripped');
      await eventually(() => decoderOf(client).idle === false, 'the header');
      const before = retainedBytes();
      proxy.rechunk(1, 'toClient');
      server.injectRaw(Buffer.alloc(size, 'z'));
      await eventually(() => decoderOf(client).bufferedBytes === size, 'the drip', 30_000);
      const grown = retainedBytes() - before;
      proxy.rechunk(null);
      server.injectRaw(Buffer.from('z\r\n'));
      expect(await reply).toBe('z'.repeat(size + 1));
      expect(grown).toBeLessThan(4 * size + 2 * MiB);
    } finally {
      await proxy.stop();
    }
  });

  test('a flood of RESP3 push frames goes to the push event, never to a caller, and is not held', async () => {
    const client = track(new Client(server.url, { protocol: 3 }));
    const pushes: RespValue[][] = [];
    client.on('push', (message) => pushes.push(message));
    await client.connect();
    const flood = Buffer.from('>3\r\n+message\r\n+news\r\n$5\r\nhello\r\n'.repeat(20_000));
    server.respondWith((command) => {
      if (command.name !== 'get') return undefined;
      server.injectRaw(flood);
      return Buffer.from('$5\r\nvalue\r\n');
    });
    expect(await client.get('k')).toBe('value');
    expect(pushes).toHaveLength(20_000);
    expect(pushes[19_999]).toEqual(['message', 'news', 'hello']);
    expect(decoderOf(client).idle).toBe(true);
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, pendingBytes: 0 });
  });
});

// ---------------------------------------------------------------------------------------------------
// A slow server
// ---------------------------------------------------------------------------------------------------

describe('a slow server (FaultProxy latency)', () => {
  test('pendingBytes never exceeds maxPendingBytes while callers keep going; memory stays bounded', async () => {
    const redis = await startRedis();
    const proxy = new FaultProxy({ port: redis.port });
    await proxy.start();
    try {
      const maxPendingBytes = 256 * KiB;
      const client = track(
        new Client(proxy.url, {
          maxPendingBytes,
          commandTimeout: 0,
          stallTimeout: 0,
          heartbeatInterval: 0,
        }),
      );
      await client.connect();
      const value = Buffer.alloc(16 * KiB, 'v');
      expect(await client.set('slow', value)).toBe('OK');
      proxy.setDelay(200);
      const baseline = retainedBytes();

      let issued = 0;
      let answered = 0;
      let refused = 0;
      const unexpected: unknown[] = [];
      let mostPending = 0;
      let mostRetained = 0;
      for (let round = 0; round < 60; round++) {
        // Callers do not wait for replies: each round offers 200 SETs of 16 KiB (3.2 MiB).
        for (let i = 0; i < 200; i++) {
          issued++;
          client.set('slow', value).then(
            () => answered++,
            (error: unknown) => (error instanceof QueueFullError ? refused++ : unexpected.push(error)),
          );
          mostPending = Math.max(mostPending, client.stats().pendingBytes);
        }
        await sleep(10);
        if (round % 10 === 9) mostRetained = Math.max(mostRetained, retainedBytes() - baseline);
      }
      await eventually(() => answered + refused + unexpected.length === issued, 'every call settled', 20_000);

      expect(unexpected).toEqual([]);
      expect(mostPending).toBeGreaterThan(maxPendingBytes / 2);
      expect(mostPending).toBeLessThanOrEqual(maxPendingBytes);
      expect(refused).toBeGreaterThan(0);
      expect(answered).toBeGreaterThan(0);
      expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, pendingBytes: 0 });
      // 60 rounds offered 192 MiB; what is held at any time follows maxPendingBytes, not the offer.
      expect(mostRetained).toBeLessThan(16 * maxPendingBytes + 8 * MiB);
    } finally {
      await proxy.stop();
      await redis.stop();
    }
  });
});
