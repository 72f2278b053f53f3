import type { ServerNode } from './server-node';

/** How long an entry is kept: longer than any gap between a restart and its resync's done marker. */
const KEEP_MS = 120_000;

interface Entry {
  readonly at: number;
  readonly node: ServerNode;
  /** The keys copied into `node`; null: every key (a full resync of a server that had not restarted). */
  readonly ids: readonly string[] | null;
}

/**
 * What this process copied into the replicas of one shard, and when. Another process that resynced a
 * restarted replica copied from the replicas it thought in sync; one of them may have lacked a write
 * of this process then, a gap this process repaired since. So once that resync is done, the keys this
 * process copied into its peers from the moment the restarted server was last seen alive are copied
 * again into it (RepairEngine.addPeerGaps). Bounded: past KEEP_MS or `maxIds` keys the oldest entries
 * are forgotten, and a question reaching back before them is answered "cannot tell".
 */
export class RepairJournal {
  private readonly entries: Entry[] = [];
  private ids = 0;
  /** The newest forgotten entry's time: a question about an earlier moment cannot be answered. */
  private forgottenAt = -Infinity;

  constructor(private readonly maxIds: number) {}

  /** `ids` (null: every key) were just copied into `node`. */
  record(node: ServerNode, ids: readonly string[] | null, at = Date.now()): void {
    this.entries.push({ at, node, ids });
    this.ids += ids === null ? 1 : ids.length;
    let drop = 0;
    while (drop < this.entries.length && (this.ids > this.maxIds || at - this.entries[drop].at > KEEP_MS)) {
      const entry = this.entries[drop++];
      this.ids -= entry.ids === null ? 1 : entry.ids.length;
      this.forgottenAt = entry.at;
    }
    if (drop > 0) this.entries.splice(0, drop);
  }

  /**
   * The keys copied into replicas other than `node` at or after `since`; null when any key may have
   * been (a full resync of one), or when entries from then were forgotten.
   */
  copiedSince(node: ServerNode, since: number): string[] | null {
    if (since <= this.forgottenAt) return null;
    const ids: string[] = [];
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i];
      if (entry.at < since) break;
      if (entry.node === node) continue;
      if (entry.ids === null) return null;
      for (const id of entry.ids) ids.push(id);
    }
    return ids;
  }
}
