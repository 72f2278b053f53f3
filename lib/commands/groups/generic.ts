import { CommandFlags } from '../../connection/pending-command';
import { cacheable, defineGroup, type CommandDef } from '../define';
import * as r from '../replies';
import * as g from '../replies-generic';
import { container } from '../container';

/** The generic commands: how each reply is shaped, and friendlier argument forms where there are any. */
const defs = defineGroup('generic', {
  COPY: r.integer,
  DEL: r.integer,
  DUMP: g.dumped,
  EXISTS: cacheable(r.integer),
  EXPIRE: r.integer,
  EXPIREAT: r.integer,
  EXPIRETIME: r.integer,
  KEYS: r.list,
  MIGRATE: g.migrated,
  MOVE: r.integer,
  OBJECT: container,
  'OBJECT|ENCODING': r.bulk,
  'OBJECT|FREQ': r.nullableInteger,
  'OBJECT|HELP': r.list,
  'OBJECT|IDLETIME': r.nullableInteger,
  'OBJECT|REFCOUNT': r.nullableInteger,
  PERSIST: r.integer,
  PEXPIRE: r.integer,
  PEXPIREAT: r.integer,
  PEXPIRETIME: r.integer,
  PTTL: r.integer,
  RANDOMKEY: r.bulk,
  RENAME: r.ok,
  RENAMENX: r.integer,
  RESTORE: r.ok,
  // [cursor, keys] as HSCAN, SSCAN and ZSCAN give theirs: the cursor stays text (it can pass 2^53).
  SCAN: r.scanMembers,
  SORT: g.sorted,
  SORT_RO: r.nullableList,
  TOUCH: r.integer,
  TTL: r.integer,
  TYPE: cacheable(r.status),
  UNLINK: r.integer,
  WAIT: r.integer,
});

/**
 * DUMP's payload is binary, and decoding it as UTF-8 would corrupt it beyond RESTORE's checksum: so
 * `dump` gives a Buffer too, as `dumpBuffer` does.
 */
function alwaysBuffers<T, TB>(def: CommandDef<T, TB>): CommandDef<T, TB> {
  return Object.freeze({ ...def, flags: def.flags | CommandFlags.Buffers });
}

export const generic = { ...defs, DUMP: alwaysBuffers(defs.DUMP) };
