import type { Client } from '../client';
import { CommandFlags } from '../connection/pending-command';
import type { CommandArg, RespValue } from '../resp/types';
import { keyBytes } from './repair-keys';

/**
 * Copies keys from an in-sync replica (the source) to a stale one (the target), in batches, each
 * batch in three round trips:
 *
 * 1. read: on the source, each key's DUMP, PTTL and digest (one script, so the three agree); on the
 *    target, each key's digest. Both are sent at the same moment, numbered `readSeq` in the shard's
 *    write sequence (repair-engine.ts, ShardWatch).
 * 2. write: on the target, one script that, per key, restores the source's value (RESTORE … REPLACE,
 *    or DEL when the source has none) only if the target's digest is still the one read in step 1.
 *    Just before it is sent, keys written through this Cluster since `readSeq` are left out and
 *    retried: such a write went to the target before this script on the same connection, and to the
 *    source possibly after the read, so the value read may be older than the write.
 * 3. check: the source's digests again. A key whose value changed on the source since step 1 was
 *    written meanwhile, perhaps by another process whose write reached the target first: retried.
 *
 * Writes through this Cluster are exact: every write to the shard is sent on the same connections,
 * so its order against the read and the write is the order they were sent in. See README, "Replica
 * repair", for what remains for writes from other processes.
 */

/** Per key: false, or [DUMP payload, PTTL, sha1 of the payload]. */
const READ_SOURCE = `
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('DUMP', key)
  if value then
    out[i] = {value, redis.call('PTTL', key), redis.sha1hex(value)}
  else
    out[i] = false
  end
end
return out`;

/** Per key: the sha1 of its DUMP payload, or '' when it does not exist. */
const READ_DIGESTS = `
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('DUMP', key)
  out[i] = value and redis.sha1hex(value) or ''
end
return out`;

/**
 * ARGV holds 4 per key: the digest the target must still have, 'R' (restore) or 'D' (delete), the
 * TTL in ms for RESTORE (0: none) and the payload. Per key: 0 changed meanwhile (nothing done),
 * 1 restored, 2 deleted, 3 nothing to delete.
 */
const WRITE_TARGET = `
local out = {}
for i, key in ipairs(KEYS) do
  local b = (i - 1) * 4
  local current = redis.call('DUMP', key)
  local digest = current and redis.sha1hex(current) or ''
  if digest ~= ARGV[b + 1] then
    out[i] = 0
  elseif ARGV[b + 2] == 'R' then
    redis.call('RESTORE', key, ARGV[b + 3], ARGV[b + 4], 'REPLACE')
    out[i] = 1
  elseif current then
    redis.call('DEL', key)
    out[i] = 2
  else
    out[i] = 3
  end
end
return out`;

/** What a batch did; `retry` holds the keys to copy again later. */
export interface CopyResult {
  copied: number;
  deleted: number;
  retry: string[];
}

/** The shard's write sequence: what the copier checks keys against (repair-engine.ts). */
export interface WriteSequence {
  /** Writes sent to the shard so far. */
  readonly seq: number;
  /** Whether a write to `id` was sent after write number `since`. */
  touchedSince(id: string, since: number): boolean;
}

interface SourceEntry {
  payload: Buffer;
  ttl: number;
  digest: string;
}

/**
 * Copies `ids` (keyId form) from `source` to `target`. With `onlyMissing`, only deletes the keys the
 * source does not have (the target-side pass of a full resync: keys the source has were copied by the
 * source-side pass). Throws what a server failure throws; the caller retries the batch.
 */
export async function copyBatch(
  source: Client,
  target: Client,
  ids: readonly string[],
  sequence: WriteSequence,
  onlyMissing = false,
): Promise<CopyResult> {
  const result: CopyResult = { copied: 0, deleted: 0, retry: [] };
  if (ids.length === 0) return result;
  const keys = ids.map(keyBytes);
  const readSeq = sequence.seq;
  const [sourceReply, targetReply] = await Promise.all([
    evalScript(source, onlyMissing ? READ_DIGESTS : READ_SOURCE, keys, []),
    evalScript(target, READ_DIGESTS, keys, []),
  ]);
  const sourceEntries = onlyMissing
    ? digestsOf(sourceReply, ids.length)
    : sourceEntriesOf(sourceReply, ids.length);
  const targetDigests = digestsOf(targetReply, ids.length);

  const writeKeys: Buffer[] = [];
  const writeArgs: CommandArg[] = [];
  const written: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const entry = sourceEntries[i];
    if (onlyMissing && entry !== '') continue;
    if (sequence.touchedSince(ids[i], readSeq)) {
      result.retry.push(ids[i]);
      continue;
    }
    writeKeys.push(keys[i]);
    written.push(i);
    if (typeof entry === 'string' || entry === null) writeArgs.push(targetDigests[i], 'D', 0, '');
    else writeArgs.push(targetDigests[i], 'R', entry.ttl, entry.payload);
  }
  if (writeKeys.length === 0) return result;
  // No await between the touched check above and this send: a write sent later reaches the target after it.
  const outcomes = await evalScript(target, WRITE_TARGET, writeKeys, writeArgs);
  const checks = evalScript(source, READ_DIGESTS, writeKeys, []);
  if (!Array.isArray(outcomes)) throw new Error('repair: unexpected reply to the restore script');
  const after = digestsOf(await checks, writeKeys.length);
  written.forEach((i, n) => {
    const outcome = outcomes[n];
    const entry = sourceEntries[i];
    const before = typeof entry === 'string' ? entry : entry === null ? '' : entry.digest;
    if (outcome === 0 || after[n] !== before) {
      result.retry.push(ids[i]);
      return;
    }
    if (outcome === 1) result.copied++;
    else if (outcome === 2) result.deleted++;
  });
  return result;
}

function evalScript(
  client: Client,
  script: string,
  keys: readonly Buffer[],
  args: readonly CommandArg[],
): Promise<RespValue> {
  return client.sendCommand(['EVAL', script, keys.length, ...keys, ...args], CommandFlags.Buffers);
}

function sourceEntriesOf(reply: RespValue, count: number): (SourceEntry | null)[] {
  if (!Array.isArray(reply) || reply.length !== count)
    throw new Error('repair: unexpected reply to the source read script');
  return reply.map((item) => {
    if (!Array.isArray(item)) return null;
    const [payload, pttl, digest] = item;
    if (!Buffer.isBuffer(payload) || typeof pttl !== 'number')
      throw new Error('repair: unexpected entry in the source read script reply');
    // PTTL -1: no expiry (RESTORE's 0). A key about to expire (0) keeps 1 ms rather than none.
    const ttl = pttl < 0 ? 0 : Math.max(1, pttl);
    return { payload, ttl, digest: text(digest) };
  });
}

function digestsOf(reply: RespValue, count: number): string[] {
  if (!Array.isArray(reply) || reply.length !== count)
    throw new Error('repair: unexpected reply to the digest script');
  return reply.map(text);
}

function text(value: RespValue): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  return typeof value === 'string' ? value : '';
}
