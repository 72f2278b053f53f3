import { InvalidArgumentError } from '../../errors';
import type { CommandArg } from '../../resp/types';
import type { RedisKey } from '../api-types';
import { isArg, isOptionsObject, pairsArgs, type FieldEntries } from '../arguments';
import { defineGroup } from '../define';
import * as r from '../replies';
import * as s from '../replies-streams';
import { container } from '../container';

/**
 * XADD as Redis spells it (`xadd('s', '*', 'f', 'v')`), or with the fields as one record or Map after
 * the id and any options: `xadd('s', '*', { temp: 21.5 })`, `xadd('s', 'MAXLEN', '~', 1000, '*', fields)`.
 */
function xaddArgs(
  key: RedisKey,
  ...rest: [...idAndOptions: CommandArg[], fields: FieldEntries] | CommandArg[]
): CommandArg[] | InvalidArgumentError {
  const last = rest[rest.length - 1];
  const fields = last instanceof Map || isOptionsObject(last) ? last : undefined;
  const head = fields === undefined ? rest : rest.slice(0, -1);
  const args: CommandArg[] = ['XADD', key];
  for (const arg of head) {
    if (!isArg(arg))
      return new InvalidArgumentError('XADD takes its fields as one record or Map, after the id');
    args.push(arg);
  }
  if (fields === undefined) return args;
  if (head.length === 0)
    return new InvalidArgumentError('XADD needs an id (* for a new one) before its fields');
  return pairsArgs(args, [fields]);
}

/** The stream commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const streams = defineGroup('stream', {
  XACK: r.integer,
  // The new id, or null with NOMKSTREAM on a missing key. A bare bulk string: a Buffer from xaddBuffer.
  XADD: { reply: r.bulk, build: xaddArgs },
  XAUTOCLAIM: s.streamAutoClaim,
  XCLAIM: s.streamClaim,
  XDEL: r.integer,
  XGROUP: container,
  'XGROUP|CREATE': r.ok,
  'XGROUP|CREATECONSUMER': r.integer,
  'XGROUP|DELCONSUMER': r.integer,
  'XGROUP|DESTROY': r.integer,
  'XGROUP|HELP': r.list,
  'XGROUP|SETID': r.ok,
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
  XSETID: r.ok,
  XTRIM: r.integer,
});
