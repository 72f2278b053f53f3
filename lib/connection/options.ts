import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { InvalidArgumentError } from '../errors';
import { DEFAULT_DECODER_LIMITS, type CommandArg, type DecoderLimits, type RespValue } from '../resp/types';
import { checkOptionNames } from './option-names';

/** How a Client reconnects after losing its connection: exponential backoff with jitter. */
export interface ReconnectOptions {
  /** First delay before reconnecting, in ms. */
  minDelay?: number;
  /** Ceiling of the exponential backoff, in ms. */
  maxDelay?: number;
  /** Attempts after a loss before the client gives up; Infinity by default. */
  maxAttempts?: number;
}

/** The pool of dedicated connections behind `isolated()` (and blocking commands). */
export interface PoolOptions {
  /** Most dedicated connections open at once; past it, a lease waits up to commandTimeout. */
  max?: number;
  /** An unused pooled connection closes after this many ms. 0 keeps it open. */
  idleTimeout?: number;
}

/** Client-side caching (RESP3 only): reads of one key answered from memory, kept true by CLIENT TRACKING. */
export interface CacheOptions {
  /** Most entries kept; the least recently used goes first. */
  maxEntries: number;
  /** Most bytes of keys and values kept, approximately; 64 MiB by default. */
  maxBytes?: number;
  /** An entry older than this many ms is not served; no limit by default. */
  maxAgeMs?: number;
}

export interface ServerAddress {
  host: string;
  port: number;
}

/** Where the server is, asked again before every socket (Sentinel discovery). */
export interface AddressResolver {
  /** Names the server in messages, since its address may change: `"mymaster" (through Sentinel)`. */
  readonly label: string;
  /** A rejection fails the attempt, which is retried with backoff like any other. */
  resolve(): Promise<ServerAddress>;
}

/** A command sent as the handshake's last step, whose reply must qualify the server (ROLE). */
export interface ReadyCheck {
  /** How errors name the step; the arguments are never shown. */
  readonly label: string;
  readonly args: readonly CommandArg[];
  /** Why the reply disqualifies the server, or null. Must not throw. */
  verify(reply: RespValue): Error | null;
}

/** Options of a {@link Client}; a URL's credentials, database and TLS scheme fill what is not given here. */
export interface ClientOptions {
  /** 2 or 3: sends HELLO with that version. Without it, RESP2 and no HELLO. */
  protocol?: 2 | 3;
  /** Sent as CLIENT SETNAME (or in HELLO) on every connection. */
  name?: string;
  /** ACL user for AUTH (or HELLO … AUTH); `default` when only a password is given. */
  username?: string;
  /** Password for AUTH. Never shown in messages, events, stats or inspection. */
  password?: string;
  /** Logical database, sent as SELECT. Overrides the URL's path. */
  db?: number;
  /** Queue time plus flight time allowed to each command, in ms. 0 turns it off. */
  commandTimeout?: number;
  /** Time allowed for TCP, TLS and the handshake together, in ms. */
  connectTimeout?: number;
  /** Silence from the server, while replies are owed, after which the socket is replaced. 0 turns it off. */
  stallTimeout?: number;
  /** While idle, a PING every this many ms; a PING unanswered by the next one replaces the socket. 0 turns it off. */
  heartbeatInterval?: number;
  /** Backoff policy, or false to end the client when its connection is lost. */
  reconnect?: ReconnectOptions | false;
  /** Most commands accepted and not yet answered. */
  maxPending?: number;
  /** Most encoded request bytes accepted and not yet answered. */
  maxPendingBytes?: number;
  /** Hold commands issued while disconnected and send them once ready; false rejects them at once. */
  offlineQueue?: boolean;
  /** Most commands held while disconnected. */
  maxOfflineQueue?: number;
  /** TLS options for node:tls. `true` (or a rediss:// URL) turns TLS on with defaults; verification stays on. */
  tls?: boolean | TlsConnectionOptions;
  /** Limits applied to every reply, against a broken or hostile server. */
  limits?: Partial<DecoderLimits>;
  /** Dedicated connections for isolated(): `{ max: 16, idleTimeout: 30_000 }` by default. */
  pool?: PoolOptions;
  /**
   * Where subscriptions live. 'dedicated' (the default): a connection of their own, opened on first
   * use. 'shared': the shared connection's RESP3 push frames (protocol 3 only), one socket fewer, but
   * every message then passes through the connection that carries every command.
   */
  pubsub?: 'dedicated' | 'shared';
  /**
   * Redis Sentinel URLs (redis://[user:pass@]host[:26379]): the server is the one they name for
   * `masterName`, found again on every reconnect and followed through failovers. No URL is then given.
   */
  sentinels?: string[];
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  masterName?: string;
  /** 'master' (default) or 'replica': a healthy replica the sentinels list, for reads. */
  role?: 'master' | 'replica';
  /** The sentinels' credentials, separate from the data servers' `username` / `password`. */
  sentinelUsername?: string;
  /** Password for the sentinels; never shown, like `password`. */
  sentinelPassword?: string;
  /**
   * Client-side caching of single-key reads, kept true by CLIENT TRACKING invalidations. Needs
   * `protocol: 3`: the invalidations arrive as push frames on the connection the reads use.
   */
  cache?: CacheOptions;
  /**
   * Sends READONLY on every new socket, so a Redis Cluster replica serves reads of its slots. Only
   * for cluster nodes: a server without cluster support refuses it, and connect() fails.
   */
  readOnly?: boolean;
  /**
   * What the `respline:command` TracingChannel publishes of a command's arguments: nothing ('none',
   * the default) or its keys only ('keys'). Values, and anything that is not a key, never.
   */
  tracing?: TracingOptions;
}

/** See `ClientOptions.tracing`. */
export interface TracingOptions {
  /** 'none' (the default): no arguments are published; 'keys': only the command's keys. */
  args?: 'none' | 'keys';
}

export interface ResolvedOptions {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number;
  protocol: 2 | 3 | undefined;
  name: string | undefined;
  commandTimeout: number;
  connectTimeout: number;
  stallTimeout: number;
  heartbeatInterval: number;
  reconnect: Required<ReconnectOptions> | false;
  maxPending: number;
  maxPendingBytes: number;
  offlineQueue: boolean;
  maxOfflineQueue: number;
  tls: TlsConnectionOptions | undefined;
  limits: DecoderLimits;
  pool: Required<PoolOptions>;
  /** Finds the server before every socket, within connectTimeout; when set, `host` and `port` are not used. */
  addressResolver?: AddressResolver;
  /** Sent last in every handshake: a reply it refuses fails the attempt. */
  readyCheck?: ReadyCheck;
  /** Sends CLIENT TRACKING ON on every new socket: the client-side cache needs it. */
  tracking: boolean;
  /**
   * Sends CLIENT ID in every handshake, so the server's id of each socket is known before anything is
   * written on it: Cluster repair kills a lost socket by that id (see Client.identifyConnections).
   */
  identify: boolean;
  readOnly: boolean;
  /** Publish keys on `respline:command` (tracing: { args: 'keys' }). */
  traceKeys: boolean;
}

export const DEFAULTS = Object.freeze({
  commandTimeout: 10_000,
  connectTimeout: 10_000,
  stallTimeout: 15_000,
  heartbeatInterval: 5_000,
  minDelay: 50,
  maxDelay: 2_000,
  maxPending: 1_000_000,
  maxPendingBytes: 256 * 1024 * 1024,
  maxOfflineQueue: 100_000,
  poolMax: 16,
  poolIdleTimeout: 30_000,
});

/**
 * Checks the `client` options a Cluster or RedisCluster gives every server's Client when the cluster is
 * constructed, rather than at its first connection; the error says whose options they are.
 */
export function checkClientOptions(client: ClientOptions): void {
  try {
    resolveOptions(undefined, client);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new InvalidArgumentError(`client options: ${error.message}`);
    throw error;
  }
}

/** Merges a redis:// or rediss:// URL with explicit options; explicit options win. */
export function resolveOptions(url: string | undefined, options: ClientOptions = {}): ResolvedOptions {
  checkOptionNames(options);
  if (url !== undefined && options.sentinels !== undefined) {
    throw new InvalidArgumentError('a Client given sentinels takes no URL: the sentinels name the server');
  }
  const fromUrl = url === undefined ? undefined : parseRedisUrl(url);
  const reconnect =
    options.reconnect === false
      ? false
      : {
          minDelay: nonNegative('reconnect.minDelay', options.reconnect?.minDelay ?? DEFAULTS.minDelay),
          maxDelay: nonNegative('reconnect.maxDelay', options.reconnect?.maxDelay ?? DEFAULTS.maxDelay),
          maxAttempts: nonNegative('reconnect.maxAttempts', options.reconnect?.maxAttempts ?? Infinity),
        };
  if (reconnect && reconnect.maxDelay < reconnect.minDelay) {
    throw new InvalidArgumentError('reconnect.maxDelay must not be below reconnect.minDelay');
  }
  if (options.protocol !== undefined && options.protocol !== 2 && options.protocol !== 3) {
    throw new InvalidArgumentError(`protocol must be 2 or 3, not ${String(options.protocol)}`);
  }
  const db = options.db ?? fromUrl?.db ?? 0;
  if (!Number.isInteger(db) || db < 0) throw new InvalidArgumentError(`db must be a non-negative integer`);
  let tls: TlsConnectionOptions | undefined;
  if (options.tls === true || (options.tls === undefined && fromUrl?.tls === true)) tls = {};
  else if (typeof options.tls === 'object') tls = options.tls;
  const resolved: ResolvedOptions = {
    host: fromUrl?.host ?? '127.0.0.1',
    port: fromUrl?.port ?? 6379,
    username: options.username ?? fromUrl?.username,
    password: undefined,
    db,
    protocol: options.protocol,
    name: options.name,
    commandTimeout: nonNegative('commandTimeout', options.commandTimeout ?? DEFAULTS.commandTimeout),
    connectTimeout: nonNegative('connectTimeout', options.connectTimeout ?? DEFAULTS.connectTimeout),
    stallTimeout: nonNegative('stallTimeout', options.stallTimeout ?? DEFAULTS.stallTimeout),
    heartbeatInterval: nonNegative(
      'heartbeatInterval',
      options.heartbeatInterval ?? DEFAULTS.heartbeatInterval,
    ),
    reconnect,
    maxPending: positive('maxPending', options.maxPending ?? DEFAULTS.maxPending),
    maxPendingBytes: positive('maxPendingBytes', options.maxPendingBytes ?? DEFAULTS.maxPendingBytes),
    offlineQueue: options.offlineQueue ?? true,
    maxOfflineQueue: nonNegative('maxOfflineQueue', options.maxOfflineQueue ?? DEFAULTS.maxOfflineQueue),
    tls,
    limits: { ...DEFAULT_DECODER_LIMITS, ...options.limits },
    pool: {
      max: positiveInteger('pool.max', options.pool?.max ?? DEFAULTS.poolMax),
      idleTimeout: nonNegative('pool.idleTimeout', options.pool?.idleTimeout ?? DEFAULTS.poolIdleTimeout),
    },
    tracking: options.cache !== undefined,
    identify: false,
    readOnly: options.readOnly === true,
    traceKeys: traceKeys(options.tracing),
  };
  // Not enumerable, so logging, inspecting or serialising the options never shows it.
  Object.defineProperty(resolved, 'password', {
    value: options.password ?? fromUrl?.password,
    enumerable: false,
  });
  return resolved;
}

interface ParsedUrl {
  host: string;
  port: number;
  username: string | undefined;
  password: string | undefined;
  db: number | undefined;
  tls: boolean;
}

/** Parses redis://[user[:password]@]host[:port][/db]. Errors show the URL with its password hidden. */
export function parseRedisUrl(url: string): ParsedUrl {
  if (typeof url !== 'string') throw new InvalidArgumentError('the server URL must be a string');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`not a valid URL: ${redactUrl(url)}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidArgumentError(
      `unsupported URL scheme "${parsed.protocol}" in ${redactUrl(url)}: use redis:// or rediss://`,
    );
  }
  if (parsed.hostname === '') throw new InvalidArgumentError(`no host in ${redactUrl(url)}`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  let db: number | undefined;
  if (path !== '') {
    db = Number(path);
    if (!/^\d+$/.test(path))
      throw new InvalidArgumentError(`the database in ${redactUrl(url)} must be a number`);
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    username: parsed.username === '' ? undefined : decodeCredential(parsed.username, url),
    password: parsed.password === '' ? undefined : decodeCredential(parsed.password, url),
    db,
    tls: parsed.protocol === 'rediss:',
  };
}

/** Percent-decodes a URL's username or password; a stray "%" is the caller's mistake, not a crash. */
function decodeCredential(encoded: string, url: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new InvalidArgumentError(
      `the credentials in ${redactUrl(url)} are not valid percent-encoding: write "%" as "%25"`,
    );
  }
}

/**
 * The URL with any credentials' password replaced, safe for messages and logs. Everything up to the
 * last "@" counts as credentials, since a password may itself hold "/" or "@".
 */
export function redactUrl(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i.exec(url);
  if (match === null) return url;
  const [whole, scheme, credentials] = match as unknown as [string, string, string];
  const colon = credentials.indexOf(':');
  const user = colon === -1 ? '' : credentials.slice(0, colon);
  return `${scheme}${user}:***@${url.slice(whole.length)}`;
}

function traceKeys(tracing: TracingOptions | undefined): boolean {
  const args = tracing?.args ?? 'none';
  if (args !== 'none' && args !== 'keys') {
    throw new InvalidArgumentError(`tracing.args must be 'none' or 'keys', got ${String(args)}`);
  }
  return args === 'keys';
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative number`);
  }
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${name} must be a positive integer`);
  return value;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !(value > 0))
    throw new InvalidArgumentError(`${name} must be a positive number`);
  return value;
}
