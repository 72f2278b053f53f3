import { checkBucketCount, jumpConsistentHashHalves } from './jump-hash';
import { routingHalves } from './key-hash';
import type { DigestHalves } from './xxh64-short';

/** Reused for every call: routing is synchronous, and a fresh object per key would be garbage. */
const halves: DigestHalves = { hi: 0, lo: 0 };

/**
 * The shard that owns `key`: jump(xxh64(routed key bytes, seed 0), shards), where the routed bytes are
 * the key's {hash tag} if it has a non-empty one, else the whole key (UTF-8 for strings).
 */
export function shardOf(key: string | Buffer, shards: number): number {
  // Checked before hashing, and worded for shards; the jump hash repeats the (cheap) check.
  checkBucketCount(shards, 'shard count');
  routingHalves(key, halves);
  return jumpConsistentHashHalves(halves.hi, halves.lo, shards);
}
