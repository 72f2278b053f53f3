import { AbortError, TimeoutError } from '../errors';
import { CommandFlags, type PendingCommand } from './pending-command';
import { unwatchSignal, watchSignal, type SignalMember } from './signal-watch';

/** Per-call options a connection honours (the Client validates them: see `withOptions`). */
export interface CallOptions {
  /** Aborting it rejects the command with AbortError: dropped if unwritten, its late reply absorbed if written. */
  readonly signal?: AbortSignal;
  /** ms allowed from now, in place of commandTimeout; 0: none; undefined: commandTimeout. */
  readonly timeout?: number;
}

/** What a guard needs from the connection whose commands it guards. */
export interface GuardHost {
  readonly address: string;
  /**
   * Settles `command` with `error` unless it already settled. An unwritten one is dropped: it will
   * never be written. A written one keeps its FIFO slot, where its late reply is absorbed.
   */
  cancel(command: PendingCommand, error: Error): void;
  /** A command's own deadline expired: counted with the timeouts in stats(). */
  timedOut(): void;
}

/**
 * Watches a signal and an own deadline for one command, or for the commands of one batch, which stand
 * and fall together. Only commands sent with CallOptions get one, so the default path pays nothing.
 *
 * - An own deadline is one timer per guard, not the watchdog's shared one: the watchdog looks only at
 *   the heads of its queues, which is right only while deadlines grow along them, and a shorter
 *   timeout behind a longer head would fire late. Such commands carry CommandFlags.OwnDeadline, which
 *   the watchdog looks past, so a longer timeout does not hold up the commands behind it either.
 * - The signal's listener and the timer go as soon as the last command settles, whichever way.
 */
export class CommandGuard implements SignalMember {
  private pending: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: GuardHost,
    private readonly commands: readonly PendingCommand[],
    private readonly signal: AbortSignal | undefined,
    private readonly timeout: number,
  ) {
    this.pending = commands.length;
    for (const command of commands) {
      const resolve = command.resolve;
      const reject = command.reject;
      command.resolve = (value) => {
        this.release();
        resolve(value);
      };
      command.reject = (error) => {
        this.release();
        reject(error);
      };
    }
    if (signal !== undefined) watchSignal(signal, this);
    if (timeout > 0) this.timer = setTimeout(this.expire, timeout);
  }

  aborted(signal: AbortSignal): void {
    for (const command of this.commands) {
      if (command.settled) continue;
      const sent = command.sent;
      const where = sent ? 'after it was sent: it may or may not have run' : 'before it was sent';
      this.host.cancel(
        command,
        new AbortError(`${command.name} was aborted ${where} (${this.host.address})`, command.name, sent, {
          cause: signal.reason,
        }),
      );
    }
  }

  private readonly expire = (): void => {
    this.timer = null;
    for (const command of this.commands) {
      if (command.settled) continue;
      const sent = command.sent;
      const where = sent ? 'waiting for its reply' : 'queued before it could be sent';
      if ((command.flags & CommandFlags.Internal) === 0) this.host.timedOut();
      this.host.cancel(
        command,
        new TimeoutError(
          `${command.name} timed out after its own timeout of ${this.timeout} ms ${where} (${this.host.address})`,
          command.name,
          this.timeout,
          sent,
        ),
      );
    }
  };

  private release(): void {
    if (--this.pending > 0) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.signal !== undefined) unwatchSignal(this.signal, this);
  }
}

/** The rejection of a command whose signal had aborted before it was issued: nothing is sent. */
export function abortedBeforeSending(name: string, signal: AbortSignal, address: string): AbortError {
  return new AbortError(`${name} was not sent: its signal had already aborted (${address})`, name, false, {
    cause: signal.reason,
  });
}
