import type { Socket } from 'node:net';

import { ProtocolError } from '../errors';
import type { CommandHook, HookAction } from './command-hook';
import { checkArity, unknownCommand } from './command-arity';
import type { MockBackend } from './mock-backend';
import { encodeReply, errorReply, status, type ProtocolVersion, type ServerReply } from './reply-encoder';
import { RequestParser } from './request-parser';

/** What a connection needs from the server that accepted it. */
export interface SessionContext {
  readonly username: string;
  readonly password: string | undefined;
  readonly databases: number;
  readonly backend: MockBackend;
  readonly serverVersion: string;
  currentHook(): CommandHook | undefined;
  /** Runs `task` after every task queued before it, across all connections, like Redis's one thread. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  infoText(): string;
}

interface Command {
  /** As sent, for error messages. */
  readonly rawName: string;
  readonly name: string;
  readonly args: Buffer[];
}

/** Takes its place in the reply order: requests parsed before the bad bytes are still answered. */
interface ProtocolFailure {
  readonly failure: string;
}

/** Served here rather than by the backend: they change connection state or need the whole server. */
const CONNECTION_COMMANDS = new Set([
  'auth',
  'hello',
  'select',
  'client',
  'ping',
  'quit',
  'multi',
  'exec',
  'discard',
  'info',
  'command',
  'flushall',
]);

/** Allowed before AUTH, as in Redis. */
const NO_AUTH_COMMANDS = new Set(['auth', 'hello', 'quit']);
/** Run at once even inside MULTI. */
const TRANSACTION_CONTROL = new Set(['multi', 'exec', 'discard', 'quit']);

const NOAUTH = 'NOAUTH Authentication required.';
const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';

/**
 * One client connection of EmbeddedServer: parses requests, answers them strictly in order and keeps
 * the per-connection state (protocol, database, authentication, name, open transaction).
 */
export class EmbeddedConnection {
  private readonly parser: RequestParser;
  private queue: Array<Command | ProtocolFailure> = [];
  private draining = false;
  private closed = false;
  /** Set once the request stream held bad bytes: nothing after them is parsed. */
  private poisoned = false;
  private protocol: ProtocolVersion = 2;
  private db = 0;
  private authenticated: boolean;
  private name: string | null = null;
  /** Commands queued since MULTI, or null outside a transaction. */
  private transaction: Command[] | null = null;
  private transactionFailed = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly context: SessionContext,
  ) {
    this.authenticated = context.password === undefined;
    this.parser = new RequestParser((argv) => this.enqueue(argv));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // 'close' always follows 'error'; the server listens for it to forget this connection.
    socket.on('error', () => this.close());
    socket.on('close', () => {
      this.closed = true;
    });
  }

  /** Writes bytes outside the request/reply flow, for unsolicited or malformed frames. */
  writeRaw(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Drops the connection at once, without a reply. */
  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.closed || this.poisoned) return;
    try {
      this.parser.feed(chunk);
    } catch (error) {
      // Redis answers a protocol error, then closes.
      this.poisoned = true;
      this.socket.pause();
      this.queue.push({ failure: error instanceof ProtocolError ? error.message : String(error) });
    }
    this.startDraining();
  }

  private enqueue(argv: Buffer[]): void {
    const rawName = (argv[0] as Buffer).toString('utf8');
    this.queue.push({ rawName, name: rawName.toLowerCase(), args: argv.slice(1) });
  }

  private startDraining(): void {
    if (this.draining || this.queue.length === 0) return;
    this.draining = true;
    this.drain()
      .catch(() => this.close())
      .finally(() => {
        this.draining = false;
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue;
      this.queue = [];
      for (const item of batch) {
        if (this.closed) return;
        if ('failure' in item) {
          this.writeReply(errorReply(`ERR Protocol error: ${item.failure}`));
          this.endAfterWrite();
          return;
        }
        await this.process(item);
      }
    }
  }

  private async process(command: Command): Promise<void> {
    const hook = this.context.currentHook();
    if (hook !== undefined) {
      let action: HookAction;
      try {
        action = await hook({ name: command.name, args: command.args, connectionId: this.id, db: this.db });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        action = encodeReply(errorReply(`ERR respondWith hook failed: ${reason}`));
      }
      if (this.closed) return;
      if (action !== undefined) return this.applyHookAction(action);
    }
    const reply = await this.context.exclusive(() => this.execute(command));
    if (this.closed) return;
    this.writeReply(reply);
    if (command.name === 'quit') this.endAfterWrite();
  }

  private applyHookAction(action: Exclude<HookAction, undefined>): void {
    if (Buffer.isBuffer(action)) {
      this.socket.write(action);
      return;
    }
    if (action.raw !== undefined) this.socket.write(action.raw);
    if (action.close === true) this.endAfterWrite();
  }

  private writeReply(reply: ServerReply): void {
    this.socket.write(encodeReply(reply, this.protocol));
  }

  /** Closes after queued writes are flushed, so the last reply still reaches the client. */
  private endAfterWrite(): void {
    this.closed = true;
    this.socket.end(() => this.socket.destroy());
  }

  /** Validation in Redis's order: unknown command, arity, authentication, then MULTI queueing. */
  private async execute(command: Command): Promise<ServerReply> {
    const { name, args } = command;
    const known = CONNECTION_COMMANDS.has(name) || this.context.backend.supports(name);
    const refusal = known ? checkArity(name, args.length + 1) : unknownCommand(command.rawName, args);
    if (refusal !== undefined) {
      if (this.transaction !== null) this.transactionFailed = true;
      return refusal;
    }
    if (!this.authenticated && !NO_AUTH_COMMANDS.has(name)) {
      if (this.transaction !== null) this.transactionFailed = true;
      return errorReply(NOAUTH);
    }
    if (this.transaction !== null && !TRANSACTION_CONTROL.has(name)) {
      this.transaction.push(command);
      return status('QUEUED');
    }
    return this.dispatch(command);
  }

  private async dispatch(command: Command): Promise<ServerReply> {
    const { name, args } = command;
    switch (name) {
      case 'auth':
        return this.auth(args);
      case 'hello':
        return this.hello(args);
      case 'select':
        return this.select(args[0] as Buffer);
      case 'client':
        return this.client(args);
      case 'ping':
        if (args.length > 1) return errorReply(`ERR wrong number of arguments for 'ping' command`);
        return args[0] ?? status('PONG');
      case 'quit':
        return status('OK');
      case 'multi':
        if (this.transaction !== null) return errorReply('ERR MULTI calls can not be nested');
        this.transaction = [];
        this.transactionFailed = false;
        return status('OK');
      case 'exec':
        return this.exec();
      case 'discard':
        if (this.transaction === null) return errorReply('ERR DISCARD without MULTI');
        this.transaction = null;
        return status('OK');
      case 'info':
        return this.context.infoText();
      case 'command':
        return [];
      case 'flushall':
        await this.context.backend.flushAll();
        return status('OK');
      default:
        return this.context.backend.execute(this.db, name, args, command.rawName);
    }
  }

  private async exec(): Promise<ServerReply> {
    const queued = this.transaction;
    if (queued === null) return errorReply('ERR EXEC without MULTI');
    this.transaction = null;
    if (this.transactionFailed) {
      return errorReply('EXECABORT Transaction discarded because of previous errors.');
    }
    // Already inside `exclusive`, so no other connection's command runs in between.
    const replies: ServerReply[] = [];
    for (const command of queued) replies.push(await this.dispatch(command));
    return replies;
  }

  private auth(args: Buffer[]): ServerReply {
    const [user, password] =
      args.length === 1 ? [this.context.username, args[0]] : [args[0]?.toString(), args[1]];
    if (this.context.password === undefined && args.length === 1) {
      return errorReply(
        'ERR AUTH <password> called without any password configured for the default user. ' +
          'Are you sure your configuration is correct?',
      );
    }
    if (args.length > 2) return errorReply('ERR syntax error');
    if (!this.credentialsMatch(user, password)) return errorReply(WRONGPASS);
    this.authenticated = true;
    return status('OK');
  }

  private credentialsMatch(user: string | undefined, password: Buffer | undefined): boolean {
    if (user !== this.context.username) return false;
    return this.context.password === undefined || password?.toString() === this.context.password;
  }

  private hello(args: Buffer[]): ServerReply {
    let protocol = this.protocol;
    if (args.length > 0) {
      const requested = parseInteger(args[0] as Buffer);
      if (requested === undefined)
        return errorReply('ERR Protocol version is not an integer or out of range');
      if (requested !== 2 && requested !== 3) return errorReply('NOPROTO unsupported protocol version');
      protocol = requested;
    }
    let credentials: [string, Buffer] | undefined;
    let name: string | undefined;
    for (let i = 1; i < args.length; i++) {
      const option = (args[i] as Buffer).toString().toUpperCase();
      if (option === 'AUTH' && i + 2 < args.length) {
        credentials = [(args[i + 1] as Buffer).toString(), args[i + 2] as Buffer];
        i += 2;
      } else if (option === 'SETNAME' && i + 1 < args.length) {
        name = (args[i + 1] as Buffer).toString();
        i += 1;
      } else {
        return errorReply(`ERR Syntax error in HELLO option '${(args[i] as Buffer).toString()}'`);
      }
    }
    if (credentials !== undefined) {
      if (!this.credentialsMatch(...credentials)) return errorReply(WRONGPASS);
      this.authenticated = true;
    }
    if (!this.authenticated) {
      return errorReply(
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH ' +
          '<user> <pass> option can be used to authenticate the client and select the RESP protocol ' +
          'version at the same time',
      );
    }
    if (name !== undefined) {
      if (!isValidClientName(name)) return invalidClientName();
      this.name = name === '' ? null : name;
    }
    this.protocol = protocol;
    return new Map<string, ServerReply>([
      ['server', 'redis'],
      ['version', this.context.serverVersion],
      ['proto', protocol],
      ['id', this.id],
      ['mode', 'standalone'],
      ['role', 'master'],
      ['modules', []],
    ]);
  }

  private select(arg: Buffer): ServerReply {
    const index = parseInteger(arg);
    if (index === undefined) return errorReply(NOT_AN_INTEGER);
    if (index < 0 || index >= this.context.databases) return errorReply('ERR DB index is out of range');
    this.db = index;
    return status('OK');
  }

  private client(args: Buffer[]): ServerReply {
    const sub = (args[0] as Buffer).toString().toLowerCase();
    const exactly = (words: number): ServerReply | undefined =>
      args.length === words
        ? undefined
        : errorReply(`ERR wrong number of arguments for 'client|${sub}' command`);
    switch (sub) {
      case 'setname': {
        const name = (args[1] ?? Buffer.alloc(0)).toString();
        const arity = exactly(2);
        if (arity !== undefined) return arity;
        if (!isValidClientName(name)) return invalidClientName();
        this.name = name === '' ? null : name;
        return status('OK');
      }
      case 'getname':
        return exactly(1) ?? this.name;
      case 'id':
        return exactly(1) ?? this.id;
      case 'setinfo':
        return exactly(3) ?? status('OK');
      case 'info':
        return exactly(1) ?? `id=${this.id} name=${this.name ?? ''} db=${this.db} resp=${this.protocol}\n`;
      default:
        return errorReply(`ERR unknown subcommand '${sub}'. Try CLIENT HELP.`);
    }
  }
}

function parseInteger(arg: Buffer): number | undefined {
  const text = arg.toString('latin1');
  return /^-?\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** Redis refuses names with spaces, line breaks or anything outside printable ASCII. */
function isValidClientName(name: string): boolean {
  return /^[!-~]*$/.test(name);
}

function invalidClientName(): ServerReply {
  return errorReply('ERR Client names cannot contain spaces, newlines or special characters.');
}
