/**
 * The messages the coordinator (bench/run.ts) and a worker process (bench/suite/worker.ts) exchange over
 * the IPC channel. Types only: both sides import this file, and nothing here may pull in a client library.
 */

/** respline and its peers, plus `noop`: the load driver with no client, to show what the driver itself costs. */
export type ClientName = 'respline' | 'ioredis' | 'ioredis-auto' | 'node-redis' | 'glide' | 'noop';

export type Workload = 'get' | 'set' | 'mixed';

/**
 * How load is applied.
 * - `queue`: p-queue with concurrency = depth, kept full, so exactly `depth` commands are in flight.
 * - `await-loop`: `for (;;) await client.get(k)`, the sequential style with no driver in between.
 * - `pipeline100`: one explicit 100-command pipeline at a time, awaited; ops count commands, not batches.
 */
export type Driver = 'queue' | 'await-loop' | 'pipeline100';

/**
 * What holds the depth of a `queue` cell: p-queue (the default, as issue 4 asks), or `loops`, `depth` plain
 * async loops that each await one command at a time. `loops` costs the driver far less CPU, so it shows
 * how much of a client's figure is the client's own.
 */
export type DepthHolder = 'p-queue' | 'loops';

export interface CellSpec {
  driver: Driver;
  workload: Workload;
  /** Commands in flight (queue); 1 for await-loop; 100 for pipeline100. */
  depth: number;
  holder: DepthHolder;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on measured ops, so a run is bounded by count as well as by time. */
  maxOps: number;
}

export interface CellMeasure {
  ops: number;
  errors: number;
  elapsedMs: number;
  opsPerSec: number;
  /** process.cpuUsage() user + system over the measured window, divided by ops. */
  cpuUsPerOp: number;
  /** Highest RSS sampled during the measured window. */
  peakRssBytes: number;
}

export interface MemoryMeasure {
  pending: number;
  baselineRssBytes: number;
  /** RSS right after every command was issued and none awaited yet. */
  issuedRssBytes: number;
  /** process.resourceUsage().maxRSS at the end: the process's peak, start-up included. */
  peakRssBytes: number;
  /** (heapUsed + external) growth from issuing, divided by the number of pending commands. */
  bytesPerPending: number;
  /** RSS growth from issuing, divided by the number of pending commands. */
  rssBytesPerPending: number;
  /** Time from the first command issued to the last reply. */
  drainMs: number;
  errors: number;
}

export type DecoderImpl = 'respline' | 'redis-parser';

export interface DecoderMeasure {
  impl: DecoderImpl;
  replies: number;
  elapsedMs: number;
  repliesPerSec: number;
  /** Why the measurement is missing, for an optional implementation that is not installed. */
  skipped?: string;
}

export interface WorkerResults {
  connect: { rssBytes: number };
  cell: CellMeasure;
  memory: MemoryMeasure;
  decoder: DecoderMeasure;
  close: null;
}

export type WorkerRequest =
  | { kind: 'connect'; client: ClientName; url: string; keyCount: number; valueSize: number }
  | { kind: 'cell'; spec: CellSpec }
  | { kind: 'memory'; pending: number }
  | {
      kind: 'decoder';
      impl: DecoderImpl;
      frames: number;
      chunkBytes: number;
      valueSize: number;
      durationMs: number;
    }
  | { kind: 'close' };

export interface WorkerEnvelope {
  id: number;
  request: WorkerRequest;
}

export type WorkerReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Keys are shared by the preload (coordinator) and the workers, so every GET hits. */
export function benchKey(i: number): string {
  return `bench:${i}`;
}

/** A fixed printable value, so replies decode to the same strings for every client. */
export function benchValue(size: number): string {
  let value = '';
  for (let i = 0; value.length < size; i++) value += String.fromCharCode(97 + (i % 26));
  return value;
}
