import type { RespValue } from '../resp/types';
import { reply, textOf, toArray, unexpected, type FieldMap } from './reply';
import { num, recordsOf, text, toRecord, type FieldConverters } from './replies-records';

/**
 * Stream replies. Entry ids are text even from the …Buffer twins (Redis generates them); keys, field
 * names and values, group and consumer names are caller data, Buffers from the twins. Map-shaped
 * replies (XINFO) keep Redis's own field names, as every structured reply in respline does.
 */

/** One stream entry, as XRANGE, XREAD, XCLAIM… return it. */
export interface StreamEntry<S = string> {
  /** The entry's id, 'milliseconds-sequence'. */
  id: string;
  /**
   * Field → value, prototype-less. Redis lets one entry repeat a field (`XADD s * a 1 a 2`); here the
   * last value wins, and `flat` keeps every one.
   */
  fields: FieldMap<S>;
  /** The entry exactly as stored: `[field, value, field, value…]`, order and repeats kept. */
  flat: S[];
}

/** An entry XREADGROUP finds in a consumer's pending list after it was deleted from the stream. */
export interface DeletedStreamEntry {
  /** The id of the deleted entry. */
  id: string;
  /** Always null: the entry's content is gone. */
  fields: null;
  /** Always null: the entry's content is gone. */
  flat: null;
}

/** What XREAD and XREADGROUP return per stream, in the order the keys were asked for. */
export interface StreamRead<S = string, E = StreamEntry<S>> {
  /** The stream's key. */
  key: S;
  /** Its entries, oldest first. */
  entries: E[];
}

interface StreamInfoBase {
  /** Number of entries. */
  length: number;
  /** Keys in the stream's radix tree (an internal size figure). */
  'radix-tree-keys': number;
  /** Nodes in the stream's radix tree (an internal size figure). */
  'radix-tree-nodes': number;
  /** The id of the last entry ever added, deleted or not. */
  'last-generated-id': string;
  /** Redis 7.0 on. */
  'max-deleted-entry-id'?: string;
  /** Redis 7.0 on. */
  'entries-added'?: number;
  /** Redis 7.0 on. */
  'recorded-first-entry-id'?: string;
}

/** XINFO STREAM key. */
export interface StreamInfo<S = string> extends StreamInfoBase {
  /** Number of consumer groups. */
  groups: number;
  /** The oldest entry, or null when the stream is empty. */
  'first-entry': StreamEntry<S> | null;
  /** The newest entry, or null when the stream is empty. */
  'last-entry': StreamEntry<S> | null;
}

/** XINFO STREAM key FULL: tell it from StreamInfo by `'entries' in info`. */
export interface StreamInfoFull<S = string> extends StreamInfoBase {
  /** The entries, oldest first, up to the COUNT given (10 by default). */
  entries: StreamEntry<S>[];
  /** Every consumer group in detail. */
  groups: StreamGroupFull<S>[];
}

/** A consumer group as XINFO STREAM FULL details it. */
export interface StreamGroupFull<S = string> {
  /** The group's name. */
  name: S;
  /** The id of the last entry delivered to the group. */
  'last-delivered-id': string;
  /** Redis 7.0 on; null when Redis cannot tell. */
  'entries-read'?: number | null;
  /** Redis 7.0 on; null when Redis cannot tell. */
  lag?: number | null;
  /** Number of pending entries. */
  'pel-count': number;
  /** The group's pending entries: delivered and not yet acknowledged. */
  pending: {
    /** The entry's id. */
    id: string;
    /** The consumer it was delivered to. */
    consumer: S;
    /** Unix time in milliseconds of its last delivery. */
    deliveryTime: number;
    /** How many times it was delivered. */
    deliveries: number;
  }[];
  /** Its consumers in detail. */
  consumers: StreamConsumerFull<S>[];
}

/** A consumer as XINFO STREAM FULL details it. */
export interface StreamConsumerFull<S = string> {
  /** The consumer's name. */
  name: S;
  /** Unix time in milliseconds of the consumer's last attempted interaction. */
  'seen-time': number;
  /** Redis 7.2 on: of its last successful interaction. */
  'active-time'?: number;
  /** Number of entries pending for it. */
  'pel-count': number;
  /** The consumer's pending entries. */
  pending: {
    /** The entry's id. */
    id: string;
    /** Unix time in milliseconds of its last delivery. */
    deliveryTime: number;
    /** How many times it was delivered. */
    deliveries: number;
  }[];
}

/** XINFO GROUPS. */
export interface StreamGroupInfo<S = string> {
  /** The group's name. */
  name: S;
  /** Number of consumers. */
  consumers: number;
  /** Number of entries delivered and not yet acknowledged. */
  pending: number;
  /** The id of the last entry delivered to the group. */
  'last-delivered-id': string;
  /** Redis 7.0 on; null when Redis cannot tell. */
  'entries-read'?: number | null;
  /** Redis 7.0 on; null when Redis cannot tell. */
  lag?: number | null;
}

/** XINFO CONSUMERS. */
export interface StreamConsumerInfo<S = string> {
  /** The consumer's name. */
  name: S;
  /** Number of entries pending for it. */
  pending: number;
  /** Milliseconds since the consumer last attempted an interaction. */
  idle: number;
  /** Redis 7.2 on: milliseconds since its last successful interaction (-1 for never). */
  inactive?: number;
}

/** XPENDING key group: the summary of a group's pending entries. */
export interface StreamPendingSummary<S = string> {
  /** Number of pending entries in the group. */
  pending: number;
  /** Smallest and largest pending id; null when nothing is pending. */
  lowest: string | null;
  /** Largest pending id; null when nothing is pending. */
  highest: string | null;
  /** Each consumer with at least one pending entry. */
  consumers: {
    /** The consumer's name. */
    name: S;
    /** How many entries it has pending. */
    pending: number;
  }[];
}

/** XPENDING key group [IDLE ms] start end count [consumer]: one pending entry. */
export interface StreamPendingEntry<S = string> {
  /** The entry's id. */
  id: string;
  /** The consumer that holds it. */
  consumer: S;
  /** Milliseconds since it was last delivered. */
  idle: number;
  /** How many times it was delivered. */
  deliveries: number;
}

/**
 * XAUTOCLAIM: the cursor for the next call ('0-0' when the scan is over), what was claimed, and the ids
 * of pending entries that no longer exist in the stream (Redis removed them from the pending list).
 */
export interface StreamAutoClaim<S = string> {
  /** The cursor to pass to the next XAUTOCLAIM; '0-0' when the scan is over. */
  next: string;
  /** Entries, or just their ids with JUSTID. */
  entries: StreamEntry<S>[] | string[];
  /** Ids of pending entries that no longer exist in the stream (Redis 7 on; empty before). */
  deleted: string[];
}

// ---- transforms ----

/** `[id, [field, value…]]` as an entry; `[id, nil]` (deleted, XREADGROUP's history) as a deleted one. */
export function toStreamEntry(value: RespValue): StreamEntry<RespValue> | DeletedStreamEntry {
  if (!Array.isArray(value) || value.length !== 2) throw unexpected('a stream entry', value);
  const id = textOf(value[0]);
  const flat = value[1];
  if (flat === null) return { id, fields: null, flat: null };
  if (!Array.isArray(flat)) throw unexpected("a stream entry's fields", flat);
  const fields: FieldMap<RespValue> = Object.create(null);
  for (let i = 0; i + 1 < flat.length; i += 2) fields[textOf(flat[i])] = flat[i + 1];
  return { id, fields, flat };
}

export function toStreamEntries(value: RespValue): (StreamEntry<RespValue> | DeletedStreamEntry)[] {
  return toArray(value).map(toStreamEntry);
}

function toNullableEntry(value: RespValue): StreamEntry<RespValue> | DeletedStreamEntry | null {
  return value === null ? null : toStreamEntry(value);
}

/** XREAD, XREADGROUP: a RESP3 map of key → entries or RESP2's `[[key, entries]…]`; nil when nothing came. */
export function toStreamReads(value: RespValue): StreamRead<RespValue, unknown>[] | null {
  if (value === null) return null;
  const out: StreamRead<RespValue, unknown>[] = [];
  if (value instanceof Map) {
    for (const [key, entries] of value) out.push({ key, entries: toStreamEntries(entries) });
    return out;
  }
  for (const item of toArray(value)) {
    if (!Array.isArray(item) || item.length !== 2) throw unexpected('a stream and its entries', item);
    out.push({ key: item[0], entries: toStreamEntries(item[1]) });
  }
  return out;
}

/** XCLAIM's entries, or ids with JUSTID. Before Redis 7 an entry deleted meanwhile came as nil: dropped. */
export function toClaimed(value: RespValue): (StreamEntry<RespValue> | DeletedStreamEntry | string)[] {
  const out: (StreamEntry<RespValue> | DeletedStreamEntry | string)[] = [];
  for (const item of toArray(value)) {
    if (item === null) continue;
    out.push(Array.isArray(item) ? toStreamEntry(item) : textOf(item));
  }
  return out;
}

export function toAutoClaim(value: RespValue): { next: string; entries: unknown[]; deleted: string[] } {
  if (!Array.isArray(value) || value.length < 2) throw unexpected('a cursor and claimed entries', value);
  return {
    next: textOf(value[0]),
    entries: toClaimed(value[1]),
    // Redis 6.2 sent only the first two elements.
    deleted: value.length > 2 ? toArray(value[2]).map(textOf) : [],
  };
}

/** The summary (`[count, lowest, highest, [[consumer, count]…]]`) or the extended form (a list of tuples). */
export function toPending(
  value: RespValue,
): StreamPendingSummary<RespValue> | StreamPendingEntry<RespValue>[] {
  const items = toArray(value);
  if (items.length === 4 && typeof items[0] === 'number') {
    const consumers = items[3] === null ? [] : toArray(items[3]);
    return {
      pending: items[0],
      lowest: text(items[1]),
      highest: text(items[2]),
      consumers: consumers.map((pair) => {
        if (!Array.isArray(pair)) throw unexpected('a consumer and its count', pair);
        return { name: pair[0], pending: Number(num(pair[1])) };
      }),
    };
  }
  return items.map((item) => {
    if (!Array.isArray(item) || item.length < 4) throw unexpected('a pending entry', item);
    return {
      id: textOf(item[0]),
      consumer: item[1],
      idle: Number(num(item[2])),
      deliveries: Number(num(item[3])),
    };
  });
}

const ENTRY_INFO: FieldConverters = {
  'last-generated-id': text,
  'max-deleted-entry-id': text,
  'recorded-first-entry-id': text,
  'first-entry': toNullableEntry,
  'last-entry': toNullableEntry,
  entries: toStreamEntries,
  groups: (value) => (typeof value === 'number' ? value : recordsOf(GROUP_FULL)(value)),
};

const GROUP_FULL: FieldConverters = {
  'last-delivered-id': text,
  pending: (value) =>
    tuples(value, 'a pending entry').map((item) => ({
      id: textOf(item[0]),
      consumer: item[1],
      deliveryTime: num(item[2]),
      deliveries: num(item[3]),
    })),
  consumers: (value) => recordsOf(CONSUMER_FULL)(value),
};

const CONSUMER_FULL: FieldConverters = {
  pending: (value) =>
    tuples(value, 'a pending entry').map((item) => ({
      id: textOf(item[0]),
      deliveryTime: num(item[1]),
      deliveries: num(item[2]),
    })),
};

const GROUP_INFO: FieldConverters = { 'last-delivered-id': text };

function tuples(value: RespValue, what: string): RespValue[][] {
  return toArray(value).map((item) => {
    if (!Array.isArray(item)) throw unexpected(what, item);
    return item;
  });
}

// ---- reply shapes ----

export const streamEntries = reply<StreamEntry[], StreamEntry<Buffer>[]>(toStreamEntries);
export const streamRead = reply<StreamRead[] | null, StreamRead<Buffer>[] | null>(toStreamReads);
export const streamReadGroup = reply<
  StreamRead<string, StreamEntry | DeletedStreamEntry>[] | null,
  StreamRead<Buffer, StreamEntry<Buffer> | DeletedStreamEntry>[] | null
>(toStreamReads);
export const streamClaim = reply<StreamEntry[] | string[], StreamEntry<Buffer>[] | string[]>(toClaimed);
export const streamAutoClaim = reply<StreamAutoClaim, StreamAutoClaim<Buffer>>(toAutoClaim);
export const streamPending = reply<
  StreamPendingSummary | StreamPendingEntry[],
  StreamPendingSummary<Buffer> | StreamPendingEntry<Buffer>[]
>(toPending);
export const streamInfo = reply<StreamInfo | StreamInfoFull, StreamInfo<Buffer> | StreamInfoFull<Buffer>>(
  (value) => toRecord(value, ENTRY_INFO),
);
export const streamGroups = reply<StreamGroupInfo[], StreamGroupInfo<Buffer>[]>(recordsOf(GROUP_INFO));
export const streamConsumers = reply<StreamConsumerInfo[], StreamConsumerInfo<Buffer>[]>(recordsOf({}));
