import type { CommandArg } from '../resp/types';
import { HintLog } from './hint-log';
import type { LateWriteSink, ShardReplicas } from './shard-replicas';
import { writeKeys } from './shard-watch';

/**
 * The keys of the writes that were in flight on a shard when a checked connection to one of its
 * servers closed, collected as each replica settles them (ShardReplicas.settledLate). If that server
 * turns out to have restarted, its resync (this process's or another's) may have read such a key on
 * a replica that had not applied the write yet, and the restarted process lost its own copy: those
 * keys are copied again. handOver() gives the keys collected so far, and sends later ones to the
 * caller. Collection stops `windowMs` after the close: by then every such write has settled, since
 * each Client settles each command by its commandTimeout.
 */
export class LateWrites implements LateWriteSink {
  private readonly keys: HintLog;
  private forward: ((args: readonly CommandArg[]) => void) | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly replicas: ShardReplicas,
    maxKeys: number,
    windowMs: number,
  ) {
    this.keys = new HintLog(maxKeys);
    replicas.lateSinks.add(this);
    this.timer = setTimeout(() => this.end(), windowMs);
    this.timer.unref();
  }

  settled(args: readonly CommandArg[]): void {
    if (this.forward === null) this.keys.add(writeKeys(args));
    else this.forward(args);
  }

  /** The keys collected so far (`full`: too many, or unknown); later ones go to `forward`. */
  handOver(forward: (args: readonly CommandArg[]) => void): { keys: Set<string>; full: boolean } {
    this.forward = forward;
    return this.keys.take();
  }

  end(): void {
    clearTimeout(this.timer);
    this.replicas.lateSinks.delete(this);
  }
}
