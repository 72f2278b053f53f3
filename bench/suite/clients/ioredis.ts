import Redis from 'ioredis6';
import type { BenchClient } from './index';

/** ioredis 6, with its auto-pipelining off (its default) or on. Otherwise its defaults. */
export async function openIoredis(url: string, enableAutoPipelining: boolean): Promise<BenchClient> {
  const client = new Redis(url, { enableAutoPipelining, lazyConnect: true });
  await client.connect();
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    getPipeline: (keys) => {
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.get(key);
      return pipeline.exec();
    },
    close: async () => {
      await client.quit();
    },
  };
}
