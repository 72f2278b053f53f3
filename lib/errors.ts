/**
 * Every error respline raises. Callers can branch on the class (instanceof) or on `name`.
 * No message built here ever includes a password: URLs are passed through `redactUrl` first.
 */

/** The base class of every error respline raises, so `instanceof ResplineError` tells them from other errors. */
export class ResplineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server sent bytes that are not valid RESP, or broke a configured limit. Poisons the connection. */
export class ProtocolError extends ResplineError {}

/** The server answered a command with an error reply (`-ERR …`, `!…`). Rejects that command only. */
export class ReplyError extends ResplineError {
  /** The first word of the server's message, such as `ERR`, `WRONGTYPE` or `NOAUTH`. */
  readonly code: string;
  /** The command's name, once the reply has been matched to its command. */
  command: string | undefined;

  constructor(message: string) {
    super(message);
    const space = message.indexOf(' ');
    this.code = space === -1 ? message : message.slice(0, space);
  }
}

/** A command's `commandTimeout` expired, counting time queued and time in flight. */
export class TimeoutError extends ResplineError {
  constructor(
    message: string,
    /** The command's name, such as `GET`; never its arguments. */
    readonly command: string,
    /** The timeout that expired, in milliseconds. */
    readonly timeoutMs: number,
    /** True when the command had reached the socket: the server may still execute it. */
    readonly sent: boolean,
  ) {
    super(message);
  }
}

/**
 * The caller's AbortSignal aborted the command (see `withOptions`). `sent` says whether it had been
 * written: an unwritten command was dropped and never reaches the server; a written one may still run
 * (a write may still apply), and its late reply is absorbed. `cause` is the signal's reason.
 */
export class AbortError extends ResplineError {
  constructor(
    message: string,
    /** The command's name, such as `GET` (`PIPELINE` for a whole pipeline); never its arguments. */
    readonly command: string,
    /** True when the command had reached the socket: the server may still execute it. */
    readonly sent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The socket failed. `sent` says whether the command had been written, so its outcome is unknown. */
export class ConnectionError extends ResplineError {
  constructor(
    message: string,
    /** True when the command had been written: the server may have run it, so its outcome is unknown. */
    readonly sent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A step of the handshake (HELLO, AUTH, SELECT, CLIENT SETNAME, or the PING that proves an unprepared
 * socket alive) was refused, or the server closed the socket before answering it. Nothing of the
 * caller's had been written: `sent` is always false.
 */
export class HandshakeError extends ConnectionError {
  /** The step, as `HELLO 3`, `AUTH`, `SELECT 1`, `CLIENT SETNAME` or `PING`; never its arguments. */
  readonly step: string | undefined;

  constructor(message: string, options?: { cause?: unknown; step?: string }) {
    super(message, false, options);
    this.step = options?.step;
  }
}

/** The client was closed by `quit()` or `disconnect()`, or gave up reconnecting. */
export class ConnectionClosedError extends ResplineError {}

/** `maxPending`, `maxPendingBytes` or the offline queue's bound was reached. */
export class QueueFullError extends ResplineError {}

/**
 * A transaction's EXEC found that a key it WATCHed had changed (Redis answered nil), so none of its
 * commands ran. Retrying means reading again under a new WATCH.
 */
export class WatchError extends ResplineError {}

/** A caller passed something respline cannot send: a bad argument, option, URL or topology. */
export class InvalidArgumentError extends ResplineError {}

/** One replica's part in a cluster operation. */
export interface ReplicaOutcome {
  /** The replica's index: 0 is the first server of every shard. */
  readonly replica: number;
  /** The shard's index. */
  readonly shard: number;
  /** The server's URL, without credentials. */
  readonly url: string;
  /** True when this replica acknowledged. */
  readonly ok: boolean;
  /** Its reply, when it acknowledged. */
  readonly reply?: unknown;
  /** Its error, when it failed. */
  readonly error?: Error;
}

/** A cluster write could not meet its `writeAck`, or a read failed on every replica. */
export class ReplicationError extends ResplineError {
  constructor(
    message: string,
    /** Every replica's part, successes included. */
    readonly outcomes: readonly ReplicaOutcome[],
  ) {
    super(message);
  }
}

/**
 * Finding the server through Redis Sentinel failed: no sentinel answered, none knows the master's
 * name, none lists a healthy replica, or the server they named has another role (ROLE). A kind of
 * ConnectionError: nothing was sent (`sent` is false), and the client keeps asking while it reconnects.
 */
export class SentinelError extends ConnectionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}
