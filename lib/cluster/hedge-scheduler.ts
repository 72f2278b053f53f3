import { performance } from 'node:perf_hooks';

/** A read that may be hedged: linked into the scheduler's list while it waits. */
export interface Hedgeable {
  hedgeAt: number;
  hedgePrev: Hedgeable | null;
  hedgeNext: Hedgeable | null;
  hedgeQueued: boolean;
  /** Time is up and no answer came: send to one more replica. */
  hedge(): void;
}

/**
 * Sends backup reads after `delayMs`, with one timer for all reads instead of one per read.
 *
 * Every read waits the same delay, so reads join the list in deadline order: the head is always the
 * next one due. A read that settles unlinks itself in O(1). The timer is re-armed only when it fires.
 */
export class HedgeScheduler {
  private head: Hedgeable | null = null;
  private tail: Hedgeable | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(readonly delayMs: number) {}

  add(read: Hedgeable): void {
    if (this.stopped) return;
    read.hedgeAt = performance.now() + this.delayMs;
    read.hedgePrev = this.tail;
    read.hedgeNext = null;
    read.hedgeQueued = true;
    if (this.tail === null) this.head = read;
    else this.tail.hedgeNext = read;
    this.tail = read;
    if (this.timer === null) this.arm(this.delayMs);
  }

  remove(read: Hedgeable): void {
    if (!read.hedgeQueued) return;
    read.hedgeQueued = false;
    const { hedgePrev: prev, hedgeNext: next } = read;
    if (prev === null) this.head = next;
    else prev.hedgeNext = next;
    if (next === null) this.tail = prev;
    else next.hedgePrev = prev;
    read.hedgePrev = read.hedgeNext = null;
  }

  /** No more hedges: reads still waiting are left to their first replica (and failover). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.head !== null) this.remove(this.head);
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(delayMs)));
    // Reads in flight keep their Clients' sockets (and the loop) alive; this timer need not.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = performance.now();
    let read = this.head;
    while (read !== null && read.hedgeAt <= now) {
      this.remove(read);
      read.hedge();
      read = this.head;
    }
    if (read !== null && !this.stopped) this.arm(read.hedgeAt - now);
  };
}
