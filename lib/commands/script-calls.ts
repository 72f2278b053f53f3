import { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';
import type { RedisKey } from './api-types';
import { isArg } from './arguments';

/**
 * What follows the script, sha1 or function name of EVAL, EVALSHA, FCALL and their _RO forms: keys
 * and arguments as two arrays (`fcall('fn', ['k'], ['a'])`, both optional), or Redis's own spelling
 * with numkeys first (`fcall('fn', 1, 'k', 'a')`).
 */
export type ScriptCallParams =
  | [keys?: readonly RedisKey[], args?: readonly CommandArg[]]
  | [numkeys: number | string, ...keysAndArgs: CommandArg[]];

/** The full argument list of a script or function call, name first, or why it cannot be sent. */
export function scriptCallArgs(
  name: string,
  target: unknown,
  rest: ScriptCallParams,
): CommandArg[] | InvalidArgumentError {
  if (typeof target !== 'string' && !Buffer.isBuffer(target)) {
    return new InvalidArgumentError(`${name} takes the ${subject(name)} as a string or Buffer`);
  }
  const [first] = rest;
  if (first === undefined || Array.isArray(first)) return listedForm(name, target, rest);
  if (!isNumkeys(first)) {
    return new InvalidArgumentError(
      `${name} takes keys as an array (then args as an array), or numkeys followed by the keys and args`,
    );
  }
  const count = Number(first);
  if (count > rest.length - 1) {
    return new InvalidArgumentError(
      `${name} numkeys is ${count}, but only ${rest.length - 1} argument(s) follow`,
    );
  }
  const args: CommandArg[] = [name, target, first];
  for (let i = 1; i < rest.length; i++) {
    const arg = rest[i];
    if (!isArg(arg)) return new InvalidArgumentError(`${name} arguments must be strings, Buffers or numbers`);
    args.push(arg);
  }
  return args;
}

function listedForm(
  name: string,
  target: string | Buffer,
  rest: readonly unknown[],
): CommandArg[] | InvalidArgumentError {
  if (rest.length > 2) {
    return new InvalidArgumentError(
      `${name} takes keys and args as two arrays; put every argument in the second`,
    );
  }
  const keys = rest[0] ?? [];
  const extra = rest[1] ?? [];
  if (!Array.isArray(keys) || !Array.isArray(extra)) {
    return new InvalidArgumentError(`${name} takes keys and args as arrays`);
  }
  const args: CommandArg[] = [name, target, keys.length];
  for (const key of keys) {
    if (typeof key !== 'string' && !Buffer.isBuffer(key)) {
      return new InvalidArgumentError(`${name} keys must be strings or Buffers`);
    }
    args.push(key);
  }
  for (const arg of extra) {
    if (!isArg(arg)) return new InvalidArgumentError(`${name} arguments must be strings, Buffers or numbers`);
    args.push(arg);
  }
  return args;
}

function isNumkeys(value: unknown): value is number | string {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && /^\d{1,15}$/.test(value);
}

function subject(name: string): string {
  if (name.startsWith('FCALL')) return 'function name';
  return name.startsWith('EVALSHA') ? 'sha1' : 'script';
}
