import { routableKeyPositions } from '../commands/movable-keys';
import type { CommandArg } from '../resp/types';
import type { WriteSequence } from './key-copier';
import { keyId } from './repair-keys';
import type { ServerNode } from './server-node';
import type { WriteWatch } from './shard-replicas';

/** The keys a write command touches; null when they cannot be told from its arguments. */
export function writeKeys(args: readonly CommandArg[]): CommandArg[] | null {
  const positions = routableKeyPositions(args);
  return positions === undefined ? null : positions.map((position) => args[position]);
}

/**
 * Watches the writes sent to one shard while a replica of it is repaired: numbers them, and remembers
 * the number of the last write to each key, so the copier can tell a key written after it read it
 * (key-copier.ts). Also records those keys in the hint logs of replicas that wait for another process
 * to resync them: that process's copy may have overwritten this one's write, so this process copies
 * those keys again once it is done.
 *
 * It exists only while a repair runs: the write paths check one field (ShardReplicas.watch) otherwise.
 * Its memory grows with the distinct keys written during the repair, and is dropped with it.
 */
export class ShardWatch implements WriteWatch, WriteSequence {
  seq = 0;
  /** Repairs (and waits on another process's) that use this watch; it is removed at zero. */
  users = 0;
  /** Replicas waiting for another process's full resync: writes go into their hint logs too. */
  readonly waiting = new Set<ServerNode>();
  private readonly touched = new Map<string, number>();
  /** The last write whose keys could not be told: it may have touched any key. */
  private unknownAt = -1;

  wrote(commands: readonly (readonly CommandArg[])[]): void {
    const seq = ++this.seq;
    for (const args of commands) {
      const keys = writeKeys(args);
      if (keys === null) this.unknownAt = seq;
      else for (const key of keys) this.touched.set(keyId(key), seq);
      for (const node of this.waiting) node.hints.add(keys);
    }
  }

  touchedSince(id: string, since: number): boolean {
    return this.unknownAt > since || (this.touched.get(id) ?? -1) > since;
  }
}
