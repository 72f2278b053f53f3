import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { freeLoopbackPort } from '../../lib/testing/loopback';

/**
 * Spawns twemproxy (nutcracker) in front of a redis-server, for tests of what a proxy does to a
 * client: it answers PING, forwards keyed commands, and closes the connection on commands it does
 * not support (HELLO, SELECT, CLIENT, QUIT…) instead of answering them. Debian's package puts the
 * binary in /usr/sbin; NUTCRACKER overrides the path.
 */

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const START_ATTEMPTS = 5;

export interface TwemproxyProcess {
  readonly port: number;
  readonly pid: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** SIGTERM by pid (SIGKILL if it lingers), then removes the config, log and pid files. */
  stop(): Promise<void>;
}

const live = new Set<Twemproxy>();
let exitHandlerInstalled = false;

/** Starts nutcracker on a free port, proxying to the redis-server on `backendPort`; resolves once it answers. */
export async function startTwemproxy(backendPort: number): Promise<TwemproxyProcess> {
  installExitHandler();
  const binary = nutcrackerBinary();
  for (let attempt = 1; ; attempt++) {
    const proxy = new Twemproxy(binary, backendPort, await freeLoopbackPort(), await freeLoopbackPort());
    try {
      await proxy.launch();
      return proxy;
    } catch (error) {
      await proxy.stop();
      // Another process can take a port between our probe and nutcracker's bind; pick others.
      if (!(error instanceof PortBusyError) || attempt === START_ATTEMPTS) throw error;
    }
  }
}

/** Stops every nutcracker started here. Call from afterAll. */
export async function stopAllTwemproxies(): Promise<void> {
  await Promise.all([...live].map((proxy) => proxy.stop()));
}

class PortBusyError extends Error {}

class Twemproxy implements TwemproxyProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private dir: string | null = null;

  constructor(
    private readonly binary: string,
    private readonly backendPort: number,
    readonly port: number,
    private readonly statsPort: number,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'respline-twemproxy-'));
    this.dir = dir;
    const config = join(dir, 'nutcracker.yml');
    await writeFile(
      config,
      [
        'respline:',
        `  listen: 127.0.0.1:${this.port}`,
        '  redis: true',
        '  hash: fnv1a_64',
        '  distribution: ketama',
        '  auto_eject_hosts: false',
        '  servers:',
        `   - 127.0.0.1:${this.backendPort}:1`,
        '',
      ].join('\n'),
    );
    // prettier-ignore
    const child = spawn(this.binary, [
      '-c', config,
      '-s', String(this.statsPort), '-a', '127.0.0.1',
      '-o', join(dir, 'nutcracker.log'), '-p', join(dir, 'nutcracker.pid'),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    live.add(this);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      const gone = (): void => {
        if (this.child === child) this.child = null;
        resolve();
      };
      child.once('exit', gone);
      // A failed spawn (no binary) emits 'error' and no 'exit'.
      child.once('error', (error) => {
        stderr += `spawn failed: ${error.message}`;
        gone();
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child !== child) {
        const log = `${stderr}\n${await this.logTail()}`;
        if (/Address already in use/i.test(log)) throw new PortBusyError(`port ${this.port} is busy`);
        throw new Error(`nutcracker exited before it was ready:\n${log}`);
      }
      if (await answersPing(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`nutcracker on port ${this.port} was not ready after ${READY_TIMEOUT_MS} ms`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child !== null && child.pid !== undefined) {
      const pid = child.pid;
      const timer = setTimeout(() => signal(pid, 'SIGKILL'), STOP_GRACE_MS);
      signal(pid, 'SIGTERM');
      await this.exited;
      clearTimeout(timer);
    }
    live.delete(this);
    if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  private async logTail(): Promise<string> {
    if (this.dir === null) return '';
    const log = await readFile(join(this.dir, 'nutcracker.log'), 'utf8').catch(() => '');
    return log.split('\n').slice(-20).join('\n');
  }
}

/** PING through the proxy; nutcracker answers it once it listens. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1_000);
    socket.on('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply === '+PONG\r\n');
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

function nutcrackerBinary(): string {
  const candidates = [
    ...(process.env.NUTCRACKER ? [process.env.NUTCRACKER] : []),
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nutcracker')),
    '/usr/sbin/nutcracker',
    '/usr/local/sbin/nutcracker',
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error(
    'nutcracker (twemproxy) is not installed: `apt-get install nutcracker` (.ci/run does), or set NUTCRACKER',
  );
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // Only synchronous work is possible here: SIGKILL whatever is left so no nutcracker outlives jest.
  process.once('exit', () => {
    for (const proxy of live) if (proxy.pid > 0) signal(proxy.pid, 'SIGKILL');
  });
}
