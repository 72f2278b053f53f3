import { cacheable, defineGroup } from '../define';
import * as r from '../replies';

/** The bitmap commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const bitmaps = defineGroup('bitmap', {
  BITCOUNT: cacheable(r.integer),
  BITFIELD: r.nullableIntegers,
  BITFIELD_RO: r.nullableIntegers,
  BITOP: r.integer,
  BITPOS: r.integer,
  GETBIT: cacheable(r.integer),
  SETBIT: r.integer,
});
