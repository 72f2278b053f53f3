import diagnostics from 'node:diagnostics_channel';
import type { CommandArg } from '../resp/types';
import type { ResolvedOptions } from './options';

/**
 * respline's `node:diagnostics_channel` TracingChannels, for APM tools (OpenTelemetry, Datadog,
 * Sentry) to subscribe to instead of patching. Each operation publishes one context object through
 * `start`, `end`, `asyncStart`, `asyncEnd` and, on failure, `error`, as `TracingChannel.tracePromise`
 * does; `error` is set on it when the operation fails. Replies are never published: like arguments,
 * they are the application's data (`result` stays unset).
 *
 * Nothing here ever carries a password: handshake commands (HELLO, AUTH) are not published, no
 * argument is published unless asked for (and then only keys), and addresses are host and port.
 */

/** Where a traced operation went: the server's host and port (a Sentinel-found server: its label). */
export interface ServerTrace {
  /** The host, or the label of a server found through Sentinel: `"mymaster" (through Sentinel)`. */
  serverAddress: string;
  /** The port; undefined for a server found through Sentinel. */
  serverPort: number | undefined;
  /** The logical database (SELECT). */
  database: number;
}

/** The server a connection with these options talks to, as traces name it: never its credentials. */
export function serverTrace(options: ResolvedOptions): ServerTrace {
  const resolver = options.addressResolver;
  return resolver === undefined
    ? { serverAddress: options.host, serverPort: options.port, database: options.db }
    : { serverAddress: resolver.label, serverPort: undefined, database: options.db };
}

/** Published on `respline:command` for each command a Client sends. */
export interface CommandTrace extends ServerTrace {
  /** The command's name as the caller gave it (`GET`, `call('hset', …)` gives `hset`). */
  command: string;
  /**
   * The arguments after the name, sanitised: none with `tracing: { args: 'none' }` (the default),
   * only the keys (by the command table's key positions) with `tracing: { args: 'keys' }`.
   */
  args: CommandArg[];
  /** The error it failed with (set by tracePromise). */
  error?: unknown;
}

/** Published on `respline:batch` for each pipeline or transaction a Client runs. */
export interface BatchTrace extends ServerTrace {
  /** 'pipeline' for `pipeline().exec()`, 'multi' for a MULTI … EXEC transaction. */
  batchMode: 'pipeline' | 'multi';
  /** The number of commands, MULTI and EXEC not counted. */
  batchSize: number;
  /** Their names, in order. */
  commands: string[];
  /** The error the batch failed with as a whole (a transaction's WatchError, an AbortError…). */
  error?: unknown;
}

/** Published on `respline:connect` for each attempt to open and prepare a socket. */
export interface ConnectTrace extends ServerTrace {
  /** 0 for a first connection; then 1, 2, … for each try since the connection was last ready. */
  attempt: number;
  /** Why the attempt failed (set by tracePromise); absent when the socket became ready. */
  error?: unknown;
}

/** The channels' names, for `diagnostics_channel.tracingChannel(name)`. */
export const TRACING_CHANNELS = Object.freeze({
  /** Each command: {@link CommandTrace}. */
  command: 'respline:command',
  /** Each pipeline or transaction: {@link BatchTrace}. */
  batch: 'respline:batch',
  /** Each connect or reconnect attempt: {@link ConnectTrace}. */
  connect: 'respline:connect',
} as const);

export const commandChannel = diagnostics.tracingChannel<unknown, CommandTrace>(TRACING_CHANNELS.command);
export const batchChannel = diagnostics.tracingChannel<unknown, BatchTrace>(TRACING_CHANNELS.batch);
export const connectChannel = diagnostics.tracingChannel<unknown, ConnectTrace>(TRACING_CHANNELS.connect);

/** What the hot path tests before tracing anything: is anyone subscribed to any of the five channels? */
export interface TracedGuard {
  readonly hasSubscribers: boolean;
}

/**
 * The hot path's only test: TracingChannel's own `hasSubscribers` (Node 20.13 and later), true when any
 * of start, end, asyncStart, asyncEnd or error has a subscriber. A tool may subscribe to one of them
 * alone (asyncEnd, error), so `start.hasSubscribers` is not enough. With nobody subscribed it reads
 * five getters that return false: about 1 ns a command.
 */
export const commandTraced: TracedGuard = commandChannel;
export const batchTraced: TracedGuard = batchChannel;
export const connectTraced: TracedGuard = connectChannel;

/** How a connection settles the traced attempt it began. */
export interface AttemptTrace {
  succeeded(): void;
  failed(error: Error): void;
}

/** Traces one connection attempt, which settles through the returned handle. Only call with subscribers. */
export function traceConnect(context: ConnectTrace): AttemptTrace {
  // The executor runs at once, so the handle is set before it is returned.
  let handle!: AttemptTrace;
  const attempt = new Promise<void>((resolve, reject) => {
    handle = { succeeded: resolve, failed: reject };
  });
  // The traced promise rejects with the attempt's error; the connection reports that error itself.
  connectChannel.tracePromise(() => attempt, context).catch(noop);
  return handle;
}

function noop(): void {}
