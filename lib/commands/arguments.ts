import { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';
import type { RedisKey } from './api-types';

/**
 * Friendlier argument forms shared by several commands. Each returns the full argument list, name
 * first, or the InvalidArgumentError that rejects the call before anything is sent.
 */

export interface SetOptions {
  /** Expire after this many seconds. */
  ex?: number;
  /** Expire after this many milliseconds. */
  px?: number;
  /** Only set if the key does not exist. */
  nx?: boolean;
  /** Only set if the key exists. */
  xx?: boolean;
  /** Return the previous value instead of OK. */
  get?: boolean;
}

/** Keys and values of MSET/MSETNX, as a record or a Map (whose keys may be Buffers). */
export type MsetEntries = Record<string, CommandArg> | Map<RedisKey, CommandArg>;
/** Fields and values of HSET/HMSET, as a record or a Map. */
export type FieldEntries = MsetEntries;

/** SET key value, then either an options object or Redis's own tokens (`'EX', 10`, `'NX'`). */
export function setArgs(
  key: RedisKey,
  value: CommandArg,
  ...rest: [options?: SetOptions] | CommandArg[]
): CommandArg[] | InvalidArgumentError {
  const args: CommandArg[] = ['SET', key, value];
  if (rest.length === 0) return args;
  const first = rest[0];
  if (rest.length === 1) {
    // `set(k, v, options)` with options undefined is what TypeScript allows for an optional options.
    if (first === undefined) return args;
    if (isOptionsObject(first)) return setOptions(args, first);
  }
  for (const arg of rest) {
    if (!isArg(arg)) return new InvalidArgumentError('SET takes an options object or Redis tokens, not both');
    args.push(arg);
  }
  return args;
}

function setOptions(args: CommandArg[], options: SetOptions): CommandArg[] | InvalidArgumentError {
  if (options.ex !== undefined && options.px !== undefined) {
    return new InvalidArgumentError('SET takes ex or px, not both');
  }
  if (options.nx && options.xx) return new InvalidArgumentError('SET takes nx or xx, not both');
  for (const unit of ['ex', 'px'] as const) {
    const amount = options[unit];
    if (amount === undefined) continue;
    if (!Number.isInteger(amount) || amount <= 0) {
      return new InvalidArgumentError(`SET ${unit} must be a positive integer, not ${String(amount)}`);
    }
    args.push(unit.toUpperCase(), amount);
  }
  if (options.nx) args.push('NX');
  if (options.xx) args.push('XX');
  if (options.get) args.push('GET');
  return args;
}

/** A plain object that is neither an argument nor an array: the friendlier options form. */
export function isOptionsObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !Array.isArray(value);
}

/** The key/value (or field/value) pairs of MSET, HSET… in order, or why they cannot be sent. */
export function msetPairs(
  entries: MsetEntries,
  name = 'MSET',
  what = 'key',
): [RedisKey, CommandArg][] | InvalidArgumentError {
  let pairs: [RedisKey, CommandArg][];
  if (entries instanceof Map) pairs = [...entries];
  else if (entries !== null && typeof entries === 'object') pairs = Object.entries(entries);
  else return new InvalidArgumentError(`${name} takes an object or a Map of ${what}s to values`);
  if (pairs.length === 0) return new InvalidArgumentError(`${name} needs at least one ${what}`);
  return pairs;
}

/**
 * A command that takes key/value (or field/value) pairs: as Redis spells them (`'a', 1, 'b', 2`), or
 * as one record or Map after the leading arguments.
 */
export function pairsArgs(head: CommandArg[], rest: readonly unknown[]): CommandArg[] | InvalidArgumentError {
  const name = String(head[0]);
  if (rest.length === 1 && (rest[0] instanceof Map || isOptionsObject(rest[0]))) {
    const pairs = msetPairs(rest[0] as MsetEntries, name, head.length > 1 ? 'field' : 'key');
    if (pairs instanceof InvalidArgumentError) return pairs;
    for (const [key, value] of pairs) head.push(key, value);
    return head;
  }
  // Nothing at all: the argument-count check says what is missing, as for any command.
  if (rest.length === 0) return head;
  if (rest.length % 2 !== 0) {
    return new InvalidArgumentError(`${name} takes pairs: a record, a Map, or an even number of arguments`);
  }
  for (const arg of rest) {
    if (!isArg(arg)) return new InvalidArgumentError(`${name} arguments must be strings, Buffers or numbers`);
    head.push(arg);
  }
  return head;
}

/** Keys as Redis spells them (`mget('a', 'b')`) or as one array (`mget(['a', 'b'])`). */
export function keysArgs(
  name: string,
  keys: readonly (RedisKey | readonly RedisKey[])[],
): CommandArg[] | InvalidArgumentError {
  const list = keys.length === 1 && Array.isArray(keys[0]) ? (keys[0] as readonly RedisKey[]) : keys;
  if (list.length === 0) return new InvalidArgumentError(`${name} needs at least one key`);
  const args: CommandArg[] = [name];
  for (const key of list) {
    if (typeof key !== 'string' && !Buffer.isBuffer(key)) {
      return new InvalidArgumentError(`${name} keys must be strings or Buffers`);
    }
    args.push(key);
  }
  return args;
}

export function isArg(value: unknown): value is CommandArg {
  return typeof value === 'string' || typeof value === 'number' || Buffer.isBuffer(value);
}

/** A member of a sorted set with the score to give it (ZADD). */
export interface ScoreInput {
  /** The score: a number, or a string such as '+inf', '-inf' or '(1.5'. */
  score: number | string;
  /** The member. */
  member: CommandArg;
}

/**
 * ZADD key, then Redis's own `[options] score member …`, or the options as tokens followed by one
 * array of `{ score, member }` (`zadd('z', 'NX', [{ score: 1, member: 'a' }])`). Scores of ±Infinity
 * are sent as Redis spells them, so a score read back can be written back.
 */
export function zaddArgs(
  key: RedisKey,
  ...rest: CommandArg[] | [...options: CommandArg[], members: readonly ScoreInput[]]
): CommandArg[] | InvalidArgumentError {
  const args: CommandArg[] = ['ZADD', key];
  const last = rest.length === 0 ? undefined : rest[rest.length - 1];
  if (!Array.isArray(last)) {
    for (const arg of rest) {
      if (!isArg(arg))
        return new InvalidArgumentError('ZADD takes scores and members, or one array of them last');
      args.push(arg);
    }
    return args;
  }
  for (let i = 0; i < rest.length - 1; i++) {
    const option = rest[i];
    if (!isArg(option)) return new InvalidArgumentError('ZADD options before the members must be tokens');
    args.push(option);
  }
  const members: readonly unknown[] = last;
  if (members.length === 0) return new InvalidArgumentError('ZADD needs at least one member');
  for (const entry of members) {
    if (!isOptionsObject(entry) || !isArg(entry.member)) {
      return new InvalidArgumentError('ZADD members must be { score, member } objects');
    }
    const score = scoreArg(entry.score);
    if (score instanceof InvalidArgumentError) return score;
    args.push(score, entry.member);
  }
  return args;
}

function scoreArg(score: unknown): CommandArg | InvalidArgumentError {
  if (score === Infinity) return '+inf';
  if (score === -Infinity) return '-inf';
  if ((typeof score === 'number' && !Number.isNaN(score)) || typeof score === 'string') return score;
  return new InvalidArgumentError(`a ZADD score must be a number or a string, not ${String(score)}`);
}
