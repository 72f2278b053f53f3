import type { CommandArg } from '../resp/types';
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
  /**
   * ANDed into a read's flags. With repair on, it clears ReadOnly: a Client resends a read-only
   * command once on its next connection by itself, which would bypass the run_id check (the server may
   * have restarted empty) and the hint logs (it may have missed the write the connection lost); the
   * read fails over through the cluster instead.
   */
  readonly readFlagMask: number;
  /** A failure or disagreement no caller's promise carries; counted against `node` and emitted. */
  reportReplicaError(error: Error, node: ServerNode, command: string, kind: ReplicaErrorDetail['kind']): void;
  /**
   * Writes that another replica of the shard answered failed on `node`, timed out there, or were never
   * sent to it: their keys go into its hint log, and it leaves the read set until repaired.
   */
  missedWrite(node: ServerNode, commands: readonly (readonly CommandArg[])[]): void;
  /** A write sent to `node` before its run_id was checked on its current connection (see RepairEngine). */
  unverifiedWrite(node: ServerNode, commands: readonly (readonly CommandArg[])[]): void;
  /** No in-sync replica of the shard could take a read, so the stale `node` serves it. */
  reportStaleRead(node: ServerNode, command: string): void;
}
