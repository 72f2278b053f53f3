/** A command as EmbeddedServer received it, handed to a `respondWith` hook. */
export interface IncomingCommand {
  /** Lower-cased command name, such as `get` or `hello`. */
  readonly name: string;
  /** The arguments after the name, as sent. */
  readonly args: readonly Buffer[];
  /** Which connection sent it; ids start at 1 and are never reused by a server. */
  readonly connectionId: number;
  /** The connection's selected database at the time. */
  readonly db: number;
}

/**
 * How a hook answers a command:
 * - `undefined`: no opinion, the server executes the command normally;
 * - a Buffer: these exact bytes are written instead of the reply (malformed RESP, several replies, none…);
 * - `{ raw, close }`: write `raw` if given, then close the connection when `close` is set.
 *
 * A hook that returns a promise holds back this connection's later replies until it settles, so a
 * never-settling promise makes the server hang on that connection only.
 */
export type HookAction =
  | Buffer
  | {
      /** Bytes to write instead of the reply. */
      readonly raw?: Buffer;
      /** Close the connection after writing `raw` (if any). */
      readonly close?: boolean;
    }
  | undefined;

/**
 * Called for every command the server receives (see `EmbeddedServer.respondWith`); what it returns decides
 * the reply, as {@link HookAction} describes.
 */
export type CommandHook = (command: IncomingCommand) => HookAction | Promise<HookAction>;
