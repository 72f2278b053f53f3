import { cacheable, defineGroup } from '../define';
import type { RedisKey } from '../api-types';
import { pairsArgs, type FieldEntries } from '../arguments';
import * as r from '../replies';
import type { CommandArg } from '../../resp/types';

/** The hash commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const hashes = defineGroup('hash', {
  HDEL: r.integer,
  HEXISTS: cacheable(r.integer),
  HGET: cacheable(r.bulk),
  HGETALL: cacheable(r.fieldMap),
  HINCRBY: r.integer,
  // A bulk string under both protocols, kept as text for the reason INCRBYFLOAT is (strings.ts).
  HINCRBYFLOAT: r.text,
  HKEYS: cacheable(r.list),
  HLEN: cacheable(r.integer),
  HMGET: cacheable(r.nullableList),
  HMSET: {
    reply: r.ok,
    build: (key: RedisKey, ...pairs: [entries: FieldEntries] | CommandArg[]) =>
      pairsArgs(['HMSET', key], pairs),
  },
  // WITHVALUES gives [field, value] tuples, not a field map: a negative count repeats fields.
  HRANDFIELD: r.randomFields,
  HSCAN: r.scanFields,
  HSET: {
    reply: r.integer,
    build: (key: RedisKey, ...pairs: [entries: FieldEntries] | CommandArg[]) =>
      pairsArgs(['HSET', key], pairs),
  },
  HSETNX: r.integer,
  HSTRLEN: cacheable(r.integer),
  HVALS: cacheable(r.list),
});
