import type { RespValue } from '../resp/types';
import {
  hasToken,
  reply,
  toArray,
  toFieldMap,
  toNullableScore,
  toScore,
  toScoredMembers,
  type FieldMap,
  type ScoredMember,
} from './reply';

/**
 * The reply shapes the command groups share. Each name says what the caller gets with strings;
 * the …Buffer twin gets the same shape with Buffers where strings would be.
 */

/** The decoded value as it is: for replies with no stable shape worth promising (DEBUG, …). */
export const raw = reply<RespValue>();
/** A simple-string acknowledgement. */
export const ok = reply<'OK'>();
/** A simple-string status other than OK (PONG, a type name, …). */
export const status = reply<string>();
export const integer = reply<number>();
export const nullableInteger = reply<number | null>();
/** A bulk string, or null for a missing key. */
export const bulk = reply<string | null, Buffer | null>();
/** A bulk string that is always there. */
export const text = reply<string, Buffer>();
export const strings = reply<string[], Buffer[]>(toArray);
export const nullableStrings = reply<(string | null)[], (Buffer | null)[]>(toArray);
/** Field/value pairs (HGETALL, CONFIG GET…) as a prototype-less object. */
export const fieldMap = reply<FieldMap<string>, FieldMap<Buffer>>(toFieldMap);
export const score = reply<number>((value) => toScore(value));
export const nullableScore = reply<number | null>((value) => toNullableScore(value));
export const nullableScores = reply<(number | null)[]>((value) => toArray(value).map(toNullableScore));
/** Members, or `{ member, score }` objects when the arguments include WITHSCORES. */
export const membersOrScored = reply<string[] | ScoredMember[], Buffer[] | ScoredMember<Buffer>[]>(
  (value, args) => (hasToken(args, 'WITHSCORES') ? toScoredMembers(value) : toArray(value)),
);
/** Always `{ member, score }` objects (ZPOPMIN, ZPOPMAX). */
export const scoredMembers = reply<ScoredMember[], ScoredMember<Buffer>[]>(toScoredMembers);
