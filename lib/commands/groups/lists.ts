import { cacheable, defineGroup } from '../define';
import * as r from '../replies';

/** The list commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const lists = defineGroup('list', {
  BLMOVE: r.bulk,
  BLMPOP: r.keyedElements,
  BLPOP: r.keyedElement,
  BRPOP: r.keyedElement,
  BRPOPLPUSH: r.bulk,
  LINDEX: cacheable(r.bulk),
  LINSERT: r.integer,
  LLEN: cacheable(r.integer),
  LMOVE: r.bulk,
  LMPOP: r.keyedElements,
  LPOP: r.popped,
  LPOS: r.positions,
  LPUSH: r.integer,
  LPUSHX: r.integer,
  LRANGE: cacheable(r.list),
  LREM: r.integer,
  LSET: r.ok,
  LTRIM: r.ok,
  RPOP: r.popped,
  RPOPLPUSH: r.bulk,
  RPUSH: r.integer,
  RPUSHX: r.integer,
});
