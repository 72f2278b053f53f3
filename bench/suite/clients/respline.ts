import { Client } from '../../../lib/client';
import type { BenchClient } from './index';

/**
 * Default options on purpose: commandTimeout, stallTimeout, heartbeat and the pending bounds all stay on,
 * as issue 4 requires the figures with every feature of the pipelined client switched on.
 */
export async function openRespline(url: string): Promise<BenchClient> {
  const client = new Client(url);
  await client.connect();
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    getPipeline: (keys) => {
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.get(key);
      return pipeline.exec();
    },
    close: () => client.quit(),
  };
}
