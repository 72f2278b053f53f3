import type { RespValue } from '../resp/types';
import { reply, textOf, toArray, toScore, unexpected, type FieldMap } from './reply';

/**
 * Building blocks for structured replies that Redis sends as a map under RESP3 and as a flat
 * `[name, value, name, value…]` list under RESP2 (XINFO, ACL GETUSER, CLUSTER SHARDS, HELLO…).
 *
 * The rule they follow: respline never renames what Redis names. A map-shaped reply becomes a
 * prototype-less object keyed by Redis's own field names ('last-generated-id', 'pel-count'), so the
 * Redis documentation reads as is and fields a newer server adds still come through. Only positional
 * tuples, which Redis does not name, get names from respline. Numbers that RESP2 sends as text
 * become numbers, RESP3 sets become arrays.
 */

/** Turns one field's raw value into what the caller gets. */
export type FieldConverter = (value: RespValue) => unknown;
export type FieldConverters = Readonly<Record<string, FieldConverter>>;

const NO_CONVERTERS: FieldConverters = Object.freeze(Object.create(null));

/**
 * A map-shaped reply as a prototype-less object. Fields named in `fields` go through their converter,
 * any other through `others`: `loose` where strings are caller data, `textual` where Redis generates
 * them all. A field respline does not list may be one a newer server added: under RESP2 a nested map
 * in it stays a flat list, since only its name would say it is a map.
 */
export function toRecord(
  value: RespValue,
  fields: FieldConverters = NO_CONVERTERS,
  others: FieldConverter = loose,
): FieldMap<unknown> {
  const out: FieldMap<unknown> = Object.create(null);
  eachPair(value, (key, item) => {
    const convert = Object.hasOwn(fields, key) ? fields[key] : others;
    out[key] = convert(item);
  });
  return out;
}

/** Calls `visit` with each name (as text) and raw value of a RESP3 map or a RESP2 flat list. */
export function eachPair(value: RespValue, visit: (name: string, item: RespValue) => void): void {
  if (value instanceof Map) {
    for (const [name, item] of value) visit(textOf(name), item);
  } else if (Array.isArray(value)) {
    if (value.length % 2 !== 0) throw unexpected('name/value pairs', value);
    for (let i = 0; i < value.length; i += 2) visit(textOf(value[i]), value[i + 1]);
  } else {
    throw unexpected('a map', value);
  }
}

/** `toRecord`, or null for nil (ACL GETUSER of an unknown user). */
export function toNullableRecord(
  value: RespValue,
  fields: FieldConverters = NO_CONVERTERS,
  others: FieldConverter = loose,
): FieldMap<unknown> | null {
  return value === null ? null : toRecord(value, fields, others);
}

/** Maps become prototype-less objects and sets arrays, all the way down; anything else is kept. */
export function loose(value: RespValue): unknown {
  if (value instanceof Map) return toRecord(value);
  if (value instanceof Set || Array.isArray(value)) return [...value].map(loose);
  return value;
}

/** Like `loose`, with every string as text: for replies whose strings Redis generates (HELLO, ACL…). */
export function textual(value: RespValue): unknown {
  if (Buffer.isBuffer(value)) return value.toString();
  if (value instanceof Map) return toRecord(value, NO_CONVERTERS, textual);
  if (value instanceof Set || Array.isArray(value)) return [...value].map(textual);
  return value;
}

/** A list of map-shaped items. */
export function recordsOf(
  fields: FieldConverters = NO_CONVERTERS,
  others: FieldConverter = loose,
): FieldConverter {
  return (value) => toArray(value).map((item) => toRecord(item, fields, others));
}

/** A map-shaped value. */
export function recordOf(
  fields: FieldConverters = NO_CONVERTERS,
  others: FieldConverter = loose,
): FieldConverter {
  return (value) => toRecord(value, fields, others);
}

/** A number sent as an integer, a double, or text ('0.25', 'inf'); nil stays null. */
export function num(value: RespValue): number | null {
  if (value === null) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || Buffer.isBuffer(value)) return toScore(value);
  throw unexpected('a number', value);
}

/** Text Redis generates (an id, a flag, an address): a string even from the …Buffer twins. */
export function text(value: RespValue): string | null {
  return value === null ? null : textOf(value);
}

/** A list (or RESP3 set) of generated text, such as flags. */
export function texts(value: RespValue): string[] {
  return toArray(value).map(textOf);
}

/** Caller data (a key, a value, a channel): kept as decoded, a string or a Buffer. */
export function data(value: RespValue): RespValue {
  return value;
}

/** A list of caller data, a RESP3 set included. */
export function dataList(value: RespValue): RespValue[] {
  return toArray(value);
}

/** A map of names to numbers (PUBSUB NUMSUB, the counters in MEMORY STATS). */
export function toNumberMap(value: RespValue): FieldMap<number | null> {
  const out: FieldMap<number | null> = Object.create(null);
  eachPair(value, (name, item) => {
    out[name] = num(item);
  });
  return out;
}

/** Names to counts: PUBSUB NUMSUB and SHARDNUMSUB. */
export const numberMap = reply<FieldMap<number>>(toNumberMap);
