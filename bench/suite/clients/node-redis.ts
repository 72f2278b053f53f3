import { createClient } from 'redis';
import type { BenchClient } from './index';

/**
 * node-redis 6 with its defaults (it speaks RESP3 and pipelines every command issued in a tick on its own).
 * The explicit pipeline is `multi().execAsPipeline()`: the commands go out back to back without
 * MULTI/EXEC, the same non-transactional batch the other clients' pipeline() sends.
 */
export async function openNodeRedis(url: string): Promise<BenchClient> {
  const client = createClient({ url });
  // Without a listener a socket error would be thrown as an unhandled 'error' event and kill the worker.
  client.on('error', (error: unknown) => process.stderr.write(`node-redis: ${String(error)}\n`));
  await client.connect();
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    getPipeline: (keys) => {
      const multi = client.multi();
      for (const key of keys) multi.get(key);
      return multi.execAsPipeline();
    },
    close: () => client.close(),
  };
}
