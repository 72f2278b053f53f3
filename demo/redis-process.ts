/**
 * Starts redis-server processes for the demo: 127.0.0.1 only, a free port (never 6379), no persistence,
 * a temporary directory of its own. Ready means the server logged "Ready to accept connections", so a
 * server that some other program runs on a port is never mistaken for ours.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { sleep, type Cleanup } from './cleanup';
import { freeLoopbackPort } from '../lib/testing/loopback';

const BINARY = 'redis-server';
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2_000;
const START_ATTEMPTS = 5;
const LOG_LINES_KEPT = 20;

/** The redis-server on PATH, or undefined. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, BINARY);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

export class RedisServerProcess {
  private paused = false;
  private readonly log: string[] = [];
  private exited: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dataDir: string,
    private readonly cleanup: Cleanup,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        this.log.push(`could not run ${BINARY}: ${error.message}`);
        resolve();
      });
    });
    const remember = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.log.push(line.trim());
      if (this.log.length > LOG_LINES_KEPT) this.log.splice(0, this.log.length - LOG_LINES_KEPT);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
  }

  /** Starts one server; its stop() is registered with `cleanup`. */
  static async start(
    binary: string,
    cleanup: Cleanup,
    extraArgs: readonly string[] = [],
  ): Promise<RedisServerProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const dataDir = await mkdtemp(join(tmpdir(), 'respline-demo-'));
      // prettier-ignore
      const child = spawn(binary, [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--dir', dataDir, '--daemonize', 'no', '--logfile', '', ...extraArgs,
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      const server = new RedisServerProcess(port, child, dataDir, cleanup);
      if (child.pid !== undefined) cleanup.trackPid(child.pid);
      cleanup.add(`stopping redis-server on port ${port}`, () => server.stop());
      try {
        await server.waitUntilReady();
        return server;
      } catch (error) {
        await server.stop();
        // Another program can take the port between our probe and redis-server's bind: pick another.
        if (!(error instanceof PortBusyError) || attempt === START_ATTEMPTS) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing, like a hung machine. */
  pause(): void {
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  /** SIGKILL at once, like a machine that dies: no goodbye to the cluster. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (after SIGCONT if paused), SIGKILL if it lingers; removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      if (this.paused) this.resume();
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.child.pid !== undefined) this.cleanup.forgetPid(this.child.pid);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let gone = false;
    void this.exited.then(() => (gone = true));
    while (Date.now() < deadline) {
      if (this.log.some((line) => line.includes('Ready to accept connections'))) return;
      if (gone) {
        const tail = this.log.join('\n');
        if (/address already in use/i.test(tail)) throw new PortBusyError(`port ${this.port} is busy`);
        throw new Error(`redis-server on port ${this.port} exited before it was ready:\n${tail}`);
      }
      await sleep(10);
    }
    throw new Error(
      `redis-server on port ${this.port} was not ready after ${READY_TIMEOUT_MS} ms:\n${this.log.join('\n')}`,
    );
  }
}

class PortBusyError extends Error {}
