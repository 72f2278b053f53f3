import type { ClusterNode } from './node';

/** Who serves a slot: its master, and the replicas fit for reads (round-robin among the ones up and in sync). */
export class SlotOwner {
  private next = 0;

  constructor(
    readonly master: ClusterNode,
    readonly replicas: readonly ClusterNode[],
  ) {
    // A replica's health check compares its offset with this master's.
    for (const replica of replicas) replica.master = master;
  }

  /**
   * A replica that is up and not lagging (its last health check, see ClusterNode), in turn; when none
   * is, the master, or undefined when `strict` (readFrom 'replica'). Two fields per replica: no I/O.
   */
  reader(strict: boolean): ClusterNode | undefined {
    const count = this.replicas.length;
    for (let tried = 0; tried < count; tried++) {
      const replica = this.replicas[this.next++ % count];
      if (!replica.down && !replica.lagging) return replica;
    }
    return strict ? undefined : this.master;
  }
}
