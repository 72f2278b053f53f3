import { defineGroup } from '../define';
import * as r from '../replies';
import { container } from '../container';
import { scriptCallArgs, type ScriptCallParams } from '../script-calls';
import { functionLibraries, functionStats, scriptsExist, scriptValue } from '../script-replies';

/**
 * The scripting commands: how each reply is shaped, and friendlier argument forms where there are any.
 * Every script and function call takes its keys and arguments as two arrays (`fcall('fn', ['k'], ['a'])`)
 * or in Redis's own spelling (`fcall('fn', 1, 'k', 'a')`); its reply is a ScriptValue, the same under
 * RESP2 and RESP3 (Lua tables are arrays, booleans 1 and 0).
 */
export const scripting = defineGroup('scripting', {
  EVAL: {
    reply: scriptValue,
    build: (script: string | Buffer, ...rest: ScriptCallParams) => scriptCallArgs('EVAL', script, rest),
  },
  EVALSHA: {
    reply: scriptValue,
    build: (sha1: string | Buffer, ...rest: ScriptCallParams) => scriptCallArgs('EVALSHA', sha1, rest),
  },
  EVALSHA_RO: {
    reply: scriptValue,
    build: (sha1: string | Buffer, ...rest: ScriptCallParams) => scriptCallArgs('EVALSHA_RO', sha1, rest),
  },
  EVAL_RO: {
    reply: scriptValue,
    build: (script: string | Buffer, ...rest: ScriptCallParams) => scriptCallArgs('EVAL_RO', script, rest),
  },
  FCALL: {
    reply: scriptValue,
    build: (fn: string | Buffer, ...rest: ScriptCallParams) => scriptCallArgs('FCALL', fn, rest),
  },
  FCALL_RO: {
    reply: scriptValue,
    build: (fn: string | Buffer, ...rest: ScriptCallParams) => scriptCallArgs('FCALL_RO', fn, rest),
  },
  FUNCTION: container,
  'FUNCTION|DELETE': r.ok,
  // A dump is binary: functionDumpBuffer() keeps it intact for FUNCTION RESTORE; the string form does not.
  'FUNCTION|DUMP': r.text,
  'FUNCTION|FLUSH': r.ok,
  'FUNCTION|HELP': r.strings,
  'FUNCTION|KILL': r.ok,
  'FUNCTION|LIST': functionLibraries,
  /** The name of the library loaded. */
  'FUNCTION|LOAD': r.text,
  'FUNCTION|RESTORE': r.ok,
  'FUNCTION|STATS': functionStats,
  SCRIPT: container,
  'SCRIPT|DEBUG': r.ok,
  'SCRIPT|EXISTS': scriptsExist,
  'SCRIPT|FLUSH': r.ok,
  'SCRIPT|HELP': r.strings,
  'SCRIPT|KILL': r.ok,
  /** The script's sha1, in lower-case hex. */
  'SCRIPT|LOAD': r.text,
});
