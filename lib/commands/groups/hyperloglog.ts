import { defineGroup } from '../define';
import * as r from '../replies';

/** The hyperloglog commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const hyperloglog = defineGroup('hyperloglog', {
  PFADD: r.integer,
  PFCOUNT: r.integer,
  // An internal debugging command whose reply depends on its subcommand.
  PFDEBUG: r.raw,
  PFMERGE: r.ok,
  PFSELFTEST: r.ok,
});
