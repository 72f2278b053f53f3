import type { BenchClient } from './index';

const done: Promise<null> = Promise.resolve(null);

/** No client at all: every command resolves at once. What is left is the cost of the driver (p-queue). */
export function openNoop(): BenchClient {
  return {
    get: () => done,
    set: () => done,
    getPipeline: () => done,
    close: () => Promise.resolve(),
  };
}
