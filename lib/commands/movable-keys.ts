import type { CommandArg } from '../resp/types';
import { keyPositions, resolveCommand } from './command-table';

/**
 * Where the keys of a command whose keys move with its arguments are (Redis flags these
 * `movablekeys`, and COMMAND's first/last/step cannot find them): a count of keys before them, a
 * STREAMS keyword, or a STORE destination, found by walking the options as Redis parses them. What
 * cannot be found from the arguments alone (MIGRATE's KEYS, SORT's BY and GET patterns) is not guessed:
 * those give undefined, or only the keys that are sure.
 */
type Finder = (args: readonly CommandArg[]) => number[] | undefined;

/** `numkeys` at `countAt`, its keys right after it; `before` lists fixed key positions ahead of it. */
function counted(countAt: number, before: readonly number[] = []): Finder {
  return (args) => {
    if (args.length <= countAt) return undefined;
    const count = Number(typeof args[countAt] === 'number' ? args[countAt] : String(args[countAt]));
    if (!Number.isInteger(count) || count < 0 || countAt + 1 + count > args.length) return undefined;
    const positions = [...before];
    for (let i = 0; i < count; i++) positions.push(countAt + 1 + i);
    return positions;
  };
}

function word(arg: CommandArg | undefined): string {
  return typeof arg === 'string'
    ? arg.toUpperCase()
    : Buffer.isBuffer(arg)
      ? arg.toString().toUpperCase()
      : '';
}

/** What follows an option's token: that many plain values, one key, or (STREAMS) keys then as many ids. */
type OptionKind = number | 'key' | 'streams';

/**
 * The options after a command's fixed arguments (from `start`), walked as Redis parses them: a value
 * is never read as a token, so a member, group or pattern spelled STORE or STREAMS stays a value. An
 * unknown token, or one missing its values, gives undefined (Redis refuses those too). `fixedKeys` are
 * the key positions ahead of `start`.
 */
function optionKeys(
  start: number,
  fixedKeys: readonly number[],
  options: ReadonlyMap<string, OptionKind>,
): Finder {
  const needsStreams = [...options.values()].includes('streams');
  return (args) => {
    if (args.length < start) return undefined;
    const positions = [...fixedKeys];
    for (let i = start; i < args.length;) {
      const kind = options.get(word(args[i]));
      if (kind === undefined) return undefined;
      if (kind === 'streams') {
        const rest = args.length - i - 1;
        if (rest === 0 || rest % 2 !== 0) return undefined;
        for (let k = 0; k < rest / 2; k++) positions.push(i + 1 + k);
        return positions;
      }
      const values = kind === 'key' ? 1 : kind;
      if (i + values >= args.length) return undefined;
      if (kind === 'key') positions.push(i + 1);
      i += 1 + values;
    }
    return needsStreams ? undefined : positions;
  };
}

/** XREAD [COUNT n] [BLOCK ms] STREAMS key… id… */
const XREAD_OPTIONS = new Map<string, OptionKind>([
  ['COUNT', 1],
  ['BLOCK', 1],
  ['STREAMS', 'streams'],
]);
/** XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key… id… */
const XREADGROUP_OPTIONS = new Map<string, OptionKind>([...XREAD_OPTIONS, ['GROUP', 2], ['NOACK', 0]]);
/** SORT key [BY pattern] [LIMIT offset count] [GET pattern…] [ASC|DESC] [ALPHA] [STORE destination] */
const SORT_RO_OPTIONS = new Map<string, OptionKind>([
  ['BY', 1],
  ['LIMIT', 2],
  ['GET', 1],
  ['ASC', 0],
  ['DESC', 0],
  ['ALPHA', 0],
]);
const SORT_OPTIONS = new Map<string, OptionKind>([...SORT_RO_OPTIONS, ['STORE', 'key']]);
/** GEORADIUS… [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT n [ANY]] [ASC|DESC] [STORE key] [STOREDIST key] */
const GEORADIUS_OPTIONS = new Map<string, OptionKind>([
  ['WITHCOORD', 0],
  ['WITHDIST', 0],
  ['WITHHASH', 0],
  ['COUNT', 1],
  ['ANY', 0],
  ['ASC', 0],
  ['DESC', 0],
  ['STORE', 'key'],
  ['STOREDIST', 'key'],
]);

const FINDERS: ReadonlyMap<string, Finder> = new Map([
  ['LMPOP', counted(1)],
  ['ZMPOP', counted(1)],
  ['SINTERCARD', counted(1)],
  ['ZINTERCARD', counted(1)],
  ['ZINTER', counted(1)],
  ['ZUNION', counted(1)],
  ['ZDIFF', counted(1)],
  ['BLMPOP', counted(2)],
  ['BZMPOP', counted(2)],
  ['ZINTERSTORE', counted(2, [1])],
  ['ZUNIONSTORE', counted(2, [1])],
  ['ZDIFFSTORE', counted(2, [1])],
  ['EVAL', counted(2)],
  ['EVALSHA', counted(2)],
  ['EVAL_RO', counted(2)],
  ['EVALSHA_RO', counted(2)],
  ['FCALL', counted(2)],
  ['FCALL_RO', counted(2)],
  ['XREAD', optionKeys(1, [], XREAD_OPTIONS)],
  ['XREADGROUP', optionKeys(1, [], XREADGROUP_OPTIONS)],
  ['SORT', optionKeys(2, [1], SORT_OPTIONS)],
  ['SORT_RO', optionKeys(2, [1], SORT_RO_OPTIONS)],
  // GEORADIUS key longitude latitude radius unit …; GEORADIUSBYMEMBER key member radius unit …
  ['GEORADIUS', optionKeys(6, [1], GEORADIUS_OPTIONS)],
  ['GEORADIUSBYMEMBER', optionKeys(5, [1], GEORADIUS_OPTIONS)],
]);

/**
 * The indexes in `args` (args[0] is the name) that hold keys, for every command, movable keys
 * included; undefined when they cannot be known from the arguments.
 */
export function routableKeyPositions(args: readonly CommandArg[]): number[] | undefined {
  const info = resolveCommand(args);
  if (info === undefined || !info.movableKeys) return keyPositions(args);
  return FINDERS.get(info.name)?.(args);
}
