import { ConnectionError, TimeoutError } from '../errors';
import type { CommandQueue } from './command-queue';
import { CommandFlags, type PendingCommand } from './pending-command';

/** What the watchdog tells the connection it watches. */
export interface WatchdogHost {
  /** A queued command expired and was taken out of the queue: its bytes no longer count. */
  dequeued(command: PendingCommand): void;
  /** Replies are owed and the server has sent nothing for stallTimeout: replace the socket. */
  stalled(error: ConnectionError): void;
}

/**
 * Every command deadline and the stall detector, on one timer: never a timer per command.
 *
 * The timer is set for the earliest moment anything could be due: the deadline of the first
 * unexpired in-flight command, that of the head of the write queue, or the stall deadline. Deadlines
 * are set when commands are accepted, with one commandTimeout, so along each queue they grow and the
 * heads are enough to look at. (A command with an earlier deadline of its own, a heartbeat PING,
 * merely waits for the ones before it.) A command sent with its own timeout (CommandFlags.OwnDeadline)
 * has a timer of its own (command-guard.ts) and is looked past here, so it neither holds up the ones
 * behind it nor waits for the ones before it. A timed-out in-flight command keeps its slot, so its late
 * reply is absorbed there and never reaches another caller.
 */
export class Watchdog {
  /** When bytes last arrived, or replies became owed after a quiet spell; the stall clock. */
  progressAt = 0;
  /** Commands that timed out, for stats(). */
  timeouts = 0;
  /**
   * Until when (epoch ms; Infinity: until answered) a blocking command may legitimately keep the
   * server silent: the stall clock runs only from then. 0 when no blocking command is in flight.
   */
  quietUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires. */
  private at = 0;
  /** Whether the timer keeps the process alive: only while commands await an outcome. */
  private held = false;
  /** First in-flight command not yet expired; null means start at the head. */
  private scanFrom: PendingCommand | null = null;

  constructor(
    /** Accepted commands not yet written, in order. */
    private readonly queue: CommandQueue,
    /** Written commands awaiting their replies, in order. */
    private readonly inflight: CommandQueue,
    private readonly host: WatchdogHost,
    private readonly commandTimeout: number,
    private readonly stallTimeout: number,
    private readonly address: string,
  ) {}

  /** A command with this deadline (0 for none) entered a queue. On the hot path: no allocation. */
  watch(deadline: number): void {
    const timer = this.timer;
    if (timer === null || (deadline !== 0 && deadline < this.at)) {
      this.rearm();
    } else if (!this.held) {
      timer.ref();
      this.held = true;
    }
  }

  /** Replies became owed after none were: the stall clock starts now. */
  repliesOwed(now: number): void {
    this.progressAt = now;
    if (this.stallTimeout > 0 && (this.timer === null || now + this.stallTimeout < this.at)) this.rearm();
  }

  /** A reply took this command out of the in-flight queue. */
  replied(command: PendingCommand): void {
    if (command === this.scanFrom) this.scanFrom = null;
  }

  /** The in-flight queue was emptied at once (socket lost, connection closed). */
  inflightCleared(): void {
    this.scanFrom = null;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.scanFrom = null;
  }

  private rearm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.arm();
  }

  private arm(): void {
    const wake = this.nextWake();
    if (wake === 0) return;
    this.at = wake;
    this.timer = setTimeout(this.onTimer, Math.max(1, wake - Date.now()));
    this.held = this.inflight.length > 0 || this.queue.length > 0;
    if (!this.held) this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const now = Date.now();
    // Each step settles promises whose callbacks may close the connection: the queues are then empty
    // and the steps after find nothing to do.
    this.expireInflight(now);
    this.expireQueued(now);
    this.checkStall(now);
    if (this.timer === null) this.arm();
  };

  /** The earliest moment anything could be due, or 0 when nothing is being watched. */
  private nextWake(): number {
    const { queue, inflight } = this;
    let wake = Infinity;
    const firstInflight = this.firstUnexpiredInflight();
    if (firstInflight !== null && firstInflight.deadline > 0) wake = firstInflight.deadline;
    const firstQueued = firstWatched(queue.head);
    if (firstQueued !== null && firstQueued.deadline > 0) wake = Math.min(wake, firstQueued.deadline);
    if (inflight.length > 0 && this.stallTimeout > 0)
      wake = Math.min(wake, Math.max(this.progressAt, this.quietUntil) + this.stallTimeout);
    return wake === Infinity ? 0 : wake;
  }

  private firstUnexpiredInflight(): PendingCommand | null {
    return firstWatched(this.scanFrom ?? this.inflight.head);
  }

  private expireInflight(now: number): void {
    let command = this.scanFrom ?? this.inflight.head;
    while (command !== null) {
      if (!command.settled && (command.flags & CommandFlags.OwnDeadline) === 0) {
        if (command.deadline === 0 || command.deadline > now) break;
        this.timeOut(command, true);
      }
      if (command.next === null) break;
      command = command.next;
    }
    this.scanFrom = command;
  }

  /**
   * Only ever from the head: the commands of a batch share one deadline and stand together, so they
   * expire together, never one alone from the middle of the queue.
   */
  private expireQueued(now: number): void {
    const queue = this.queue;
    while (
      queue.head !== null &&
      (queue.head.settled || (queue.head.deadline > 0 && queue.head.deadline <= now))
    ) {
      const command = queue.shift() as PendingCommand;
      this.host.dequeued(command);
      if (!command.settled) this.timeOut(command, false);
    }
    // A head with a deadline of its own stays queued until written; whatever expired behind it is
    // settled in place (a batch, sharing one deadline, still expires whole), and the flush drops it.
    let command = queue.head;
    if (command === null || (command.flags & CommandFlags.OwnDeadline) === 0) return;
    for (command = command.next; command !== null; command = command.next) {
      if (command.settled || (command.flags & CommandFlags.OwnDeadline) !== 0) continue;
      if (command.deadline === 0 || command.deadline > now) break;
      this.host.dequeued(command);
      command.bytes = 0;
      this.timeOut(command, false);
    }
  }

  private timeOut(command: PendingCommand, sent: boolean): void {
    command.settled = true;
    // The connection's own commands (handshake, heartbeat) report their loss their own way.
    if ((command.flags & CommandFlags.Internal) === 0) this.timeouts++;
    const where = sent ? 'waiting for its reply' : 'queued before it could be sent';
    command.reject(
      new TimeoutError(
        `${command.name} timed out after ${this.commandTimeout} ms ${where} (${this.address})`,
        command.name,
        this.commandTimeout,
        sent,
      ),
    );
  }

  private checkStall(now: number): void {
    if (this.inflight.length === 0 || this.stallTimeout === 0) return;
    if (now - Math.max(this.progressAt, this.quietUntil) < this.stallTimeout) return;
    this.host.stalled(
      new ConnectionError(
        `${this.address} sent nothing for stallTimeout (${this.stallTimeout} ms) while replies were owed`,
        true,
      ),
    );
  }
}

/** The first command from `command` on that the watchdog answers for: unsettled, with no deadline of its own. */
function firstWatched(command: PendingCommand | null): PendingCommand | null {
  while (command !== null && (command.settled || (command.flags & CommandFlags.OwnDeadline) !== 0))
    command = command.next;
  return command;
}
