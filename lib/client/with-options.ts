import { CommandApi } from '../commands/api';
import type { Transform } from '../commands/reply';
import type { CallOptions } from '../connection/command-guard';
import type { CommandFlags } from '../connection/pending-command';
import { unwatchSignal, watchSignal } from '../connection/signal-watch';
import { AbortError, InvalidArgumentError } from '../errors';
import type { Pipeline } from '../pipeline';
import type { CommandArg } from '../resp/types';
import type { Transaction } from './transaction';

/** Options for every command issued through a `withOptions()` view. */
export interface CommandOptions {
  /**
   * Aborting it rejects each pending command of the view with AbortError. A command not yet written
   * is dropped and never reaches the server (`sent: false`); one already written rejects at once
   * (`sent: true`) and may still run: its late reply is absorbed, as after a timeout. A signal
   * already aborted rejects every call at once, and nothing is sent.
   */
  signal?: AbortSignal;
  /** Time allowed to each command, in ms, in place of `commandTimeout`; 0 turns it off. */
  timeout?: number;
}

/** What a view asks of the Client (or Cluster) it was made from. */
export interface ViewHost {
  dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
    options: CallOptions | undefined,
  ): Promise<unknown>;
  pipeline(options: CallOptions | undefined): Pipeline;
  multi(options: CallOptions | undefined): Transaction;
}

/**
 * Every command method of the Client (or Cluster) it was made from, sent with a signal and/or a
 * timeout of their own; `pipeline()` and `multi()` apply them to the whole batch. A view holds no
 * state but its options: make one per request, or keep one, as suits.
 */
export class OptionsView extends CommandApi<'promise'> {
  /**
   * Internal: a view comes from `withOptions()`.
   *
   * @param options Resolved by `resolveCallOptions`; undefined when no option was given.
   * @internal
   */
  constructor(
    private readonly host: ViewHost,
    private readonly options: CallOptions | undefined,
  ) {
    super();
  }

  /** Commands recorded now and sent together by `exec()`, under this view's signal and timeout. */
  pipeline(): Pipeline {
    return this.host.pipeline(this.options);
  }

  /** A MULTI … EXEC transaction under this view's signal and timeout, which apply to it whole. */
  multi(): Transaction {
    return this.host.multi(this.options);
  }

  /** A view with these options on top of this one's: both signals abort it; the new timeout wins. */
  withOptions(options: CommandOptions): OptionsView {
    return new OptionsView(this.host, resolveCallOptions(options, this.options));
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): Promise<unknown> {
    return this.host.dispatch(args, flags, transform, this.options);
  }
}

/**
 * Checks a caller's options and merges them over `base`; undefined when neither sets anything, so a
 * view made with `{}` sends exactly as the Client does.
 */
export function resolveCallOptions(
  options: CommandOptions,
  base: CallOptions | undefined,
): CallOptions | undefined {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('withOptions() takes an options object: { signal?, timeout? }');
  }
  const { signal, timeout } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('withOptions(): signal must be an AbortSignal');
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0) || timeout === Infinity)) {
    throw new InvalidArgumentError('withOptions(): timeout must be a non-negative number of ms');
  }
  const baseSignal = base?.signal;
  const merged =
    signal === undefined || baseSignal === undefined || signal === baseSignal
      ? (signal ?? baseSignal)
      : AbortSignal.any([baseSignal, signal]);
  const time = timeout ?? base?.timeout;
  if (merged === undefined && time === undefined) return undefined;
  return { signal: merged, timeout: time };
}

/**
 * Rejects with AbortError when `signal` aborts before `promise` settles; `promise` itself goes on.
 * For what cannot be withdrawn once issued (a read the cache shares, a Cluster write's fan-out).
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  name: string,
  where: string,
): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(
        new AbortError(`${name} was aborted while ${where}: it may or may not have run`, name, true, {
          cause: signal.reason,
        }),
      );
      return;
    }
    const member = {
      // After the microtasks the abort set off: a command beneath that the same signal withdrew
      // rejects first, with its exact AbortError (sent: false when it never left).
      aborted: (aborted: AbortSignal) =>
        setImmediate(() =>
          reject(
            new AbortError(`${name} was aborted while ${where}: it may or may not have run`, name, true, {
              cause: aborted.reason,
            }),
          ),
        ),
    };
    watchSignal(signal, member);
    promise.then(
      (value) => {
        unwatchSignal(signal, member);
        resolve(value);
      },
      (error: unknown) => {
        unwatchSignal(signal, member);
        reject(error);
      },
    );
  });
}
