import type { ReplyError } from '../errors';
import type { RespValue } from '../resp/types';
import { reply, toArray, toFieldMap, unexpected, type FieldMap } from './reply';

/**
 * What a Lua script or function can return, the same under RESP2 and RESP3: Lua tables are arrays
 * (a RESP3 map becomes a flat [key, value, …] array and a set an array, as RESP2 sends them), and
 * booleans are 1 and 0, as RESP2 sends them. Nested error replies stay ReplyError values. Two
 * differences remain, since a decoded value cannot tell them apart: a `{double=…}` reply is a number
 * under RESP3 and a string under RESP2, and a `{big_number=…}` reply a bigint under RESP3 and a
 * string under RESP2.
 */
export type ScriptValue<S = string> = S | number | bigint | null | ReplyError | ScriptValue<S>[];

/** Aggregates are rewritten in place: the decoded reply belongs to this one caller. */
function toScriptValue(value: RespValue): RespValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toScriptValue(value[i]);
    return value;
  }
  if (value instanceof Map) {
    const flat: RespValue[] = [];
    for (const [key, item] of value) flat.push(toScriptValue(key), toScriptValue(item));
    return flat;
  }
  if (value instanceof Set) return [...value].map(toScriptValue);
  return value;
}

export const scriptValue = reply<ScriptValue, ScriptValue<Buffer>>((value) => toScriptValue(value));

/** One function of a library, as FUNCTION LIST describes it. */
export interface FunctionInfo<S = string> {
  /** The function's name. */
  name: S;
  /** Its description, or null when the library gave none. */
  description: S | null;
  /** 'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'. */
  flags: S[];
}

/** One library of FUNCTION LIST. */
export interface FunctionLibrary<S = string> {
  /** The library's name. */
  libraryName: S;
  /** Its engine: 'LUA'. */
  engine: S;
  /** The functions it registers. */
  functions: FunctionInfo<S>[];
  /** Only with WITHCODE. */
  libraryCode?: S;
}

function toFunctionLibrary(value: RespValue): FunctionLibrary<RespValue> {
  const fields = toFieldMap(value);
  const library: FunctionLibrary<RespValue> = {
    libraryName: fields.library_name ?? null,
    engine: fields.engine ?? null,
    functions: toArray(fields.functions ?? null).map((entry) => {
      const fn = toFieldMap(entry);
      return { name: fn.name ?? null, description: fn.description ?? null, flags: toArray(fn.flags ?? null) };
    }),
  };
  if (fields.library_code !== undefined) library.libraryCode = fields.library_code;
  return library;
}

export const functionLibraries = reply<FunctionLibrary[], FunctionLibrary<Buffer>[]>((value) =>
  toArray(value).map(toFunctionLibrary),
);

/** The function FUNCTION STATS saw running. */
export interface RunningFunction<S = string> {
  /** The running function's name. */
  name: S;
  /** The FCALL that started it, with its arguments. */
  command: S[];
  /** Milliseconds it has been running. */
  durationMs: number;
}

/** FUNCTION STATS: what one engine holds. */
export interface EngineStats {
  /** Libraries loaded in the engine. */
  librariesCount: number;
  /** Functions they register. */
  functionsCount: number;
}

/** FUNCTION STATS: the function running now, if any, and each engine's counts. */
export interface FunctionStats<S = string> {
  /** The function running now, or null. */
  runningScript: RunningFunction<S> | null;
  /** By engine name ('LUA'). */
  engines: FieldMap<EngineStats>;
}

function toFunctionStats(value: RespValue): FunctionStats<RespValue> {
  const fields = toFieldMap(value);
  const running = fields.running_script ?? null;
  const engines: FieldMap<EngineStats> = Object.create(null);
  for (const [engine, stats] of Object.entries(toFieldMap(fields.engines ?? null))) {
    const counts = toFieldMap(stats);
    engines[engine] = {
      librariesCount: count(counts.libraries_count),
      functionsCount: count(counts.functions_count),
    };
  }
  if (running === null) return { runningScript: null, engines };
  const script = toFieldMap(running);
  return {
    runningScript: {
      name: script.name ?? null,
      command: toArray(script.command ?? null),
      durationMs: count(script.duration_ms),
    },
    engines,
  };
}

function count(value: RespValue | undefined): number {
  if (typeof value === 'number') return value;
  throw unexpected('an integer', value ?? null);
}

export const functionStats = reply<FunctionStats, FunctionStats<Buffer>>(toFunctionStats);

/** SCRIPT EXISTS: one boolean per sha1, in the order asked. */
export const scriptsExist = reply<boolean[]>((value) =>
  toArray(value).map((item) => item === 1 || item === true),
);
