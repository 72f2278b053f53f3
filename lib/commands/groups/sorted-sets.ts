import { cacheable, defineGroup } from '../define';
import { zaddArgs } from '../arguments';
import * as r from '../replies';

/** The sorted-set commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const sortedSets = defineGroup('sorted-set', {
  BZMPOP: r.keyedScoredMembers,
  BZPOPMAX: r.keyedScoredMember,
  BZPOPMIN: r.keyedScoredMember,
  // An integer, or with INCR the new score (nil when NX/XX/GT/LT stopped it).
  ZADD: { reply: r.nullableScore, build: zaddArgs },
  ZCARD: cacheable(r.integer),
  ZCOUNT: cacheable(r.integer),
  ZDIFF: r.combinedMembers,
  ZDIFFSTORE: r.integer,
  ZINCRBY: r.score,
  ZINTER: r.combinedMembers,
  ZINTERCARD: r.integer,
  ZINTERSTORE: r.integer,
  ZLEXCOUNT: r.integer,
  ZMPOP: r.keyedScoredMembers,
  ZMSCORE: cacheable(r.nullableScores),
  ZPOPMAX: r.scoredMembers,
  ZPOPMIN: r.scoredMembers,
  ZRANDMEMBER: r.randomMembers,
  ZRANGE: cacheable(r.rangeMembers),
  ZRANGEBYLEX: r.list,
  ZRANGEBYSCORE: r.rangeMembers,
  ZRANGESTORE: r.integer,
  ZRANK: cacheable(r.rank),
  ZREM: r.integer,
  ZREMRANGEBYLEX: r.integer,
  ZREMRANGEBYRANK: r.integer,
  ZREMRANGEBYSCORE: r.integer,
  ZREVRANGE: r.rangeMembers,
  ZREVRANGEBYLEX: r.list,
  ZREVRANGEBYSCORE: r.rangeMembers,
  ZREVRANK: cacheable(r.rank),
  ZSCAN: r.scanScored,
  ZSCORE: cacheable(r.nullableScore),
  ZUNION: r.combinedMembers,
  ZUNIONSTORE: r.integer,
});
