import type { CommandArg, RespValue } from '../resp/types';
import { reply, textOf, type Transform } from './reply';

let subcommandTransform: (tableName: string) => Transform | null = () => null;

/** Set once by the group registry, which knows every subcommand; kept apart to avoid an import cycle. */
export function resolveSubcommandsWith(lookup: (tableName: string) => Transform | null): void {
  subcommandTransform = lookup;
}

/**
 * A container called with its subcommand as the first argument (`config('GET', 'maxmemory')`) shapes
 * its reply as the subcommand's own method would, so both spellings give the same value.
 */
export const container = reply<unknown>((raw: RespValue, args: readonly CommandArg[]) => {
  if (args.length < 2) return raw;
  const transform = subcommandTransform(`${textOf(args[0])}|${textOf(args[1])}`.toUpperCase());
  return transform === null ? raw : transform(raw, args);
});
