import { ConnectionError, TimeoutError } from '../errors';
import { CommandFlags, PendingCommand, prepareCommand } from './pending-command';

/** What the heartbeat needs from the connection it keeps watch over. */
export interface HeartbeatHost {
  readonly address: string;
  /** No command is queued or awaiting a reply. */
  isIdle(): boolean;
  /** Writes a command of the connection's own straight to the socket, ahead of anything queued. */
  writeInternal(command: PendingCommand): void;
  /** A PING went unanswered for a whole interval: replace the socket. */
  missed(error: ConnectionError): void;
}

const PING: readonly string[] = ['PING'];

/**
 * Idle PINGs, so a connection that nothing uses still finds out when its peer is gone (a blackholed
 * proxy, a host that vanished without a FIN). It runs only while the connection is ready.
 *
 * Its own timer, unref'd, so it never keeps a process alive; activity pushes the next PING back
 * without touching the timer: the timer checks `activityAt` when it fires and sleeps again if the
 * connection was busy. The PING's reply deadline is the interval (or commandTimeout, if shorter),
 * enforced like any command's by the watchdog; a PING that times out is a missed heartbeat.
 */
export class Heartbeat {
  /** Last time bytes were written or arrived; written by the connection on its hot paths. */
  activityAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private pingInFlight = false;
  /** Counts start()s, so a PING from an earlier socket settles without effect. */
  private epoch = 0;

  /**
   * The PING must be answered within the interval, and within commandTimeout when that is shorter:
   * the watchdog checks in-flight deadlines in FIFO order, so a PING due later than the commands
   * written after it would hold back their TimeoutErrors until it expired.
   */
  private readonly replyWithin: number;

  constructor(
    private readonly host: HeartbeatHost,
    private readonly interval: number,
    commandTimeout = 0,
  ) {
    this.replyWithin = commandTimeout > 0 ? Math.min(interval, commandTimeout) : interval;
  }

  /** The connection became ready. */
  start(now: number): void {
    this.stop();
    if (this.interval === 0) return;
    this.activityAt = now;
    this.sleep(this.interval);
  }

  /** The connection stopped being ready: lost, closing or closed. */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pingInFlight = false;
    this.epoch++;
  }

  private sleep(ms: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(1, ms));
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    const now = Date.now();
    const due = this.activityAt + this.interval;
    if (now < due) return this.sleep(due - now);
    // A PING still out is the watchdog's to time out; a busy connection proves itself by its replies
    // (and the stall detector watches those).
    if (!this.pingInFlight && this.host.isIdle()) this.ping(now);
    this.sleep(this.interval);
  };

  private ping(now: number): void {
    const epoch = this.epoch;
    const ping = new PendingCommand(
      'PING',
      CommandFlags.Internal,
      () => {
        if (epoch === this.epoch) this.pingInFlight = false;
      },
      (error: Error) => {
        if (epoch !== this.epoch) return;
        this.pingInFlight = false;
        // An error reply still proves the server alive; any other failure means the socket is
        // already being replaced, for a reason of its own that must not be masked by this one.
        if (!(error instanceof TimeoutError)) return;
        this.host.missed(
          new ConnectionError(
            `heartbeat PING to ${this.host.address} got no reply within ${this.replyWithin} ms`,
            true,
          ),
        );
      },
    );
    prepareCommand(ping, PING);
    ping.deadline = now + this.replyWithin;
    this.pingInFlight = true;
    this.activityAt = now;
    this.host.writeInternal(ping);
  }
}
