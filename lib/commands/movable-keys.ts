import type { CommandArg } from '../resp/types';
import { keyPositions, resolveCommand } from './command-table';

/**
 * Where the keys of a command whose keys move with its arguments are (Redis flags these
 * `movablekeys`, and COMMAND's first/last/step cannot find them): a count of keys before them, a
 * STREAMS keyword, or a STORE destination. What cannot be found from the arguments alone (MIGRATE's
 * KEYS, SORT's BY and GET patterns) is not guessed: those give undefined, or only the keys that are sure.
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

/** XREAD … STREAMS key… id…: the keys are the first half of what follows STREAMS. */
const streams: Finder = (args) => {
  for (let i = 1; i < args.length; i++) {
    if (word(args[i]) !== 'STREAMS') continue;
    const rest = args.length - i - 1;
    if (rest === 0 || rest % 2 !== 0) return undefined;
    return Array.from({ length: rest / 2 }, (_, k) => i + 1 + k);
  }
  return undefined;
};

/** The key at 1, and the destination after any of `storeTokens`. */
function withStore(...storeTokens: string[]): Finder {
  return (args) => {
    if (args.length < 2) return undefined;
    const positions = [1];
    for (let i = 2; i + 1 < args.length; i++) if (storeTokens.includes(word(args[i]))) positions.push(i + 1);
    return positions;
  };
}

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
  ['XREAD', streams],
  ['XREADGROUP', streams],
  ['SORT', withStore('STORE')],
  ['SORT_RO', withStore()],
  ['GEORADIUS', withStore('STORE', 'STOREDIST')],
  ['GEORADIUSBYMEMBER', withStore('STORE', 'STOREDIST')],
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
