import { defineGroup } from '../define';
import * as r from '../replies';
import { numberMap } from '../replies-records';
import { container } from '../container';

/**
 * The pubsub commands: how each reply is shaped, and friendlier argument forms where there are any.
 * The SUBSCRIBE family is deliberately raw: it is refused on a pipelined connection, since its
 * confirmations are one reply per channel (RESP2) or pushes (RESP3), never one reply per command; the
 * subscriber surface reads them itself.
 */
export const pubsub = defineGroup('pubsub', {
  PSUBSCRIBE: r.raw,
  PUBLISH: r.integer,
  PUBSUB: container,
  'PUBSUB|CHANNELS': r.list,
  'PUBSUB|HELP': r.list,
  'PUBSUB|NUMPAT': r.integer,
  // Channel → subscribers, prototype-less: a channel named __proto__ is data.
  'PUBSUB|NUMSUB': numberMap,
  'PUBSUB|SHARDCHANNELS': r.list,
  'PUBSUB|SHARDNUMSUB': numberMap,
  PUNSUBSCRIBE: r.raw,
  SPUBLISH: r.integer,
  SSUBSCRIBE: r.raw,
  SUBSCRIBE: r.raw,
  SUNSUBSCRIBE: r.raw,
  UNSUBSCRIBE: r.raw,
});
