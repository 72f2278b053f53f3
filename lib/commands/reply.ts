import { ReplyError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';

/**
 * Reshapes a raw reply so the caller sees the same value under RESP2 and RESP3. It gets the
 * command's arguments, since some shapes depend on them (WITHSCORES). It never sees an error reply.
 */
export type Transform = (raw: RespValue, args: readonly CommandArg[]) => unknown;

/**
 * How a command's reply reaches the caller: a transform (null: the decoded value as it is) and,
 * as phantom types only, what the caller gets with strings (`T`) and with Buffers (`TB`).
 */
export interface Reply<T, TB> {
  readonly transform: Transform | null;
  /** Never set: carries the two reply types for inference. */
  readonly types?: { text: T; buffer: TB };
}

export type TextOf<R> = R extends Reply<infer T, unknown> ? T : never;
export type BufferOf<R> = R extends Reply<unknown, infer TB> ? TB : never;

/** A member of a sorted set with its score, as every WITHSCORES form returns it. */
export interface ScoredMember<S = string> {
  member: S;
  score: number;
}

/** Field/value replies become this: no prototype, so a field named `__proto__` is plain data. */
export type FieldMap<V> = Record<string, V>;

export function reply<T, TB = T>(transform: Transform | null = null): Reply<T, TB> {
  return { transform };
}

// ---- the transforms: each accepts both the RESP2 and the RESP3 shape of its reply ----

/** Text of a bulk or simple string, whether it decoded as a string or a Buffer. */
export function textOf(value: RespValue): string {
  return Buffer.isBuffer(value) ? value.toString() : String(value);
}

/** A RESP2 bulk-string float ('3.5', 'inf', '-inf', 'nan') or a RESP3 double, as a number. */
export function toScore(value: RespValue): number {
  if (typeof value === 'number') return value;
  const text = textOf(value).toLowerCase();
  if (text === 'inf' || text === '+inf') return Infinity;
  if (text === '-inf') return -Infinity;
  return Number(text);
}

export function toNullableScore(value: RespValue): number | null {
  return value === null ? null : toScore(value);
}

/** A RESP3 set or array as an array. */
export function toArray(value: RespValue): RespValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  if (value === null) return [];
  throw unexpected('an array', value);
}

/** Field/value pairs (a RESP2 flat array or a RESP3 map) as a prototype-less object. */
export function toFieldMap(value: RespValue): FieldMap<RespValue> {
  const out: FieldMap<RespValue> = Object.create(null);
  if (value instanceof Map) {
    for (const [field, item] of value) out[textOf(field)] = item;
    return out;
  }
  if (Array.isArray(value)) {
    // RESP3 sometimes sends a list of [field, value] pairs where RESP2 sends them flat.
    if (value.length > 0 && Array.isArray(value[0])) {
      for (const pair of value as RespValue[][]) out[textOf(pair[0])] = pair[1];
      return out;
    }
    for (let i = 0; i + 1 < value.length; i += 2) out[textOf(value[i])] = value[i + 1];
    return out;
  }
  if (value === null) return out;
  throw unexpected('field/value pairs', value);
}

/** Member/score pairs, flat (RESP2) or nested (RESP3), as `{ member, score }` objects. */
export function toScoredMembers(value: RespValue): ScoredMember<RespValue>[] {
  const items = toArray(value);
  const out: ScoredMember<RespValue>[] = [];
  if (items.length > 0 && Array.isArray(items[0])) {
    for (const pair of items as RespValue[][]) out.push({ member: pair[0], score: toScore(pair[1]) });
    return out;
  }
  for (let i = 0; i + 1 < items.length; i += 2) out.push({ member: items[i], score: toScore(items[i + 1]) });
  return out;
}

/** Whether a token such as WITHSCORES appears among the arguments (case-insensitive). */
export function hasToken(args: readonly CommandArg[], token: string): boolean {
  for (let i = 1; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string' && arg.length === token.length && arg.toUpperCase() === token) return true;
  }
  return false;
}

export function unexpected(what: string, value: RespValue): ReplyError {
  const shown = value instanceof Map ? 'a map' : value instanceof Set ? 'a set' : typeof value;
  return new ReplyError(`ERR respline expected ${what} in this reply, got ${shown}`);
}
