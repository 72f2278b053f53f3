import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** Listens on 127.0.0.1 at `port` (0 for any free one) and resolves with the port taken. */
export async function listenOnLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, errors can only come from accepting; a test server shrugs them off.
  server.on('error', () => undefined);
  return (server.address() as { port: number }).port;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Redis's well-known port: a shared server may live there, so a test never takes it. */
const WELL_KNOWN_REDIS_PORT = 6379;

/**
 * Ports this process already handed out. The OS may offer a closed probe's port again at once, so two
 * servers started side by side (a cluster node's client and bus ports) could otherwise be given the same.
 */
const handedOut = new Set<number>();
/** Well under the OS's ephemeral range, so a long-lived process cannot exhaust it and spin. */
const HANDED_OUT_REMEMBERED = 8_192;

/**
 * A loopback port the OS reported free a moment ago (never 6379, never one this process was given
 * before), for a server a test is about to start. Another process may take it in between: callers
 * retry on a bind failure.
 */
export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const probe = createServer();
    const port = await listenOnLoopback(probe, 0);
    await closeServer(probe);
    if (port !== WELL_KNOWN_REDIS_PORT && !handedOut.has(port)) {
      if (handedOut.size === HANDED_OUT_REMEMBERED) handedOut.clear();
      handedOut.add(port);
      return port;
    }
  }
}
