import type { ReplicaOutcome } from '../errors';
import type { RespValue } from '../resp/types';

/** Which server of the topology: `replicas[replica][shard]`, and its URL with any password hidden. */
export interface ServerInfo {
  /** The replica's index in `replicas` (0 is the first list of servers). */
  readonly replica: number;
  /** The shard's index in that list. */
  readonly shard: number;
  /** The server's URL, with any password hidden. */
  readonly url: string;
}

/** What `replicaError` reports about one replica's part in a command. */
export interface ReplicaErrorDetail extends ServerInfo {
  /** The command's name as the caller gave it. */
  readonly command: string;
  /**
   * 'failure': this replica failed (timeout, lost connection…) while the caller got its answer elsewhere,
   * or after the caller's promise had already settled.
   * 'mismatch': this replica answered differently from the answer the caller got; the error is a
   * ReplicationError whose outcomes hold both answers.
   * 'stale': no in-sync replica of the shard could take this read, so a stale one served it (the one
   * with the fewest known missed writes); the value may be older than an acknowledged write.
   */
  readonly kind: 'failure' | 'mismatch' | 'stale';
}

/**
 * 'up': in the read set. 'down': marked down by failures. 'stale': missed writes (or restarted) and
 * waits for repair, out of the read set. 'repairing': being repaired (by this process or, after a
 * restart, by another one holding the lease), out of the read set. Writes reach every state but down.
 */
export type ServerState = 'up' | 'down' | 'stale' | 'repairing';

/** Why a server left the read set. */
export type StaleReason = 'restarted' | 'missed-writes' | 'hint-overflow';

/** How a repair runs: copying the hinted keys, or the whole shard. */
export type RepairMode = 'hints' | 'full';

/** How far a repair has got, reported by `repairProgress` after each batch. */
export interface RepairProgress {
  /** Copying the hinted keys, or the whole shard. */
  readonly mode: RepairMode;
  /** Keys looked at so far (hinted keys, or keys scanned on the source and the target). */
  readonly scanned: number;
  /** Keys restored on the target. */
  readonly copied: number;
  /** Keys deleted on the target: gone on the source. */
  readonly deleted: number;
  /** Keys left to look at; null while a full resync scans (unknown). */
  readonly remaining: number | null;
}

/** A finished repair, reported by `serverRepaired`. */
export interface RepairSummary {
  /** Copying the hinted keys, or the whole shard. */
  readonly mode: RepairMode;
  /** Keys this process copied or deleted (0 when another process did the full resync). */
  readonly keys: number;
  /** How long the repair took, in milliseconds. */
  readonly durationMs: number;
  /** The server's run_id the repair brought up to date. */
  readonly runId: string | null;
  /** True when another process held the lease and did the full resync; this one waited for its marker. */
  readonly byPeer: boolean;
}

/** The events of a {@link Cluster}, for `on`, `once` and `off`. */
export interface ClusterEvents {
  /** A Client's socket or protocol error, with the server it came from. Emitted only when someone listens. */
  error: (error: Error, server: ServerInfo) => void;
  /** A replica failure or disagreement that the caller's promise did not carry. */
  replicaError: (error: Error, detail: ReplicaErrorDetail) => void;
  /** A server was marked down; `reason` is the failure that tipped it. */
  serverDown: (server: ServerInfo, reason: Error) => void;
  /** A server marked down answered again. */
  serverUp: (server: ServerInfo) => void;
  /** A server left the read set: it missed writes, its hint log overflowed, or it restarted. */
  serverStale: (server: ServerInfo, reason: StaleReason) => void;
  /** A repair copied a batch of keys. */
  repairProgress: (server: ServerInfo, progress: RepairProgress) => void;
  /** A server is repaired and back in the read set. */
  serverRepaired: (server: ServerInfo, summary: RepairSummary) => void;
}

/** One entry of `Cluster.health()`. */
export interface ServerHealth extends ServerInfo {
  /** False while the server is marked down. */
  up: boolean;
  /** Whether reads go here: 'up' only; see ServerState. */
  state: ServerState;
  /** The server's run_id as last read (INFO server, on every connect); null before the first. */
  runId: string | null;
  /** Keys it missed and that are not repaired yet; -1 when it needs a full resync. */
  missedWrites: number;
  /** Recent round-trip latency (EWMA) in ms; null before the first answer. */
  latencyMs: number | null;
  /** Failures counted against this server: timeouts, lost connections, and replica errors reported for it. */
  errors: number;
  /** Failures since its last answer; the server goes down when this reaches `downAfter`. */
  consecutiveFailures: number;
  /** Commands its Client holds: queued, in flight, or timed out with the reply still owed. */
  inFlight: number;
}

/** One server's result in `each()`: the reply (`ok`), or the error, including error replies. */
export interface ServerOutcome extends ReplicaOutcome {
  /** The reply, when `ok`. */
  readonly reply?: RespValue;
}
