import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { CommandApi, flagsOf } from './commands/api';
import type { Transform } from './commands/reply';
import { Connection, type ConnectionStats, type ReconnectingInfo } from './connection/connection';
import { resolveOptions, type ClientOptions } from './connection/options';
import type { CommandFlags } from './connection/pending-command';
import { InvalidArgumentError } from './errors';
import { Pipeline } from './pipeline';
import type { CommandArg, RespValue } from './resp/types';

export interface ClientEvents {
  /** The handshake finished; queued commands are going out. Fires again after every reconnect. */
  ready: () => void;
  /** A socket or protocol failure. Emitted only when someone listens, so it never crashes a process. */
  error: (error: Error) => void;
  reconnecting: (info: ReconnectingInfo) => void;
  /** A socket closed. */
  close: () => void;
  /** The client is finished for good: quit(), disconnect(), or reconnecting gave up. */
  end: () => void;
  /** A RESP3 push frame (pub/sub message, invalidation, …). */
  push: (message: RespValue[]) => void;
}

export type ClientStats = ConnectionStats;

/** The command API over one pipelined connection to one server. */
export class Client extends CommandApi<'promise'> {
  private readonly connection: Connection;
  private readonly events = new EventEmitter();

  constructor(url?: string | ClientOptions, options?: ClientOptions) {
    super();
    if (url !== undefined && typeof url !== 'string' && (typeof url !== 'object' || url === null)) {
      throw new InvalidArgumentError('Client takes a redis:// URL, options, or both');
    }
    const resolved = typeof url === 'string' ? resolveOptions(url, options) : resolveOptions(undefined, url);
    this.connection = new Connection(resolved, {
      onReady: () => this.events.emit('ready'),
      onError: (error) => {
        if (this.events.listenerCount('error') > 0) this.events.emit('error', error);
      },
      onReconnecting: (info) => this.events.emit('reconnecting', info),
      onClose: () => this.events.emit('close'),
      onEnd: () => this.events.emit('end'),
      onPush: (message) => this.events.emit('push', message),
    });
  }

  /** host:port of the server, for messages. Never includes credentials. */
  get address(): string {
    return this.connection.address;
  }

  get status(): ReturnType<Connection['stats']>['state'] {
    return this.connection.status;
  }

  /** What console.log shows: the server and state, never options or credentials. */
  [inspect.custom](): string {
    return `Client { ${this.address}, ${this.status} }`;
  }

  /** Resolves once connected and ready; rejects if this attempt fails (reconnecting goes on). */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Commands recorded now and sent together, in one write, by `exec()`. */
  pipeline(): Pipeline {
    return new Pipeline((args, flags, settle) => {
      if (args instanceof InvalidArgumentError) settle(args);
      else this.connection.sendTo(args, flags, settle, settle);
    });
  }

  stats(): ClientStats {
    return this.connection.stats();
  }

  /** Delivers every reply already owed, then closes. */
  quit(): Promise<void> {
    return this.connection.quit();
  }

  /** Closes now; every pending command rejects with ConnectionClosedError. */
  disconnect(): void {
    this.connection.disconnect();
  }

  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.events.on(event, listener);
    return this;
  }

  once<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.events.once(event, listener);
    return this;
  }

  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Sends a ready-made argument list (name first) with the flags the caller knows for it, as the
   * command methods do: what layers above the Client (clusters, scripts) use instead of `call`.
   */
  sendCommand(
    args: readonly CommandArg[],
    flags: CommandFlags = flagsOf(String(args[0])),
  ): Promise<RespValue> {
    return this.connection.send(args, flags);
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): Promise<unknown> {
    if (args instanceof InvalidArgumentError) return Promise.reject(args);
    const reply = this.connection.send(args, flags);
    return transform === null ? reply : reply.then((value) => transform(value, args));
  }
}
