import type { CommandArg } from '../resp/types';
import { keyId } from './repair-keys';

/**
 * The keys one server missed: writes the shard acknowledged that failed, timed out or were never sent
 * there. Keys only, never the writes: repair copies each key's current value from an in-sync replica,
 * since a timed-out write may still have run. Bounded: one key past `maxHints` turns the log into
 * "needs a full resync", which is what `overflowed` says.
 */
export class HintLog {
  private keys = new Set<string>();
  /** Too many keys to remember, or keys that could not be told: only a full resync will do. */
  overflowed = false;
  /**
   * Overflowed by a restart (see restarted()), and every key missed since is recorded all the same:
   * another process's resync of the restarted server covers what was missed before, not what this
   * process misses after it, so those keys must be copied too.
   */
  private recordingSinceRestart = false;

  constructor(private readonly maxHints: number) {}

  get size(): number {
    return this.keys.size;
  }

  /** Records `keys`; null means the keys are unknown, which only a full resync covers. */
  add(keys: readonly CommandArg[] | null): void {
    if (this.overflowed && !this.recordingSinceRestart) return;
    if (keys === null) {
      this.overflow();
      return;
    }
    for (const key of keys) {
      this.keys.add(keyId(key));
      if (this.keys.size > this.maxHints) {
        this.overflow();
        return;
      }
    }
  }

  /** Records keys already in keyId form (a repair giving back what it could not do). */
  addIds(ids: Iterable<string>): void {
    if (this.overflowed && !this.recordingSinceRestart) return;
    for (const id of ids) {
      this.keys.add(id);
      if (this.keys.size > this.maxHints) {
        this.overflow();
        return;
      }
    }
  }

  /** Hands over what is recorded so far and starts empty: a repair works on its copy. */
  take(): { keys: Set<string>; full: boolean; sinceRestart: boolean } {
    const taken = { keys: this.keys, full: this.overflowed, sinceRestart: this.recordingSinceRestart };
    this.keys = new Set();
    this.overflowed = false;
    this.recordingSinceRestart = false;
    return taken;
  }

  /** Forgets everything and asks for a full resync (the log's bound, or keys that cannot be told). */
  overflow(): void {
    this.overflowed = true;
    this.recordingSinceRestart = false;
    this.keys.clear();
  }

  /** The server restarted: a full resync is owed, and keys missed from now on are still recorded. */
  restarted(): void {
    this.overflow();
    this.recordingSinceRestart = true;
  }

  /** The keys recorded (keyId form): after a restart, those missed since; otherwise none once overflowed. */
  ids(): Iterable<string> {
    return this.keys;
  }

  /** Whether `id` (keyId form) is recorded; false once overflowed (then every key counts as missed). */
  has(id: string): boolean {
    return !this.overflowed && this.keys.has(id);
  }

  get empty(): boolean {
    return !this.overflowed && this.keys.size === 0;
  }
}
