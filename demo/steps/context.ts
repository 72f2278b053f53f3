import type { Cluster } from '../../lib';
import type { ClusterWatch } from '../cluster-watch';
import type { DemoOptions } from '../options';
import type { Terminal } from '../terminal';
import type { DemoTopology } from '../topology';

/**
 * Whether the demo runs step 5 (a server restarted empty, kept out of reads, repaired, read again). It
 * is what a build without replica repair cannot show, so turning it off keeps the demo honest there:
 * before d058ff5, a few reads in flight during the restart came back nil, and the step failed the demo.
 */
export const RESTART_STEP = true;

export const TOTAL_STEPS = RESTART_STEP ? 6 : 5;

/** What every step works with. */
export interface DemoContext {
  readonly terminal: Terminal;
  readonly cluster: Cluster;
  readonly watch: ClusterWatch;
  readonly topology: DemoTopology;
  readonly options: DemoOptions;
  /** DBSIZE of each server before step 1, replica-major; not zero only on servers the demo did not start. */
  baseline: number[];
}

/** A promise the demo makes and could not keep: the run fails with this message. */
export class DemoFailure extends Error {
  override readonly name = 'DemoFailure';
}

export function keyName(index: number): string {
  return `demo:key:${index}`;
}

export function valueOf(index: number): string {
  return `value-${index}`;
}

export function outageKeyName(index: number): string {
  return `demo:outage:${index}`;
}

/** Runs `task(0)` … `task(count - 1)` with at most `concurrency` at a time; rejects on the first failure. */
export async function forEachConcurrently(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** `size` indices spread evenly over [0, count). */
export function sampleIndices(count: number, size: number): number[] {
  const n = Math.min(count, size);
  return Array.from({ length: n }, (_, i) => Math.floor((i * count) / n));
}
