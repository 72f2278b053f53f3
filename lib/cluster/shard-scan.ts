import { parsePage, sendPage, type ScanPlan, type ScanRequest } from '../client/scan';
import { ConnectionClosedError, ConnectionError, InvalidArgumentError, ReplicationError } from '../errors';
import type { ReplicaOutcome } from '../errors';
import { asError, describeOutcomes, Rejection } from './outcome-kind';
import type { RouteContext } from './route-context';
import { shardOf } from './routing';
import type { ServerNode } from './server-node';
import type { ShardReplicas } from './shard-replicas';

/**
 * Scans on a Cluster. A cursor is only valid on the server process that gave it (each has its own hash
 * seed), so a shard is scanned on one replica, chosen as a read is (up and connected first). When that
 * replica fails mid-scan — an error other than an error reply, or its connection lost or replaced —
 * the shard's scan starts over on another replica, or on the same one after a reconnect, and skips
 * what it already yielded. To do that it remembers every item yielded from the shard until the shard is
 * done: memory bounded by the shard's size, one shard at a time. The same memory makes each item
 * come once per shard even where SCAN itself would repeat it.
 */

/** SCAN over every shard, one after the other. */
export async function* scanEveryShard<T>(
  context: RouteContext,
  shards: readonly ShardReplicas[],
  request: ScanRequest<T>,
): AsyncGenerator<T, void, undefined> {
  if (request instanceof InvalidArgumentError) throw request;
  for (const replicas of shards) yield* scanShard(context, replicas, request);
}

/** HSCAN, SSCAN or ZSCAN of the key in `request.head[1]`, on its shard. */
export async function* scanKeyShard<T>(
  context: RouteContext,
  shards: readonly ShardReplicas[],
  request: ScanRequest<T>,
): AsyncGenerator<T, void, undefined> {
  if (request instanceof InvalidArgumentError) throw request;
  const key = request.head[1];
  const shard = shardOf(typeof key === 'number' ? String(key) : key, shards.length);
  yield* scanShard(context, shards[shard], request);
}

async function* scanShard<T>(
  context: RouteContext,
  replicas: ShardReplicas,
  plan: ScanPlan<T>,
): AsyncGenerator<T, void, undefined> {
  const yielded = new Set<string>();
  const failures: ReplicaOutcome[] = [];
  const origin = replicas.origin();
  let failed = 0;
  for (;;) {
    if (context.closed) throw new ConnectionClosedError('the cluster is closed');
    const index = replicas.next(failed, origin);
    if (index < 0) {
      throw new ReplicationError(
        `${String(plan.head[0])} of shard ${replicas.shard} failed on every replica: ${describeOutcomes(failures)}`,
        failures,
      );
    }
    const node = replicas.nodes[index];
    const error = yield* scanNode(node, plan, yielded);
    if (error === null) return;
    failed |= 1 << index;
    failures.push({ ...node.info(), ok: false, error });
  }
}

/**
 * The whole scan on one server, skipping what `yielded` holds. Returns null when done, or the failure
 * that should move the scan to another replica; throws what another replica would answer the same.
 */
async function* scanNode<T>(
  node: ServerNode,
  plan: ScanPlan<T>,
  yielded: Set<string>,
): AsyncGenerator<T, Error | null, undefined> {
  const client = node.client;
  let epoch = client.stats().reconnects;
  let cursor = '0';
  for (;;) {
    // Mid-scan, a lost connection ends the cursor anyway: move on now rather than wait for a reconnect.
    if (cursor !== '0' && !node.connected) {
      return new ConnectionError(`${node.url} lost its connection mid-scan`, false);
    }
    const startedAt = node.startTimer();
    let reply;
    try {
      reply = await sendPage(client, plan, cursor);
    } catch (rejection) {
      const error = asError(rejection);
      const kind = node.rejected(error, startedAt);
      if (kind === Rejection.Answer || kind === Rejection.CallerError) throw error;
      return error;
    }
    node.answered(startedAt);
    const page = parsePage(reply);
    const now = client.stats().reconnects;
    if (now !== epoch) {
      epoch = now;
      cursor = '0';
      continue;
    }
    for (const item of plan.read(page.items)) {
      const identity = plan.identity(item);
      if (yielded.has(identity)) continue;
      yielded.add(identity);
      yield item;
    }
    if (page.cursor === '0') return null;
    cursor = page.cursor;
  }
}
