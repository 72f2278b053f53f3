import { CommandFlags } from '../connection/pending-command';
import type { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';
import { isBlockingCommand } from './blocking';
import { commandInfo } from './command-table';
import { stateChangeOf, type StateChange } from './connection-state';
import type { Reply, Transform } from './reply';

/** Builds a command's full argument list (its name first) from a friendlier form, or says why not. */
export type ArgsBuilder<P extends unknown[]> = (...params: P) => CommandArg[] | InvalidArgumentError;

/** Any builder, whatever its parameters: a function taking `never` is what every function is. */
type SomeArgsBuilder = (...params: never) => CommandArg[] | InvalidArgumentError;

/**
 * Everything respline knows about one command beyond its arguments: flags and key positions come
 * from the generated command table, the reply transform and any friendlier builder from its group.
 */
export interface CommandDef<T, TB> {
  /** As in the command table: 'GET', 'CONFIG|GET'. */
  readonly name: string;
  readonly group: string;
  /**
   * What the connection needs to know: resend once after a lost socket (read-only commands); and
   * whether it may block (Blocking), so a Client runs it on a connection of its own. Set at load.
   */
  readonly flags: CommandFlags;
  /** Fewest arguments, name included, Redis accepts: fewer is refused before anything is sent. */
  readonly minArgs: number;
  readonly transform: Transform | null;
  /** The connection state the command changes, so surfaces that cannot allow it refuse it. */
  readonly stateChange: StateChange;
  readonly build: SomeArgsBuilder | undefined;
  /**
   * A read of one key (the first argument) whose reply depends only on that key's value: a Client with
   * a cache may answer it from memory. Also set as CommandFlags.Cacheable in `flags`, so the Client's
   * dispatch needs no lookup.
   */
  readonly cacheable: boolean;
  /** Never set: the reply types with strings and with Buffers, for inference. */
  readonly types?: { text: T; buffer: TB };
}

/** A definition whose method takes the friendlier parameters of its builder. */
export interface BuiltCommandDef<T, TB, P extends unknown[]> extends CommandDef<T, TB> {
  readonly build: ArgsBuilder<P>;
}

/** A reply spec marked as cacheable: see `cacheable()`. */
export type CacheableReply<R extends Reply<unknown, unknown>> = R & { readonly cacheable: true };

/**
 * Marks a command of a group as answerable from a client-side cache. Only for read-only commands
 * whose one key comes first and whose reply depends on nothing but that key's value (not TTL, which
 * changes with time); defineGroup checks the first two against the command table.
 */
export function cacheable<R extends Reply<unknown, unknown>>(reply: R): CacheableReply<R> {
  return { ...reply, cacheable: true };
}

/**
 * Cacheable commands that also accept further keys (EXISTS k1 k2…): cached only when given one key,
 * since the cache files an entry under its first argument alone.
 */
export const cacheableWhenOneKey = new Set<string>();

/** One entry of a group: just how its reply is shaped, or that plus a friendlier argument builder. */
export type GroupEntry =
  Reply<unknown, unknown> | { readonly reply: Reply<unknown, unknown>; readonly build: SomeArgsBuilder };

type DefOf<E> = E extends {
  readonly reply: Reply<infer T, infer TB>;
  readonly build: (...params: infer P) => unknown;
}
  ? BuiltCommandDef<T, TB, P>
  : E extends Reply<infer T, infer TB>
    ? CommandDef<T, TB>
    : never;

export type GroupDefs<S> = { readonly [K in keyof S]: DefOf<S[K]> };

/**
 * Turns a group's entries, keyed by the command-table name, into definitions. A name the table does
 * not know is a mistake in respline, so it fails at load rather than at the first call.
 */
export function defineGroup<const S extends Record<string, GroupEntry>>(
  group: string,
  entries: S,
): GroupDefs<S> {
  const defs: Record<string, CommandDef<unknown, unknown>> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const info = commandInfo(name);
    if (info === undefined)
      throw new Error(`respline: ${group} defines ${name}, which the command table lacks`);
    const withBuilder = 'reply' in entry;
    const replySpec = withBuilder ? entry.reply : entry;
    const cached = 'cacheable' in replySpec && replySpec.cacheable === true;
    if (cached) {
      if (!info.readonly || info.firstKey !== 1 || info.movableKeys)
        throw new Error(
          `respline: ${group} marks ${name} cacheable, but it is not a read of its first argument`,
        );
      if (info.lastKey !== 1) cacheableWhenOneKey.add(name);
    }
    defs[name] = Object.freeze({
      name,
      group,
      flags:
        (info.readonly ? CommandFlags.ReadOnly : CommandFlags.None) |
        (isBlockingCommand(name, info) ? CommandFlags.Blocking : CommandFlags.None) |
        (cached ? CommandFlags.Cacheable : CommandFlags.None),
      minArgs: Math.abs(info.arity),
      transform: replySpec.transform,
      stateChange: stateChangeOf(name),
      build: withBuilder ? entry.build : undefined,
      cacheable: cached,
    });
  }
  return defs as GroupDefs<S>;
}
