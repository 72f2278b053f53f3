import { defineGroup } from '../define';
import * as r from '../replies';
import * as v from '../replies-server';
import { container } from '../container';
import type { CommandArg } from '../../resp/types';

/**
 * COMMAND GETKEYS, GETKEYSANDFLAGS and DEBUG document no arguments in COMMAND DOCS, though they need
 * some: these builders give their methods the parameters Redis expects.
 */
const commandAndArgs =
  (...words: string[]) =>
  (command: CommandArg, ...args: CommandArg[]): CommandArg[] => [...words, command, ...args];

/** The server commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const server = defineGroup('server', {
  ACL: container,
  'ACL|CAT': r.list,
  'ACL|DELUSER': r.integer,
  'ACL|DRYRUN': v.aclDryrun,
  'ACL|GENPASS': r.text,
  'ACL|GETUSER': v.aclUser,
  'ACL|HELP': r.list,
  'ACL|LIST': r.list,
  'ACL|LOAD': r.ok,
  'ACL|LOG': v.aclLog,
  'ACL|SAVE': r.ok,
  'ACL|SETUSER': r.ok,
  'ACL|USERS': r.list,
  'ACL|WHOAMI': r.text,
  BGREWRITEAOF: r.status,
  BGSAVE: r.status,
  COMMAND: container,
  'COMMAND|COUNT': r.integer,
  'COMMAND|DOCS': v.commandDocs,
  'COMMAND|GETKEYS': { reply: r.list, build: commandAndArgs('COMMAND', 'GETKEYS') },
  'COMMAND|GETKEYSANDFLAGS': { reply: v.keysWithFlags, build: commandAndArgs('COMMAND', 'GETKEYSANDFLAGS') },
  'COMMAND|HELP': r.list,
  'COMMAND|INFO': v.nullableCommandInfos,
  'COMMAND|LIST': r.list,
  CONFIG: container,
  'CONFIG|GET': r.fieldMap,
  'CONFIG|HELP': r.list,
  'CONFIG|RESETSTAT': r.ok,
  'CONFIG|REWRITE': r.ok,
  'CONFIG|SET': r.ok,
  DBSIZE: r.integer,
  // Deliberately raw: each DEBUG subcommand has a shape of its own, none documented as stable, and
  // the command is disabled by default (enable-debug-command).
  DEBUG: { reply: r.raw, build: commandAndArgs('DEBUG') },
  FAILOVER: r.ok,
  FLUSHALL: r.ok,
  FLUSHDB: r.ok,
  // The text as Redis prints it ('# Server\r\nredis_version:7.0.15…'), under RESP3 too.
  INFO: r.text,
  LASTSAVE: r.integer,
  LATENCY: container,
  'LATENCY|DOCTOR': r.text,
  'LATENCY|GRAPH': r.text,
  'LATENCY|HELP': r.list,
  'LATENCY|HISTOGRAM': v.latencyHistograms,
  'LATENCY|HISTORY': v.latencyHistory,
  'LATENCY|LATEST': v.latencyLatest,
  'LATENCY|RESET': r.integer,
  LOLWUT: r.text,
  MEMORY: container,
  'MEMORY|DOCTOR': r.text,
  'MEMORY|HELP': r.list,
  'MEMORY|MALLOC-STATS': r.text,
  'MEMORY|PURGE': r.ok,
  'MEMORY|STATS': v.memoryStats,
  'MEMORY|USAGE': r.nullableInteger,
  MODULE: container,
  'MODULE|HELP': r.list,
  'MODULE|LIST': v.modules,
  'MODULE|LOAD': r.ok,
  'MODULE|LOADEX': r.ok,
  'MODULE|UNLOAD': r.ok,
  // Refused on a pipelined connection (it streams every command after its OK).
  MONITOR: r.ok,
  // Deliberately raw, and refused on a pipelined connection: a replication stream, not a reply.
  PSYNC: r.raw,
  REPLCONF: r.ok,
  // 'OK', or 'OK Already connected to specified master'.
  REPLICAOF: r.status,
  'RESTORE-ASKING': r.ok,
  ROLE: v.role,
  SAVE: r.ok,
  SHUTDOWN: r.ok,
  SLAVEOF: r.status,
  SLOWLOG: container,
  'SLOWLOG|GET': v.slowlog,
  'SLOWLOG|HELP': r.list,
  'SLOWLOG|LEN': r.integer,
  'SLOWLOG|RESET': r.ok,
  SWAPDB: r.ok,
  // Deliberately raw, and refused on a pipelined connection: an RDB transfer, not a reply.
  SYNC: r.raw,
  TIME: v.time,
});
