import { resolveCommand } from '../commands/command-table';
import { cacheableWhenOneKey } from '../commands/define';
import { routableKeyPositions } from '../commands/movable-keys';
import type { CacheOptions } from '../connection/options';
import { InvalidArgumentError } from '../errors';
import { shaped, type Transform } from '../commands/reply';
import { CommandFlags, type Settle } from '../connection/pending-command';
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
  /** As `send`, settling through callbacks: a miss fills its entry as its reply is decoded. */
  sendTo(
    args: readonly CommandArg[],
    flags: CommandFlags,
    resolve: Settle<RespValue>,
    reject: Settle<Error>,
  ): void;
}

/**
 * Where the entries of one kind of call are filed, each under its slot. A one-key call (GET k) is
 * filed in its command's table under the key itself, so a hit builds no string; any other call in
 * the shared table under its full id (`idOf`).
 */
class Table {
  readonly entries = new Map<string, Entry>();

  /** `epoch`: the cache's when the table was made; a cleared cache's tables are not its own any more. */
  constructor(readonly epoch: number) {}
}

/**
 * One call's place in the cache: its reply while `live`; otherwise a shell, kept for the next read of
 * the same call (`vacancies`). An invalidated hot key is read again at once: refilling its shell
 * leaves only the new value for the next scavenge to copy, where a new entry, a new key state and the
 * Map slots they take (rehashed as keys come and go) were copied too, twice each, promoted.
 */
class Entry {
  value: RespValue = null;
  live = false;
  /** Whether the value has parts a caller could mutate (arrays, Maps, Sets, Buffers): then hits get copies. */
  mutable = false;
  /** Counted in the cache's bytes: the shell's, plus the value's while live. */
  bytes: number;
  storedAt = 0;
  /** The value as a settled promise, made by the first hit that can share it. */
  settled: Promise<RespValue> | null = null;
  /** The read of this call still out, which a miss may join while it is current. */
  flight: PendingRead | null = null;
  /** In the vacancy list: neither live nor awaiting a read. */
  vacant = false;
  /** Neighbours in the recency list while live, in the vacancy list while vacant: `older` towards the first out. */
  older: Entry | null = null;
  newer: Entry | null = null;
  /** Neighbours among the entries of the same key, live (`KeyState.live`) or not (`KeyState.shells`). */
  keyPrevious: Entry | null = null;
  keyNext: Entry | null = null;

  constructor(
    readonly table: Table,
    readonly slot: string,
    readonly key: KeyState,
  ) {
    this.bytes = ENTRY_OVERHEAD + slot.length;
  }
}

/** A doubly linked list of entries through `older`/`newer`, O(1) to append and unlink. */
class EntryList {
  oldest: Entry | null = null;
  newest: Entry | null = null;
  length = 0;

  append(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest === null) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
    this.length++;
  }

  unlink(entry: Entry): void {
    if (entry.older === null) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === null) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = null;
    entry.newer = null;
    this.length--;
  }
}

/**
 * What the cache knows about one Redis key: the entries filed under it (GET k, HGET k f…), the live
 * ones apart from the shells so an invalidation walks the live ones only, the reads of it still in
 * flight, and how many times it was invalidated while any of those were out. Kept while it has
 * entries or reads.
 */
interface KeyState {
  readonly name: string;
  live: Entry | null;
  shells: Entry | null;
  reads: number;
  invalidations: number;
}

/** A read sent to the server, remembered so its reply is cached only if nothing invalidated its key meanwhile. */
export class PendingRead {
  /** The reply as the cache keeps it (a copy when mutable), for reads that joined this one. */
  kept: RespValue = null;
  /** Settles with the raw reply; reads that joined wait on it. */
  reply: Promise<RespValue> | null = null;
  resolve: Settle<RespValue> = noop;
  reject: Settle<Error> = noop;

  constructor(
    readonly entry: Entry,
    readonly invalidations: number,
    readonly epoch: number,
  ) {}
}

function noop(): void {}

let capturedResolve: Settle<RespValue> = noop;
let capturedReject: Settle<Error> = noop;

/** One shared executor, so a miss's promise allocates no closure for it. */
function captureSettlers(resolve: Settle<RespValue>, reject: Settle<Error>): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Every key: what a write whose keys cannot be told from its arguments may have changed. */
export const EVERY_KEY: unique symbol = Symbol('every key');

/** What a write of this Client's own changed, as the cache names keys (`keyName`), or EVERY_KEY. */
export type Written = readonly string[] | typeof EVERY_KEY;

/**
 * Scripts are not flagged `write` (their flags say what they may do, not what they did), but they
 * write the keys they declare: Redis requires a script to name every key it touches in KEYS.
 */
const SCRIPTS: ReadonlySet<string> = new Set(['EVAL', 'EVALSHA', 'FCALL']);

/**
 * What a command of this Client's own may change in the cache's view, from the command table: null
 * when nothing (a read, a command of another kind); the key names of a write (the declared KEYS of a
 * script); EVERY_KEY when a write names no keys (FLUSHDB, SWAPDB) or they cannot be told from its
 * arguments (MIGRATE … KEYS), and for a command respline does not know (a module's, a newer
 * server's), which may write anything.
 */
export function writtenBy(args: readonly CommandArg[]): Written | null {
  const info = resolveCommand(args);
  if (info === undefined) return EVERY_KEY;
  const script = SCRIPTS.has(info.name);
  if (!info.write && !script) return null;
  if (info.firstKey === 1 && info.lastKey === 1 && !info.movableKeys) {
    // One key, the first argument (SET, INCR, HSET…, most writes): what keyPositions would find,
    // without looking the command up twice more and building the positions.
    const argc = args.length;
    const arityHolds = info.arity >= 0 ? argc === info.arity : argc >= -info.arity;
    return arityHolds && info.step >= 1 && argc > 1 ? [keyName(args[1] as CommandArg)] : EVERY_KEY;
  }
  const positions = routableKeyPositions(args);
  if (positions === undefined) return EVERY_KEY;
  // A script that declares no key is trusted to write none, as Redis's own contract says.
  if (positions.length === 0) return script ? null : EVERY_KEY;
  return positions.map((position) => keyName(args[position] as CommandArg));
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

/** Shells kept at most, beyond the live entries: enough for the hot keys, small beside the entries. */
const MAX_VACANCIES = 4096;

/**
 * The client-side cache of one Client: an LRU of raw replies (`recency`: the oldest entry is the
 * least recently used), bounded by entries and by approximate bytes, kept true by the server's
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
  private general = new Table(0);
  /** The table of the last one-key call's command and kind: most loads read through one or two. */
  private lastName: string | null = null;
  private lastIndex = -1;
  private lastTable: Table | null = null;
  private readonly keys = new Map<string, KeyState>();
  /** The live entries, oldest used first: the first evicted. */
  private recency = new EntryList();
  /** The shells neither live nor awaiting a read, oldest first: the first dropped beyond `maxVacancies`. */
  private vacancies = new EntryList();
  private readonly maxEntries: number;
  private readonly maxVacancies: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  /** Live entries and shells alike. */
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
    this.maxVacancies = Math.min(this.maxEntries, MAX_VACANCIES);
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
    let table: Table | null = null;
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
      if (slot !== null)
        table = this.namedTable(args[0], namedIndex((flags & CommandFlags.Buffers) !== 0, binary));
    } else {
      slot = this.idOf(args, (flags & CommandFlags.Buffers) !== 0);
      table = this.general;
    }
    if (slot === null || table === null) {
      return shaped(backend.send(args, flags), transform, args);
    }
    const entry = table.entries.get(slot);
    if (entry !== undefined && entry.live && this.fresh(entry)) {
      this.hits++;
      if (entry !== this.recency.newest) {
        this.recency.unlink(entry);
        this.recency.append(entry);
      }
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
    return this.miss(table, slot, entry, args, flags, transform, backend);
  }

  private namedTable(name: string, index: number): Table {
    if (name === this.lastName && index === this.lastIndex) return this.lastTable as Table;
    const tables = this.named[index];
    let table = tables.get(name);
    if (table === undefined) tables.set(name, (table = new Table(this.epoch)));
    this.lastName = name;
    this.lastIndex = index;
    this.lastTable = table;
    return table;
  }

  /** A live entry past maxAgeMs becomes a shell. */
  private fresh(entry: Entry): boolean {
    if (this.maxAgeMs === 0 || Date.now() - entry.storedAt < this.maxAgeMs) return true;
    this.vacate(entry);
    return false;
  }

  private miss(
    table: Table,
    slot: string,
    entry: Entry | undefined,
    args: readonly CommandArg[],
    flags: CommandFlags,
    transform: Transform | null,
    backend: CacheBackend,
  ): Promise<unknown> {
    const joinable = entry?.flight;
    if (joinable != null && joinable.reply !== null && this.isCurrent(joinable)) {
      // The same read is out and nothing invalidated its key since it left: its reply is what a cache
      // hit would give once it arrives, so this caller waits for it instead of sending another.
      this.hits++;
      return joinable.reply.then(() => {
        const copy = copyReply(joinable.kept);
        return transform === null ? copy : transform(copy, args);
      });
    }
    this.misses++;
    const read = this.beginReadIn(table, slot, entry, args[1] as CommandArg);
    const reply = new Promise<RespValue>(captureSettlers);
    read.resolve = capturedResolve;
    read.reject = capturedReject;
    capturedResolve = noop;
    capturedReject = noop;
    read.reply = reply;
    // The entry is filled as the reply is decoded, before any caller resumes; a refusal settles at once.
    backend.sendTo(
      args,
      flags,
      (value) => {
        this.completeRead(read, value);
        read.resolve(value);
      },
      (error) => {
        this.abandonRead(read);
        read.reject(error);
      },
    );
    return transform === null ? reply : reply.then((value) => transform(value, args));
  }

  /** Nothing invalidated the read's key, and nothing emptied the cache, since it was sent. */
  private isCurrent(read: PendingRead): boolean {
    return read.epoch === this.epoch && !this.closed && read.entry.key.invalidations === read.invalidations;
  }

  /** The cached reply of a full id (`idOf`), or MISS: the bookkeeping as `read` uses it. */
  lookup(id: string): RespValue | typeof MISS {
    const entry = this.general.entries.get(id);
    if (entry === undefined || !entry.live || !this.fresh(entry)) return MISS;
    if (entry !== this.recency.newest) {
      this.recency.unlink(entry);
      this.recency.append(entry);
    }
    return entry.mutable ? copyReply(entry.value) : entry.value;
  }

  /** A cacheable read is being sent for a full id (`idOf`); its key is the command's first argument. */
  beginRead(id: string, keyArg: CommandArg): PendingRead {
    return this.beginReadIn(this.general, id, this.general.entries.get(id), keyArg);
  }

  /** The read goes out for `slot`, whose entry (a shell if there was none) it will fill. */
  private beginReadIn(table: Table, slot: string, found: Entry | undefined, keyArg: CommandArg): PendingRead {
    const entry = found ?? this.shell(table, slot, keyArg);
    if (entry.vacant) {
      this.vacancies.unlink(entry);
      entry.vacant = false;
    }
    const key = entry.key;
    key.reads++;
    const read = new PendingRead(entry, key.invalidations, this.epoch);
    entry.flight = read;
    return read;
  }

  /** A new, empty entry for `slot`, filed under its key. */
  private shell(table: Table, slot: string, keyArg: CommandArg): Entry {
    const name = keyName(keyArg);
    let key = this.keys.get(name);
    if (key === undefined) {
      key = { name, live: null, shells: null, reads: 0, invalidations: 0 };
      this.keys.set(name, key);
    }
    const entry = new Entry(table, slot, key);
    linkToKey(entry);
    table.entries.set(slot, entry);
    this.bytes += entry.bytes;
    return entry;
  }

  /**
   * The read's reply arrived: cached (a copy, so the caller may keep the original) unless its key was
   * invalidated, or the cache emptied, while it was out.
   */
  completeRead(read: PendingRead, value: RespValue): void {
    const entry = read.entry;
    const mutable = typeof value === 'object' && value !== null;
    const kept = mutable ? copyReply(value) : value;
    read.kept = kept;
    const valueBytes = sizeOf(value);
    if (
      this.isCurrent(read) &&
      ENTRY_OVERHEAD + entry.slot.length + valueBytes <= this.maxBytes &&
      this.holds(entry)
    ) {
      // A live entry is refilled (a read begun by beginRead while it was live); `vacate` may shelve it.
      if (entry.live) this.vacate(entry);
      if (entry.vacant) {
        this.vacancies.unlink(entry);
        entry.vacant = false;
      }
      unlinkFromKey(entry);
      entry.live = true;
      linkToKey(entry);
      entry.value = kept;
      entry.mutable = mutable;
      entry.storedAt = this.maxAgeMs > 0 ? Date.now() : 0;
      entry.bytes += valueBytes;
      this.bytes += valueBytes;
      this.recency.append(entry);
    }
    this.endRead(read);
  }

  /** The read failed: nothing is cached. */
  abandonRead(read: PendingRead): void {
    this.endRead(read);
  }

  private endRead(read: PendingRead): void {
    const entry = read.entry;
    if (entry.flight === read) {
      entry.flight = null;
      if (!entry.live) this.shelve(entry);
    }
    const key = entry.key;
    key.reads--;
    this.forgetIfUnused(key);
    this.evict();
  }

  /**
   * A command of this Client's own that is not a cacheable read, sent through `backend`: when it
   * writes, its keys' entries are dropped as its reply is decoded, failed or not, before any caller
   * resumes (as `afterWrite` does, without a promise and a turn of the microtask queue more).
   */
  send(args: readonly CommandArg[], flags: CommandFlags, backend: CacheBackend): Promise<RespValue> {
    if ((flags & CommandFlags.ReadOnly) !== 0) return backend.send(args, flags);
    const written = writtenBy(args);
    if (written === null) return backend.send(args, flags);
    const reply = new Promise<RespValue>(captureSettlers);
    const resolve = capturedResolve;
    const reject = capturedReject;
    capturedResolve = noop;
    capturedReject = noop;
    backend.sendTo(
      args,
      flags,
      (value) => {
        this.wrote(written);
        resolve(value);
      },
      (error) => {
        this.wrote(written);
        reject(error);
      },
    );
    return reply;
  }

  /**
   * `reply` is the reply to a command of this Client's own: when it writes, its keys' entries are
   * dropped before the caller sees the reply, failed or not (a timed-out write may still apply), and
   * reads of them still out are not cached. The server's invalidation of our own write follows its
   * reply, but may arrive in a later socket read, or on another socket (isolated()): without this a
   * caller reading right after its write could be answered the old value from memory.
   */
  afterWrite<T>(args: readonly CommandArg[], flags: CommandFlags, reply: Promise<T>): Promise<T> {
    // Read-only commands (most of what is not cached) skip the table lookup.
    if ((flags & CommandFlags.ReadOnly) !== 0) return reply;
    const written = writtenBy(args);
    return written === null ? reply : this.dropOnSettle(written, reply);
  }

  /** As `afterWrite`, for the commands of one MULTI … EXEC (or ASKING and its command): on the batch's reply. */
  afterBatch<T>(
    commands: readonly { readonly args: readonly CommandArg[] }[],
    reply: Promise<T>,
  ): Promise<T> {
    let written: string[] | typeof EVERY_KEY | null = null;
    for (const { args } of commands) {
      const some = writtenBy(args);
      if (some === null) continue;
      if (some === EVERY_KEY) {
        written = EVERY_KEY;
        break;
      }
      if (written === null) written = [...some];
      else written.push(...some);
    }
    return written === null ? reply : this.dropOnSettle(written, reply);
  }

  /** As `afterWrite`, for a pipelined command's `settle`: `settle` itself when the command writes nothing. */
  settleAfterWrite(
    args: readonly CommandArg[],
    flags: CommandFlags,
    settle: Settle<RespValue | Error>,
  ): Settle<RespValue | Error> {
    if ((flags & CommandFlags.ReadOnly) !== 0) return settle;
    const written = writtenBy(args);
    if (written === null) return settle;
    return (outcome) => {
      this.wrote(written);
      settle(outcome);
    };
  }

  private dropOnSettle<T>(written: Written, reply: Promise<T>): Promise<T> {
    return reply.then(
      (value) => {
        this.wrote(written);
        return value;
      },
      (error: unknown) => {
        this.wrote(written);
        throw error;
      },
    );
  }

  /**
   * A write of this Client's own was answered: its keys' entries are dropped, and reads of them still
   * out are not cached, as an invalidation push would do (not counted among `invalidations`, which
   * are the server's). EVERY_KEY empties the cache.
   */
  wrote(written: Written): void {
    if (written === EVERY_KEY) return this.clear();
    for (const name of written) this.dropKey(name);
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
      this.dropKey(typeof name === 'string' ? name : name.toString());
    }
  }

  /** Empties every entry of the key, and marks its reads still out as not to be cached. */
  private dropKey(name: string): void {
    const key = this.keys.get(name);
    if (key === undefined) return;
    key.invalidations++;
    if (key.live === null) return;
    while (key.live !== null) this.vacate(key.live);
    this.evict();
  }

  /** Drops everything: the connection was lost, so invalidations may have been missed. */
  clear(): void {
    this.epoch++;
    this.named = namedTables();
    this.general = new Table(this.epoch);
    this.lastName = null;
    this.lastIndex = -1;
    this.lastTable = null;
    this.recency = new EntryList();
    this.vacancies = new EntryList();
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
      entries: this.recency.length,
    };
  }

  /** The entry is this cache's now: not one of the tables a clear() let go, nor removed since. */
  private holds(entry: Entry): boolean {
    return entry.table.epoch === this.epoch && entry.table.entries.get(entry.slot) === entry;
  }

  /** A live entry loses its value and becomes a shell (shelved unless a read of it is out). */
  private vacate(entry: Entry): void {
    this.recency.unlink(entry);
    const valueBytes = entry.bytes - ENTRY_OVERHEAD - entry.slot.length;
    entry.bytes -= valueBytes;
    this.bytes -= valueBytes;
    unlinkFromKey(entry);
    entry.live = false;
    linkToKey(entry);
    entry.value = null;
    entry.settled = null;
    if (entry.flight === null) this.shelve(entry);
  }

  /** An entry neither live nor awaited joins the vacancies (`evict` bounds them). */
  private shelve(entry: Entry): void {
    if (entry.vacant || !this.holds(entry)) return;
    entry.vacant = true;
    this.vacancies.append(entry);
  }

  private evict(): void {
    // Shells go first: they hold no reply anyone could be answered with.
    while (
      (this.vacancies.length > this.maxVacancies || this.bytes > this.maxBytes) &&
      this.vacancies.oldest !== null
    )
      this.remove(this.vacancies.oldest);
    while (this.recency.length > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.recency.oldest;
      if (oldest === null) return;
      this.remove(oldest);
    }
  }

  /** Takes the entry out of the cache altogether: its table, its key's list, its list. */
  private remove(entry: Entry): void {
    // A cleared cache has new tables and lists: an entry of the old ones is not counted twice.
    if (!this.holds(entry)) return;
    entry.table.entries.delete(entry.slot);
    if (entry.live) this.recency.unlink(entry);
    else if (entry.vacant) this.vacancies.unlink(entry);
    unlinkFromKey(entry);
    entry.live = false;
    entry.vacant = false;
    entry.value = null;
    entry.settled = null;
    this.bytes -= entry.bytes;
    this.forgetIfUnused(entry.key);
  }

  private forgetIfUnused(key: KeyState): void {
    if (key.reads === 0 && key.live === null && key.shells === null && this.keys.get(key.name) === key)
      this.keys.delete(key.name);
  }
}

/** Files the entry first among its key's live entries or shells, as `live` says. */
function linkToKey(entry: Entry): void {
  const key = entry.key;
  const first = entry.live ? key.live : key.shells;
  entry.keyPrevious = null;
  entry.keyNext = first;
  if (first !== null) first.keyPrevious = entry;
  if (entry.live) key.live = entry;
  else key.shells = entry;
}

/** Takes the entry out of its key's list, the one `live` says it is in. */
function unlinkFromKey(entry: Entry): void {
  const key = entry.key;
  if (entry.keyPrevious !== null) entry.keyPrevious.keyNext = entry.keyNext;
  else if (entry.live) {
    if (key.live === entry) key.live = entry.keyNext;
  } else if (key.shells === entry) key.shells = entry.keyNext;
  if (entry.keyNext !== null) entry.keyNext.keyPrevious = entry.keyPrevious;
  entry.keyPrevious = null;
  entry.keyNext = null;
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
