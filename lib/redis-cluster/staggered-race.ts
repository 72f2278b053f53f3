/** An attempt of a staggeredRace. */
export interface RaceAttempt<T> {
  /** Named in the failure list. */
  readonly label: string;
  run(): Promise<T>;
  /** Frees what a losing attempt holds (a connection); called once a winner is known, or never. */
  cancel(): void;
}

export interface RaceOutcome<T> {
  /** The first answer; undefined when every attempt failed or `stopped` said so before one came. */
  answer: T | undefined;
  /** `label: message` of each attempt that failed, in the order they failed. */
  failures: string[];
}

/**
 * One way to get an answer from several places that should all give the same one (a slot map from any
 * node or seed). Asking them one after another lets a single node that accepts connections and never
 * answers hold everyone for its whole timeout; asking all at once loads every node on each refresh.
 * So the first is asked alone, and the next joins when the ones asked have all failed, or when
 * `staggerMs` passes with no answer. The first answer wins, and the attempts still running are
 * cancelled.
 */
export function staggeredRace<T>(
  attempts: readonly RaceAttempt<T>[],
  /** null: the next is asked only when the ones asked have failed (one at a time). */
  staggerMs: number | null,
  /** Checked before each start: once true, nothing more is started. */
  stopped: () => boolean,
): Promise<RaceOutcome<T>> {
  return new Promise((resolve) => {
    const failures: string[] = [];
    const running = new Set<RaceAttempt<T>>();
    let next = 0;
    let done = false;
    let timer: NodeJS.Timeout | null = null;

    const finish = (answer: T | undefined): void => {
      done = true;
      if (timer !== null) clearTimeout(timer);
      for (const attempt of running) attempt.cancel();
      running.clear();
      resolve({ answer, failures });
    };

    const startNext = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (done) return;
      if (next >= attempts.length || stopped()) {
        if (running.size === 0) finish(undefined);
        return;
      }
      const attempt = attempts[next++];
      running.add(attempt);
      attempt.run().then(
        (answer) => {
          if (done) return;
          running.delete(attempt);
          finish(answer);
        },
        (error: unknown) => {
          if (done) return;
          running.delete(attempt);
          failures.push(`${attempt.label}: ${error instanceof Error ? error.message : String(error)}`);
          // Only when nothing else is asked: one still running may answer soon, and its timer runs.
          if (running.size === 0) startNext();
        },
      );
      if (staggerMs !== null && next < attempts.length) {
        timer = setTimeout(startNext, staggerMs);
        timer.unref();
      }
    };

    startNext();
  });
}
