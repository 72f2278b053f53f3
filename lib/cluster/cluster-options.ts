import { checkClientOptions, type ClientOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';

/** How many replicas of a shard must acknowledge a write; see {@link ClusterOptions.writeAck}. */
export type WriteAck = 'one' | 'quorum' | 'all';
/** Which replica a read tries first; see {@link ClusterOptions.readFrom}. */
export type ReadFrom = 'ordered' | 'round-robin' | 'fastest';

/** How replicas that missed writes are repaired (DESIGN.md, "Replica repair in Cluster"). */
export interface RepairOptions {
  /**
   * Default true. When false, nothing is detected or repaired: every replica that answers is read, as
   * before repair existed, so one that missed writes can serve stale or nil values.
   */
  enabled?: boolean;
  /** Keys remembered per server as missed writes; one more marks it for a full resync. Default 100,000. */
  maxHints?: number;
  /** Keys copied per second by one server's repair, at most: live traffic keeps priority. Default 20,000. */
  maxKeysPerSecond?: number;
  /** Ms a repairing process holds the lease on a restarted server before it must renew it. Default 10,000. */
  leaseMs?: number;
}

export interface ResolvedRepairOptions {
  enabled: boolean;
  maxHints: number;
  maxKeysPerSecond: number;
  leaseMs: number;
}

/** Options of a {@link Cluster}: its servers, write acknowledgement, read routing, failover and repair. */
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
  /** Repair of replicas that missed writes or restarted; on by default. */
  repair?: RepairOptions;
}

export interface ResolvedClusterOptions {
  writeAck: WriteAck;
  readFrom: ReadFrom;
  /** 0 when hedging is off. */
  hedgeAfter: number;
  downAfter: number;
  probeInterval: number;
  client: ClientOptions;
  repair: ResolvedRepairOptions;
}

export const CLUSTER_DEFAULTS = Object.freeze({
  writeAck: 'one' as WriteAck,
  readFrom: 'ordered' as ReadFrom,
  downAfter: 3,
  probeInterval: 1_000,
  repair: Object.freeze({ enabled: true, maxHints: 100_000, maxKeysPerSecond: 20_000, leaseMs: 10_000 }),
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
  checkClientOptions(client);
  const repair = resolveRepairOptions(options.repair);
  return {
    writeAck,
    readFrom,
    hedgeAfter,
    downAfter,
    probeInterval,
    client: withHiddenPassword(client),
    repair,
  };
}

function resolveRepairOptions(repair: RepairOptions | undefined): ResolvedRepairOptions {
  const defaults = CLUSTER_DEFAULTS.repair;
  if (repair === undefined) return { ...defaults };
  if (typeof repair !== 'object' || repair === null || Array.isArray(repair)) {
    throw new InvalidArgumentError('repair must be an object of RepairOptions');
  }
  const enabled = repair.enabled ?? defaults.enabled;
  if (typeof enabled !== 'boolean')
    throw new InvalidArgumentError(`repair.enabled must be a boolean, not ${show(enabled)}`);
  const positiveInteger = (name: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new InvalidArgumentError(`repair.${name} must be an integer >= 1, not ${show(value)}`);
    }
    return value;
  };
  return {
    enabled,
    maxHints: positiveInteger('maxHints', repair.maxHints ?? defaults.maxHints),
    maxKeysPerSecond: positiveInteger(
      'maxKeysPerSecond',
      repair.maxKeysPerSecond ?? defaults.maxKeysPerSecond,
    ),
    leaseMs: positiveInteger('leaseMs', repair.leaseMs ?? defaults.leaseMs),
  };
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
