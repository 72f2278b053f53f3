/** Pacing helpers for tests. Neither asserts on elapsed time. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `condition` holds, polling; rejects after `limitMs` so a broken test fails with a reason.
 * `what` may be a function, read only on failure, to name the state last seen.
 */
export async function eventually(
  condition: () => boolean,
  what: string | (() => string) = 'condition',
  limitMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`${typeof what === 'string' ? what : what()} did not happen within ${limitMs} ms`);
    }
    await sleep(5);
  }
}

/** Resolves once `check` holds, polling every `pollMs`; throws naming `what` after `limitMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  limitMs = 15_000,
  pollMs = 50,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${limitMs} ms`);
    await sleep(pollMs);
  }
}
