import { CommandFlags } from '../connection/pending-command';
import { InvalidArgumentError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import { isReadOnly } from './command-table';
import { replyBreakingReason } from './reply-breaking';

export type RedisKey = string | Buffer;

/** How a surface hands back results: promises (Client, Cluster) or itself for chaining (Pipeline). */
export type ApiMode = 'promise' | 'chain';
export type Returns<Mode extends ApiMode, T, Self> = Mode extends 'promise' ? Promise<T> : Self;

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

export type MsetEntries = Record<string, CommandArg> | Map<RedisKey, CommandArg>;

/**
 * The typed commands, written once for every surface. Each surface supplies `dispatch`: the Client
 * sends to its connection, the Pipeline records, the Cluster routes by key.
 */
export abstract class CommandApi<Mode extends ApiMode> {
  /** Sends or records a command. A caller's mistake arrives as an error, to reject that command alone. */
  protected abstract dispatch(args: CommandArg[] | InvalidArgumentError, flags: CommandFlags): unknown;

  /** Any command. Arguments are strings, Buffers or finite numbers. */
  call(command: string, ...args: CommandArg[]): Returns<Mode, RespValue, this> {
    return this.dispatch(withName(command, args), flagsOf(command)) as Returns<Mode, RespValue, this>;
  }

  /** Like `call`, with strings in the reply left as Buffers. */
  callBuffer(command: string, ...args: CommandArg[]): Returns<Mode, RespValue, this> {
    return this.dispatch(withName(command, args), flagsOf(command) | CommandFlags.Buffers) as Returns<
      Mode,
      RespValue,
      this
    >;
  }

  get(key: RedisKey): Returns<Mode, string | null, this> {
    return this.dispatch(['GET', key], CommandFlags.ReadOnly) as Returns<Mode, string | null, this>;
  }

  getBuffer(key: RedisKey): Returns<Mode, Buffer | null, this> {
    return this.dispatch(['GET', key], CommandFlags.ReadOnly | CommandFlags.Buffers) as Returns<
      Mode,
      Buffer | null,
      this
    >;
  }

  /** 'OK'; null when nx/xx prevented the write; the old value (or null) with `get`. */
  set(key: RedisKey, value: CommandArg, options?: SetOptions): Returns<Mode, string | null, this> {
    return this.dispatch(setArgs(key, value, options), CommandFlags.None) as Returns<
      Mode,
      string | null,
      this
    >;
  }

  del(...keys: RedisKey[]): Returns<Mode, number, this> {
    return this.dispatch(keyed('DEL', keys), CommandFlags.None) as Returns<Mode, number, this>;
  }

  mget(keys: readonly RedisKey[]): Returns<Mode, (string | null)[], this> {
    return this.dispatch(keyed('MGET', keys), CommandFlags.ReadOnly) as Returns<
      Mode,
      (string | null)[],
      this
    >;
  }

  mset(entries: MsetEntries): Returns<Mode, 'OK', this> {
    return this.dispatch(msetArgs(entries), CommandFlags.None) as Returns<Mode, 'OK', this>;
  }

  incr(key: RedisKey): Returns<Mode, number, this> {
    return this.dispatch(['INCR', key], CommandFlags.None) as Returns<Mode, number, this>;
  }

  /** 1 if the timeout was set, 0 if the key does not exist. */
  expire(key: RedisKey, seconds: number): Returns<Mode, number, this> {
    return this.dispatch(
      Number.isInteger(seconds)
        ? ['EXPIRE', key, seconds]
        : new InvalidArgumentError(`EXPIRE seconds must be an integer, not ${String(seconds)}`),
      CommandFlags.None,
    ) as Returns<Mode, number, this>;
  }

  /** Seconds to live; -1 without expiry, -2 when the key does not exist. */
  ttl(key: RedisKey): Returns<Mode, number, this> {
    return this.dispatch(['TTL', key], CommandFlags.ReadOnly) as Returns<Mode, number, this>;
  }

  /** How many of the keys exist (a key named twice counts twice). */
  exists(...keys: RedisKey[]): Returns<Mode, number, this> {
    return this.dispatch(keyed('EXISTS', keys), CommandFlags.ReadOnly) as Returns<Mode, number, this>;
  }

  ping(message?: string): Returns<Mode, string, this> {
    return this.dispatch(
      message === undefined ? ['PING'] : ['PING', message],
      CommandFlags.ReadOnly,
    ) as Returns<Mode, string, this>;
  }
}

/** Read-only commands may be resent once after a lost connection; everything else never is. */
export function flagsOf(command: string): CommandFlags {
  return typeof command === 'string' && isReadOnly(command) ? CommandFlags.ReadOnly : CommandFlags.None;
}

function withName(command: string, args: CommandArg[]): CommandArg[] | InvalidArgumentError {
  if (typeof command !== 'string' || command.length === 0) {
    return new InvalidArgumentError('the command name must be a non-empty string');
  }
  return replyBreakingReason(command, args) ?? [command, ...args];
}

export function setArgs(
  key: RedisKey,
  value: CommandArg,
  options: SetOptions | undefined,
): CommandArg[] | InvalidArgumentError {
  const args: CommandArg[] = ['SET', key, value];
  if (options === undefined) return args;
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

/** The key/value pairs of MSET in order, or why they cannot be sent. */
export function msetPairs(entries: MsetEntries): [RedisKey, CommandArg][] | InvalidArgumentError {
  let pairs: [RedisKey, CommandArg][];
  if (entries instanceof Map) pairs = [...entries];
  else if (entries !== null && typeof entries === 'object') pairs = Object.entries(entries);
  else return new InvalidArgumentError('MSET takes an object or a Map of keys to values');
  if (pairs.length === 0) return new InvalidArgumentError('MSET needs at least one key');
  return pairs;
}

function msetArgs(entries: MsetEntries): CommandArg[] | InvalidArgumentError {
  const pairs = msetPairs(entries);
  return pairs instanceof InvalidArgumentError ? pairs : ['MSET', ...pairs.flat()];
}

function keyed(command: string, keys: readonly RedisKey[]): CommandArg[] | InvalidArgumentError {
  if (!Array.isArray(keys) || keys.length === 0)
    return new InvalidArgumentError(`${command} needs at least one key`);
  return [command, ...keys];
}
