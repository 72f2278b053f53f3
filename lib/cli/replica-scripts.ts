import type { Client } from '../client';
import { CommandFlags } from '../connection/pending-command';
import type { CommandArg, RespValue } from '../resp/types';

/**
 * The Lua `verify` runs on each replica, in batches of keys.
 *
 * A key's digest is type-aware rather than a hash of DUMP: two replicas holding the same value can
 * serialize it differently (a hash that grew past the listpack limit and shrank again stays a hash
 * table on one, while a replica that got it from RESTORE or a shorter history holds a listpack).
 * Sets and hashes are hashed without order (XOR of per-member SHA1s, plus the count), so no sort and
 * no locale is involved; lists and sorted sets in their order; streams and module types by DUMP.
 */
const DIGEST = `
local function xorInto(acc, hex)
  for c = 1, 5 do acc[c] = bit.bxor(acc[c], tonumber(string.sub(hex, c * 8 - 7, c * 8), 16)) end
end
local function unordered(items, step)
  local acc = {0, 0, 0, 0, 0}
  for i = 1, #items, step do
    local item = items[i]
    if step == 2 then item = #item .. ':' .. item .. items[i + 1] end
    xorInto(acc, redis.sha1hex(item))
  end
  local out = {tostring(#items / step)}
  for c = 1, 5 do out[c + 1] = bit.tohex(acc[c]) end
  return table.concat(out, ':')
end
local function ordered(items)
  local parts = {}
  for i, item in ipairs(items) do parts[i] = #item .. ':' .. item end
  return table.concat(parts)
end
local function digest(key)
  local kind = redis.call('TYPE', key).ok
  if kind == 'none' then return '' end
  local body
  if kind == 'string' then body = redis.call('GET', key)
  elseif kind == 'list' then body = ordered(redis.call('LRANGE', key, 0, -1))
  elseif kind == 'set' then body = unordered(redis.call('SMEMBERS', key), 1)
  elseif kind == 'zset' then body = ordered(redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'))
  elseif kind == 'hash' then body = unordered(redis.call('HGETALL', key), 2)
  else body = redis.call('DUMP', key) end
  return redis.sha1hex(kind .. '|' .. body)
end
`;

/** Per key: its digest ('' when absent) and PTTL. */
const READ_STATES = `${DIGEST}
local out = {}
for i, key in ipairs(KEYS) do out[i] = {digest(key), redis.call('PTTL', key)} end
return out`;

/** Per key: 1 when it exists. */
const READ_EXISTS = `
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('EXISTS', key) end
return out`;

/** Per key: {DUMP payload, PTTL, digest}, or false when absent; one script so the three agree. */
const READ_SOURCE = `${DIGEST}
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('DUMP', key)
  if value then out[i] = {value, redis.call('PTTL', key), digest(key)} else out[i] = false end
end
return out`;

/**
 * ARGV holds 3 per key: the digest the target must still have ('' = absent), the TTL in ms for
 * RESTORE (-1 = delete the key instead, 0 = no expiry) and the payload. Per key: 1 done, 0 the key
 * changed since it was read (a live write): left alone.
 */
const WRITE_TARGET = `${DIGEST}
local out = {}
for i, key in ipairs(KEYS) do
  local b = (i - 1) * 3
  if digest(key) ~= ARGV[b + 1] then
    out[i] = 0
  else
    local ttl = tonumber(ARGV[b + 2])
    if ttl < 0 then redis.call('DEL', key) else redis.call('RESTORE', key, ttl, ARGV[b + 3], 'REPLACE') end
    out[i] = 1
  end
end
return out`;

/** A key as one replica holds it. */
export interface KeyState {
  /** Type-aware SHA1 of the value; '' when the key does not exist. */
  digest: string;
  /** PTTL: -1 no expiry, -2 absent. */
  pttl: number;
}

export interface SourceValue {
  payload: Buffer;
  pttl: number;
  digest: string;
}

/** The state of each key on one replica. */
export async function readStates(client: Client, keys: readonly Buffer[]): Promise<KeyState[]> {
  const reply = await evalScript(client, READ_STATES, keys, []);
  return arrayOf(reply, keys.length).map((entry) => {
    const [digest, pttl] = arrayOf(entry, 2);
    return { digest: text(digest), pttl: integer(pttl) };
  });
}

/** Whether each key exists on one replica. */
export async function readExists(client: Client, keys: readonly Buffer[]): Promise<boolean[]> {
  const reply = await evalScript(client, READ_EXISTS, keys, []);
  return arrayOf(reply, keys.length).map((entry) => integer(entry) === 1);
}

/** Each key's serialized value on the replica copied from; null where it is absent. */
export async function readSource(client: Client, keys: readonly Buffer[]): Promise<(SourceValue | null)[]> {
  const reply = await evalScript(client, READ_SOURCE, keys, []);
  return arrayOf(reply, keys.length).map((entry) => {
    if (entry === null) return null;
    const [payload, pttl, digest] = arrayOf(entry, 3);
    if (!Buffer.isBuffer(payload)) throw new Error('verify: unexpected DUMP payload in a script reply');
    return { payload, pttl: integer(pttl), digest: text(digest) };
  });
}

/** One key to set on the target: restore `source` (or delete, when null) if it still has `expected`. */
export interface TargetWrite {
  key: Buffer;
  expected: string;
  source: SourceValue | null;
}

/** Applies the writes on one replica; per write, whether it was done (false: the key changed meanwhile). */
export async function writeTarget(client: Client, writes: readonly TargetWrite[]): Promise<boolean[]> {
  const args: CommandArg[] = [];
  for (const { expected, source } of writes) {
    if (source === null) args.push(expected, -1, '');
    // PTTL -1 is no expiry (RESTORE's 0); a key about to expire keeps 1 ms rather than none.
    else args.push(expected, source.pttl < 0 ? 0 : Math.max(1, source.pttl), source.payload);
  }
  const reply = await evalScript(
    client,
    WRITE_TARGET,
    writes.map((write) => write.key),
    args,
  );
  return arrayOf(reply, writes.length).map((entry) => integer(entry) === 1);
}

function evalScript(
  client: Client,
  script: string,
  keys: readonly Buffer[],
  args: readonly CommandArg[],
): Promise<RespValue> {
  return client.sendCommand(['EVAL', script, keys.length, ...keys, ...args], CommandFlags.Buffers);
}

function arrayOf(reply: RespValue, length: number): RespValue[] {
  if (!Array.isArray(reply) || reply.length !== length) {
    throw new Error(`verify: expected an array of ${length} from a script, got ${describe(reply)}`);
  }
  return reply;
}

function integer(value: RespValue): number {
  if (typeof value !== 'number') throw new Error(`verify: expected an integer, got ${describe(value)}`);
  return value;
}

function text(value: RespValue): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value === 'string') return value;
  throw new Error(`verify: expected a string, got ${describe(value)}`);
}

function describe(value: RespValue): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (Buffer.isBuffer(value)) return 'a string';
  return value === null ? 'null' : typeof value;
}
