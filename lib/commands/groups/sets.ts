import { cacheable, defineGroup } from '../define';
import * as r from '../replies';

/** The set commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const sets = defineGroup('set', {
  SADD: r.integer,
  SCARD: cacheable(r.integer),
  SDIFF: r.strings,
  SDIFFSTORE: r.integer,
  SINTER: r.strings,
  SINTERCARD: r.integer,
  SINTERSTORE: r.integer,
  SISMEMBER: cacheable(r.integer),
  SMEMBERS: cacheable(r.strings),
  SMISMEMBER: cacheable(r.integers),
  SMOVE: r.integer,
  SPOP: r.poppedFromSet,
  // An array under both protocols, even RESP3: a negative count repeats members.
  SRANDMEMBER: r.popped,
  SREM: r.integer,
  SSCAN: r.scanMembers,
  SUNION: r.strings,
  SUNIONSTORE: r.integer,
});
