import type { CommandArg } from '../resp/types';
import type { CommandInfo } from './command-table';

/**
 * Commands that can keep the server from answering on their connection until their own timeout: the
 * command table's `blocking` flag (ACL @blocking), plus WAIT and WAITAOF, which Redis 7.0 does not
 * file under @blocking (and WAITAOF, from 7.2, is not in the generated table at all) but which hold
 * their connection just the same.
 */
const BLOCKING_BEYOND_TABLE: ReadonlySet<string> = new Set(['WAIT', 'WAITAOF']);

/** Whether a command can block its connection; decided once per name, never per call. */
export function isBlockingCommand(name: string, info: CommandInfo | undefined): boolean {
  if (info !== undefined) return info.blocking || BLOCKING_BEYOND_TABLE.has(info.name);
  return typeof name === 'string' && BLOCKING_BEYOND_TABLE.has(name.toUpperCase());
}

/** Where a command's timeout argument sits, and in which unit Redis reads it. */
type TimeoutRule =
  | { readonly at: 'last' | number; readonly unit: 'seconds' | 'milliseconds' }
  | { readonly at: 'block-option' };

const RULES: ReadonlyMap<string, TimeoutRule> = new Map<string, TimeoutRule>([
  ['BLPOP', { at: 'last', unit: 'seconds' }],
  ['BRPOP', { at: 'last', unit: 'seconds' }],
  ['BZPOPMIN', { at: 'last', unit: 'seconds' }],
  ['BZPOPMAX', { at: 'last', unit: 'seconds' }],
  ['BLMOVE', { at: 'last', unit: 'seconds' }],
  ['BRPOPLPUSH', { at: 'last', unit: 'seconds' }],
  ['BLMPOP', { at: 1, unit: 'seconds' }],
  ['BZMPOP', { at: 1, unit: 'seconds' }],
  ['WAIT', { at: 2, unit: 'milliseconds' }],
  ['WAITAOF', { at: 3, unit: 'milliseconds' }],
  ['XREAD', { at: 'block-option' }],
  ['XREADGROUP', { at: 'block-option' }],
]);

/**
 * How long this call may keep its connection waiting for its answer, in ms: 0 when it waits until
 * served (timeout 0, BLOCK 0), undefined when it does not block at all — XREAD without BLOCK, a
 * command respline does not know to block, or a timeout Redis will refuse at once (negative, not a
 * number), which then costs no dedicated connection.
 */
export function blockingTime(args: readonly CommandArg[]): number | undefined {
  const name = args[0];
  if (typeof name !== 'string') return undefined;
  const rule = RULES.get(name.toUpperCase());
  if (rule === undefined) return undefined;
  if (rule.at === 'block-option') {
    const index = blockOptionIndex(args);
    return index === -1 ? undefined : durationMs(args[index], 'milliseconds');
  }
  const index = rule.at === 'last' ? args.length - 1 : rule.at;
  return index < 1 || index >= args.length ? undefined : durationMs(args[index], rule.unit);
}

/** Index of the value of XREAD's (or XREADGROUP's) BLOCK option, or -1; options end at STREAMS. */
function blockOptionIndex(args: readonly CommandArg[]): number {
  for (let i = 1; i < args.length - 1; i++) {
    const word = textOf(args[i]).toUpperCase();
    if (word === 'STREAMS') return -1;
    if (word === 'BLOCK') return i + 1;
  }
  return -1;
}

function durationMs(arg: CommandArg | undefined, unit: 'seconds' | 'milliseconds'): number | undefined {
  if (arg === undefined) return undefined;
  const text = textOf(arg);
  if (text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) return undefined;
  // Redis rounds a fractional number of seconds up to the next millisecond.
  return unit === 'seconds' ? Math.ceil(value * 1000) : Math.ceil(value);
}

function textOf(arg: CommandArg): string {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number') return String(arg);
  return arg.toString('latin1');
}
