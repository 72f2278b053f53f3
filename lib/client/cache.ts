import { cacheableWhenOneKey } from '../commands/define';
import type { CacheOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';
import { shaped, type Transform } from '../commands/reply';
import { CommandFlags } from '../connection/pending-command';
import type { CommandArg, RespValue } from '../resp/types';

export type { CacheOptions } from '../connection/options';

/** What `client.stats().cache` reports. */
export interface CacheStats {
  /** Reads answered from memory. */
  hits: number;
  /** Cacheable reads that went to the server. */
  misses: number;
  /** Keys named by the server's invalidation pushes, plus one per flush (a push with no key list). */
  invalidations: number;
  /** Entries held now. */
  entries: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** What an entry costs beyond its key and value: the Map slot, the Entry object, the index. */
const ENTRY_OVERHEAD = 96;

/** Returned by `lookup` when the entry is not there: `undefined` is not a RESP value, but be explicit. */
export const MISS: unique symbol = Symbol('cache miss');

/** Where a miss goes: the shared connection, whose socket has CLIENT TRACKING on. */
export interface CacheBackend {
  send(args: readonly CommandArg[], flags: CommandFlags): Promise<RespValue>;
}

/**
 * Where the entries and in-flight reads of one kind of call are filed, each under its slot. A one-key
 * call (GET k) is filed in its command's table under the key itself, so a hit builds no string; any
 * other call in the shared table under its full id (`idOf`).
 */
class Table {
  readonly entries = new Map<string, Entry>();
  readonly inflight = new Map<string, InflightRead>();
}

/** One cached reply, under the command and arguments that produced it. */
interface Entry {
  readonly table: Table;
  readonly slot: string;
  readonly key: KeyState;
  readonly value: RespValue;
  /** Whether the value has parts a caller could mutate (arrays, Maps, Sets, Buffers): then hits get copies. */
  readonly mutable: boolean;
  readonly bytes: number;
  readonly storedAt: number;
  /** The value as a settled promise, made by the first hit that can share it. */
  settled: Promise<RespValue> | null;
  /** Neighbours in the recency list: `older` towards the least recently used. */
  older: Entry | null;
  newer: Entry | null;
}

/**
 * What the cache knows about one Redis key: the entries filed under it (GET k, HGET k f…), the reads
 * of it still in flight, and how many times it was invalidated while any of those were out. Kept only
 * while it has entries or reads.
 */
interface KeyState {
  readonly name: string;
  readonly entries: Set<Entry>;
  reads: number;
  invalidations: number;
}

/** A read sent to the server, remembered so its reply is cached only if nothing invalidated its key meanwhile. */
export interface PendingRead {
  readonly table: Table;
  readonly slot: string;
  readonly key: KeyState;
  readonly invalidations: number;
  readonly epoch: number;
}

interface InflightRead {
  readonly read: PendingRead;
  readonly reply: Promise<RespValue>;
}

/** The tables of one-key calls by command name, one map per kind of call (see `namedIndex`). */
type NamedTables = [Map<string, Table>, Map<string, Table>, Map<string, Table>, Map<string, Table>];

function namedTables(): NamedTables {
  return [new Map(), new Map(), new Map(), new Map()];
}

/** Replies kept as Buffers are another entry than text replies; a Buffer key is another key than a string one with the same latin1 text. */
function namedIndex(buffers: boolean, binaryKey: boolean): number {
  return (buffers ? 1 : 0) | (binaryKey ? 2 : 0);
}

/**
 * The client-side cache of one Client: an LRU of raw replies (Map insertion order: the first entry is
 * the least recently used), bounded by entries and by approximate bytes, kept true by the server's
 * CLIENT TRACKING invalidations.
 *
 * A reply is cached only when nothing invalidated its key between the read's send and its reply (per
 * key, counted while reads are out), and nothing emptied the cache meanwhile (`epoch`). Values are
 * handed out as copies (arrays, Maps, Sets, Buffers; strings and numbers are immutable already), so a
 * caller mutating what it got cannot change what the next caller gets.
 */
export class ClientCache {
  /** One-key calls, by kind of call and command name; cleared by replacing them. */
  private named: NamedTables = namedTables();
  /** Every other cacheable call, under its full id. */
  private general = new Table();
  private readonly keys = new Map<string, KeyState>();
  /** The recency list over the entries, O(1) to touch: `oldest` is evicted first. */
  private oldest: Entry | null = null;
  private newest: Entry | null = null;
  private count = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private bytes = 0;
  /** Bumped whenever the whole cache is emptied: a read sent before that is not cached. */
  private epoch = 0;
  private closed = false;
  private hits = 0;
  private misses = 0;
  private invalidations = 0;

  constructor(options: CacheOptions, protocol: 2 | 3 | undefined) {
    if (typeof options !== 'object' || options === null)
      throw new InvalidArgumentError('cache takes { maxEntries, maxBytes?, maxAgeMs? }');
    if (protocol !== 3) {
      throw new InvalidArgumentError(
        'cache needs protocol: 3: invalidations arrive as RESP3 push frames on the connection the reads use ' +
          '(respline does not implement the RESP2 REDIRECT form)',
      );
    }
    this.maxEntries = positiveInteger('cache.maxEntries', options.maxEntries);
    this.maxBytes = positiveInteger('cache.maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.maxAgeMs = options.maxAgeMs === undefined ? 0 : positiveInteger('cache.maxAgeMs', options.maxAgeMs);
  }

  /**
   * The full id of a cacheable read, as the shared table files it: whether strings stay Buffers, then
   * every argument, length-prefixed so no two argument lists share an id. Null when this call cannot
   * be cached (EXISTS of two keys).
   */
  idOf(args: readonly CommandArg[], buffers: boolean): string | null {
    if (args.length < 2 || (args.length > 2 && cacheableWhenOneKey.has(args[0] as string))) return null;
    let id = buffers ? 'b' : 't';
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string') id += `${arg.length}s${arg}`;
      else if (typeof arg === 'number') {
        const text = String(arg);
        id += `${text.length}n${text}`;
      } else if (Buffer.isBuffer(arg)) id += `${arg.length}b${arg.toString('latin1')}`;
      else return null;
    }
    return id;
  }

  /**
   * A cacheable read (CommandFlags.Cacheable): answered from memory when its entry is there, otherwise
   * sent through `backend` and its reply cached if nothing invalidated the key meanwhile. `transform`
   * reshapes the reply as the command's definition says (null: as decoded).
   */
  read(
    args: readonly CommandArg[],
    flags: CommandFlags,
    transform: Transform | null,
    backend: CacheBackend,
  ): Promise<unknown> {
    const buffers = (flags & CommandFlags.Buffers) !== 0;
    let table: Table | undefined;
    let slot: string | null = null;
    if (this.closed) {
      // Sent as it is below.
    } else if (args.length === 2 && typeof args[0] === 'string') {
      // The hot case: one key, filed under the key itself in its command's table.
      const key = args[1];
      let binary = false;
      if (typeof key === 'string') slot = key;
      else if (typeof key === 'number') slot = String(key);
      else if (Buffer.isBuffer(key)) {
        slot = key.toString('latin1');
        binary = true;
      }
      if (slot !== null) {
        const tables = this.named[namedIndex(buffers, binary)];
        table = tables.get(args[0]);
        if (table === undefined) tables.set(args[0], (table = new Table()));
      }
    } else {
      slot = this.idOf(args, buffers);
      table = this.general;
    }
    if (slot === null || table === undefined) {
      return shaped(backend.send(args, flags), transform, args);
    }
    const entry = this.touch(table, slot);
    if (entry !== undefined) {
      this.hits++;
      // An immutable reply as decoded (GET's string): every hit may share one settled promise.
      if (transform === null && !entry.mutable) return (entry.settled ??= Promise.resolve(entry.value));
      const cached = entry.mutable ? copyReply(entry.value) : entry.value;
      if (transform === null) return Promise.resolve(cached);
      try {
        return Promise.resolve(transform(cached, args));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.miss(table, slot, args, flags, transform, backend);
  }

  private miss(
    table: Table,
    slot: string,
    args: readonly CommandArg[],
    flags: CommandFlags,
    transform: Transform | null,
    backend: CacheBackend,
  ): Promise<unknown> {
    const joinable = table.inflight.get(slot);
    if (joinable !== undefined && this.isCurrent(joinable.read)) {
      // The same read is out and nothing invalidated its key since it left: its reply is what a cache
      // hit would give once it arrives, so this caller waits for it instead of sending another.
      this.hits++;
      return joinable.reply.then((value) => {
        const copy = copyReply(value);
        return transform === null ? copy : transform(copy, args);
      });
    }
    this.misses++;
    const read = this.beginReadIn(table, slot, args[1] as CommandArg);
    const reply = backend.send(args, flags);
    const flight: InflightRead = { read, reply };
    table.inflight.set(slot, flight);
    return reply.then(
      (value) => {
        if (table.inflight.get(slot) === flight) table.inflight.delete(slot);
        this.completeRead(read, value);
        return transform === null ? value : transform(value, args);
      },
      (error: unknown) => {
        if (table.inflight.get(slot) === flight) table.inflight.delete(slot);
        this.abandonRead(read);
        throw error;
      },
    );
  }

  /** Nothing invalidated the read's key, and nothing emptied the cache, since it was sent. */
  private isCurrent(read: PendingRead): boolean {
    return read.epoch === this.epoch && !this.closed && read.key.invalidations === read.invalidations;
  }

  /** The cached reply of a full id (`idOf`), or MISS: the bookkeeping as `read` uses it. */
  lookup(id: string): RespValue | typeof MISS {
    const entry = this.touch(this.general, id);
    if (entry === undefined) return MISS;
    return entry.mutable ? copyReply(entry.value) : entry.value;
  }

  /** The live entry in `slot`, made the most recently used; an expired one is dropped. */
  private touch(table: Table, slot: string): Entry | undefined {
    const entry = table.entries.get(slot);
    if (entry === undefined) return undefined;
    if (this.maxAgeMs > 0 && Date.now() - entry.storedAt >= this.maxAgeMs) {
      this.remove(entry);
      return undefined;
    }
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry;
  }

  /** A cacheable read is being sent for a full id (`idOf`); its key is the command's first argument. */
  beginRead(id: string, keyArg: CommandArg): PendingRead {
    return this.beginReadIn(this.general, id, keyArg);
  }

  private beginReadIn(table: Table, slot: string, keyArg: CommandArg): PendingRead {
    const name = keyName(keyArg);
    let key = this.keys.get(name);
    if (key === undefined) {
      key = { name, entries: new Set(), reads: 0, invalidations: 0 };
      this.keys.set(name, key);
    }
    key.reads++;
    return { table, slot, key, invalidations: key.invalidations, epoch: this.epoch };
  }

  /**
   * The read's reply arrived: cached (a copy, so the caller may keep the original) unless its key was
   * invalidated, or the cache emptied, while it was out.
   */
  completeRead(read: PendingRead, value: RespValue): void {
    const key = read.key;
    const bytes = ENTRY_OVERHEAD + read.slot.length + sizeOf(value);
    if (this.isCurrent(read) && bytes <= this.maxBytes) {
      // The key's state stays filed while this read counts in `reads`, so the entry is reachable by
      // the key's invalidations.
      const previous = read.table.entries.get(read.slot);
      if (previous !== undefined) this.remove(previous);
      const mutable = typeof value === 'object' && value !== null;
      const entry: Entry = {
        table: read.table,
        slot: read.slot,
        key,
        value: mutable ? copyReply(value) : value,
        mutable,
        bytes,
        storedAt: this.maxAgeMs > 0 ? Date.now() : 0,
        settled: null,
        older: null,
        newer: null,
      };
      read.table.entries.set(read.slot, entry);
      this.count++;
      this.append(entry);
      key.entries.add(entry);
      this.bytes += bytes;
    }
    key.reads--;
    this.forgetIfUnused(key);
    this.evict();
  }

  /** The read failed: nothing is cached. */
  abandonRead(read: PendingRead): void {
    read.key.reads--;
    this.forgetIfUnused(read.key);
  }

  /**
   * A push frame from the connection the reads use. `invalidate` with keys drops their entries;
   * `invalidate` with null (FLUSHALL, FLUSHDB, or the server dropping its tracking table) empties all.
   */
  onPush(message: readonly RespValue[]): void {
    if (message.length < 2 || textOf(message[0]) !== 'invalidate') return;
    const keys = message[1];
    if (!Array.isArray(keys)) {
      this.invalidations++;
      this.clear();
      return;
    }
    for (const name of keys) {
      this.invalidations++;
      if (typeof name !== 'string' && !Buffer.isBuffer(name)) continue;
      const key = this.keys.get(typeof name === 'string' ? name : name.toString());
      if (key === undefined) continue;
      key.invalidations++;
      for (const entry of key.entries) this.dropEntry(entry);
      key.entries.clear();
      this.forgetIfUnused(key);
    }
  }

  /** Drops everything: the connection was lost, so invalidations may have been missed. */
  clear(): void {
    this.epoch++;
    this.named = namedTables();
    this.general = new Table();
    this.count = 0;
    this.oldest = null;
    this.newest = null;
    this.keys.clear();
    this.bytes = 0;
  }

  /** The client is closing: nothing is served from memory any more. */
  close(): void {
    this.closed = true;
    this.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      invalidations: this.invalidations,
      entries: this.count,
    };
  }

  private evict(): void {
    while (this.count > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.oldest;
      if (oldest === null) return;
      this.remove(oldest);
    }
  }

  private remove(entry: Entry): void {
    this.dropEntry(entry);
    entry.key.entries.delete(entry);
    this.forgetIfUnused(entry.key);
  }

  private dropEntry(entry: Entry): void {
    // A cleared cache has new tables: an entry of the old ones is not counted twice.
    if (entry.table.entries.get(entry.slot) !== entry) return;
    entry.table.entries.delete(entry.slot);
    this.count--;
    this.unlink(entry);
    this.bytes -= entry.bytes;
  }

  /** Makes `entry` the most recently used. */
  private append(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest === null) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.older === null) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === null) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = null;
    entry.newer = null;
  }

  private forgetIfUnused(key: KeyState): void {
    if (key.reads === 0 && key.entries.size === 0 && this.keys.get(key.name) === key)
      this.keys.delete(key.name);
  }
}

/** Cheap to test on every miss; the full LONE_SURROGATE test runs only on the rare key that has one. */
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A key as the server names it in invalidations, which are decoded as UTF-8 text: a Buffer key is read
 * the same way, and a string that UTF-8 cannot carry (a lone surrogate) is given as it arrives back.
 * Two binary keys may share a name this way: they are then invalidated together, never too rarely.
 */
function keyName(arg: CommandArg): string {
  if (typeof arg === 'string')
    return SURROGATE.test(arg) && LONE_SURROGATE.test(arg) ? Buffer.from(arg).toString() : arg;
  if (typeof arg === 'number') return String(arg);
  return arg.toString();
}

function textOf(value: RespValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  return undefined;
}

/** A deep copy of the mutable parts of a reply; strings, numbers and null are returned as they are. */
export function copyReply(value: RespValue): RespValue {
  if (typeof value !== 'object' || value === null) return value;
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copyReply);
  if (value instanceof Map) {
    const copy = new Map<RespValue, RespValue>();
    for (const [field, item] of value) copy.set(copyReply(field), copyReply(item));
    return copy;
  }
  if (value instanceof Set) return new Set([...value].map(copyReply));
  return value;
}

/** Approximate bytes held by a reply. */
function sizeOf(value: RespValue): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return 8;
  if (Buffer.isBuffer(value)) return value.length;
  let total = 16;
  if (Array.isArray(value) || value instanceof Set) for (const item of value) total += 8 + sizeOf(item);
  else if (value instanceof Map)
    for (const [field, item] of value) total += 16 + sizeOf(field) + sizeOf(item);
  return total;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError(`${name} must be a positive integer`);
  return value;
}
