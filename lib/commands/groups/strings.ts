import { defineGroup } from '../define';
import type { RedisKey } from '../api-types';
import { keysArgs, pairsArgs, setArgs, type MsetEntries } from '../arguments';
import * as r from '../replies';
import type { CommandArg } from '../../resp/types';

/** The string commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const strings = defineGroup('string', {
  APPEND: r.raw,
  DECR: r.raw,
  DECRBY: r.raw,
  GET: r.bulk,
  GETDEL: r.raw,
  GETEX: r.raw,
  GETRANGE: r.raw,
  GETSET: r.raw,
  INCR: r.integer,
  INCRBY: r.raw,
  INCRBYFLOAT: r.raw,
  LCS: r.raw,
  MGET: {
    reply: r.nullableStrings,
    build: (...keys: RedisKey[] | [keys: readonly RedisKey[]]) => keysArgs('MGET', keys),
  },
  MSET: {
    reply: r.ok,
    build: (...pairs: [entries: MsetEntries] | CommandArg[]) => pairsArgs(['MSET'], pairs),
  },
  MSETNX: r.raw,
  PSETEX: r.raw,
  SET: {
    reply: r.bulk,
    build: setArgs,
  },
  SETEX: r.raw,
  SETNX: r.raw,
  SETRANGE: r.raw,
  STRLEN: r.raw,
  SUBSTR: r.raw,
});
