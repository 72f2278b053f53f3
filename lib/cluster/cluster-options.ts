import { resolveOptions, type ClientOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';

export type WriteAck = 'one' | 'quorum' | 'all';
export type ReadFrom = 'ordered' | 'round-robin' | 'fastest';

export interface ClusterOptions {
  /**
   * `replicas[r][s]` is the URL of shard `s` of replica `r`. Every replica holds the whole keyspace,
   * split into the same number of shards. At most 32 replicas.
   */
  replicas: string[][];
  /** Replicas of a shard that must answer a write before it resolves: one, a majority, or all. Default 'one'. */
  writeAck?: WriteAck;
  /**
   * Which replica a read tries first: 'ordered' (replica 0, then 1…), 'round-robin' (rotating per
   * shard), or 'fastest' (lowest recent latency). Servers marked down are tried last. Default 'ordered'.
   */
  readFrom?: ReadFrom;
  /** Ms after which an unanswered read is also sent to the next replica; the first answer wins. Off by default. */
  hedgeAfter?: number;
  /** Consecutive failures (timeouts, lost connections, missed heartbeats) that mark a server down. Default 3. */
  downAfter?: number;
  /** Ms between PING probes of a server marked down. Default 1000. */
  probeInterval?: number;
  /** Options for every server's Client. Set `commandTimeout`: it bounds how long a read waits before failing over. */
  client?: ClientOptions;
}

export interface ResolvedClusterOptions {
  writeAck: WriteAck;
  readFrom: ReadFrom;
  /** 0 when hedging is off. */
  hedgeAfter: number;
  downAfter: number;
  probeInterval: number;
  client: ClientOptions;
}

export const CLUSTER_DEFAULTS = Object.freeze({
  writeAck: 'one' as WriteAck,
  readFrom: 'ordered' as ReadFrom,
  downAfter: 3,
  probeInterval: 1_000,
});

const WRITE_ACKS: readonly string[] = ['one', 'quorum', 'all'];
const READ_FROMS: readonly string[] = ['ordered', 'round-robin', 'fastest'];

/** Checks everything but `replicas` (see topology.ts); throws InvalidArgumentError naming the bad option. */
export function resolveClusterOptions(options: ClusterOptions): ResolvedClusterOptions {
  const writeAck = options.writeAck ?? CLUSTER_DEFAULTS.writeAck;
  if (!WRITE_ACKS.includes(writeAck)) {
    throw new InvalidArgumentError(`writeAck must be 'one', 'quorum' or 'all', not ${show(writeAck)}`);
  }
  const readFrom = options.readFrom ?? CLUSTER_DEFAULTS.readFrom;
  if (!READ_FROMS.includes(readFrom)) {
    throw new InvalidArgumentError(
      `readFrom must be 'ordered', 'round-robin' or 'fastest', not ${show(readFrom)}`,
    );
  }
  const hedgeAfter = options.hedgeAfter ?? 0;
  if (typeof hedgeAfter !== 'number' || !Number.isFinite(hedgeAfter) || hedgeAfter < 0) {
    throw new InvalidArgumentError(
      `hedgeAfter must be a number of ms >= 0 (0 turns it off), not ${show(hedgeAfter)}`,
    );
  }
  const downAfter = options.downAfter ?? CLUSTER_DEFAULTS.downAfter;
  if (typeof downAfter !== 'number' || !Number.isInteger(downAfter) || downAfter < 1) {
    throw new InvalidArgumentError(`downAfter must be an integer >= 1, not ${show(downAfter)}`);
  }
  const probeInterval = options.probeInterval ?? CLUSTER_DEFAULTS.probeInterval;
  if (typeof probeInterval !== 'number' || !Number.isFinite(probeInterval) || probeInterval <= 0) {
    throw new InvalidArgumentError(
      `probeInterval must be a positive number of ms, not ${show(probeInterval)}`,
    );
  }
  const client = options.client ?? {};
  if (typeof client !== 'object' || client === null || Array.isArray(client)) {
    throw new InvalidArgumentError('client must be an object of ClientOptions');
  }
  try {
    resolveOptions(undefined, client);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new InvalidArgumentError(`client options: ${error.message}`);
    throw error;
  }
  return { writeAck, readFrom, hedgeAfter, downAfter, probeInterval, client: withHiddenPassword(client) };
}

/** How many replicas of `replicaCount` must answer a write. */
export function requiredAcks(writeAck: WriteAck, replicaCount: number): number {
  if (writeAck === 'one') return 1;
  if (writeAck === 'all') return replicaCount;
  return Math.floor(replicaCount / 2) + 1;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeof value === 'number' ? String(value) : typeof value;
}

/**
 * A copy of the caller's client options whose password is not enumerable, so walking the Cluster's
 * fields (a debugger, console.dir) never shows it, while every Client still reads it.
 */
function withHiddenPassword(client: ClientOptions): ClientOptions {
  const copy: ClientOptions = { ...client };
  if (copy.password !== undefined) {
    Object.defineProperty(copy, 'password', { value: client.password, enumerable: false });
  }
  return copy;
}
