import { randomUUID } from 'node:crypto';
import { Script, type Client } from './respline';

/**
 * A sliding-window log: each caller's requests of the last `window` ms, as a sorted set of request ids
 * scored by time. It runs as one script, so checking the count and adding the request are atomic: two
 * concurrent requests can never both take the last slot, which a GET-then-INCR from Node could allow.
 *
 * KEYS[1] the caller's log · ARGV: now (ms), window (ms), limit, a unique id for this request.
 * Returns {allowed (1 or 0), requests in the window, ms until a slot frees (0 when allowed)}.
 */
const SLIDING_WINDOW = new Script(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, count, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, count + 1, 0}
`);

export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** When refused: milliseconds until the oldest request leaves the window. */
  retryAfterMs: number;
}

/**
 * Counts one request of `caller` against `limit` per `windowMs`. The time comes from this process, so
 * every instance of a service sharing one limit needs a synchronised clock (NTP is plenty at these
 * windows). Script.run sends EVALSHA and falls back to EVAL the first time a server has not seen it.
 */
export async function takeRequest(
  client: Client,
  caller: string,
  limit: number,
  windowMs: number,
): Promise<RateLimitDecision> {
  const reply = await SLIDING_WINDOW.run(
    client,
    [`example:ratelimit:${caller}`],
    [Date.now(), windowMs, limit, randomUUID()],
  );
  if (!Array.isArray(reply) || reply.length !== 3)
    throw new Error(`unexpected script reply ${String(reply)}`);
  const [allowed, count, retryAfterMs] = reply.map(Number);
  return { allowed: allowed === 1, remaining: Math.max(0, limit - count), retryAfterMs };
}
