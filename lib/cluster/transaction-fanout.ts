import type { BatchCommand } from '../client/batch';
import { CommandFlags } from '../connection/pending-command';
import { ConnectionError, ReplicationError, ReplyError, type ReplicaOutcome } from '../errors';
import type { RespValue } from '../resp/types';
import { asError, describeOutcomes, Rejection, sameReply } from './outcome-kind';
import type { RouteContext } from './route-context';
import { acknowledged, inSyncMaskOf, notInSync, refusalReason, unacknowledgeable } from './ack-rule';
import type { ShardReplicas } from './shard-replicas';

/**
 * Runs one MULTI … EXEC batch on every replica of a shard, as a write fans out. Resolves with the first
 * replica's EXEC slots once `requiredAcks` replicas ran it, one of them in sync when it went out;
 * rejects with ReplicationError once too many failed for that, or every in-sync one did. A refusal that is the transaction's own (EXECABORT, a WRONGTYPE…) is an answer: if the first
 * answer is one, the caller gets it, as from a single Client. Later failures and disagreements go to
 * `replicaError`, as a write's do.
 */
export function sendTransactionToShard(
  context: RouteContext,
  replicas: ShardReplicas,
  commands: readonly BatchCommand[],
): Promise<RespValue[]> {
  return new Promise((resolve, reject) => {
    const nodes = replicas.nodes;
    const outcomes: ReplicaOutcome[] = nodes.map((node) => ({ ...node.info(), ok: false }));
    let answers = 0;
    let failures = 0;
    let settled = false;
    let reference: RespValue[] | ReplyError | null = null;
    let referenceIndex = -1;
    // As for a write (write-fanout.ts): only a replica in sync when it went out acknowledges it
    // (ack-rule.ts), the caller's replies come from one, and replicas that failed once another answered
    // get the keys in their hint log.
    const argsList = commands.map((command) => command.args);
    const inSyncMask = inSyncMaskOf(nodes);
    const why = (tooManyFailed: boolean): string =>
      refusalReason(replicas.shard, inSyncMask, tooManyFailed, context.requiredAcks, nodes.length, failures);
    if (inSyncMask === 0) {
      const refused = nodes.map((node) => ({ ...node.info(), ok: false, error: notInSync(node) }));
      reject(new ReplicationError(`EXEC ${why(false)}: ${describeOutcomes(refused)}`, refused));
      return;
    }
    replicas.watch?.wrote(argsList);
    let settledMask = 0;
    let answeredMask = 0;
    let hintedMask = 0;
    nodes.forEach((node) => {
      if (node.unverified) context.unverifiedWrite(node, argsList);
    });
    const acknowledgeable = (): boolean => acknowledged(inSyncMask, answeredMask);
    const lostEveryInSync = (): boolean => unacknowledgeable(inSyncMask, settledMask, answeredMask);
    const hintFailures = (): void => {
      outcomes.forEach((outcome, i) => {
        if (
          outcome.error !== undefined &&
          !(outcome.error instanceof ReplyError) &&
          (hintedMask & (1 << i)) === 0
        ) {
          hintedMask |= 1 << i;
          context.missedWrite(nodes[i], argsList);
        }
      });
    };
    const resolveNow = (): void => {
      settled = true;
      if (reference instanceof ReplyError) reject(reference);
      else resolve(reference as RespValue[]);
      // Replicas that failed before the caller heard of success would otherwise go unmentioned.
      outcomes.forEach((outcome, i) => {
        if (outcome.error !== undefined && !(outcome.error instanceof ReplyError))
          context.reportReplicaError(outcome.error, nodes[i], 'EXEC', 'failure');
      });
    };

    const rejectNow = (): void => {
      settled = true;
      const tooManyFailed = failures > nodes.length - context.requiredAcks;
      reject(new ReplicationError(`EXEC ${why(tooManyFailed)}: ${describeOutcomes(outcomes)}`, outcomes));
    };
    const closes = replicas.closes;
    const settledLate = (): void => {
      if (replicas.closes !== closes) for (const args of argsList) replicas.settledLate(args);
    };
    const failed = (index: number, error: Error): void => {
      settledLate();
      failures++;
      settledMask |= 1 << index;
      outcomes[index] = { ...nodes[index].info(), ok: false, error };
      if (answers > 0) hintFailures();
      if (settled) context.reportReplicaError(error, nodes[index], 'EXEC', 'failure');
      else if (failures > nodes.length - context.requiredAcks || lostEveryInSync()) rejectNow();
    };
    const answered = (index: number, answer: RespValue[] | ReplyError): void => {
      settledLate();
      answers++;
      settledMask |= 1 << index;
      answeredMask |= 1 << index;
      outcomes[index] =
        answer instanceof ReplyError
          ? { ...nodes[index].info(), ok: false, error: answer }
          : { ...nodes[index].info(), ok: true, reply: answer };
      const inSync = (inSyncMask & (1 << index)) !== 0;
      let agrees = true;
      if (reference === null || (inSync && (inSyncMask & (1 << referenceIndex)) === 0)) {
        reference = answer;
        referenceIndex = index;
      } else if (inSync) {
        agrees = sameReply(answer, reference);
      }
      if (failures > 0 && answers === 1) hintFailures();
      if (!settled && answers >= context.requiredAcks && acknowledgeable()) resolveNow();
      if (!agrees) {
        const error = new ReplicationError(
          `replicas of shard ${replicas.shard} disagree on EXEC: replica ${nodes[referenceIndex].replica} and ` +
            `replica ${nodes[index].replica} answered differently`,
          [outcomes[referenceIndex], outcomes[index]],
        );
        context.reportReplicaError(error, nodes[index], 'EXEC', 'mismatch');
      }
    };

    nodes.forEach((node, index) => {
      if (!node.reachable) {
        failed(index, new ConnectionError(`not sent: ${node.url} is marked down and not connected`, false));
        return;
      }
      const startedAt = node.startTimer();
      // Checked on this socket (repair on): not carried to the next one, as with single writes.
      const flags = node.verified ? CommandFlags.SocketBound : CommandFlags.None;
      node.client.sendTransaction(commands, flags).then(
        (slots) => {
          node.answered(startedAt);
          answered(index, slots);
        },
        (rejection: unknown) => {
          const error = asError(rejection);
          const kind = node.rejected(error, startedAt);
          if (kind === Rejection.Answer && error instanceof ReplyError) answered(index, error);
          else if (kind === Rejection.CallerError && !settled) {
            settled = true;
            reject(error);
          } else failed(index, error);
        },
      );
    });
  });
}
