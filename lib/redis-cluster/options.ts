import { DEFAULTS, parseRedisUrl, type ClientOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';

export type RedisClusterReadFrom = 'master' | 'replica' | 'prefer-replica';

export interface RedisClusterOptions {
  /** Any reachable nodes of the cluster; the rest is discovered. */
  seeds: readonly string[];
  /**
   * Where read-only commands go: 'master' (default); 'replica' spreads them over the online replicas of
   * the slot, falling back to the master when none is up; 'prefer-replica' does the same. Replicas get
   * READONLY on every connection, so their reads may lag the master's writes.
   */
  readFrom?: RedisClusterReadFrom;
  /** Options for every node's Client. Credentials and TLS may also come from the first seed's URL. */
  client?: ClientOptions;
  /** The slot map is reloaded this often, in ms, besides on MOVED and on a node's loss. 0 turns it off. */
  refreshInterval?: number;
  /** Most MOVED/ASK/TRYAGAIN/CLUSTERDOWN a command follows before it fails. */
  maxRedirects?: number;
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
  const refreshInterval = options.refreshInterval ?? 30_000;
  if (!Number.isFinite(refreshInterval) || refreshInterval < 0) {
    throw new InvalidArgumentError('refreshInterval must be a non-negative number of ms');
  }
  const maxRedirects = options.maxRedirects ?? 16;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 1) {
    throw new InvalidArgumentError('maxRedirects must be a positive integer');
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
  };
}
