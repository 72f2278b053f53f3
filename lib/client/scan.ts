import type { RedisKey } from '../commands/api-types';
import { textOf, toArray, toScore, unexpected, type ScoredMember } from '../commands/reply';
import { CommandFlags } from '../connection/pending-command';
import { InvalidArgumentError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';

/**
 * Scans as async iterators over SCAN, HSCAN, SSCAN and ZSCAN. A cursor is kept as the string the
 * server sent (it can exceed 2^53) and is only valid on the connection that got it: a server process
 * has its own hash seed, so after a reconnect (maybe to a restarted server) a scan starts over.
 *
 * SCAN's own guarantee holds: every element present for the whole scan is returned at least once. It
 * may be returned twice (the table can shrink between pages, and a scan that starts over repeats what
 * it had already returned); a Client's iterators do not remember what they yielded, as that would take
 * memory growing with the keyspace. The Cluster's do, per shard, so it can fail over between replicas.
 */

/** Options of `hscanIterator`, `sscanIterator` and `zscanIterator`. */
export interface ElementScanOptions {
  /** A glob pattern (MATCH): the server filters each page, so pages may come back short or empty. */
  match?: string | Buffer;
  /** A hint of how much work each page does (COUNT); Redis's default is 10. */
  count?: number;
}

/** Options of `scanIterator`. */
export interface ScanOptions extends ElementScanOptions {
  /** Only keys of this type (TYPE): 'string', 'list', 'set', 'zset', 'hash', 'stream', or a module's. */
  type?: string;
}

/** A connection a scan runs on: a Client, or each server's Client in a Cluster. */
export interface ScanConnection {
  sendCommand(args: readonly CommandArg[], flags?: CommandFlags): Promise<RespValue>;
  /** `reconnects` changes whenever the connection is replaced, which ends the cursor's validity. */
  stats(): { readonly reconnects: number };
}

/** How the items of a scan reach the caller: as strings or as Buffers. */
export interface ScanCodec<S> {
  readonly flags: CommandFlags;
  item(value: RespValue): S;
  /** A string that stands for the item, for remembering which were yielded. */
  identity(value: S): string;
}

export const TEXT: ScanCodec<string> = {
  flags: CommandFlags.ReadOnly,
  item: (value) => (typeof value === 'string' ? value : textOf(value)),
  identity: (value) => value,
};

export const BYTES: ScanCodec<Buffer> = {
  flags: CommandFlags.ReadOnly | CommandFlags.Buffers,
  item: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(textOf(value))),
  // latin1 maps each byte to one character, so distinct byte strings stay distinct.
  identity: (value) => value.toString('latin1'),
};

/** Everything one scan needs: what to send around the cursor, and how to read a page. */
export interface ScanPlan<T> {
  /** The command and its key, if any: `['HSCAN', key]`. */
  readonly head: readonly CommandArg[];
  /** MATCH, COUNT and TYPE. */
  readonly tail: readonly CommandArg[];
  readonly flags: CommandFlags;
  readonly read: (items: readonly RespValue[]) => T[];
  readonly identity: (item: T) => string;
}

/** A plan, or the mistake in the caller's options, rejected at the first step. */
export type ScanRequest<T> = ScanPlan<T> | InvalidArgumentError;

export function keyScan<S>(codec: ScanCodec<S>, options: ScanOptions | undefined): ScanRequest<S> {
  const tail = optionArgs('SCAN', options, true);
  if (tail instanceof InvalidArgumentError) return tail;
  return { head: ['SCAN'], tail, flags: codec.flags, read: readItems(codec), identity: codec.identity };
}

export function setScan<S>(codec: ScanCodec<S>, key: RedisKey, options?: ElementScanOptions): ScanRequest<S> {
  const tail = keyedOptions('SSCAN', key, options);
  if (tail instanceof InvalidArgumentError) return tail;
  return { head: ['SSCAN', key], tail, flags: codec.flags, read: readItems(codec), identity: codec.identity };
}

export function hashScan<S>(
  codec: ScanCodec<S>,
  key: RedisKey,
  options?: ElementScanOptions,
): ScanRequest<[field: S, value: S]> {
  const tail = keyedOptions('HSCAN', key, options);
  if (tail instanceof InvalidArgumentError) return tail;
  return {
    head: ['HSCAN', key],
    tail,
    flags: codec.flags,
    read: (items) => {
      const pairs: [S, S][] = [];
      for (let i = 0; i + 1 < items.length; i += 2)
        pairs.push([codec.item(items[i]), codec.item(items[i + 1])]);
      return pairs;
    },
    identity: (pair) => codec.identity(pair[0]),
  };
}

export function sortedSetScan<S>(
  codec: ScanCodec<S>,
  key: RedisKey,
  options?: ElementScanOptions,
): ScanRequest<ScoredMember<S>> {
  const tail = keyedOptions('ZSCAN', key, options);
  if (tail instanceof InvalidArgumentError) return tail;
  return {
    head: ['ZSCAN', key],
    tail,
    flags: codec.flags,
    read: (items) => {
      const scored: ScoredMember<S>[] = [];
      for (let i = 0; i + 1 < items.length; i += 2) {
        scored.push({ member: codec.item(items[i]), score: toScore(items[i + 1]) });
      }
      return scored;
    },
    identity: (entry) => codec.identity(entry.member),
  };
}

/** One page: the cursor to send next ('0': the scan is over) and its raw items. */
export interface RawScanPage {
  cursor: string;
  items: RespValue[];
}

export function sendPage<T>(
  connection: ScanConnection,
  plan: ScanPlan<T>,
  cursor: string,
): Promise<RespValue> {
  return connection.sendCommand([...plan.head, cursor, ...plan.tail], plan.flags);
}

export function parsePage(reply: RespValue): RawScanPage {
  if (!Array.isArray(reply) || reply.length !== 2) throw unexpected('a cursor and a page', reply);
  return { cursor: textOf(reply[0]), items: toArray(reply[1]) };
}

/**
 * A scan on one connection, from cursor 0 until the server says 0 again. It starts over, repeating
 * what it yielded, when the connection was replaced mid-scan (see above).
 */
export async function* scanConnection<T>(
  connection: ScanConnection,
  request: ScanRequest<T>,
): AsyncGenerator<T, void, undefined> {
  if (request instanceof InvalidArgumentError) throw request;
  let epoch = connection.stats().reconnects;
  let cursor = '0';
  for (;;) {
    const page = parsePage(await sendPage(connection, request, cursor));
    const now = connection.stats().reconnects;
    if (now !== epoch) {
      epoch = now;
      cursor = '0';
      continue;
    }
    for (const item of request.read(page.items)) yield item;
    if (page.cursor === '0') return;
    cursor = page.cursor;
  }
}

function readItems<S>(codec: ScanCodec<S>): (items: readonly RespValue[]) => S[] {
  return (items) => items.map((item) => codec.item(item));
}

function keyedOptions(
  command: string,
  key: RedisKey,
  options: ElementScanOptions | undefined,
): CommandArg[] | InvalidArgumentError {
  if (typeof key !== 'string' && !Buffer.isBuffer(key)) {
    return new InvalidArgumentError(`${command} needs a key: a string or a Buffer`);
  }
  return optionArgs(command, options, false);
}

function optionArgs(
  command: string,
  options: ScanOptions | undefined,
  allowType: boolean,
): CommandArg[] | InvalidArgumentError {
  if (options === undefined) return [];
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return new InvalidArgumentError(`${command} iterator options must be an object ({ match, count })`);
  }
  const tail: CommandArg[] = [];
  const { match, count, type } = options;
  if (match !== undefined) {
    if (typeof match !== 'string' && !Buffer.isBuffer(match)) {
      return new InvalidArgumentError(`${command} match must be a glob pattern, as a string or Buffer`);
    }
    tail.push('MATCH', match);
  }
  if (count !== undefined) {
    if (!Number.isSafeInteger(count) || count <= 0) {
      return new InvalidArgumentError(`${command} count must be a positive integer, not ${String(count)}`);
    }
    tail.push('COUNT', count);
  }
  if (type !== undefined) {
    if (!allowType) return new InvalidArgumentError(`only SCAN filters by type; ${command} does not`);
    if (typeof type !== 'string' || type.length === 0) {
      return new InvalidArgumentError(`SCAN type must be a type name such as 'hash', not ${String(type)}`);
    }
    tail.push('TYPE', type);
  }
  return tail;
}
