import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './build';
import { track } from './processes';
import type { WorkerEnvelope, WorkerReply, WorkerRequest, WorkerResults } from './protocol';

interface Waiter {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export interface WorkerOptions {
  /** Write a V8 CPU profile named after `label` into bench/results/ when the worker exits. */
  cpuProf: boolean;
  /** Lines the worker prints (it should print nothing), passed on with the label in front. */
  log(line: string): void;
}

/** The coordinator's handle on one worker process: requests go out over IPC, one reply per request. */
export class WorkerHost {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private exitInfo: string | null = null;

  constructor(
    readonly label: string,
    entry: string,
    options: WorkerOptions,
  ) {
    // --expose-gc lets a worker collect between windows, so one cell's garbage is not billed to the next.
    const execArgv = ['--expose-gc'];
    if (options.cpuProf) {
      execArgv.push(
        '--cpu-prof',
        `--cpu-prof-dir=${join(REPO_ROOT, 'bench', 'results')}`,
        `--cpu-prof-name=${label}.cpuprofile`,
      );
    }
    this.child = track(fork(entry, [], { execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line !== '') options.log(`[${label}] ${line}`);
      });
    }
    this.child.on('message', (message: WorkerReply) => {
      const waiter = this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${label}: ${message.error}`));
    });
    this.child.on('exit', (code, signal) => {
      this.exitInfo = `worker ${label} exited (${signal ?? `code ${code}`})`;
      for (const waiter of this.waiting.values()) waiter.reject(new Error(this.exitInfo));
      this.waiting.clear();
    });
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** The IPC boundary is untyped JSON; the protocol pairs each request kind with its result type. */
  request<R extends WorkerRequest>(request: R): Promise<WorkerResults[R['kind']]> {
    if (this.exitInfo !== null) return Promise.reject(new Error(this.exitInfo));
    const id = this.nextId++;
    return new Promise<WorkerResults[R['kind']]>((resolve, reject) => {
      this.waiting.set(id, { resolve: (result) => resolve(result as WorkerResults[R['kind']]), reject });
      const envelope: WorkerEnvelope = { id, request };
      this.child.send(envelope);
    });
  }

  /** Closes the client politely, then ends the process; SIGKILL by pid if it will not go. */
  async close(): Promise<void> {
    if (this.exitInfo !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      await Promise.race([this.request({ kind: 'close' }), sleep(3000)]);
    } catch {
      // A client that fails to quit still has to go.
    }
    if (this.child.connected) this.child.disconnect();
    await Promise.race([exited, sleep(3000)]);
    if (this.exitInfo === null) this.child.kill('SIGKILL');
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
