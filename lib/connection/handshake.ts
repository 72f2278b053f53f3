import { ConnectionError, HandshakeError, ReplyError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { ResolvedOptions } from './options';
import { CommandFlags, PendingCommand, prepareCommand } from './pending-command';

/** One command that prepares a fresh socket. */
export interface HandshakeStep {
  /** How errors name the step: `HELLO 3`, `AUTH`, `SELECT 1`… never an argument that may be secret. */
  readonly label: string;
  /** The command as a server's refusal would name it: `HELLO`, `AUTH`, `SELECT`, `CLIENT SETNAME`. */
  readonly command: string;
  readonly args: readonly CommandArg[];
  /** Why the reply disqualifies the server (options.readyCheck), or null. */
  readonly verify?: (reply: RespValue) => Error | null;
  /** Its reply is the server's id for this socket (CLIENT ID, options.identify). */
  readonly identifies?: true;
}

/**
 * The steps that prepare a fresh socket, in order; never empty. HELLO carries AUTH and SETNAME, so a
 * HELLO handshake is one round trip; without HELLO, AUTH, SELECT and CLIENT SETNAME are pipelined.
 * With nothing to prepare, a PING: a socket that merely connected proves nothing (a proxy in front of
 * a dead server accepts, then closes), and the connection must not call itself ready before the
 * server has answered something.
 */
export function handshakeSteps(options: ResolvedOptions, withHello = true): HandshakeStep[] {
  const { protocol, username, password, name, db } = options;
  const hello = protocol !== undefined && withHello;
  const steps: HandshakeStep[] = [];
  if (hello) {
    const args: CommandArg[] = ['HELLO', protocol];
    if (password !== undefined) args.push('AUTH', username ?? 'default', password);
    if (name !== undefined) args.push('SETNAME', name);
    steps.push({ label: `HELLO ${protocol}`, command: 'HELLO', args });
  } else if (password !== undefined) {
    const args = username === undefined ? ['AUTH', password] : ['AUTH', username, password];
    steps.push({ label: 'AUTH', command: 'AUTH', args });
  }
  if (db !== 0) steps.push({ label: `SELECT ${db}`, command: 'SELECT', args: ['SELECT', db] });
  if (!hello && name !== undefined) {
    steps.push({ label: 'CLIENT SETNAME', command: 'CLIENT SETNAME', args: ['CLIENT', 'SETNAME', name] });
  }
  // A cluster replica forgets READONLY with its socket, so every fresh socket asks again.
  if (options.readOnly) steps.push({ label: 'READONLY', command: 'READONLY', args: ['READONLY'] });
  // Tracking belongs to the socket: each fresh one asks again, before any caller's read goes out.
  if (options.tracking) {
    steps.push({ label: 'CLIENT TRACKING', command: 'CLIENT TRACKING', args: ['CLIENT', 'TRACKING', 'ON'] });
  }
  if (options.identify) {
    steps.push({ label: 'CLIENT ID', command: 'CLIENT ID', args: ['CLIENT', 'ID'], identifies: true });
  }
  // Last, once authenticated: a server of the wrong kind (a replica for a master) fails the attempt.
  const check = options.readyCheck;
  if (check !== undefined) {
    steps.push({ label: check.label, command: check.label, args: check.args, verify: check.verify });
  }
  if (steps.length === 0) steps.push({ label: 'PING', command: 'PING', args: ['PING'] });
  return steps;
}

/** What a handshake needs from the connection whose sockets it prepares. */
export interface HandshakeHost {
  readonly address: string;
  /** Writes a command of the connection's own straight to the socket, ahead of anything queued. */
  writeInternal(command: PendingCommand): void;
  /** The server's id for this socket (options.identify), before done(). */
  identified(id: number): void;
  /** Every step was answered: the server is alive and the socket prepared. */
  done(): void;
  /** A step was refused, or connectTimeout ran out: the socket must be replaced. */
  failed(error: Error): void;
}

interface WrittenStep {
  readonly step: HandshakeStep;
  /** Written behind a HELLO that was refused: its outcome no longer matters (it is sent again). */
  superseded: boolean;
}

/**
 * Brings each fresh socket to ready within connectTimeout: writes the steps, matches their replies,
 * and says which step failed and why. One per connection; each socket is one attempt, from `begin()`
 * to `end()`, and replies to an earlier attempt's steps change nothing.
 *
 * With `protocol: 2`, a server or proxy that refuses HELLO (an error reply, or twemproxy closing the
 * socket) gets the RESP2 handshake instead, as go-redis, Lettuce and Jedis do: HELLO 2 would only have
 * authenticated and named the connection, which AUTH and CLIENT SETNAME do as well. The refusal is
 * remembered, so later sockets go straight to RESP2. With `protocol: 3` there is no such fallback:
 * the replies would not be what the caller asked for.
 */
export class Handshake {
  /** Between `begin()` and `end()`: a socket is being prepared. */
  running = false;
  private helloRefused = false;
  private connectTimer: NodeJS.Timeout | null = null;
  /** Counts attempts; a step's callbacks act only within the attempt that wrote it. */
  private epoch = 0;
  private written: WrittenStep[] = [];
  private answered = 0;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly host: HandshakeHost,
  ) {}

  /** A socket is being opened: connectTimeout starts, covering TCP, TLS and every step together. */
  begin(): void {
    this.end();
    this.running = true;
    if (this.options.connectTimeout > 0) {
      this.connectTimer = setTimeout(this.onConnectTimeout, this.options.connectTimeout);
    }
  }

  /** The socket connected: every step is written at once. */
  start(): void {
    this.write(handshakeSteps(this.options, !this.helloRefused));
  }

  /** The attempt is over, whatever its outcome. Idempotent. */
  end(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.running = false;
    this.epoch++;
    this.written = [];
    this.answered = 0;
  }

  /**
   * The socket closed or failed during the attempt, which ends. Returns why, for connect() and the
   * events: a HandshakeError naming the step left unanswered, or the socket's own error when no step
   * had been written yet (TCP or TLS failed). Returns null when HELLO 2 was left unanswered: the
   * caller then opens a new socket at once, which goes without HELLO.
   */
  lost(socketError: Error | null): Error | null {
    const waiting = this.waitingFor();
    this.end();
    if (waiting === undefined) {
      return socketError ?? new ConnectionError(`${this.host.address} closed the connection at once`, false);
    }
    if (waiting.command === 'HELLO' && this.options.protocol === 2) {
      this.helloRefused = true;
      return null;
    }
    const detail = socketError === null ? '' : ` (${socketError.message})`;
    return new HandshakeError(
      `handshake failed at ${waiting.label}: ${this.host.address} closed the connection before answering ${waiting.command}${detail}`,
      { step: waiting.label, cause: socketError ?? undefined },
    );
  }

  /** The first written step whose reply still matters and has not come. */
  private waitingFor(): HandshakeStep | undefined {
    for (let i = this.answered; i < this.written.length; i++) {
      const entry = this.written[i] as WrittenStep;
      if (!entry.superseded) return entry.step;
    }
    return undefined;
  }

  private write(steps: readonly HandshakeStep[]): void {
    const epoch = this.epoch;
    for (const step of steps) {
      const entry: WrittenStep = { step, superseded: false };
      this.written.push(entry);
      const command = new PendingCommand(
        step.command,
        CommandFlags.Internal,
        (reply: RespValue) => {
          if (epoch !== this.epoch) return;
          const refusal = entry.superseded ? null : (step.verify?.(reply) ?? null);
          if (refusal !== null) return this.host.failed(refusal);
          if (step.identifies === true && !entry.superseded && typeof reply === 'number')
            this.host.identified(reply);
          this.answer(entry, null);
        },
        (error: Error) => {
          if (epoch === this.epoch) this.answer(entry, error);
        },
      );
      prepareCommand(command, step.args);
      this.host.writeInternal(command);
    }
  }

  private answer(entry: WrittenStep, error: Error | null): void {
    this.answered++;
    if (error !== null && !entry.superseded) {
      // Anything but an error reply means the socket is already being replaced, for its own reason.
      if (!(error instanceof ReplyError)) return;
      if (entry.step.command === 'HELLO' && this.options.protocol === 2) return this.fallBackToResp2();
      return this.host.failed(this.refusal(entry.step, error));
    }
    if (this.answered === this.written.length) {
      this.end();
      this.host.done();
    }
  }

  /** HELLO 2 was refused with an error reply: the RESP2 steps follow on the same socket. */
  private fallBackToResp2(): void {
    this.helloRefused = true;
    // Steps pipelined behind HELLO ran unauthenticated, or not as asked: their replies are absorbed
    // and the RESP2 steps repeat what they were to do.
    for (let i = this.answered; i < this.written.length; i++)
      (this.written[i] as WrittenStep).superseded = true;
    this.write(handshakeSteps(this.options, false));
  }

  /**
   * A server that does not know HELLO or AUTH echoes the arguments in its error, password included,
   * so the message is scrubbed and the original reply is not kept as the cause.
   */
  private refusal(step: HandshakeStep, refusal: ReplyError): HandshakeError {
    const password = this.options.password;
    const said = password ? refusal.message.split(password).join('***') : refusal.message;
    const cause = new ReplyError(said);
    cause.command = step.command;
    return new HandshakeError(
      `handshake failed at ${step.label}: ${step.command} was refused by ${this.host.address}: ${said}`,
      { step: step.label, cause },
    );
  }

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = null;
    const waiting = this.waitingFor();
    const detail = waiting === undefined ? '' : `, waiting for the reply to ${waiting.label}`;
    this.host.failed(
      new ConnectionError(
        `connecting to ${this.host.address} took longer than connectTimeout (${this.options.connectTimeout} ms)${detail}`,
        false,
      ),
    );
  };
}
