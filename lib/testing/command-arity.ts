import { readFileSync } from 'node:fs';

import { resolveIoredisMockFile } from './optional-peer';
import { errorReply } from './reply-encoder';
import type { ReplyError } from '../errors';

/**
 * Arity of every Redis command, read from the COMMAND INFO dump that ioredis-mock ships. Reading it at
 * runtime (rather than importing the JSON) keeps a 400-entry tuple type out of the compiler.
 * Arity follows Redis: positive means exactly that many words including the name, negative means at least.
 */
let arities: ReadonlyMap<string, number> | undefined;

function loadArities(): ReadonlyMap<string, number> {
  const path = resolveIoredisMockFile('data/command-info.json');
  const entries = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  const table = new Map<string, number>();
  if (Array.isArray(entries)) {
    for (const entry of entries as unknown[]) {
      if (!Array.isArray(entry)) continue;
      const [name, arity] = entry as unknown[];
      if (typeof name === 'string' && typeof arity === 'number') table.set(name.toLowerCase(), arity);
    }
  }
  return table;
}

/** The command's arity, or undefined for a name Redis does not know. */
export function commandArity(name: string): number | undefined {
  arities ??= loadArities();
  return arities.get(name);
}

/** An error reply when `words` (name included) does not fit the arity; undefined when it does. */
export function checkArity(name: string, words: number): ReplyError | undefined {
  const arity = commandArity(name);
  if (arity === undefined) return undefined;
  const fits = arity >= 0 ? words === arity : words >= -arity;
  return fits ? undefined : errorReply(`ERR wrong number of arguments for '${name}' command`);
}

/** Redis 7's wording, so clients see the same bytes as from a real server. */
export function unknownCommand(name: string, args: readonly Buffer[]): ReplyError {
  const shown = args.map((arg) => `'${truncate(arg.toString('utf8'))}' `).join('');
  return errorReply(`ERR unknown command '${truncate(name)}', with args beginning with: ${shown}`);
}

function truncate(text: string): string {
  return text.length > 128 ? text.slice(0, 128) : text;
}
