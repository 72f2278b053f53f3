import { defineGroup } from '../define';
import * as r from '../replies';
import { container } from '../container';

/** The stream commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const streams = defineGroup('stream', {
  XACK: r.raw,
  XADD: r.raw,
  XAUTOCLAIM: r.raw,
  XCLAIM: r.raw,
  XDEL: r.raw,
  XGROUP: container,
  'XGROUP|CREATE': r.raw,
  'XGROUP|CREATECONSUMER': r.raw,
  'XGROUP|DELCONSUMER': r.raw,
  'XGROUP|DESTROY': r.raw,
  'XGROUP|HELP': r.raw,
  'XGROUP|SETID': r.raw,
  XINFO: container,
  'XINFO|CONSUMERS': r.raw,
  'XINFO|GROUPS': r.raw,
  'XINFO|HELP': r.raw,
  'XINFO|STREAM': r.raw,
  XLEN: r.raw,
  XPENDING: r.raw,
  XRANGE: r.raw,
  XREAD: r.raw,
  XREADGROUP: r.raw,
  XREVRANGE: r.raw,
  XSETID: r.raw,
  XTRIM: r.raw,
});
