import { measureCommand, type CommandSize } from '../resp/encoder';
import type { CommandArg, RespValue } from '../resp/types';

/** Bit flags describing how a command may be treated. */
export const CommandFlags = {
  None: 0,
  /** Safe to resend once if the socket dies before its reply: it changes nothing. */
  ReadOnly: 1,
  /** Strings in the reply stay Buffers. */
  Buffers: 2,
  /**
   * Sent by the connection itself (handshake, heartbeat), never by a caller: not counted as a
   * caller's timeout, and its failure is reported by whoever sent it.
   */
  Internal: 4,
  /**
   * May keep the server from answering on its connection until its own timeout (BLPOP, XREAD BLOCK…).
   * The connection does nothing with it; a Client sends such a command on a connection of its own.
   */
  Blocking: 8,
  /**
   * The connection does nothing with it either: a read a Client with a client-side cache may answer
   * from memory (set by the command definitions, lib/commands/define.ts).
   */
  Cacheable: 16,
  /**
   * The command keeps its own deadline (a per-call `timeout`, lib/connection/command-guard.ts): the
   * watchdog, whose one timer assumes deadlines that grow along each queue, looks past it.
   */
  OwnDeadline: 32,
  /**
   * Meant for the socket open when it was sent, and no other: if that socket is lost before the command
   * is written, it fails (ConnectionError, sent: false) instead of waiting for the next one. Cluster
   * repair sends with it to a server whose process it has checked on this socket: the next socket may
   * reach a process restarted empty, or one a repair has not caught up yet.
   */
  SocketBound: 64,
} as const;
export type CommandFlags = number;

export type Settle<T> = (value: T) => void;

let capturedResolve: Settle<RespValue> | null = null;
let capturedReject: Settle<Error> | null = null;

/** One shared executor, so creating a command's promise allocates no closure of ours. */
function captureSettlers(resolve: Settle<RespValue>, reject: Settle<Error>): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * A command from the moment a caller issues it until its promise settles. It sits in exactly one
 * FIFO at a time (`next` links it there), first the write queue, then the in-flight queue.
 */
const NO_ARGS: readonly CommandArg[] = [];

export class PendingCommand implements CommandSize {
  /** Kept until written, and after that only for a read-only command, which may be resent. */
  args: readonly CommandArg[] = NO_ARGS;
  bytes = 0;
  ascii = true;
  next: PendingCommand | null = null;
  /** Epoch ms after which the caller gets a TimeoutError; 0 for none. */
  deadline = 0;
  /** Written to a socket, so the server may have run it. */
  sent = false;
  /** The caller's promise has settled; a late reply is still owed to this slot and is absorbed. */
  settled = false;
  retried = false;
  resolve: Settle<RespValue>;
  reject: Settle<Error>;

  constructor(
    /** The command name as the caller gave it, for error messages. */
    readonly name: string,
    readonly flags: CommandFlags,
    resolve?: Settle<RespValue>,
    reject?: Settle<Error>,
  ) {
    this.resolve = resolve ?? noop;
    this.reject = reject ?? noop;
  }

  /** Lets the arguments go once the command can no longer be resent. */
  releaseArgs(): void {
    this.args = NO_ARGS;
  }

  /** Creates the caller's promise and binds this command's settlers to it. */
  promise(): Promise<RespValue> {
    const promise = new Promise<RespValue>(captureSettlers);
    this.resolve = capturedResolve as Settle<RespValue>;
    this.reject = capturedReject as Settle<Error>;
    capturedResolve = null;
    capturedReject = null;
    return promise;
  }
}

function noop(): void {}

/**
 * Measures and validates a command's arguments (throwing InvalidArgumentError) and keeps them for the
 * flush, which encodes them straight into its one write.
 */
export function prepareCommand(command: PendingCommand, args: readonly CommandArg[]): void {
  measureCommand(args, command);
  command.args = args;
}
