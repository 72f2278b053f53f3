import { createHash } from 'node:crypto';
import type { CommandApi } from '../commands/api';
import type { RedisKey } from '../commands/api-types';
import type { ScriptValue } from '../commands/script-replies';
import { InvalidArgumentError, ReplyError } from '../errors';
import type { CommandArg } from '../resp/types';

/** How a {@link Script} runs. */
export interface ScriptOptions {
  /**
   * The script only reads (its source should start with `#!lua flags=no-writes`, or Redis refuses
   * writes it tries): it runs as EVALSHA_RO / EVAL_RO, which a Cluster sends to one replica, as any read.
   */
  readOnly?: boolean;
}

/**
 * Marks a surface that sends each write to several servers whose script caches may differ (the
 * Cluster): a write script goes there as EVAL, never EVALSHA, or a replica that lost its cache (a
 * restart, SCRIPT FLUSH) would answer NOSCRIPT while the others ran the script, and diverge.
 */
export const evalWrites: unique symbol = Symbol('respline.evalWrites');

// Left out of the API reference on purpose (typedoc.json, intentionallyNotExported): the command
// surfaces themselves are what a caller passes.
/** Where `run` sends a script: a Client, an isolated connection, a Cluster or a RedisCluster. */
type Sender = CommandApi<'promise'>;
/** Where `run` records a script: a Pipeline or a Transaction. */
type Recorder = CommandApi<'chain'>;

/**
 * A Lua script, known by its sha1 (computed here, so it costs no round trip). `run` sends it where it
 * is cheapest and still right:
 * - a Client (or an isolated connection): EVALSHA, and on NOSCRIPT — the server never saw it, or lost
 *   it to SCRIPT FLUSH or a restart — EVAL, which also caches it for the next call;
 * - a Cluster: a readOnly script as a Client does, on one replica; a write script as EVAL (see
 *   `evalWrites`). It is routed by its keys, which must share a shard, and needs at least one;
 * - a Pipeline or a Transaction: EVAL, recorded in place. A pipeline slot cannot be retried after a
 *   NOSCRIPT without running the script after the commands recorded behind it, which could then see
 *   the state before it ran; inside MULTI a NOSCRIPT cannot be retried at all without breaking
 *   atomicity. EVAL costs the script's bytes on the wire, never a reordering.
 * The reply is a ScriptValue: the same under RESP2 and RESP3, with Lua tables as arrays.
 */
export class Script {
  /** The Lua source, as given. */
  readonly source: string | Buffer;
  /** Lower-case hex, as SCRIPT LOAD returns it. */
  readonly sha1: string;
  /** Runs as EVALSHA_RO / EVAL_RO (see {@link ScriptOptions.readOnly}). */
  readonly readOnly: boolean;

  constructor(source: string | Buffer, options: ScriptOptions = {}) {
    if (typeof source !== 'string' && !Buffer.isBuffer(source)) {
      throw new InvalidArgumentError('a Script takes its Lua source as a string or Buffer');
    }
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('Script options must be an object ({ readOnly })');
    }
    this.source = source;
    this.sha1 = createHash('sha1').update(source).digest('hex');
    this.readOnly = options.readOnly === true;
  }

  /** Runs the script; on a Pipeline or Transaction, records it and returns that surface. */
  run<S extends Recorder>(target: S, keys?: readonly RedisKey[], args?: readonly CommandArg[]): S;
  run(target: Sender, keys?: readonly RedisKey[], args?: readonly CommandArg[]): Promise<ScriptValue>;
  run(
    target: Sender | Recorder,
    keys: readonly RedisKey[] = [],
    args: readonly CommandArg[] = [],
  ): Promise<ScriptValue> | Recorder {
    if (records(target)) {
      return this.readOnly ? target.evalRo(this.source, keys, args) : target.eval(this.source, keys, args);
    }
    return this.send(
      target,
      () => (this.readOnly ? target.evalshaRo(this.sha1, keys, args) : target.evalsha(this.sha1, keys, args)),
      () => (this.readOnly ? target.evalRo(this.source, keys, args) : target.eval(this.source, keys, args)),
    );
  }

  /** As `run`, with strings in the reply left as Buffers. */
  runBuffer<S extends Recorder>(target: S, keys?: readonly RedisKey[], args?: readonly CommandArg[]): S;
  runBuffer(
    target: Sender,
    keys?: readonly RedisKey[],
    args?: readonly CommandArg[],
  ): Promise<ScriptValue<Buffer>>;
  runBuffer(
    target: Sender | Recorder,
    keys: readonly RedisKey[] = [],
    args: readonly CommandArg[] = [],
  ): Promise<ScriptValue<Buffer>> | Recorder {
    if (records(target)) {
      return this.readOnly
        ? target.evalRoBuffer(this.source, keys, args)
        : target.evalBuffer(this.source, keys, args);
    }
    return this.send(
      target,
      () =>
        this.readOnly
          ? target.evalshaRoBuffer(this.sha1, keys, args)
          : target.evalshaBuffer(this.sha1, keys, args),
      () =>
        this.readOnly
          ? target.evalRoBuffer(this.source, keys, args)
          : target.evalBuffer(this.source, keys, args),
    );
  }

  private send<R>(target: Sender, bySha: () => Promise<R>, byBody: () => Promise<R>): Promise<R> {
    if (!this.readOnly && evalWrites in target) return byBody();
    return bySha().catch((error: unknown) => (isNoScript(error) ? byBody() : Promise.reject(error)));
  }
}

/** Pipelines and Transactions record commands until `exec()`; Clients and Clusters send them. */
function records(target: Sender | Recorder): target is Recorder {
  return 'exec' in target && typeof target.exec === 'function';
}

function isNoScript(error: unknown): boolean {
  return error instanceof ReplyError && error.code === 'NOSCRIPT';
}
