/**
 * Starts redis-server processes for the demo: 127.0.0.1 only, a free port (never 6379), no persistence,
 * a temporary directory of its own. Ready means the server logged "Ready to accept connections", so a
 * server that some other program runs on a port is never mistaken for ours. A server can be killed
 * and started again on its port, empty (step 5).
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
const RESTART_ATTEMPTS = 20;
const RESTART_RETRY_MS = 100;
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
  private exited: Promise<void> = Promise.resolve();
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly binary: string,
    private readonly dataDir: string,
    private readonly cleanup: Cleanup,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts one server; its stop() is registered with `cleanup`. */
  static async start(
    binary: string,
    cleanup: Cleanup,
    extraArgs: readonly string[] = [],
  ): Promise<RedisServerProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      const dataDir = await mkdtemp(join(tmpdir(), 'respline-demo-'));
      const server = new RedisServerProcess(port, binary, dataDir, cleanup, extraArgs);
      cleanup.add(`stopping redis-server on port ${port}`, () => server.stop());
      try {
        await server.launch();
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
    return this.child?.pid ?? -1;
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing, like a hung machine. */
  pause(): void {
    this.child?.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.child?.kill('SIGCONT');
    this.paused = false;
  }

  /** SIGKILL at once, like a machine that dies: no goodbye to the cluster. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    this.paused = false;
    await this.exited;
  }

  /**
   * SIGKILL, then a new process on the same port with the same arguments. Without persistence it
   * comes back holding no keys, with a new run_id. The port can stay busy for a moment after the kill
   * (the old process's sockets): it tries again then.
   */
  async restart(): Promise<void> {
    await this.kill();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (error) {
        if (!(error instanceof PortBusyError) || attempt === RESTART_ATTEMPTS) throw error;
        await sleep(RESTART_RETRY_MS);
      }
    }
  }

  get running(): boolean {
    const child = this.child;
    return child !== null && child.exitCode === null && child.signalCode === null;
  }

  /** SIGTERM (after SIGCONT if paused), SIGKILL if it lingers; removes its directory. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child !== null && this.running) {
      if (this.paused) this.resume();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    if (child?.pid !== undefined) this.cleanup.forgetPid(child.pid);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Spawns the process (again) and waits until it is ready; its pid is tracked by `cleanup`. */
  private async launch(): Promise<void> {
    this.log.length = 0;
    // prettier-ignore
    const child = spawn(this.binary, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dataDir, '--daemonize', 'no', '--logfile', '', ...this.extraArgs,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const previous = this.child;
    if (previous?.pid !== undefined) this.cleanup.forgetPid(previous.pid);
    this.child = child;
    if (child.pid !== undefined) this.cleanup.trackPid(child.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (error) => {
        this.log.push(`could not run ${this.binary}: ${error.message}`);
        resolve();
      });
    });
    const remember = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.log.push(line.trim());
      if (this.log.length > LOG_LINES_KEPT) this.log.splice(0, this.log.length - LOG_LINES_KEPT);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    await this.waitUntilReady();
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
