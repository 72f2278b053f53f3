import { createHash } from 'node:crypto';
import type { CommandArg } from '../resp/types';

/**
 * Repair's own bookkeeping lives on the servers under this prefix: the lease a process holds while it
 * resyncs a restarted server, and the marker naming the `run_id` whose resync is done. Full resync,
 * `respline verify` and durability checks skip these keys; never use the prefix for data.
 */
export const REPAIR_KEY_PREFIX = '__respline:repair:';

/** Held (SET NX PX) on the server being resynced by the one process doing it. */
export const LEASE_KEY = `${REPAIR_KEY_PREFIX}lease`;
/** Written on the resynced server when its full resync is done: the `run_id` it was done for. */
export const DONE_KEY = `${REPAIR_KEY_PREFIX}done`;

/**
 * Loaded (SCRIPT LOAD) into a server process's script cache once a process knows that server holds its
 * shard: it vouches for the data of that process run. The cache lives in the server's memory only, so a
 * restart clears it, and it adds no key (DBSIZE, SCAN and the user's data are untouched). It is never
 * run; SCRIPT EXISTS of its SHA1 is what is asked.
 */
export const VOUCH_SCRIPT = "return 'respline: this server process holds its shard'";
export const VOUCH_SHA = createHash('sha1').update(VOUCH_SCRIPT).digest('hex');

const PREFIX_BYTES = Buffer.from(REPAIR_KEY_PREFIX, 'latin1');

/**
 * A key as the server sees it, its bytes, in a string usable as a Map key: a string key's UTF-8 bytes
 * read as latin1 (so 'é' and Buffer.from('é') are one key), a Buffer's bytes likewise.
 */
export function keyId(key: CommandArg): string {
  if (typeof key === 'number') return String(key);
  if (typeof key === 'string') {
    // ASCII keys (nearly all) are their own id; checking is cheaper than encoding.
    for (let i = 0; i < key.length; i++)
      if (key.charCodeAt(i) > 0x7f) return Buffer.from(key).toString('latin1');
    return key;
  }
  return key.toString('latin1');
}

/** The key bytes back from an id. */
export function keyBytes(id: string): Buffer {
  return Buffer.from(id, 'latin1');
}

/** Whether a key (as SCAN returns it) is repair bookkeeping rather than data. */
export function isRepairKey(key: Buffer): boolean {
  return key.length >= PREFIX_BYTES.length && key.subarray(0, PREFIX_BYTES.length).equals(PREFIX_BYTES);
}
