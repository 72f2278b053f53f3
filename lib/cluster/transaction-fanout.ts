import type { BatchCommand } from '../client/batch';
import { ConnectionError, ReplicationError, ReplyError, type ReplicaOutcome } from '../errors';
import type { RespValue } from '../resp/types';
import { asError, describeOutcomes, Rejection, sameReply } from './outcome-kind';
import type { RouteContext } from './route-context';
import type { ShardReplicas } from './shard-replicas';

/**
 * Runs one MULTI … EXEC batch on every replica of a shard, as a write fans out. Resolves with the first
 * replica's EXEC slots once `requiredAcks` replicas ran it; rejects with ReplicationError once too many
 * failed. A refusal that is the transaction's own (EXECABORT, a WRONGTYPE…) is an answer: if the first
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

    const rejectNow = (): void => {
      settled = true;
      reject(
        new ReplicationError(
          `EXEC could not be acknowledged by ${context.requiredAcks} of ${nodes.length} replicas of shard ` +
            `${replicas.shard} (${failures} failed): ${describeOutcomes(outcomes)}`,
          outcomes,
        ),
      );
    };
    const failed = (index: number, error: Error): void => {
      failures++;
      outcomes[index] = { ...nodes[index].info(), ok: false, error };
      if (settled) context.reportReplicaError(error, nodes[index], 'EXEC', 'failure');
      else if (failures > nodes.length - context.requiredAcks) rejectNow();
    };
    const answered = (index: number, answer: RespValue[] | ReplyError): void => {
      answers++;
      outcomes[index] =
        answer instanceof ReplyError
          ? { ...nodes[index].info(), ok: false, error: answer }
          : { ...nodes[index].info(), ok: true, reply: answer };
      const agrees = reference === null || sameReply(answer, reference);
      if (reference === null) {
        reference = answer;
        referenceIndex = index;
      }
      if (!settled && answers >= context.requiredAcks) {
        settled = true;
        if (reference instanceof ReplyError) reject(reference);
        else resolve(reference);
        // Replicas that failed before the caller heard of success would otherwise go unmentioned.
        outcomes.forEach((outcome, i) => {
          if (outcome.error !== undefined && !(outcome.error instanceof ReplyError))
            context.reportReplicaError(outcome.error, nodes[i], 'EXEC', 'failure');
        });
      }
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
      node.client.sendTransaction(commands).then(
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
