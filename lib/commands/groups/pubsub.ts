import { defineGroup } from '../define';
import * as r from '../replies';
import { container } from '../container';

/** The pubsub commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const pubsub = defineGroup('pubsub', {
  PSUBSCRIBE: r.raw,
  PUBLISH: r.raw,
  PUBSUB: container,
  'PUBSUB|CHANNELS': r.raw,
  'PUBSUB|HELP': r.raw,
  'PUBSUB|NUMPAT': r.raw,
  'PUBSUB|NUMSUB': r.raw,
  'PUBSUB|SHARDCHANNELS': r.raw,
  'PUBSUB|SHARDNUMSUB': r.raw,
  PUNSUBSCRIBE: r.raw,
  SPUBLISH: r.raw,
  SSUBSCRIBE: r.raw,
  SUBSCRIBE: r.raw,
  SUNSUBSCRIBE: r.raw,
  UNSUBSCRIBE: r.raw,
});
