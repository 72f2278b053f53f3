import type { ClusterNode } from './node';

/** Who serves a slot: its master, and the replicas fit for reads (round-robin among the ones up). */
export class SlotOwner {
  private next = 0;

  constructor(
    readonly master: ClusterNode,
    readonly replicas: readonly ClusterNode[],
  ) {}

  /** A replica that is up, in turn; the master when none is. */
  reader(): ClusterNode {
    const count = this.replicas.length;
    for (let tried = 0; tried < count; tried++) {
      const replica = this.replicas[this.next++ % count];
      if (!replica.down) return replica;
    }
    return this.master;
  }
}
