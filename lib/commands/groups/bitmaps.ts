import { defineGroup } from '../define';
import * as r from '../replies';

/** The bitmap commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const bitmaps = defineGroup('bitmap', {
  BITCOUNT: r.raw,
  BITFIELD: r.raw,
  BITFIELD_RO: r.raw,
  BITOP: r.raw,
  BITPOS: r.raw,
  GETBIT: r.raw,
  SETBIT: r.raw,
});
