import { defineGroup } from '../define';
import * as r from '../replies';
import * as p from '../replies-plain';
import * as s from '../replies-streams';
import { container } from '../container';

/** The stream commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const streams = defineGroup('stream', {
  XACK: r.integer,
  // The new id, or null with NOMKSTREAM on a missing key. A bare bulk string: a Buffer from xaddBuffer.
  XADD: r.bulk,
  XAUTOCLAIM: s.streamAutoClaim,
  XCLAIM: s.streamClaim,
  XDEL: r.integer,
  XGROUP: container,
  'XGROUP|CREATE': p.ok,
  'XGROUP|CREATECONSUMER': r.integer,
  'XGROUP|DELCONSUMER': r.integer,
  'XGROUP|DESTROY': r.integer,
  'XGROUP|HELP': r.list,
  'XGROUP|SETID': p.ok,
  XINFO: container,
  'XINFO|CONSUMERS': s.streamConsumers,
  'XINFO|GROUPS': s.streamGroups,
  'XINFO|HELP': r.list,
  'XINFO|STREAM': s.streamInfo,
  XLEN: r.integer,
  XPENDING: s.streamPending,
  XRANGE: s.streamEntries,
  XREAD: s.streamRead,
  XREADGROUP: s.streamReadGroup,
  XREVRANGE: s.streamEntries,
  XSETID: p.ok,
  XTRIM: r.integer,
});
