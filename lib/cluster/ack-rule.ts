import { ConnectionError } from '../errors';
import { Sync, type ServerNode } from './server-node';

/**
 * Who may acknowledge a write (a command or a MULTI … EXEC) fanned out to a shard: only a replica in
 * sync when it went out. Stale replicas' answers alone acknowledge nothing: a repair may overwrite what
 * they hold from a replica that missed it, with nobody the wiser (another process's full resync copies
 * the whole shard; a promotion trusts only what in-sync replicas were sent), and reads, which skip
 * them, would not see it either. Masks are bit per replica index; with repair off every replica is in
 * sync, so the rule is writeAck's count alone.
 */

/** The replicas of `nodes` in sync now, as a bit mask. */
export function inSyncMaskOf(nodes: readonly ServerNode[]): number {
  let mask = 0;
  for (let i = 0; i < nodes.length; i++) if (nodes[i].sync === Sync.InSync) mask |= 1 << i;
  return mask;
}

/** An in-sync replica answered. */
export function acknowledged(inSyncMask: number, answeredMask: number): boolean {
  return (answeredMask & inSyncMask) !== 0;
}

/** Every in-sync replica settled without answering (or none was in sync): no acknowledgement can come. */
export function unacknowledgeable(inSyncMask: number, settledMask: number, answeredMask: number): boolean {
  return (inSyncMask & ~settledMask) === 0 && (inSyncMask & answeredMask) === 0;
}

/**
 * Why a write to `shard` was refused: `inSyncMask` is 0 (it was not sent), too many replicas failed
 * for writeAck (`tooManyFailed`), or only stale replicas answered.
 */
export function refusalReason(
  shard: number,
  inSyncMask: number,
  tooManyFailed: boolean,
  required: number,
  total: number,
  failures: number,
): string {
  if (inSyncMask === 0)
    return (
      `was not sent: no replica of shard ${shard} is in sync (each missed writes or restarted, and ` +
      'awaits repair), and only an in-sync replica can acknowledge a write'
    );
  if (tooManyFailed)
    return `could not be acknowledged by ${required} of ${total} replicas of shard ${shard} (${failures} failed)`;
  return (
    `failed on every in-sync replica of shard ${shard}; only replicas under repair may hold it, and ` +
    'their repair may undo it'
  );
}

/** The outcome of a replica a write was not sent to because no replica of its shard is in sync. */
export function notInSync(node: ServerNode): ConnectionError {
  return new ConnectionError(`not sent: ${node.url} is ${node.state}, not in sync`, false);
}
