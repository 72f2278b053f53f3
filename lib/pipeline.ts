import { ReplyModeRefusals } from './commands/reply-mode-methods';
import type { Transform } from './commands/reply';
import type { CommandFlags, Settle } from './connection/pending-command';
import { AbortError, InvalidArgumentError } from './errors';
import type { CommandArg, RespValue } from './resp/types';

/** Sends one command and reports its reply or error through `settle`; never throws. */
export type PipelineSink = (
  args: CommandArg[] | InvalidArgumentError,
  flags: CommandFlags,
  settle: Settle<RespValue | Error>,
) => void;

/** A recorded command, as `PipelineExec.around` sees it. */
export interface RecordedCommand {
  readonly args: CommandArg[] | InvalidArgumentError;
  readonly flags: CommandFlags;
  readonly transform: Transform | null;
}

/** How a pipeline's `exec()` runs: under a caller's signal, and traced; both optional. */
export interface PipelineExec {
  /** Aborting it makes `exec()` reject with AbortError; checked before anything is sent. */
  readonly signal?: AbortSignal;
  /** Wraps the whole run (a Client traces it on `respline:batch`). */
  around?(commands: readonly RecordedCommand[], run: () => Promise<unknown[]>): Promise<unknown[]>;
}

/**
 * Records commands, then sends them back to back in one tick, so they leave in one write.
 * `exec()` never rejects: each slot holds that command's reply or its Error.
 */
export class Pipeline extends ReplyModeRefusals<'chain'> {
  private readonly recorded: RecordedCommand[] = [];
  private executed = false;

  /**
   * `sink` sends each command; a sink given a signal withdraws what is unsent when it aborts.
   * Internal: a Pipeline comes from `pipeline()`.
   *
   * @internal
   */
  constructor(
    private readonly sink: PipelineSink,
    private readonly how?: PipelineExec,
  ) {
    super();
  }

  /** Commands recorded so far. */
  get length(): number {
    return this.recorded.length;
  }

  /**
   * Sends every command; resolves with one slot per command: its reply or its Error. Under a view's
   * signal (`withOptions`), it rejects with AbortError instead when the signal aborted before every
   * reply was in: what was unsent is dropped, what was sent may still run.
   */
  exec(): Promise<unknown[]> {
    if (this.executed) return Promise.reject(new InvalidArgumentError('this pipeline was already executed'));
    this.executed = true;
    const how = this.how;
    if (how === undefined) return this.sendRecorded();
    const signal = how.signal;
    if (signal?.aborted === true) {
      return Promise.reject(
        new AbortError('the pipeline was not sent: its signal had already aborted', 'PIPELINE', false, {
          cause: signal.reason,
        }),
      );
    }
    const results =
      how.around === undefined ? this.sendRecorded() : how.around(this.recorded, () => this.sendRecorded());
    if (signal === undefined) return results;
    return results.then((slots) => {
      const aborted = signal.aborted ? slots.find((slot) => slot instanceof AbortError) : undefined;
      if (aborted !== undefined) throw aborted;
      return slots;
    });
  }

  private sendRecorded(): Promise<unknown[]> {
    const recorded = this.recorded;
    const results = new Array<unknown>(recorded.length);
    if (recorded.length === 0) return Promise.resolve(results);
    // One promise for the whole batch: each command settles its own slot, the last one resolves.
    return new Promise((resolve) => {
      let remaining = recorded.length;
      recorded.forEach(({ args, flags, transform }, index) => {
        this.sink(args, flags, (outcome) => {
          results[index] =
            transform === null || outcome instanceof Error ? outcome : reshape(transform, outcome, args);
          if (--remaining === 0) resolve(results);
        });
      });
    });
  }

  protected dispatch(
    args: CommandArg[] | InvalidArgumentError,
    flags: CommandFlags,
    transform: Transform | null,
  ): this {
    this.recorded.push({ args, flags, transform });
    return this;
  }
}

/** A reply that does not have the shape its transform expects becomes that slot's error. */
function reshape(transform: Transform, value: RespValue, args: CommandArg[] | InvalidArgumentError): unknown {
  try {
    return transform(value, args instanceof InvalidArgumentError ? [] : args);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
