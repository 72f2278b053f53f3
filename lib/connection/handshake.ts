import { ConnectionError, HandshakeError, ReplyError } from '../errors';
import type { CommandArg } from '../resp/types';
import type { ResolvedOptions } from './options';
import { CommandFlags, PendingCommand, prepareCommand } from './pending-command';

/** One command that prepares a fresh socket. */
export interface HandshakeStep {
  /** How errors name the step: `HELLO 3`, `AUTH`, `SELECT 1`… never an argument that may be secret. */
  readonly label: string;
  /** The command as a server's refusal would name it: `HELLO`, `AUTH`, `SELECT`, `CLIENT SETNAME`. */
  readonly command: string;
  readonly args: readonly CommandArg[];
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
  if (steps.length === 0) steps.push({ label: 'PING', command: 'PING', args: ['PING'] });
  return steps;
}

/** What a handshake needs from the connection whose sockets it prepares. */
export interface HandshakeHost {
  readonly address: string;
  /** Writes a command of the connection's own straight to the socket, ahead of anything queued. */
  writeInternal(command: PendingCommand): void;
  /** Every step was answered: the server is alive and the socket prepared. */
  done(): void;
  /** A step was refused, or connectTimeout ran out: the socket must be replaced. */
  failed(error: Error): void;
}

/**
 * Brings each fresh socket to ready within connectTimeout: writes the steps, matches their replies,
 * and says which step failed and why. One per connection; each socket is one attempt, from `begin()`
 * to `end()`, and replies to an earlier attempt's steps change nothing.
 */
export class Handshake {
  /** Between `begin()` and `end()`: a socket is being prepared. */
  running = false;
  private connectTimer: NodeJS.Timeout | null = null;
  /** Counts attempts; a step's callbacks act only within the attempt that wrote it. */
  private epoch = 0;
  private written: HandshakeStep[] = [];
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
    this.write(handshakeSteps(this.options));
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
   * events: nothing of a caller's had been written.
   */
  lost(socketError: Error | null): Error {
    this.end();
    return socketError ?? new ConnectionError(`${this.host.address} closed the connection`, false);
  }

  /** The first written step whose reply has not come. */
  private waitingFor(): HandshakeStep | undefined {
    return this.written[this.answered];
  }

  private write(steps: readonly HandshakeStep[]): void {
    const epoch = this.epoch;
    for (const step of steps) {
      this.written.push(step);
      const command = new PendingCommand(
        step.command,
        CommandFlags.Internal,
        () => {
          if (epoch === this.epoch) this.answer(step, null);
        },
        (error: Error) => {
          if (epoch === this.epoch) this.answer(step, error);
        },
      );
      prepareCommand(command, step.args);
      this.host.writeInternal(command);
    }
  }

  private answer(step: HandshakeStep, error: Error | null): void {
    this.answered++;
    if (error !== null) {
      // Anything but an error reply means the socket is already being replaced, for its own reason.
      if (!(error instanceof ReplyError)) return;
      return this.host.failed(this.refusal(step, error));
    }
    if (this.answered === this.written.length) {
      this.end();
      this.host.done();
    }
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
    return new HandshakeError(`${step.command} was refused by ${this.host.address}: ${said}`, { cause });
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
