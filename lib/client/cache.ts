import { cacheableWhenOneKey } from '../commands/define';
import type { CacheOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';
import type { Transform } from '../commands/reply';
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

/** One cached reply, under the command and arguments that produced it. */
interface Entry {
  readonly id: string;
  readonly key: KeyState;
  readonly value: RespValue;
  readonly bytes: number;
  readonly storedAt: number;
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
  readonly id: string;
  readonly key: KeyState;
  readonly invalidations: number;
  readonly epoch: number;
}

interface InflightRead {
  readonly read: PendingRead;
  readonly reply: Promise<RespValue>;
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
  private readonly entries = new Map<string, Entry>();
  private readonly keys = new Map<string, KeyState>();
  /** The recency list over `entries`, O(1) to touch: `oldest` is evicted first. */
  private oldest: Entry | null = null;
  private newest: Entry | null = null;
  /** The read of each entry id that is out now, for identical reads to join. */
  private readonly inflight = new Map<string, InflightRead>();
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
   * The entry id of a cacheable read: whether strings stay Buffers, then every argument, length-prefixed
   * so no two argument lists share an id. Null when this call cannot be cached (EXISTS of two keys).
   */
  idOf(args: readonly CommandArg[], buffers: boolean): string | null {
    if (args.length < 2 || (args.length > 2 && cacheableWhenOneKey.has(args[0] as string))) return null;
    const name = args[0];
    const key = args[1];
    // The common case, short: a command name has no space, so `GET k` cannot be another argument list.
    if (args.length === 2 && typeof name === 'string' && typeof key === 'string')
      return `${buffers ? 'B' : 'T'}${name} ${key}`;
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
    const id = this.closed ? null : this.idOf(args, (flags & CommandFlags.Buffers) !== 0);
    if (id === null) {
      const reply = backend.send(args, flags);
      return transform === null ? reply : reply.then((value) => transform(value, args));
    }
    const cached = this.lookup(id);
    if (cached !== MISS) {
      this.hits++;
      try {
        return Promise.resolve(transform === null ? cached : transform(cached, args));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const joinable = this.inflight.get(id);
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
    const read = this.beginRead(id, args[1] as CommandArg);
    const reply = backend.send(args, flags);
    const flight: InflightRead = { read, reply };
    this.inflight.set(id, flight);
    return reply.then(
      (value) => {
        if (this.inflight.get(id) === flight) this.inflight.delete(id);
        this.completeRead(read, value);
        return transform === null ? value : transform(value, args);
      },
      (error: unknown) => {
        if (this.inflight.get(id) === flight) this.inflight.delete(id);
        this.abandonRead(read);
        throw error;
      },
    );
  }

  /** Nothing invalidated the read's key, and nothing emptied the cache, since it was sent. */
  private isCurrent(read: PendingRead): boolean {
    return read.epoch === this.epoch && !this.closed && read.key.invalidations === read.invalidations;
  }

  /** A copy of the cached reply, or MISS; an expired entry is dropped. `read` counts hits and misses. */
  lookup(id: string): RespValue | typeof MISS {
    const entry = this.entries.get(id);
    if (entry === undefined) return MISS;
    if (this.maxAgeMs > 0 && Date.now() - entry.storedAt >= this.maxAgeMs) {
      this.remove(entry);
      return MISS;
    }
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return copyReply(entry.value);
  }

  /** A cacheable read is being sent for `id`; its key is the command's first argument. */
  beginRead(id: string, keyArg: CommandArg): PendingRead {
    const name = keyName(keyArg);
    let key = this.keys.get(name);
    if (key === undefined) {
      key = { name, entries: new Set(), reads: 0, invalidations: 0 };
      this.keys.set(name, key);
    }
    key.reads++;
    return { id, key, invalidations: key.invalidations, epoch: this.epoch };
  }

  /**
   * The read's reply arrived: cached (a copy, so the caller may keep the original) unless its key was
   * invalidated, or the cache emptied, while it was out.
   */
  completeRead(read: PendingRead, value: RespValue): void {
    const key = read.key;
    const bytes = ENTRY_OVERHEAD + read.id.length + sizeOf(value);
    if (this.isCurrent(read) && bytes <= this.maxBytes) {
      // The key's state stays filed while this read counts in `reads`, so the entry is reachable by
      // the key's invalidations.
      const previous = this.entries.get(read.id);
      if (previous !== undefined) this.remove(previous);
      const storedAt = this.maxAgeMs > 0 ? Date.now() : 0;
      const entry: Entry = {
        id: read.id,
        key,
        value: copyReply(value),
        bytes,
        storedAt,
        older: null,
        newer: null,
      };
      this.entries.set(read.id, entry);
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
    this.entries.clear();
    this.oldest = null;
    this.newest = null;
    this.inflight.clear();
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
      entries: this.entries.size,
    };
  }

  private evict(): void {
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
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
    this.entries.delete(entry.id);
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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A key as the server names it in invalidations, which are decoded as UTF-8 text: a Buffer key is read
 * the same way, and a string that UTF-8 cannot carry (a lone surrogate) is given as it arrives back.
 * Two binary keys may share a name this way: they are then invalidated together, never too rarely.
 */
function keyName(arg: CommandArg): string {
  if (typeof arg === 'string') return LONE_SURROGATE.test(arg) ? Buffer.from(arg).toString() : arg;
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
