import type { HedgeScheduler } from './hedge-scheduler';
import type { ReplicaErrorDetail } from './events';
import type { ServerNode } from './server-node';

/** What the read and write paths need from the cluster that runs them. */
export interface RouteContext {
  /** quit() or disconnect() was called: stop failing over, report the closing error as is. */
  readonly closed: boolean;
  /** Null when hedging is off. */
  readonly hedges: HedgeScheduler | null;
  /** Replicas of a shard that must answer a write. */
  readonly requiredAcks: number;
  /** A failure or disagreement no caller's promise carries; counted against `node` and emitted. */
  reportReplicaError(error: Error, node: ServerNode, command: string, kind: ReplicaErrorDetail['kind']): void;
}
