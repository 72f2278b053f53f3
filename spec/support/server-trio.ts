import { Client } from '../../lib/client';
import { PROTOCOLS, type ProtocolTrio } from './protocol-trio';
import { startRedis, stopAll, type RedisProcess, type StartRedisOptions } from './redis-harness';

/**
 * `useProtocolTrio` for specs that also need the server itself: its port for a bare RESP
 * connection (a subscriber, a failing AUTH), or extra arguments (cluster mode).
 */
export interface ServerTrio extends ProtocolTrio {
  redis(): RedisProcess;
}

/**
 * `sharedDatabase`: the three clients use database 0, for a server in cluster mode, which has no
 * other; the steps then must give the same results when run three times on the same keys.
 */
export function useServerTrio(options: StartRedisOptions = {}, sharedDatabase = false): ServerTrio {
  let redis: RedisProcess | undefined;
  let clients: Client[] = [];
  beforeAll(async () => {
    redis = await startRedis(options);
    const url = redis.url;
    clients = PROTOCOLS.map(
      ({ options: { db, ...rest } }) => new Client(url, sharedDatabase ? rest : { db, ...rest }),
    );
    await Promise.all(clients.map((client) => client.connect()));
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await stopAll();
  });
  return {
    redis(): RedisProcess {
      if (redis === undefined) throw new Error('the server starts in beforeAll');
      return redis;
    },
    async each<T>(steps: (client: Client) => Promise<T>): Promise<T[]> {
      const results: T[] = [];
      for (const client of clients) results.push(await steps(client));
      return results;
    },
  };
}
