import { redactUrl, resolveOptions, type ClientOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';

/** One server of the topology, validated. */
export interface ServerSpec {
  readonly replica: number;
  readonly shard: number;
  /** As given, credentials included: what the Client connects with. */
  readonly url: string;
  /** With the password hidden: what messages and health() show. */
  readonly safeUrl: string;
}

export interface Topology {
  readonly replicaCount: number;
  readonly shardCount: number;
  /** Replica-major: servers[r * shardCount + s] is replicas[r][s]. */
  readonly servers: readonly ServerSpec[];
}

/** Replica sets are tracked as bits of a 32-bit mask on the read and write paths. */
export const MAX_REPLICAS = 32;

/**
 * Validates `replicas` without opening any socket. Throws InvalidArgumentError for an empty topology,
 * replicas with different shard counts, a bad URL, or one server listed twice.
 *
 * "The same server" means the same host, port and database after the client options apply (a `db` in
 * the client options overrides every URL's). Host names are compared as written: no DNS lookups, so
 * 'localhost' and '127.0.0.1' count as different hosts.
 */
export function parseTopology(replicas: unknown, clientOptions: ClientOptions): Topology {
  if (!Array.isArray(replicas) || replicas.length === 0) {
    throw new InvalidArgumentError(
      'replicas must be a non-empty array of replicas, each an array of shard URLs',
    );
  }
  if (replicas.length > MAX_REPLICAS) {
    throw new InvalidArgumentError(`at most ${MAX_REPLICAS} replicas are supported, got ${replicas.length}`);
  }
  let shardCount = -1;
  replicas.forEach((shards: unknown, replica) => {
    if (!Array.isArray(shards) || shards.length === 0) {
      throw new InvalidArgumentError(`replicas[${replica}] must be a non-empty array of shard URLs`);
    }
    if (shardCount === -1) shardCount = shards.length;
    else if (shards.length !== shardCount) {
      throw new InvalidArgumentError(
        `every replica needs the same number of shards: replicas[0] has ${shardCount}, replicas[${replica}] has ${shards.length}`,
      );
    }
  });

  const servers: ServerSpec[] = [];
  const seen = new Map<string, string>();
  (replicas as unknown[][]).forEach((shards, replica) => {
    shards.forEach((url, shard) => {
      const where = `replicas[${replica}][${shard}]`;
      if (typeof url !== 'string')
        throw new InvalidArgumentError(`${where} must be a redis:// URL string, not ${typeof url}`);
      let identity: string;
      try {
        const resolved = resolveOptions(url, clientOptions);
        identity = `${resolved.host.toLowerCase()}:${resolved.port}/${resolved.db}`;
      } catch (error) {
        if (error instanceof InvalidArgumentError)
          throw new InvalidArgumentError(`${where}: ${error.message}`);
        throw error;
      }
      const first = seen.get(identity);
      if (first !== undefined) {
        throw new InvalidArgumentError(
          `${first} and ${where} are the same server (${identity}): each shard of each replica needs a server of its own`,
        );
      }
      seen.set(identity, where);
      servers.push({ replica, shard, url, safeUrl: redactUrl(url) });
    });
  });
  return { replicaCount: replicas.length, shardCount, servers };
}
