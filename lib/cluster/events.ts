import type { ReplicaOutcome } from '../errors';
import type { RespValue } from '../resp/types';

/** Which server of the topology: `replicas[replica][shard]`, and its URL with any password hidden. */
export interface ServerInfo {
  readonly replica: number;
  readonly shard: number;
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
   */
  readonly kind: 'failure' | 'mismatch';
}

export interface ClusterEvents {
  /** A Client's socket or protocol error, with the server it came from. Emitted only when someone listens. */
  error: (error: Error, server: ServerInfo) => void;
  /** A replica failure or disagreement that the caller's promise did not carry. */
  replicaError: (error: Error, detail: ReplicaErrorDetail) => void;
  /** A server was marked down; `reason` is the failure that tipped it. */
  serverDown: (server: ServerInfo, reason: Error) => void;
  /** A server marked down answered again. */
  serverUp: (server: ServerInfo) => void;
}

/** One entry of `Cluster.health()`. */
export interface ServerHealth extends ServerInfo {
  up: boolean;
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
  readonly reply?: RespValue;
}
