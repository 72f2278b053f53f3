import type { Cluster, ClusterOptions, RepairSummary, ServerHealth, ServerInfo, StaleReason } from '../lib';

/**
 * The cluster settings the demo runs with. Short deadlines, so a hung server is noticed in half a
 * second rather than the default ten; quorum writes, so a write needs 2 of the 3 replicas.
 */
export const DEMO_CLUSTER_OPTIONS = {
  writeAck: 'quorum',
  readFrom: 'ordered',
  downAfter: 3,
  probeInterval: 200,
  client: {
    commandTimeout: 500,
    connectTimeout: 3_000,
    heartbeatInterval: 1_000,
    reconnect: { minDelay: 50, maxDelay: 500 },
  },
} satisfies Omit<ClusterOptions, 'replicas'>;

export type HealthEvent = 'serverDown' | 'serverUp' | 'serverStale' | 'serverRepaired';

/** One health event as it happened. */
export interface Seen {
  readonly event: HealthEvent;
  readonly replica: number;
  readonly shard: number;
  /** performance.now() when it was emitted. */
  readonly at: number;
  /** cluster.health() at that moment: a repair can end before anyone looks. */
  readonly health: readonly ServerHealth[];
  /** serverStale: why it left the read set. */
  readonly reason?: StaleReason;
  /** serverRepaired: what the repair did. */
  readonly summary?: RepairSummary;
}

/** Records the cluster's health events and per-server counts, and waits for one with a time bound. */
export class ClusterWatch {
  private readonly seen: Seen[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly replicaErrors = new Map<string, number>();
  private readonly readies = new Map<string, number>();
  private readonly repairBatches = new Map<string, number>();

  constructor(cluster: Cluster) {
    const record = (event: HealthEvent, server: ServerInfo, extra: Partial<Seen> = {}): void => {
      const { replica, shard } = server;
      this.seen.push({ event, replica, shard, at: performance.now(), health: cluster.health(), ...extra });
      for (const wake of this.waiters) wake();
    };
    cluster.on('serverDown', (server) => record('serverDown', server));
    cluster.on('serverUp', (server) => record('serverUp', server));
    cluster.on('serverStale', (server, reason) => record('serverStale', server, { reason }));
    cluster.on('serverRepaired', (server, summary) => record('serverRepaired', server, { summary }));
    cluster.on('repairProgress', (server) => this.bump(this.repairBatches, server.replica, server.shard));
    cluster.on('replicaError', (_error, detail) =>
      this.bump(this.replicaErrors, detail.replica, detail.shard),
    );
    // Socket errors are expected while a server is away; listening keeps them quiet, health() counts them.
    cluster.on('error', () => undefined);
    for (let replica = 0; replica < cluster.replicaCount; replica++) {
      for (let shard = 0; shard < cluster.shardCount; shard++) {
        cluster.server(replica, shard).on('ready', () => this.bump(this.readies, replica, shard));
      }
    }
  }

  /** replicaError events reported for that server so far. */
  replicaErrorsOf(replica: number, shard: number): number {
    return this.replicaErrors.get(`${replica}/${shard}`) ?? 0;
  }

  /** repairProgress events reported for that server so far. */
  repairBatchesOf(replica: number, shard: number): number {
    return this.repairBatches.get(`${replica}/${shard}`) ?? 0;
  }

  /** Times that server's Client became ready (connected, handshake done) so far. */
  readiesOf(replica: number, shard: number): number {
    return this.readies.get(`${replica}/${shard}`) ?? 0;
  }

  /**
   * Resolves with the performance.now() time of the first `event` for that server at or after `since`,
   * or with undefined once `timeoutMs` has passed without one.
   */
  async waitFor(
    event: HealthEvent,
    replica: number,
    shard: number,
    since: number,
    timeoutMs: number,
  ): Promise<number | undefined> {
    return (await this.waitForEvent(event, replica, shard, since, timeoutMs))?.at;
  }

  /** Like waitFor(), with the whole event: its health() snapshot, reason or summary. */
  waitForEvent(
    event: HealthEvent,
    replica: number,
    shard: number,
    since: number,
    timeoutMs: number,
  ): Promise<Seen | undefined> {
    const find = (): Seen | undefined =>
      this.seen.find((s) => s.event === event && s.replica === replica && s.shard === shard && s.at >= since);
    return new Promise((resolve) => {
      const wake = (): void => {
        const seen = find();
        if (seen === undefined) return;
        finish(seen);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (seen: Seen | undefined): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(seen);
      };
      this.waiters.add(wake);
      wake();
    });
  }

  private bump(counts: Map<string, number>, replica: number, shard: number): void {
    const key = `${replica}/${shard}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}
