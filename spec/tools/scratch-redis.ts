/**
 * A throwaway redis-server for the generators: spawned on a free port (never the shared 6379), asked
 * a few commands over one socket, and stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { RespDecoder } from '../../lib/resp/decoder';
import type { RespValue } from '../../lib/resp/types';

const STARTUP_DEADLINE_MS = 10_000;

/** Starts `binary`, sends `commands` in order on one connection, and resolves with one reply each. */
export async function askScratchRedis(commands: string[][], binary = 'redis-server'): Promise<RespValue[]> {
  const port = await freePort();
  const server = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: 'ignore' },
  );
  try {
    return await query(port, commands, server);
  } finally {
    server.kill('SIGTERM');
  }
}

export function redisVersion(info: RespValue): string {
  const match = typeof info === 'string' ? /^redis_version:(\S+)/m.exec(info) : null;
  if (match === null) throw new Error('INFO server has no redis_version');
  return match[1];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Sends the commands once the server accepts connections, and resolves with one reply per command. */
async function query(port: number, commands: string[][], server: ChildProcess): Promise<RespValue[]> {
  const socket = await connectWhenReady(port, server);
  return new Promise((resolve, reject) => {
    const replies: RespValue[] = [];
    const decoder = new RespDecoder({
      wantsBuffers: () => false,
      onPush: () => undefined,
      onReply: (value) => {
        replies.push(value);
        if (replies.length === commands.length) {
          socket.end();
          resolve(replies);
        }
      },
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.feed(chunk);
      } catch (error) {
        socket.destroy();
        reject(error);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('redis-server closed the connection early')));
    socket.write(commands.map(encode).join(''));
  });
}

async function connectWhenReady(port: number, server: ChildProcess): Promise<Socket> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`redis-server exited with code ${server.exitCode}`);
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}
