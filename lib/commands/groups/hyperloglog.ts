import { defineGroup } from '../define';
import * as r from '../replies';

/** The hyperloglog commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const hyperloglog = defineGroup('hyperloglog', {
  PFADD: r.raw,
  PFCOUNT: r.raw,
  PFDEBUG: r.raw,
  PFMERGE: r.raw,
  PFSELFTEST: r.raw,
});
