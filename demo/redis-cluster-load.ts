import { ResplineError } from '../lib/errors';
import { sleep } from './cleanup';

/** After a failed op a loop waits this long, so a dead node does not turn the writer into a busy spin. */
const BACKOFF_MS = 10;

export interface LoadResult {
  ok: number;
  ms: number;
  /** Failed ops by error class name; only respline's typed errors (ResplineError) are counted here. */
  errors: Map<string, number>;
  /** Failed ops whose error was not a ResplineError: there should be none. */
  untyped: string[];
}

/** `concurrency` loops calling `op(i)` with i = 0, 1, 2, … until stop(); counts what succeeded and failed. */
export class Load {
  private next = 0;
  private ok = 0;
  private stopping = false;
  private readonly errors = new Map<string, number>();
  private readonly untyped: string[] = [];
  private readonly loops: Promise<void>[];
  private readonly startedAt = performance.now();

  constructor(
    concurrency: number,
    private readonly op: (index: number) => Promise<unknown>,
    private readonly onOk: (index: number) => void = () => undefined,
  ) {
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  get done(): number {
    return this.ok;
  }

  /** Ops started so far: every index below it was tried. */
  get issued(): number {
    return this.next;
  }

  get failed(): number {
    let total = this.untyped.length;
    for (const count of this.errors.values()) total += count;
    return total;
  }

  /** Lets the ops in flight finish, then resolves with the counts. */
  async stop(): Promise<LoadResult> {
    this.stopping = true;
    await Promise.all(this.loops);
    return {
      ok: this.ok,
      ms: performance.now() - this.startedAt,
      errors: new Map(this.errors),
      untyped: [...this.untyped],
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const index = this.next++;
      try {
        await this.op(index);
        this.ok++;
        this.onOk(index);
      } catch (error) {
        if (error instanceof ResplineError) {
          this.errors.set(error.constructor.name, (this.errors.get(error.constructor.name) ?? 0) + 1);
        } else {
          this.untyped.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        }
        await sleep(BACKOFF_MS);
      }
    }
  }
}
