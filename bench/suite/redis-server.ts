import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { benchKey, benchValue } from './protocol';
import { track } from './processes';
import { freeLoopbackPort } from '../../lib/testing/loopback';

export interface RedisServer {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free loopback port, with persistence off so disk never enters the figures.
 * Retries on another port if the one picked was taken in between.
 */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeLoopbackPort();
    const child = track(
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitForPong(port, () => child.exitCode !== null || child.signalCode !== null);
    } catch (error) {
      child.kill('SIGKILL');
      lastError = new Error(`redis-server on port ${port} did not start: ${String(error)}\n${output}`);
      continue;
    }
    const pid = child.pid ?? -1;
    return {
      port,
      pid,
      url: `redis://127.0.0.1:${port}`,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error('could not start redis-server');
}

/** SETs every key of the fixed keyspace, in one raw write, so the suite needs no client of its own. */
export async function preload(port: number, keyCount: number, valueSize: number): Promise<void> {
  const value = benchValue(valueSize);
  const commands: string[] = [];
  for (let i = 0; i < keyCount; i++) commands.push(encode(['SET', benchKey(i), value]));
  const reply = await exchange(port, Buffer.from(commands.join('')), keyCount * '+OK\r\n'.length, 10_000);
  if (reply.toString() !== '+OK\r\n'.repeat(keyCount))
    throw new Error(`preload failed: ${reply.toString().slice(0, 200)}`);
}

export function redisServerVersion(): string {
  const text = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

async function waitForPong(port: number, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (hasExited()) throw new Error('it exited');
    try {
      const reply = await exchange(port, Buffer.from(encode(['PING'])), '+PONG\r\n'.length, 500);
      if (reply.toString() === '+PONG\r\n') return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(20);
  }
}

/** Writes `payload` and resolves with the first `expectBytes` bytes of the answer. */
function exchange(port: number, payload: Buffer, expectBytes: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => finish(new Error(`no full reply within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).subarray(0, expectBytes));
    };
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= expectBytes) finish(null);
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('connection closed before the reply')));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
