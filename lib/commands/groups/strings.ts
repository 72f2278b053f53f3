import { cacheable, defineGroup } from '../define';
import type { RedisKey } from '../api-types';
import { keysArgs, pairsArgs, setArgs, type MsetEntries } from '../arguments';
import * as r from '../replies';
import type { CommandArg } from '../../resp/types';

/** The string commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const strings = defineGroup('string', {
  APPEND: r.integer,
  DECR: r.integer,
  DECRBY: r.integer,
  GET: cacheable(r.bulk),
  GETDEL: r.bulk,
  GETEX: r.bulk,
  GETRANGE: cacheable(r.text),
  GETSET: r.bulk,
  INCR: r.integer,
  INCRBY: r.integer,
  // Redis keeps a long double and answers with its text under both protocols: a JS number would
  // round it (12345678901234567.75 → 12345678901234568), so the exact text is what the caller gets.
  INCRBYFLOAT: r.text,
  LCS: r.lcs,
  MGET: {
    reply: r.nullableList,
    build: (...keys: RedisKey[] | [keys: readonly RedisKey[]]) => keysArgs('MGET', keys),
  },
  MSET: {
    reply: r.ok,
    build: (...pairs: [entries: MsetEntries] | CommandArg[]) => pairsArgs(['MSET'], pairs),
  },
  MSETNX: {
    reply: r.integer,
    build: (...pairs: [entries: MsetEntries] | CommandArg[]) => pairsArgs(['MSETNX'], pairs),
  },
  PSETEX: r.ok,
  SET: {
    reply: r.bulk,
    build: setArgs,
  },
  SETEX: r.ok,
  SETNX: r.integer,
  SETRANGE: r.integer,
  STRLEN: cacheable(r.integer),
  SUBSTR: r.text,
});
