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
  /** The member. */
  member: S;
  /** Its score; `Infinity` and `-Infinity` for Redis's inf and -inf. */
  score: number;
}

/** Field/value replies become this: no prototype, so a field named `__proto__` is plain data. */
export type FieldMap<V> = Record<string, V>;

export function reply<T, TB = T>(transform: Transform | null = null): Reply<T, TB> {
  return { transform };
}

/** A reply promise reshaped by its command's transform; as it is when the command has none. */
export function shaped(
  reply: Promise<RespValue>,
  transform: Transform | null,
  args: readonly CommandArg[],
): Promise<unknown> {
  return transform === null ? reply : reply.then((value) => transform(value, args));
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

/** A field and its value, as HRANDFIELD … WITHVALUES and HSCAN return them. */
export type FieldValue<S = string> = [field: S, value: S];

/**
 * One page of a SCAN-family reply: the cursor for the next call ('0' when done) and this page's
 * items. The cursor is always text, also from the …Buffer twins: it is a number, not data.
 */
export type ScanPage<I> = [cursor: string, items: I[]];

/** A non-aggregate reply as it is, a RESP3 set as an array (SPOP with a count). */
export function arrayIfSet(value: RespValue): RespValue {
  return value instanceof Set ? [...value] : value;
}

/** Pairs, flat (RESP2) or nested (RESP3), as `[first, second]` tuples. */
export function toPairs(value: RespValue): [RespValue, RespValue][] {
  const items = toArray(value);
  const out: [RespValue, RespValue][] = [];
  if (items.length > 0 && Array.isArray(items[0])) {
    for (const pair of items as RespValue[][]) out.push([pair[0], pair[1]]);
    return out;
  }
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
}

/** `[cursor, items]` (the same under RESP2 and RESP3) with the items reshaped by `items`. */
export function toScanPage<I>(value: RespValue, items: (raw: RespValue) => I[]): ScanPage<I> {
  if (!Array.isArray(value) || value.length !== 2) throw unexpected('a cursor and a page', value);
  return [textOf(value[0]), items(value[1])];
}

/**
 * Whether `token` appears among the arguments from index `from` on (case-insensitive). Commands
 * pass the index where their options start, so a key or member spelled like a token is not one.
 */
export function hasTokenFrom(args: readonly CommandArg[], from: number, token: string): boolean {
  for (let i = Math.max(from, 1); i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string' && arg.length === token.length && arg.toUpperCase() === token) return true;
  }
  return false;
}

/** Where the options of `CMD numkeys key [key …]` start (ZUNION, ZINTER, ZDIFF…). */
export function afterNumkeys(args: readonly CommandArg[], numkeysAt = 1): number {
  const count = numkeysAt < args.length ? Number(textOf(args[numkeysAt])) : NaN;
  return Number.isInteger(count) && count >= 0 ? numkeysAt + 1 + count : args.length;
}

/** An aggregate reply's items, or null for nil: what every popped-from-a-key reply starts from. */
export function itemsOrNull(value: RespValue, what: string): RespValue[] | null {
  if (value === null) return null;
  if (!Array.isArray(value)) throw unexpected(what, value);
  return value;
}

/**
 * Whether a token appears anywhere after the command name (case-insensitive). A key or member can
 * be spelled like the token, so prefer `hasTokenFrom` where the options' position is known.
 */
export function hasToken(args: readonly CommandArg[], token: string): boolean {
  return hasTokenFrom(args, 1, token);
}

export function unexpected(what: string, value: RespValue): ReplyError {
  const shown = value instanceof Map ? 'a map' : value instanceof Set ? 'a set' : typeof value;
  return new ReplyError(`ERR respline expected ${what} in this reply, got ${shown}`);
}

// ---- values popped from one of several keys (blocking pops, LMPOP, ZMPOP): the key comes along ----

/** An element popped from one of several lists, with the key it came from (BLPOP, BRPOP, BLMOVE's kin). */
export interface KeyedElement<S = string> {
  /** The key it was popped from. */
  key: S;
  /** The element. */
  element: S;
}

/** Elements popped from one of several lists, with the key they came from (LMPOP, BLMPOP). */
export interface KeyedElements<S = string> {
  /** The key they were popped from. */
  key: S;
  /** The elements, in pop order. */
  elements: S[];
}

/** A member popped from one of several sorted sets, with its key and score (BZPOPMIN, BZPOPMAX). */
export interface KeyedScoredMember<S = string> {
  /** The key it was popped from. */
  key: S;
  /** The member. */
  member: S;
  /** Its score. */
  score: number;
}

/** Members popped from one of several sorted sets, with the key they came from (ZMPOP, BZMPOP). */
export interface KeyedScoredMembers<S = string> {
  /** The key they were popped from. */
  key: S;
  /** The members with their scores, in pop order. */
  members: ScoredMember<S>[];
}

/** `[key, element]` (BLPOP, BRPOP) as `{ key, element }`; nil (timed out) as null. */
export function toKeyedElement(value: RespValue): KeyedElement<RespValue> | null {
  const items = itemsOrNull(value, 'a key and an element');
  return items === null ? null : { key: items[0], element: items[1] };
}

/** `[key, [element…]]` (LMPOP, BLMPOP) as `{ key, elements }`; nil as null. */
export function toKeyedElements(value: RespValue): KeyedElements<RespValue> | null {
  const items = itemsOrNull(value, 'a key and its elements');
  return items === null ? null : { key: items[0], elements: toArray(items[1]) };
}

/** `[key, member, score]` (BZPOPMIN, BZPOPMAX) as `{ key, member, score }`; nil as null. */
export function toKeyedScoredMember(value: RespValue): KeyedScoredMember<RespValue> | null {
  const items = itemsOrNull(value, 'a key, a member and a score');
  return items === null ? null : { key: items[0], member: items[1], score: toScore(items[2]) };
}

/** `[key, [[member, score]…]]` (ZMPOP, BZMPOP) as `{ key, members }`; nil as null. */
export function toKeyedScoredMembers(value: RespValue): KeyedScoredMembers<RespValue> | null {
  const items = itemsOrNull(value, 'a key and its members');
  return items === null ? null : { key: items[0], members: toScoredMembers(items[1]) };
}

/** ZRANK … WITHSCORE (Redis 7.2): a member's rank and score. */
export interface RankWithScore {
  /** The member's 0-based rank. */
  rank: number;
  /** The member's score. */
  score: number;
}

/** `[rank, score]` as `{ rank, score }`; nil (no such member) as null. */
export function toRankWithScore(value: RespValue): RankWithScore | null {
  const items = itemsOrNull(value, 'a rank and a score');
  return items === null ? null : { rank: Number(items[0]), score: toScore(items[1]) };
}

// ---- geo ----

/** A position as Redis gives it: longitude first, then latitude, in degrees. */
export type GeoCoordinates = [longitude: number, latitude: number];

/**
 * A GEOSEARCH / GEORADIUS hit with what its WITH… options asked for; an option not asked for is
 * absent, not undefined.
 */
export interface GeoSearchHit<S = string> {
  /** The member found. */
  member: S;
  /** WITHDIST: in the unit of the query. */
  distance?: number;
  /** WITHHASH: the 52-bit geohash score. */
  hash?: number;
  /** WITHCOORD. */
  coordinates?: GeoCoordinates;
}

/** Which WITH… options a geo query asked for. */
export interface GeoWith {
  /** WITHDIST was given. */
  distance: boolean;
  /** WITHHASH was given. */
  hash: boolean;
  /** WITHCOORD was given. */
  coordinates: boolean;
}

/**
 * The WITH… options among the arguments from `from` on. The operand of FROMMEMBER is a member name,
 * so it is skipped: a member called "withdist" asks for nothing.
 */
export function geoWith(args: readonly CommandArg[], from: number): GeoWith {
  const found: GeoWith = { distance: false, hash: false, coordinates: false };
  for (let i = from; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg !== 'string') continue;
    const upper = arg.toUpperCase();
    if (upper === 'FROMMEMBER') i++;
    else if (upper === 'WITHDIST') found.distance = true;
    else if (upper === 'WITHHASH') found.hash = true;
    else if (upper === 'WITHCOORD') found.coordinates = true;
  }
  return found;
}

/** `[longitude, latitude]` as text (RESP2) or doubles (RESP3) as numbers; nil as null. */
export function toCoordinates(value: RespValue): GeoCoordinates | null {
  const items = itemsOrNull(value, 'a longitude and a latitude');
  return items === null ? null : [toScore(items[0]), toScore(items[1])];
}

/** `[member, dist?, hash?, [lon, lat]?]`, in Redis's fixed order, as a GeoSearchHit. */
export function toGeoSearchHit(value: RespValue, asked: GeoWith): GeoSearchHit<RespValue> {
  if (!Array.isArray(value)) throw unexpected('a geo search hit', value);
  const hit: GeoSearchHit<RespValue> = { member: value[0] };
  let at = 1;
  if (asked.distance) hit.distance = toScore(value[at++]);
  if (asked.hash) hit.hash = Number(value[at++]);
  if (asked.coordinates) {
    const coordinates = toCoordinates(value[at]);
    if (coordinates !== null) hit.coordinates = coordinates;
  }
  return hit;
}

// ---- LCS … IDX ----

/** One common run: its start and end index in each key, and its length with WITHMATCHLEN. */
export interface LcsMatch {
  /** The match's first and last index in the first string. */
  key1: [start: number, end: number];
  /** The match's first and last index in the second string. */
  key2: [start: number, end: number];
  /** The match's length, with WITHMATCHLEN. */
  len?: number;
}

/** LCS … IDX: the matching ranges and the length of the longest common subsequence. */
export interface LcsIndex {
  /** The matches, last one first, as Redis lists them. */
  matches: LcsMatch[];
  /** Length of the longest common subsequence. */
  len: number;
}

/** The IDX form of LCS, a flat field list (RESP2) or a map (RESP3), as `{ matches, len }`. */
export function toLcsIndex(value: RespValue): LcsIndex {
  const fields = toFieldMap(value);
  const matches = toArray(fields.matches ?? null).map((raw): LcsMatch => {
    if (!Array.isArray(raw)) throw unexpected('an LCS match', raw);
    const match: LcsMatch = { key1: toRange(raw[0]), key2: toRange(raw[1]) };
    if (raw.length > 2) match.len = Number(raw[2]);
    return match;
  });
  return { matches, len: Number(fields.len) };
}

function toRange(value: RespValue): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw unexpected('a start and an end', value);
  return [Number(value[0]), Number(value[1])];
}
