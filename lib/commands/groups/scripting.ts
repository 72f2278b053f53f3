import { defineGroup } from '../define';
import * as r from '../replies';
import { container } from '../container';

/** The scripting commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const scripting = defineGroup('scripting', {
  EVAL: r.raw,
  EVALSHA: r.raw,
  EVALSHA_RO: r.raw,
  EVAL_RO: r.raw,
  FCALL: r.raw,
  FCALL_RO: r.raw,
  FUNCTION: container,
  'FUNCTION|DELETE': r.raw,
  'FUNCTION|DUMP': r.raw,
  'FUNCTION|FLUSH': r.raw,
  'FUNCTION|HELP': r.raw,
  'FUNCTION|KILL': r.raw,
  'FUNCTION|LIST': r.raw,
  'FUNCTION|LOAD': r.raw,
  'FUNCTION|RESTORE': r.raw,
  'FUNCTION|STATS': r.raw,
  SCRIPT: container,
  'SCRIPT|DEBUG': r.raw,
  'SCRIPT|EXISTS': r.raw,
  'SCRIPT|FLUSH': r.raw,
  'SCRIPT|HELP': r.raw,
  'SCRIPT|KILL': r.raw,
  'SCRIPT|LOAD': r.raw,
});
