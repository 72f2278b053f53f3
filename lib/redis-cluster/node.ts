import { performance } from 'node:perf_hooks';
import { Client } from '../client';
import type { ServerState } from '../cluster/events';
import type { ClientOptions } from '../connection/options';
import { CommandFlags } from '../connection/pending-command';
import { addressKey, type NodeAddress } from './topology';

/** What a node of a Redis Cluster is, by the slot map. */
export type NodeRole = 'master' | 'replica';

/** What `nodes()` tells about one node. */
export interface RedisClusterNodeInfo {
  /** redis://host:port (rediss:// with TLS), never with credentials. */
  readonly url: string;
  /** Master or replica. */
  readonly role: NodeRole;
  /** Slot ranges it serves as master, [first, last] inclusive; [] for a replica. */
  readonly slots: readonly (readonly [number, number])[];
  /** Its connection is ready: it can be picked for commands. */
  readonly up: boolean;
}

/**
 * What `health()` tells about one node: the fields of the sharded Cluster's `ServerHealth` that apply
 * to Redis Cluster, with the same meaning, plus its role, its slots and its replication.
 */
export interface RedisClusterNodeHealth {
  /** redis://host:port (rediss:// with TLS), never with credentials. */
  readonly url: string;
  /** Master or replica, by the slot map. */
  readonly role: NodeRole;
  /** Slot ranges it serves as master, [first, last] inclusive; [] for a replica. */
  readonly slots: readonly (readonly [number, number])[];
  /** False while its connection is lost (state 'down'): it is picked for nothing. */
  readonly up: boolean;
  /**
   * 'down': its connection is lost (closed, or replaced after a stall or a missed heartbeat) and not
   * ready again. A master is otherwise 'up'. A replica is 'up' when it may serve reads; 'stale' when its
   * last health check (INFO replication, once a second) found its link to its master down, or it more
   * than 1 MiB of replication stream behind its master, or that check went unanswered for a whole
   * second; 'repairing' while it runs a full resync from its master. A stale or repairing replica serves
   * no reads.
   */
  readonly state: ServerState;
  /** Round trip of its periodic health check (EWMA) in ms; null before the first answer. */
  readonly latencyMs: number | null;
  /** Errors its commands met, besides redirects and error replies. */
  readonly errors: number;
  /** Commands its Client holds: queued, in flight, or timed out with the reply still owed (a health check included). */
  readonly inFlight: number;
  /**
   * A replica: bytes of replication stream its master had and it had not processed, at its last health
   * check (both asked at once); null for a master, and when that check could not compare them.
   */
  readonly lagBytes: number | null;
  /** A replica: its link to its master was up at its last health check; null for a master or before one. */
  readonly masterLinkUp: boolean | null;
}

/**
 * Every node is asked INFO replication this often (one small command, never on a command's path): the
 * latency sample, and for a replica whether it may serve reads. A replica whose link drops is skipped
 * from its next check on, so within this period.
 */
export const HEALTH_CHECK_MS = 1_000;

/**
 * A replica further behind its master than this, in bytes of replication stream, serves no reads. A
 * replica keeping up trails by what is in transit between the two, far less; and 1 MiB is Redis's
 * default repl-backlog-size, the most a replica may trail and still resync partially.
 */
export const MAX_REPLICA_LAG_BYTES = 1024 * 1024;

const INFO_REPLICATION = ['INFO', 'replication'] as const;
/** Safe to resend; meant for the socket it was sent on (a check of another socket is the next one's job). */
const CHECK_FLAGS = CommandFlags.ReadOnly | CommandFlags.SocketBound;
/** Weight of the newest sample in the latency EWMA, as the sharded Cluster's. */
const LATENCY_ALPHA = 0.2;

/** The parts of INFO replication a health check uses. */
export interface ReplicationInfo {
  readonly role: NodeRole;
  /** A replica's master_link_status:up (true for a master). */
  readonly linkUp: boolean;
  /** A replica's master_sync_in_progress:1: a full resync is running. */
  readonly syncing: boolean;
  /** A replica's processed offset (slave_repl_offset), a master's master_repl_offset. */
  readonly offset: number;
  /** The port of a replica's master; null for a master. */
  readonly masterPort: number | null;
}

/** INFO replication's text, as a health check needs it; null when it is not that. */
export function parseReplication(text: string): ReplicationInfo | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const role = fields.get('role');
  if (role === 'master') {
    return {
      role: 'master',
      linkUp: true,
      syncing: false,
      offset: Number(fields.get('master_repl_offset') ?? NaN),
      masterPort: null,
    };
  }
  if (role !== 'slave') return null;
  return {
    role: 'replica',
    linkUp: fields.get('master_link_status') === 'up',
    syncing: fields.get('master_sync_in_progress') === '1',
    offset: Number(fields.get('slave_repl_offset') ?? NaN),
    masterPort: fields.has('master_port') ? Number(fields.get('master_port')) : null,
  };
}

/** What a replica's check says: its state (never 'down': that is the connection's) and its lag. */
export interface ReplicaVerdict {
  readonly state: Exclude<ServerState, 'down'>;
  readonly lagBytes: number | null;
}

/**
 * The lag rule. `own` is the node's INFO replication; `master`, its slot map master's, asked at the same
 * time (null when unknown). A node that says it is a master is fit (it serves what it owns; MOVED covers
 * the rest). A replica running a full resync is 'repairing'; one whose link is down, or that trails a
 * master it replicates from (same port) by more than MAX_REPLICA_LAG_BYTES, is 'stale'. Without the
 * master's offset, the link decides alone.
 */
export function replicaVerdict(
  own: ReplicationInfo,
  master: ReplicationInfo | null,
  masterPort: number,
): ReplicaVerdict {
  if (own.role === 'master') return { state: 'up', lagBytes: null };
  if (own.syncing) return { state: 'repairing', lagBytes: null };
  if (!own.linkUp) return { state: 'stale', lagBytes: null };
  if (master === null || master.role !== 'master' || own.masterPort !== masterPort) {
    return { state: 'up', lagBytes: null };
  }
  if (!Number.isFinite(master.offset) || !Number.isFinite(own.offset)) return { state: 'up', lagBytes: null };
  const lagBytes = Math.max(0, master.offset - own.offset);
  return { state: lagBytes > MAX_REPLICA_LAG_BYTES ? 'stale' : 'up', lagBytes };
}

/** One node: its pipelined Client, what the slot map says of it, and its health checks. */
export class ClusterNode {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly client: Client;
  /** Set through setRole(). */
  role: NodeRole = 'master';
  ranges: readonly (readonly [number, number])[] = [];
  /** Lost its connection and not ready again: not picked for reads, and its slots wait for a refresh. */
  down = false;
  /**
   * A replica its last check found unfit for reads (see RedisClusterNodeHealth.state), or not checked
   * since it became a replica: what the last verdict says, read by every replica read.
   */
  get lagging(): boolean {
    return this.replication !== 'up';
  }

  /** The master of its slots by the slot map, set when a slot owner lists this node as a reader. */
  master: ClusterNode | null = null;
  errors = 0;
  private replication: Exclude<ServerState, 'down'> = 'up';
  private lagBytes: number | null = null;
  private linkUp: boolean | null = null;
  private latencyMs = -1;
  private checkTimer: NodeJS.Timeout | null = null;
  /** A check of this node is out (one at a time: a hung node does not pile them up). */
  private checking = false;
  /** This node asked its master's offset and has no answer yet (one at a time, likewise). */
  private askingMaster = false;
  private checkSeq = 0;
  /** Settled once a check has decided this node's verdict, or failed: see firstVerdict(). */
  private readonly firstCheck: Promise<void>;
  private markChecked: () => void = () => undefined;

  constructor(
    address: NodeAddress,
    tls: boolean,
    options: ClientOptions,
    onLost: (node: ClusterNode) => void,
  ) {
    this.key = addressKey(address);
    this.host = address.host;
    this.port = address.port;
    this.url = `${tls ? 'rediss' : 'redis'}://${this.key}`;
    this.client = new Client(this.url, options);
    this.firstCheck = new Promise<void>((resolve) => {
      this.markChecked = resolve;
    });
    this.client.on('reconnecting', () => {
      if (this.down) return;
      this.down = true;
      onLost(this);
    });
    this.client.on('end', () => {
      if (this.checkTimer !== null) clearInterval(this.checkTimer);
      this.checkTimer = null;
      if (this.down) return;
      this.down = true;
      onLost(this);
    });
    this.client.on('ready', () => {
      this.down = false;
      // A fresh socket is checked at once; until the answer, the last verdict stands.
      if (!this.checking) this.check();
      if (this.checkTimer === null) {
        this.checkTimer = setInterval(() => this.check(), HEALTH_CHECK_MS);
        // Background work: it must not keep a process alive by itself.
        this.checkTimer.unref();
      }
    });
    // Errors reach callers through their commands; a listener keeps the Client from going unheard.
    this.client.on('error', () => {
      this.errors++;
    });
  }

  /**
   * The slot map's word on this node. One that becomes a replica (new to the map, or a demoted master
   * rejoining, perhaps still in its full resync) serves no reads until a check finds it fit.
   */
  setRole(role: NodeRole): void {
    if (role === this.role) return;
    this.role = role;
    if (role !== 'replica') return;
    this.setVerdict({ state: 'stale', lagBytes: null }, null);
    if (!this.down && this.client.status === 'ready' && !this.checking) this.check();
  }

  /** 'down' while the connection is lost; a replica's last check decides the rest. */
  get state(): ServerState {
    if (this.down) return 'down';
    return this.role === 'replica' ? this.replication : 'up';
  }

  info(): RedisClusterNodeInfo {
    return {
      url: this.url,
      role: this.role,
      slots: this.ranges.map(([a, b]) => [a, b] as const),
      up: !this.down,
    };
  }

  health(): RedisClusterNodeHealth {
    const stats = this.client.stats();
    const replica = this.role === 'replica';
    return {
      url: this.url,
      role: this.role,
      slots: this.ranges.map(([a, b]) => [a, b] as const),
      up: !this.down,
      state: this.state,
      latencyMs: this.latencyMs < 0 ? null : this.latencyMs,
      errors: this.errors,
      inFlight: stats.inFlight + stats.queued,
      lagBytes: replica ? this.lagBytes : null,
      masterLinkUp: replica ? this.linkUp : null,
    };
  }

  /**
   * INFO replication on this node and, for a replica, on its master at the same moment, so the two
   * offsets compare. Runs every HEALTH_CHECK_MS and on every 'ready'; never on a command's path.
   */
  private check(): void {
    if (this.checking) {
      // Unanswered for a whole period: its reads would wait as long. The answer brings it back.
      this.setVerdict({ state: 'stale', lagBytes: null }, this.linkUp);
      this.markChecked();
      return;
    }
    if (this.down || this.client.status !== 'ready') return;
    this.checking = true;
    const seq = ++this.checkSeq;
    const master = this.master;
    let theirs: Promise<ReplicationInfo | null> = Promise.resolve(null);
    if (this.role === 'replica' && master !== null && master !== this && !master.down && !this.askingMaster) {
      this.askingMaster = true;
      theirs = master.client.sendCommand([...INFO_REPLICATION], CHECK_FLAGS).then(
        (reply) => {
          this.askingMaster = false;
          return parseReplication(String(reply));
        },
        () => {
          this.askingMaster = false;
          return null;
        },
      );
    }
    const startedAt = performance.now();
    this.client.sendCommand([...INFO_REPLICATION], CHECK_FLAGS).then(
      (reply) => {
        this.checking = false;
        this.sample(performance.now() - startedAt);
        const own = parseReplication(String(reply));
        if (own === null) {
          this.markChecked();
          return;
        }
        if (own.role === 'master' || own.syncing || !own.linkUp) {
          this.setVerdict(replicaVerdict(own, null, 0), own.role === 'master' ? null : own.linkUp);
          this.markChecked();
          return;
        }
        void theirs.then((info) => {
          // A later check has spoken (a hung master answers late, or never).
          if (seq !== this.checkSeq) return;
          this.setVerdict(replicaVerdict(own, info, master?.port ?? 0), true);
          this.markChecked();
        });
      },
      () => {
        // Lost connection or closed client: 'down' says it; the next socket is checked on 'ready'.
        this.checking = false;
        this.markChecked();
      },
    );
  }

  /**
   * Resolves once this node's first check has decided its verdict (answered, failed, or unanswered for a
   * whole period), so that connect() hands out no replica whose master link is already known down.
   */
  firstVerdict(): Promise<void> {
    return this.firstCheck;
  }

  private setVerdict(verdict: ReplicaVerdict, linkUp: boolean | null): void {
    this.replication = verdict.state;
    this.lagBytes = verdict.lagBytes;
    this.linkUp = linkUp;
  }

  private sample(ms: number): void {
    this.latencyMs = this.latencyMs < 0 ? ms : this.latencyMs + LATENCY_ALPHA * (ms - this.latencyMs);
  }
}
