import { defineGroup } from '../define';
import * as r from '../replies';

/** The list commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const lists = defineGroup('list', {
  BLMOVE: r.raw,
  BLMPOP: r.raw,
  BLPOP: r.raw,
  BRPOP: r.raw,
  BRPOPLPUSH: r.raw,
  LINDEX: r.raw,
  LINSERT: r.raw,
  LLEN: r.raw,
  LMOVE: r.raw,
  LMPOP: r.raw,
  LPOP: r.raw,
  LPOS: r.raw,
  LPUSH: r.raw,
  LPUSHX: r.raw,
  LRANGE: r.raw,
  LREM: r.raw,
  LSET: r.raw,
  LTRIM: r.raw,
  RPOP: r.raw,
  RPOPLPUSH: r.raw,
  RPUSH: r.raw,
  RPUSHX: r.raw,
});
