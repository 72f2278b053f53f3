import type { ChildProcess } from 'node:child_process';

/**
 * Every child the suite starts (redis-server, workers, external scripts), so each can be killed by its pid
 * on every way out: normal end, error, SIGINT, SIGTERM. Nothing is ever killed by name.
 */
const live = new Set<ChildProcess>();

export function track<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function killAll(signal: NodeJS.Signals): void {
  for (const child of live) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(child.pid, signal);
    } catch {
      // Already gone between the check and the kill.
    }
  }
}

/** @param onSignal runs first, e.g. to clear the progress line. */
export function installCleanup(onSignal: (signal: NodeJS.Signals) => void): void {
  // 'exit' handlers must be synchronous: SIGKILL is the one signal that needs no waiting.
  process.on('exit', () => killAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      onSignal(signal);
      killAll('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}
