import { defineGroup } from '../define';
import * as r from '../replies';

/** The hash commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const hashes = defineGroup('hash', {
  HDEL: r.raw,
  HEXISTS: r.raw,
  HGET: r.raw,
  HGETALL: r.raw,
  HINCRBY: r.raw,
  HINCRBYFLOAT: r.raw,
  HKEYS: r.raw,
  HLEN: r.raw,
  HMGET: r.raw,
  HMSET: r.raw,
  HRANDFIELD: r.raw,
  HSCAN: r.raw,
  HSET: r.raw,
  HSETNX: r.raw,
  HSTRLEN: r.raw,
  HVALS: r.raw,
});
