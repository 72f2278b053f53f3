import { checkClientOptions, DEFAULTS, parseRedisUrl, type ClientOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';

/** Where a RedisCluster sends read-only commands; see {@link RedisClusterOptions.readFrom}. */
export type RedisClusterReadFrom = 'master' | 'replica' | 'prefer-replica';

/** Options of a {@link RedisCluster}: its seeds, routing and refresh, and the options of every node's Client. */
export interface RedisClusterOptions {
  /** Any reachable nodes of the cluster; the rest is discovered. */
  seeds: readonly string[];
  /**
   * Where read-only commands go: 'master' (default); 'replica' spreads them over the online replicas of
   * the slot and never reads from a master: when the slot has no replica up, the read rejects with
   * ConnectionError (`sent: false`); 'prefer-replica' falls back to the master then. Replicas get
   * READONLY on every connection, so their reads may lag the master's writes.
   */
  readFrom?: RedisClusterReadFrom;
  /** Options for every node's Client. Credentials and TLS may also come from the first seed's URL. */
  client?: ClientOptions;
  /** The slot map is reloaded this often, in ms, besides on MOVED and on a node's loss. 0 turns it off. */
  refreshInterval?: number;
  /**
   * Most MOVED/ASK a command follows before it fails with ConnectionError (`sent: false`). TRYAGAIN,
   * CLUSTERDOWN and a slot with no reachable master are waited out with backoff instead, bounded by time:
   * the command's deadline (`client.commandTimeout` from when it was issued), or `retryTimeout`.
   */
  maxRedirects?: number;
  /**
   * Only when `client.commandTimeout` is 0 (off): how long, in ms, a command may go on being redirected
   * and retried, from its first redirect or retry, before it fails with TimeoutError (`sent: false`).
   * Default 30000: longer than a failover under Redis's default cluster-node-timeout (15 s). A resend
   * itself has no timeout then, as commandTimeout says.
   */
  retryTimeout?: number;
}

export interface ResolvedRedisClusterOptions {
  seeds: readonly { host: string; port: number }[];
  readFrom: RedisClusterReadFrom;
  client: ClientOptions;
  tls: boolean;
  refreshInterval: number;
  maxRedirects: number;
  /** The deadline a redirected command keeps (the nodes' commandTimeout); Infinity when off. */
  commandTimeout: number;
  /** The bound of redirects and retries when commandTimeout is off (Infinity). */
  retryTimeout: number;
}

const READ_FROM: readonly RedisClusterReadFrom[] = ['master', 'replica', 'prefer-replica'];

export function resolveRedisClusterOptions(options: RedisClusterOptions): ResolvedRedisClusterOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('RedisCluster takes an options object with `seeds`');
  }
  const { seeds } = options;
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((seed) => typeof seed !== 'string')) {
    throw new InvalidArgumentError('RedisCluster needs `seeds`: at least one redis:// URL');
  }
  const readFrom = options.readFrom ?? 'master';
  if (!READ_FROM.includes(readFrom)) {
    throw new InvalidArgumentError(
      `readFrom must be one of ${READ_FROM.join(', ')}, not ${String(readFrom)}`,
    );
  }
  const client: ClientOptions = { ...(options.client ?? {}) };
  const parsed = seeds.map((seed) => parseRedisUrl(seed));
  const first = parsed[0];
  // Every node shares the first seed's credentials and scheme unless `client` says otherwise.
  client.username ??= first.username;
  client.password ??= first.password;
  if (client.db !== undefined && client.db !== 0) {
    throw new InvalidArgumentError('Redis Cluster has database 0 only: leave `client.db` unset');
  }
  if (parsed.some((seed) => seed.db !== undefined && seed.db !== 0)) {
    throw new InvalidArgumentError('Redis Cluster has database 0 only: seeds must not select a database');
  }
  if (readFrom !== 'master') client.readOnly = true;
  checkClientOptions(client);
  const refreshInterval = options.refreshInterval ?? 30_000;
  if (!Number.isFinite(refreshInterval) || refreshInterval < 0) {
    throw new InvalidArgumentError('refreshInterval must be a non-negative number of ms');
  }
  const maxRedirects = options.maxRedirects ?? 16;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 1) {
    throw new InvalidArgumentError('maxRedirects must be a positive integer');
  }
  const retryTimeout = options.retryTimeout ?? 30_000;
  if (typeof retryTimeout !== 'number' || !Number.isFinite(retryTimeout) || retryTimeout <= 0) {
    throw new InvalidArgumentError(
      'retryTimeout must be a positive number of ms: a retry never waits forever',
    );
  }
  const timeout = client.commandTimeout ?? DEFAULTS.commandTimeout;
  return {
    seeds: parsed.map(({ host, port }) => ({ host, port })),
    readFrom,
    client,
    tls: first.tls,
    refreshInterval,
    maxRedirects,
    commandTimeout: timeout > 0 ? timeout : Infinity,
    retryTimeout,
  };
}
