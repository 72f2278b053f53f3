import { defineGroup } from '../define';
import * as r from '../replies';

/** The transactions commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const transactions = defineGroup('transactions', {
  DISCARD: r.raw,
  EXEC: r.raw,
  MULTI: r.raw,
  UNWATCH: r.raw,
  WATCH: r.raw,
});
