import { ProtocolError, ReplicationError, type ReplicaOutcome } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import { asError } from './outcome-kind';

/** How the per-shard replies of a split command become the caller's reply. */
export const enum Merge {
  /** MGET: values placed back in the caller's key order. */
  Reassemble,
  /** DEL, UNLINK, EXISTS, TOUCH: counts added up. */
  Sum,
  /** MSET: 'OK' once every shard said so. */
  Ok,
}

/** Commands whose keys may span shards: split per shard, one command each, then merged. */
export const SPLITTABLE: ReadonlyMap<string, Merge> = new Map([
  ['MGET', Merge.Reassemble],
  ['DEL', Merge.Sum],
  ['UNLINK', Merge.Sum],
  ['EXISTS', Merge.Sum],
  ['TOUCH', Merge.Sum],
  ['MSET', Merge.Ok],
]);

/** One shard's share of a split command. */
export interface ShardPart {
  readonly shard: number;
  /** The command name, then this shard's keys (each with its value, for MSET) in the caller's order. */
  readonly args: CommandArg[];
  /** For each key in `args`, its index among the caller's keys. */
  readonly keyIndexes: number[];
}

/**
 * Groups the keys of `args` (keys from index 1, each followed by `step - 1` values) by `shards[k]`, the
 * shard of the k-th key. Parts come in the order their shard first appears.
 */
export function splitByShard(
  args: readonly CommandArg[],
  step: number,
  shards: readonly number[],
): ShardPart[] {
  const parts: ShardPart[] = [];
  const byShard = new Map<number, ShardPart>();
  for (let k = 0; k < shards.length; k++) {
    const shard = shards[k];
    let part = byShard.get(shard);
    if (part === undefined) {
      part = { shard, args: [args[0]], keyIndexes: [] };
      byShard.set(shard, part);
      parts.push(part);
    }
    const at = 1 + k * step;
    for (let j = 0; j < step; j++) part.args.push(args[at + j]);
    part.keyIndexes.push(k);
  }
  return parts;
}

/**
 * Waits for every shard's part, then merges. Waiting for all (each part is bounded by commandTimeout)
 * means the caller hears about every failed shard at once, and no shard's failure is dropped.
 *
 * When parts fail: if all failures are ReplicationErrors, one ReplicationError lists every failed
 * shard's outcomes; otherwise the first other error (a bad argument, a closed cluster, an error
 * reply) is the answer, as it would be from a single server.
 */
export function gatherParts(
  name: string,
  parts: readonly ShardPart[],
  pending: readonly Promise<RespValue>[],
  merge: Merge,
  keyCount: number,
): Promise<RespValue> {
  return new Promise<RespValue>((resolve, reject) => {
    const replies = new Array<RespValue>(parts.length);
    const errors = new Array<Error | undefined>(parts.length);
    let remaining = parts.length;
    let failed = false;
    const finish = (): void => {
      if (--remaining > 0) return;
      if (failed) reject(mergeFailures(name, parts, errors));
      else {
        try {
          resolve(mergeReplies(name, parts, replies, merge, keyCount));
        } catch (error) {
          reject(asError(error));
        }
      }
    };
    pending.forEach((promise, i) => {
      promise.then(
        (reply) => {
          replies[i] = reply;
          finish();
        },
        (error: unknown) => {
          errors[i] = asError(error);
          failed = true;
          finish();
        },
      );
    });
  });
}

function mergeReplies(
  name: string,
  parts: readonly ShardPart[],
  replies: RespValue[],
  merge: Merge,
  keyCount: number,
): RespValue {
  if (merge === Merge.Ok) return 'OK';
  if (merge === Merge.Sum) {
    let total = 0;
    replies.forEach((reply, i) => {
      if (typeof reply !== 'number') throw unexpected(name, parts[i].shard, 'an integer', reply);
      total += reply;
    });
    return total;
  }
  const values = new Array<RespValue>(keyCount);
  replies.forEach((reply, i) => {
    const { keyIndexes, shard } = parts[i];
    if (!Array.isArray(reply) || reply.length !== keyIndexes.length) {
      throw unexpected(name, shard, `an array of ${keyIndexes.length}`, reply);
    }
    for (let j = 0; j < keyIndexes.length; j++) values[keyIndexes[j]] = reply[j];
  });
  return values;
}

function mergeFailures(name: string, parts: readonly ShardPart[], errors: (Error | undefined)[]): Error {
  const other = errors.find((error) => error !== undefined && !(error instanceof ReplicationError));
  if (other !== undefined) return other;
  const failedShards: number[] = [];
  const outcomes: ReplicaOutcome[] = [];
  errors.forEach((error, i) => {
    if (error === undefined) return;
    failedShards.push(parts[i].shard);
    outcomes.push(...(error as ReplicationError).outcomes);
  });
  const succeeded = parts.filter((_, i) => errors[i] === undefined).map((part) => part.shard);
  const rest =
    succeeded.length === 0
      ? ''
      : ` (it succeeded on shard${succeeded.length > 1 ? 's' : ''} ${succeeded.join(', ')}: a split command is not atomic)`;
  const reasons = errors.filter((error) => error !== undefined).map((error) => error.message);
  return new ReplicationError(
    `${name} failed on shard${failedShards.length > 1 ? 's' : ''} ${failedShards.join(', ')}${rest}: ${reasons.join(' | ')}`,
    outcomes,
  );
}

function unexpected(name: string, shard: number, wanted: string, reply: RespValue): ProtocolError {
  const got = Array.isArray(reply) ? `an array of ${reply.length}` : typeof reply;
  return new ProtocolError(`${name} on shard ${shard} answered ${got} where ${wanted} was expected`);
}
