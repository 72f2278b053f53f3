import type { RespValue } from '../resp/types';
import { reply, textOf, toArray, unexpected, type FieldMap } from './reply';
import {
  num,
  recordOf,
  recordsOf,
  textual,
  texts,
  toNullableRecord,
  toNumberMap,
  toRecord,
  type FieldConverter,
  type FieldConverters,
} from './replies-records';

/**
 * Server replies: ACL, COMMAND, LATENCY, MEMORY, MODULE, ROLE, SLOWLOG, TIME. Their strings are text
 * Redis generates (rules, flags, names of commands), so they are strings from the …Buffer twins too;
 * only caller data (keys in COMMAND GETKEYS*, the arguments SLOWLOG recorded) stays a Buffer there.
 */

// ---- ACL ----

/** ACL GETUSER, as Redis 7 shapes it. */
export interface AclUser {
  /** 'on' or 'off', and others such as 'nopass', 'allkeys', 'allchannels', 'sanitize-payload'. */
  flags: string[];
  /** SHA-256 hex digests. */
  passwords: string[];
  /** Command rules, as ACL SETUSER takes them: '-@all +get'. */
  commands: string;
  /** Key patterns with their permission prefix: '~k*', '%R~r*'. */
  keys: string;
  /** Channel patterns: '&*'. */
  channels: string;
  /** Each `( … )` selector of the user. */
  selectors: {
    /** The selector's command rules. */
    commands: string;
    /** The selector's key patterns. */
    keys: string;
    /** The selector's channel patterns. */
    channels: string;
  }[];
}

/** One ACL LOG entry. Redis 7.2 adds 'entry-id', 'timestamp-created' and 'timestamp-last-updated'. */
export interface AclLogEntry {
  /** How many times this denial happened (Redis groups identical ones). */
  count: number;
  /** 'command', 'key', 'channel' or 'auth'. */
  reason: string;
  /** 'toplevel', 'multi', 'lua' or 'module'. */
  context: string;
  /** The command, key or channel that was denied. */
  object: string;
  /** The user that was denied. */
  username: string;
  /** Seconds since the entry was last updated. */
  'age-seconds': number;
  /** As CLIENT INFO prints it. */
  'client-info': string;
  /** The entry's unique id (Redis 7.2 on). */
  'entry-id'?: number;
  /** Unix time in milliseconds the entry was created (Redis 7.2 on). */
  'timestamp-created'?: number;
  /** Unix time in milliseconds the entry was last updated (Redis 7.2 on). */
  'timestamp-last-updated'?: number;
}

const ACL_LOG: FieldConverters = { 'age-seconds': num };

/** ACL LOG [count] gives entries; ACL LOG RESET gives OK. */
export function toAclLog(value: RespValue): unknown {
  return Array.isArray(value) ? recordsOf(ACL_LOG, textual)(value) : value;
}

// ---- COMMAND ----

/** One command as COMMAND INFO (and COMMAND alone) describes it. */
export interface CommandDescription {
  /** Lower case; a subcommand is 'container|sub'. */
  name: string;
  /** Arguments counted with the name; negative: at least that many. */
  arity: number;
  /** 'write', 'readonly', 'denyoom', 'fast'… */
  flags: string[];
  /** Position of the first key, 0 for none. */
  firstKey: number;
  /** Position of the last key; negative counts from the end. */
  lastKey: number;
  /** Step between keys from the first to the last. */
  step: number;
  /** '@read', '@string'… */
  aclCategories: string[];
  /** Hints for clients and proxies: 'request_policy:all_nodes'. */
  tips: string[];
  /** Where the keys are, in Redis 7's detailed form. */
  keySpecifications: KeySpecification[];
  /** The container's subcommands, each described the same way. */
  subcommands: CommandDescription[];
}

/** Where a command's keys are, as Redis 7 describes it; `spec` holds the fields of `type`. */
export interface KeySpecification {
  /** 'RW', 'RO', 'OW', 'RM', 'access', 'update', 'insert', 'delete'… */
  flags: string[];
  /** Remarks Redis attaches to the specification. */
  notes?: string;
  /** Where the search for the first key begins. */
  begin_search: {
    /** 'index', 'keyword' or 'unknown'. */
    type: string;
    /** The fields of that type: `index`, or `keyword` and `startfrom`. */
    spec: FieldMap<string | number>;
  };
  /** How the keys are found from there. */
  find_keys: {
    /** 'range', 'keynum' or 'unknown'. */
    type: string;
    /** The fields of that type: `lastkey`, `keystep` and `limit`, or `keynumidx`, `firstkey` and `keystep`. */
    spec: FieldMap<string | number>;
  };
}

const SEARCH: FieldConverter = recordOf({ spec: recordOf({}, textual) }, textual);
const KEY_SPEC: FieldConverters = { begin_search: SEARCH, find_keys: SEARCH };

/** COMMAND INFO's positional tuple as a CommandDescription; nil (an unknown command) stays null. */
export function toCommandInfo(value: RespValue): unknown {
  if (value === null) return null;
  if (!Array.isArray(value) || value.length < 6) throw unexpected("a command's description", value);
  return {
    name: textOf(value[0]),
    arity: num(value[1]),
    flags: texts(value[2]),
    firstKey: num(value[3]),
    lastKey: num(value[4]),
    step: num(value[5]),
    aclCategories: value.length > 6 ? texts(value[6]) : [],
    tips: value.length > 7 ? texts(value[7]) : [],
    keySpecifications: value.length > 8 ? recordsOf(KEY_SPEC, textual)(value[8]) : [],
    subcommands: value.length > 9 ? toArray(value[9]).map(toCommandInfo) : [],
  };
}

export function toCommandInfos(value: RespValue): unknown[] {
  return toArray(value).map(toCommandInfo);
}

/** COMMAND DOCS for one command; keys are Redis's own, as in its documentation. */
export interface CommandDoc {
  /** One-line description of what the command does. */
  summary: string;
  /** The Redis version that introduced it. */
  since: string;
  /** Its command group: 'string', 'list', 'server'… */
  group: string;
  /** Time complexity, as Redis's documentation states it. */
  complexity: string;
  /** Set for a module's command. */
  module?: string;
  /** 'deprecated' and 'syscmd'. */
  doc_flags?: string[];
  /** The Redis version that deprecated it. */
  deprecated_since?: string;
  /** What to use instead of a deprecated command. */
  replaced_by?: string;
  /** [version, what changed]. */
  history?: [string, string][];
  /** Its arguments in order. */
  arguments?: CommandArgumentDoc[];
  /** A container's subcommands by name. */
  subcommands?: FieldMap<CommandDoc>;
}

/** One argument of a command as COMMAND DOCS describes it. */
export interface CommandArgumentDoc {
  /** The argument's name in the documentation. */
  name: string;
  /** 'key', 'string', 'integer', 'double', 'pattern', 'unix-time', 'pure-token', 'oneof', 'block'. */
  type: string;
  /** The name shown in the command's syntax line, when it differs. */
  display_text?: string;
  /** For a key argument: the index of its key specification. */
  key_spec_index?: number;
  /** A keyword that introduces the argument: 'EX', 'LIMIT'… */
  token?: string;
  /** A short description. */
  summary?: string;
  /** The Redis version that added it. */
  since?: string;
  /** The Redis version that deprecated it. */
  deprecated_since?: string;
  /** 'optional', 'multiple', 'multiple_token'. */
  flags?: string[];
  /** The members of a oneof or a block. */
  arguments?: CommandArgumentDoc[];
}

const ARGUMENT_DOC: FieldConverters = { arguments: (value) => argumentDocs(value) };
const argumentDocs: FieldConverter = recordsOf(ARGUMENT_DOC, textual);
const COMMAND_DOC: FieldConverters = {
  arguments: argumentDocs,
  subcommands: (value) => toCommandDocs(value),
};

/** COMMAND DOCS: command name → its documentation (a map under RESP3, a flat list under RESP2). */
export function toCommandDocs(value: RespValue): FieldMap<unknown> {
  return toRecord(value, {}, recordOf(COMMAND_DOC, textual));
}

/** COMMAND GETKEYSANDFLAGS: each key with how the command uses it. */
export interface KeyWithFlags<S = string> {
  /** The key, as given. */
  key: S;
  /** 'RW', 'access', 'delete'… */
  flags: string[];
}

export function toKeysWithFlags(value: RespValue): KeyWithFlags<RespValue>[] {
  return toArray(value).map((item) => {
    if (!Array.isArray(item) || item.length !== 2) throw unexpected('a key and its flags', item);
    return { key: item[0], flags: texts(item[1]) };
  });
}

// ---- LATENCY, SLOWLOG, MEMORY, MODULE ----

/** LATENCY LATEST: the latest and largest latency spike of each event. */
export interface LatencyLatest {
  /** The event's name: 'command', 'fast-command', 'fork'… */
  event: string;
  /** Unix time in seconds of the latest spike. */
  timestamp: number;
  /** Milliseconds. */
  latest: number;
  /** Milliseconds of the largest spike recorded. */
  max: number;
}

/** LATENCY HISTORY event: one spike. */
export interface LatencySample {
  /** Unix time in seconds. */
  timestamp: number;
  /** Milliseconds. */
  latency: number;
}

/** LATENCY HISTOGRAM: per command, its calls and a power-of-two histogram of microseconds → calls. */
export interface LatencyHistogram {
  /** How many times the command ran. */
  calls: number;
  /** Upper bound in microseconds → number of calls at or below it. */
  histogram_usec: FieldMap<number>;
}

export function toLatencyLatest(value: RespValue): LatencyLatest[] {
  return tuplesOf(value, 4, 'a latency event').map((item) => ({
    event: textOf(item[0]),
    timestamp: Number(num(item[1])),
    latest: Number(num(item[2])),
    max: Number(num(item[3])),
  }));
}

export function toLatencyHistory(value: RespValue): LatencySample[] {
  return tuplesOf(value, 2, 'a latency sample').map((item) => ({
    timestamp: Number(num(item[0])),
    latency: Number(num(item[1])),
  }));
}

export function toLatencyHistograms(value: RespValue): FieldMap<unknown> {
  return toRecord(value, {}, recordOf({ histogram_usec: toNumberMap }, textual));
}

/** SLOWLOG GET: one slow command. */
export interface SlowlogEntry<S = string> {
  /** The entry's unique, increasing id. */
  id: number;
  /** Unix time in seconds when it ran. */
  timestamp: number;
  /** Microseconds it took. */
  duration: number;
  /** The command and its arguments as Redis recorded them (long ones are cut short). */
  args: S[];
  /** 'ip:port' of the client; empty before Redis 4. */
  clientAddress: string;
  /** Its CLIENT SETNAME, or ''. */
  clientName: string;
}

export function toSlowlog(value: RespValue): SlowlogEntry<RespValue>[] {
  return tuplesOf(value, 4, 'a slow log entry').map((item) => ({
    id: Number(num(item[0])),
    timestamp: Number(num(item[1])),
    duration: Number(num(item[2])),
    args: toArray(item[3]),
    clientAddress: item.length > 4 ? textOf(item[4]) : '',
    clientName: item.length > 5 ? textOf(item[5]) : '',
  }));
}

/**
 * MEMORY STATS: Redis's counter names ('peak.allocated', 'dataset.percentage'…) → numbers; a
 * database's counters ('db.0') are a nested map of names → numbers.
 */
export type MemoryStats = FieldMap<number | FieldMap<number>>;

export function toMemoryStats(value: RespValue): MemoryStats | FieldMap<unknown> {
  return toRecord(value, {}, (item) =>
    item instanceof Map || Array.isArray(item) ? toNumberMap(item) : num(item),
  );
}

/** MODULE LIST: one loaded module. */
export interface ModuleInfo {
  /** The name the module registered. */
  name: string;
  /** The module's version number. */
  ver: number;
  /** Redis 7 on. */
  path?: string;
  /** The arguments it was loaded with (Redis 7 on). */
  args?: string[];
}

// ---- ROLE, TIME ----

/** ROLE, by what the server is. Names of the positional fields are respline's. */
export type Role = MasterRole | ReplicaRole | SentinelRole;

/** ROLE on a master. */
export interface MasterRole {
  /** What the server is. */
  role: 'master';
  /** Replication offset. */
  offset: number;
  /** The connected replicas. */
  replicas: {
    /** The replica's address as it announced it. */
    host: string;
    /** The replica's port. */
    port: number;
    /** The replication offset the replica acknowledged. */
    offset: number;
  }[];
}

/** ROLE on a replica. */
export interface ReplicaRole {
  /** What the server is (Redis's own word for a replica). */
  role: 'slave';
  /** The master it replicates from. */
  masterHost: string;
  /** The master's port. */
  masterPort: number;
  /** 'connect', 'connecting', 'sync' or 'connected'; -1 offset until the first sync. */
  state: string;
  /** Replication offset received so far. */
  offset: number;
}

/** ROLE on a Sentinel. */
export interface SentinelRole {
  /** What the server is. */
  role: 'sentinel';
  /** Names of the monitored masters. */
  masters: string[];
}

export function toRole(value: RespValue): Role {
  if (!Array.isArray(value) || value.length < 2) throw unexpected('a role', value);
  const role = textOf(value[0]);
  if (role === 'master') {
    return {
      role,
      offset: Number(num(value[1])),
      replicas: tuplesOf(value[2] ?? [], 3, 'a replica').map((item) => ({
        host: textOf(item[0]),
        port: Number(num(item[1])),
        offset: Number(num(item[2])),
      })),
    };
  }
  if (role === 'slave') {
    return {
      role,
      masterHost: textOf(value[1]),
      masterPort: Number(num(value[2])),
      state: textOf(value[3]),
      offset: Number(num(value[4])),
    };
  }
  if (role === 'sentinel') return { role, masters: texts(value[1]) };
  throw unexpected('master, slave or sentinel', value[0]);
}

/** TIME: [unix seconds, microseconds], both numbers (safe: seconds stay far below 2^53). */
export function toTime(value: RespValue): [seconds: number, microseconds: number] {
  if (!Array.isArray(value) || value.length !== 2) throw unexpected('seconds and microseconds', value);
  return [Number(num(value[0])), Number(num(value[1]))];
}

function tuplesOf(value: RespValue, length: number, what: string): RespValue[][] {
  return toArray(value).map((item) => {
    if (!Array.isArray(item) || item.length < length) throw unexpected(what, item);
    return item;
  });
}

// ---- reply shapes ----

export const aclUser = reply<AclUser | null>((value) =>
  toNullableRecord(value, { selectors: recordsOf({}, textual) }, textual),
);
export const aclLog = reply<AclLogEntry[] | 'OK', AclLogEntry[] | Buffer>(toAclLog);
/** ACL DRYRUN: 'OK', or why the user may not run the command. */
export const aclDryrun = reply<string, Buffer>();
export const commandInfos = reply<CommandDescription[]>(toCommandInfos);
export const nullableCommandInfos = reply<(CommandDescription | null)[]>(toCommandInfos);
export const commandDocs = reply<FieldMap<CommandDoc>>(toCommandDocs);
export const keysWithFlags = reply<KeyWithFlags[], KeyWithFlags<Buffer>[]>(toKeysWithFlags);
export const latencyLatest = reply<LatencyLatest[]>(toLatencyLatest);
export const latencyHistory = reply<LatencySample[]>(toLatencyHistory);
export const latencyHistograms = reply<FieldMap<LatencyHistogram>>(toLatencyHistograms);
export const slowlog = reply<SlowlogEntry[], SlowlogEntry<Buffer>[]>(toSlowlog);
export const memoryStats = reply<MemoryStats>(toMemoryStats);
export const modules = reply<ModuleInfo[]>(recordsOf({}, textual));
export const role = reply<Role>(toRole);
export const time = reply<[seconds: number, microseconds: number]>(toTime);
