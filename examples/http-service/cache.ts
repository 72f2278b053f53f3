import type { Client } from './respline';

export interface CacheResult {
  /** The value, from the cache or just loaded; null when the source has nothing under that key. */
  value: string | null;
  /** True when Redis had it: the source was not asked. */
  hit: boolean;
}

/**
 * Cache-aside: read Redis first; on a miss, load from the source and store the result for `ttlSeconds`
 * (SET … EX, one round trip). Misses (null) are not cached, so a product created later shows up at once.
 *
 * A write to the source between our load and our SET can leave the old value in the cache; the TTL is
 * what bounds that staleness, which is why every entry gets one. Writers delete the key (see
 * `invalidate`) so the common case is fresh at once.
 */
export async function cacheAside(
  client: Client,
  key: string,
  ttlSeconds: number,
  load: () => Promise<string | null>,
): Promise<CacheResult> {
  const cached = await client.get(key);
  if (cached !== null) return { value: cached, hit: true };
  const value = await load();
  if (value !== null) await client.set(key, value, { ex: ttlSeconds });
  return { value, hit: false };
}

/** After a write to the source: the next read misses and loads the new value. */
export async function invalidate(client: Client, key: string): Promise<void> {
  await client.del(key);
}
