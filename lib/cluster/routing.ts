import { checkBucketCount, jumpConsistentHashHalves } from './jump-hash';
import { routingDigest } from './key-hash';

/**
 * The shard that owns `key`: jump(xxh64(routed key bytes, seed 0), shards), where the routed bytes are
 * the key's {hash tag} if it has a non-empty one, else the whole key (UTF-8 for strings).
 */
export function shardOf(key: string | Buffer, shards: number): number {
  // Checked before hashing, and worded for shards; the jump hash repeats the (cheap) check.
  checkBucketCount(shards, 'shard count');
  const digest = routingDigest(key);
  return jumpConsistentHashHalves(digest.readUInt32BE(0), digest.readUInt32BE(4), shards);
}
