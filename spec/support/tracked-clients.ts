import type { Client } from '../../lib/client';
import { stopAll } from './redis-harness';

/**
 * Registers the hooks a spec file needs to leave nothing running: clients are disconnected after
 * each test, redis-server processes stopped after the file. Returns `track`, which a test wraps
 * every Client it makes in.
 */
export function cleanupAfterEachTest(): (client: Client) => Client {
  const clients: Client[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await stopAll();
  });
  return (client) => {
    clients.push(client);
    return client;
  };
}
