import { CommandFlags } from '../connection/pending-command';
import type { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';
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
  /** What the connection needs to know: resend once after a lost socket (read-only commands). */
  readonly flags: CommandFlags;
  /** Fewest arguments, name included, Redis accepts: fewer is refused before anything is sent. */
  readonly minArgs: number;
  readonly transform: Transform | null;
  /** The connection state the command changes, so surfaces that cannot allow it refuse it. */
  readonly stateChange: StateChange;
  readonly build: SomeArgsBuilder | undefined;
  /** Never set: the reply types with strings and with Buffers, for inference. */
  readonly types?: { text: T; buffer: TB };
}

/** A definition whose method takes the friendlier parameters of its builder. */
export interface BuiltCommandDef<T, TB, P extends unknown[]> extends CommandDef<T, TB> {
  readonly build: ArgsBuilder<P>;
}

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
    defs[name] = Object.freeze({
      name,
      group,
      flags: info.readonly ? CommandFlags.ReadOnly : CommandFlags.None,
      minArgs: Math.abs(info.arity),
      transform: replySpec.transform,
      stateChange: stateChangeOf(name),
      build: withBuilder ? entry.build : undefined,
    });
  }
  return defs as GroupDefs<S>;
}
