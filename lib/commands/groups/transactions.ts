import { defineGroup } from '../define';
import * as r from '../replies';

/**
 * The transactions commands: how each reply is shaped. All are refused on the shared pipelined
 * connection; multi() and isolated() send them.
 */
export const transactions = defineGroup('transactions', {
  DISCARD: r.ok,
  // Deliberately raw: the transaction surface shapes each queued command's reply with that command's
  // own transform; EXEC's array as a whole has no shape of its own (nil when a WATCH aborted it).
  EXEC: r.raw,
  MULTI: r.ok,
  UNWATCH: r.ok,
  WATCH: r.ok,
});
