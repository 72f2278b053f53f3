import { defineGroup } from '../define';
import * as r from '../replies';

/** The set commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const sets = defineGroup('set', {
  SADD: r.raw,
  SCARD: r.raw,
  SDIFF: r.raw,
  SDIFFSTORE: r.raw,
  SINTER: r.raw,
  SINTERCARD: r.raw,
  SINTERSTORE: r.raw,
  SISMEMBER: r.raw,
  SMEMBERS: r.raw,
  SMISMEMBER: r.raw,
  SMOVE: r.raw,
  SPOP: r.raw,
  SRANDMEMBER: r.raw,
  SREM: r.raw,
  SSCAN: r.raw,
  SUNION: r.raw,
  SUNIONSTORE: r.raw,
});
