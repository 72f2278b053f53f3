/**
 * Regenerates the command rows in lib/commands/command-table.ts from a real redis-server's `COMMAND`.
 *
 *   npx ts-node spec/tools/generate-command-table.ts [path/to/redis-server]
 *
 * Spawns its own redis-server on a free port (never the shared 6379), asks it for COMMAND and its
 * version, stops it, and rewrites only the lines between the BEGIN/END GENERATED markers.
 * Needs Redis 7 or later: subcommands and ACL categories come from its COMMAND reply.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { RespValue } from '../../lib/resp/types';
import { askScratchRedis, redisVersion } from './scratch-redis';

const TABLE_PATH = join(__dirname, '..', '..', 'lib', 'commands', 'command-table.ts');
const BEGIN_MARKER = '// BEGIN GENERATED';
const END_MARKER = '// END GENERATED';

/** COMMAND flags kept in the table, by the name of the constant command-table.ts defines for each. */
const FLAG_CONSTANTS: ReadonlyArray<readonly [string, string]> = [
  ['write', 'WRITE'],
  ['readonly', 'READONLY'],
  ['denyoom', 'DENYOOM'],
  ['admin', 'ADMIN'],
  ['pubsub', 'PUBSUB'],
  ['noscript', 'NOSCRIPT'],
  ['blocking', 'BLOCKING'],
  ['fast', 'FAST'],
  ['movablekeys', 'MOVABLEKEYS'],
];

interface CommandRecord {
  name: string;
  arity: number;
  flags: string[];
  firstKey: number;
  lastKey: number;
  step: number;
}

async function main(): Promise<void> {
  const [commandReply, infoReply] = await askScratchRedis([['COMMAND'], ['INFO', 'server']], process.argv[2]);
  const version = redisVersion(infoReply);
  if (Number(version.split('.')[0]) < 7) throw new Error(`need Redis 7 or later, got ${version}`);
  const records = parseCommandReply(commandReply).sort((a, b) => (a.name < b.name ? -1 : 1));
  await writeTable(records, version);
  console.log(`wrote ${records.length} commands from Redis ${version} to ${TABLE_PATH}`);
}

/** Each COMMAND entry: [name, arity, flags, firstKey, lastKey, step, aclCategories, tips, keySpecs, subcommands]. */
function parseCommandReply(reply: RespValue): CommandRecord[] {
  const records: CommandRecord[] = [];
  for (const entry of asArray(reply, 'COMMAND reply')) records.push(...parseEntry(entry));
  return records;
}

function parseEntry(entry: RespValue): CommandRecord[] {
  const fields = asArray(entry, 'COMMAND entry');
  const name = asString(fields[0], 'command name').toUpperCase();
  const flags = asArray(fields[2], `${name} flags`).map((flag) => asString(flag, `${name} flag`));
  const categories = asArray(fields[6], `${name} ACL categories`).map((c) => asString(c, `${name} category`));
  // Redis files blocking commands under the ACL category '@blocking'; fold that into the flags.
  if (categories.includes('@blocking') && !flags.includes('blocking')) flags.push('blocking');
  const record: CommandRecord = {
    name,
    arity: asNumber(fields[1], `${name} arity`),
    flags,
    firstKey: asNumber(fields[3], `${name} first key`),
    lastKey: asNumber(fields[4], `${name} last key`),
    step: asNumber(fields[5], `${name} step`),
  };
  const subcommands = fields[9] === undefined ? [] : asArray(fields[9], `${name} subcommands`);
  return [record, ...subcommands.flatMap(parseEntry)];
}

async function writeTable(records: CommandRecord[], version: string): Promise<void> {
  const source = readFileSync(TABLE_PATH, 'utf8');
  const begin = source.indexOf(BEGIN_MARKER);
  const end = source.indexOf(END_MARKER);
  if (begin === -1 || end < begin) throw new Error(`${TABLE_PATH} lacks the generated-region markers`);
  const rows = records.map(
    (r) => `  ['${r.name}', ${r.arity}, ${flagExpression(r.flags)}, ${r.firstKey}, ${r.lastKey}, ${r.step}],`,
  );
  const region = [
    `${BEGIN_MARKER} by spec/tools/generate-command-table.ts from Redis ${version}; do not edit by hand`,
    'const COMMAND_ROWS: readonly CommandRow[] = [',
    ...rows,
    '];',
    '',
  ].join('\n');
  const updated = source.slice(0, begin) + region + source.slice(end);
  const options = (await resolveConfig(TABLE_PATH)) ?? {};
  writeFileSync(TABLE_PATH, await format(updated, { ...options, filepath: TABLE_PATH }));
}

function flagExpression(flags: string[]): string {
  const constants = FLAG_CONSTANTS.filter(([flag]) => flags.includes(flag)).map(([, constant]) => constant);
  return constants.length === 0 ? '0' : constants.join(' | ');
}

function asArray(value: RespValue | undefined, what: string): RespValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  throw new Error(`${what}: expected an array, got ${typeof value}`);
}

function asString(value: RespValue | undefined, what: string): string {
  if (typeof value === 'string') return value;
  throw new Error(`${what}: expected a string, got ${typeof value}`);
}

function asNumber(value: RespValue | undefined, what: string): number {
  if (typeof value === 'number') return value;
  throw new Error(`${what}: expected an integer, got ${typeof value}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
