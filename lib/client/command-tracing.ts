import type { TracingChannel } from 'node:diagnostics_channel';
import { routableKeyPositions } from '../commands/movable-keys';
import {
  batchChannel,
  commandChannel,
  type BatchTrace,
  type CommandTrace,
  type ServerTrace,
} from '../connection/tracing';
import { InvalidArgumentError } from '../errors';
import type { CommandArg } from '../resp/types';

/**
 * Runs one command under `respline:command`. Only called when someone subscribes (the caller checks
 * `commandTraced.hasSubscribers` first), so nothing here is allocated otherwise.
 */
export function traceCommand<T>(
  server: ServerTrace,
  withKeys: boolean,
  args: readonly CommandArg[],
  run: () => Promise<T>,
): Promise<T> {
  const context: CommandTrace = {
    command: String(args[0]),
    args: withKeys ? keysOf(args) : [],
    serverAddress: server.serverAddress,
    serverPort: server.serverPort,
    database: server.database,
  };
  return traced(commandChannel, context, run);
}

/** Runs a pipeline or transaction under `respline:batch`; its commands are named, never their arguments. */
export function traceBatch<T>(
  server: ServerTrace,
  batchMode: BatchTrace['batchMode'],
  commands: readonly { readonly args: readonly CommandArg[] | InvalidArgumentError }[],
  run: () => Promise<T>,
): Promise<T> {
  const context: BatchTrace = {
    batchMode,
    batchSize: commands.length,
    commands: commands.map(({ args }) => (args instanceof InvalidArgumentError ? '' : String(args[0]))),
    serverAddress: server.serverAddress,
    serverPort: server.serverPort,
    database: server.database,
  };
  return traced(batchChannel, context, run);
}

/**
 * What `TracingChannel.tracePromise` does, but without setting the reply as the context's `result`:
 * replies are the application's data. The caller's continuation runs after asyncEnd, as with it.
 */
function traced<C extends object, T>(
  channel: TracingChannel<unknown, C>,
  context: C & { error?: unknown },
  run: () => Promise<T>,
): Promise<T> {
  const { start, end, asyncStart, asyncEnd, error } = channel;
  return start.runStores(context, () => {
    try {
      return run().then(
        (reply) => {
          asyncStart.publish(context);
          asyncEnd.publish(context);
          return reply;
        },
        (failure: unknown) => {
          context.error = failure;
          error.publish(context);
          asyncStart.publish(context);
          asyncEnd.publish(context);
          throw failure;
        },
      );
    } finally {
      end.publish(context);
    }
  });
}

/**
 * The keys only, found where the command table says they are (movable keys included): a value, a
 * password (AUTH, MIGRATE … AUTH) or any other argument is never a key, so it is never published.
 */
function keysOf(args: readonly CommandArg[]): CommandArg[] {
  const positions = routableKeyPositions(args);
  return positions === undefined ? [] : positions.map((position) => args[position]);
}
