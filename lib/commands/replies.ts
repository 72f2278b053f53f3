import type { CommandArg, RespValue } from '../resp/types';
import {
  afterNumkeys,
  arrayIfSet,
  geoWith,
  hasTokenFrom,
  reply,
  toArray,
  toCoordinates,
  toFieldMap,
  toGeoSearchHit,
  toKeyedElement,
  toKeyedElements,
  toKeyedScoredMember,
  toKeyedScoredMembers,
  toLcsIndex,
  toNullableScore,
  toPairs,
  toRankWithScore,
  toScanPage,
  toScore,
  toScoredMembers,
  type FieldMap,
  type FieldValue,
  type GeoCoordinates,
  type GeoSearchHit,
  type KeyedElement,
  type KeyedElements,
  type KeyedScoredMember,
  type KeyedScoredMembers,
  type LcsIndex,
  type RankWithScore,
  type Reply,
  type ScanPage,
  type ScoredMember,
} from './reply';

/**
 * The reply shapes the command groups share. Each name says what the caller gets with strings;
 * the …Buffer twin gets the same shape with Buffers where strings would be. A shape whose reply is
 * already the same under RESP2 and RESP3 has no transform, so it costs nothing per call.
 */

/** The decoded value as it is: for replies with no stable shape worth promising (DEBUG, …). */
export const raw = reply<RespValue>();
/** A simple-string acknowledgement. */
export const ok = reply<'OK', Buffer>();
/** A simple-string status other than OK (PONG, a type name, …). */
export const status = reply<string, Buffer>();
export const integer = reply<number>();
export const nullableInteger = reply<number | null>();
/** Integers under both protocols (SMISMEMBER). */
export const integers = reply<number[]>();
/** Integers or nil under both protocols (BITFIELD: nil for an OVERFLOW FAIL). */
export const nullableIntegers = reply<(number | null)[]>();
/** A bulk string, or null for a missing key. */
export const bulk = reply<string | null, Buffer | null>();
/** A bulk string that is always there. */
export const text = reply<string, Buffer>();
/** An array or a RESP3 set (SMEMBERS, SINTER…), always as an array. */
export const strings = reply<string[], Buffer[]>(toArray);
export const nullableStrings = reply<(string | null)[], (Buffer | null)[]>(toArray);
/** An array under both protocols (LRANGE, HKEYS…): nothing to convert. */
export const list = reply<string[], Buffer[]>();
/** An array with nil items under both protocols (MGET, HMGET, GEOHASH). */
export const nullableList = reply<(string | null)[], (Buffer | null)[]>();
/** Field/value pairs (HGETALL, CONFIG GET…) as a prototype-less object. */
export const fieldMap = reply<FieldMap<string>, FieldMap<Buffer>>(toFieldMap);
export const score = reply<number>((value) => toScore(value));
/** A score or nil; also ZADD, whose integer (without INCR) passes through unchanged. */
export const nullableScore = reply<number | null>((value) => toNullableScore(value));
export const nullableScores = reply<(number | null)[]>((value) => toArray(value).map(toNullableScore));
/** Always `{ member, score }` objects (ZPOPMIN, ZPOPMAX). */
export const scoredMembers = reply<ScoredMember[], ScoredMember<Buffer>[]>(toScoredMembers);

// ---- lists and sets ----

/** LPOP/RPOP/SRANDMEMBER: one element (or nil) without a count, an array with one. */
export const popped = reply<string | string[] | null, Buffer | Buffer[] | null>();
/** SPOP: as `popped`, but RESP3 sends the counted form as a set. */
export const poppedFromSet = reply<string | string[] | null, Buffer | Buffer[] | null>(arrayIfSet);
/** LPOS: a position or nil, or an array of positions with COUNT. */
export const positions = reply<number | number[] | null>();
/** BLPOP, BRPOP: `{ key, element }`, or null when the timeout passed. */
export const keyedElement = reply<KeyedElement | null, KeyedElement<Buffer> | null>(toKeyedElement);
/** LMPOP, BLMPOP: `{ key, elements }`, or null when nothing was popped. */
export const keyedElements = reply<KeyedElements | null, KeyedElements<Buffer> | null>(toKeyedElements);

// ---- hashes ----

/** HRANDFIELD: a field (or nil) without a count, fields with one, `[field, value]` tuples WITHVALUES. */
export const randomFields = reply<
  string | null | string[] | FieldValue[],
  Buffer | null | Buffer[] | FieldValue<Buffer>[]
>((value, args) => (hasTokenFrom(args, 3, 'WITHVALUES') ? toPairs(value) : value));

// ---- sorted sets ----

type MembersOrScored = Reply<string[] | ScoredMember[], Buffer[] | ScoredMember<Buffer>[]>;

/** Members, or `{ member, score }` objects when WITHSCORES is among the options from `optionsAt`. */
function membersOrScoredAfter(optionsAt: (args: readonly CommandArg[]) => number): MembersOrScored {
  return reply((value, args) =>
    hasTokenFrom(args, optionsAt(args), 'WITHSCORES') ? toScoredMembers(value) : value,
  );
}

/** ZRANGE, ZRANGEBYSCORE, ZREVRANGE…: `CMD key a b [options]`. */
export const rangeMembers = membersOrScoredAfter(() => 4);
/** ZUNION, ZINTER, ZDIFF: `CMD numkeys key… [options]`. */
export const combinedMembers = membersOrScoredAfter((args) => afterNumkeys(args));
/** ZRANDMEMBER: a member (or nil) without a count, members with one, `{ member, score }` WITHSCORES. */
export const randomMembers = reply<
  string | null | string[] | ScoredMember[],
  Buffer | null | Buffer[] | ScoredMember<Buffer>[]
>((value, args) => (hasTokenFrom(args, 3, 'WITHSCORES') ? toScoredMembers(value) : value));
/** ZRANK, ZREVRANK: a rank or nil, `{ rank, score }` with WITHSCORE (Redis 7.2). */
export const rank = reply<number | null | RankWithScore>((value, args) =>
  hasTokenFrom(args, 3, 'WITHSCORE') ? toRankWithScore(value) : value,
);
/** BZPOPMIN, BZPOPMAX: `{ key, member, score }`, or null when the timeout passed. */
export const keyedScoredMember = reply<KeyedScoredMember | null, KeyedScoredMember<Buffer> | null>(
  toKeyedScoredMember,
);
/** ZMPOP, BZMPOP: `{ key, members: { member, score }[] }`, or null when nothing was popped. */
export const keyedScoredMembers = reply<KeyedScoredMembers | null, KeyedScoredMembers<Buffer> | null>(
  toKeyedScoredMembers,
);

// ---- SCAN family: `[cursor, items]`, the cursor always a string ----

export const scanMembers = reply<ScanPage<string>, ScanPage<Buffer>>((value) => toScanPage(value, toArray));
export const scanFields = reply<ScanPage<FieldValue>, ScanPage<FieldValue<Buffer>>>((value) =>
  toScanPage(value, toPairs),
);
export const scanScored = reply<ScanPage<ScoredMember>, ScanPage<ScoredMember<Buffer>>>((value) =>
  toScanPage(value, toScoredMembers),
);

// ---- strings ----

/** LCS: the common text, its length with LEN, or `{ matches, len }` with IDX. */
export const lcs = reply<string | number | LcsIndex, Buffer | number | LcsIndex>((value) =>
  value instanceof Map || Array.isArray(value) ? toLcsIndex(value) : value,
);

// ---- geo ----

/** GEOPOS: `[longitude, latitude]` per member, null for a missing one. */
export const coordinates = reply<(GeoCoordinates | null)[]>((value) => toArray(value).map(toCoordinates));

type GeoSearch = Reply<string[] | GeoSearchHit[] | number, Buffer[] | GeoSearchHit<Buffer>[] | number>;

/**
 * GEOSEARCH and GEORADIUS…: member names, `GeoSearchHit` objects when a WITH… option (from
 * `optionsAt` on) asked for more, or the stored count with STORE.
 */
export function geoSearch(optionsAt: number): GeoSearch {
  return reply((value, args) => {
    if (!Array.isArray(value)) return value;
    const asked = geoWith(args, optionsAt);
    if (!asked.distance && !asked.hash && !asked.coordinates) return value;
    return value.map((hit) => toGeoSearchHit(hit, asked));
  });
}
