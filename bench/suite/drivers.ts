import PQueue from 'p-queue';
import type { BenchClient } from './clients/index';
import type { CellSpec, DepthHolder, Workload } from './protocol';

/** One command of the workload; `i` picks the key, so every client walks the keyspace in the same order. */
export type Op = (i: number) => Promise<unknown>;

export interface RunCount {
  ops: number;
  errors: number;
}

/** The deadline is checked every this many completions: often enough at 20k ops/s, cheap at 3M ops/s. */
const CLOCK_EVERY = 128;

export function makeOp(client: BenchClient, workload: Workload, keys: readonly string[], value: string): Op {
  const n = keys.length;
  switch (workload) {
    case 'get':
      return (i) => client.get(keys[i % n]);
    case 'set':
      return (i) => client.set(keys[i % n], value);
    case 'mixed':
      // 80/20 GET/SET, deterministic rather than random so no client draws an easier sequence.
      return (i) => (i % 5 === 4 ? client.set(keys[i % n], value) : client.get(keys[i % n]));
  }
}

/** Runs `spec.driver` until `durationMs` has passed or `maxOps` commands completed, whichever comes first. */
export function drive(
  spec: CellSpec,
  client: BenchClient,
  op: Op,
  batches: readonly (readonly string[])[],
  durationMs: number,
): Promise<RunCount> {
  switch (spec.driver) {
    case 'queue':
      return HOLDERS[spec.holder](op, spec.depth, durationMs, spec.maxOps);
    case 'await-loop':
      return driveAwaitLoop(op, durationMs, spec.maxOps);
    case 'pipeline100':
      return drivePipeline(client, batches, durationMs, spec.maxOps);
  }
}

/**
 * p-queue holds the in-flight depth: concurrency = depth, and the waiting list is topped up to `depth` after
 * every completion, so a finished command is replaced at once and the depth never sags. The same task
 * function is added every time, so the driver allocates nothing per command beyond what p-queue does.
 */
async function driveQueue(op: Op, depth: number, durationMs: number, maxOps: number): Promise<RunCount> {
  const queue = new PQueue({ concurrency: depth });
  const deadline = performance.now() + durationMs;
  let started = 0;
  let added = 0;
  let completed = 0;
  let errors = 0;
  let stopping = false;
  const onDone = (): void => {
    completed++;
    if (completed % CLOCK_EVERY === 0 && performance.now() >= deadline) stopping = true;
  };
  const onError = (): void => {
    errors++;
    onDone();
  };
  const task = (): Promise<void> => op(started++).then(onDone, onError);
  const refill = (): void => {
    while (!stopping && queue.size < depth && added < maxOps) {
      added++;
      void queue.add(task);
    }
  };
  queue.on('next', refill);
  refill();
  // Once refilling stops, the commands already queued finish and are counted: the tail is measured too.
  await queue.onIdle();
  queue.off('next', refill);
  return { ops: completed, errors };
}

/**
 * `depth` async loops, each awaiting one command before issuing the next: the cheapest way to hold the
 * depth, to compare against p-queue's own cost.
 */
async function driveLoops(op: Op, depth: number, durationMs: number, maxOps: number): Promise<RunCount> {
  const deadline = performance.now() + durationMs;
  let started = 0;
  let completed = 0;
  let errors = 0;
  let stopping = false;
  const loop = async (): Promise<void> => {
    while (!stopping && started < maxOps) {
      try {
        await op(started++);
      } catch {
        errors++;
      }
      completed++;
      if (completed % CLOCK_EVERY === 0 && performance.now() >= deadline) stopping = true;
    }
  };
  await Promise.all(Array.from({ length: depth }, loop));
  return { ops: completed, errors };
}

const HOLDERS: Record<DepthHolder, typeof driveQueue> = { 'p-queue': driveQueue, loops: driveLoops };

/** `await` each command before the next: the sequential style the headline compares against. */
async function driveAwaitLoop(op: Op, durationMs: number, maxOps: number): Promise<RunCount> {
  const deadline = performance.now() + durationMs;
  let ops = 0;
  let errors = 0;
  while (ops < maxOps) {
    try {
      await op(ops);
    } catch {
      errors++;
    }
    ops++;
    if (performance.now() >= deadline) break;
  }
  return { ops, errors };
}

/** One explicit pipeline of `batches[j].length` GETs at a time. Counts commands, not batches. */
async function drivePipeline(
  client: BenchClient,
  batches: readonly (readonly string[])[],
  durationMs: number,
  maxOps: number,
): Promise<RunCount> {
  const deadline = performance.now() + durationMs;
  let ops = 0;
  let errors = 0;
  for (let j = 0; ops < maxOps; j++) {
    const batch = batches[j % batches.length];
    try {
      await client.getPipeline(batch);
    } catch {
      errors += batch.length;
    }
    ops += batch.length;
    if (performance.now() >= deadline) break;
  }
  return { ops, errors };
}
