/**
 * Everything the demo must undo (servers it started, the cluster's sockets), run once on every way
 * out: success, failure, Ctrl-C (SIGINT) and SIGTERM. Child process ids are also kept for a last,
 * synchronous SIGKILL when the process exits some other way.
 */

const TASK_TIMEOUT_MS = 5_000;

type Task = { name: string; run: () => Promise<void> | void };

export class Cleanup {
  private readonly tasks: Task[] = [];
  private readonly pids = new Set<number>();
  private running: Promise<string[]> | null = null;
  /** Set once SIGINT or SIGTERM arrived: the exit code the process is leaving with. */
  signalExitCode: number | undefined;

  constructor() {
    process.once('exit', () => this.killChildrenNow());
  }

  /** Tasks run last-added first, so the cluster closes before the servers under it stop. */
  add(name: string, run: () => Promise<void> | void): void {
    this.tasks.push({ name, run });
  }

  trackPid(pid: number): void {
    this.pids.add(pid);
  }

  forgetPid(pid: number): void {
    this.pids.delete(pid);
  }

  /** Runs every task once, each bounded in time; resolves with the problems met, never rejects. */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const problems: string[] = [];
      for (const task of this.tasks.splice(0).reverse()) {
        try {
          await withTimeout(Promise.resolve().then(task.run), TASK_TIMEOUT_MS, `${task.name} took too long`);
        } catch (error) {
          problems.push(`${task.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      this.killChildrenNow();
      return problems;
    })();
    return this.running;
  }

  /**
   * On SIGINT or SIGTERM: `onSignal` reports, cleanup runs, and the process exits 130 or 143. A second
   * signal while that runs kills the children at once and exits.
   */
  exitOnSignals(onSignal: (signal: NodeJS.Signals) => void, onCleaned: (problems: string[]) => void): void {
    const handle = (signal: NodeJS.Signals): void => {
      const code = signal === 'SIGINT' ? 130 : 143;
      if (this.signalExitCode !== undefined) {
        this.killChildrenNow();
        process.exit(code);
      }
      this.signalExitCode = code;
      onSignal(signal);
      void this.run().then((problems) => {
        onCleaned(problems);
        process.exit(code);
      });
    };
    process.on('SIGINT', handle);
    process.on('SIGTERM', handle);
  }

  private killChildrenNow(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.pids.clear();
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
