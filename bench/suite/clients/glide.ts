import { Batch, GlideClient, Logger } from '@valkey/valkey-glide';
import type { BenchClient } from './index';

/**
 * Far above the deepest cell (1024 in flight): glide's default of 1000 would reject commands past it with
 * an error instead of queueing them, and those errors would be counted as failed ops.
 */
const INFLIGHT_LIMIT = 100_000;

/**
 * valkey-glide 2: a Rust core (redis-rs, on its own tokio threads inside this process) behind a thin
 * Node layer, so the worker's process.cpuUsage() counts the core's threads too. Logging is off: its
 * default logger would write to the console from the core. The pipeline is a non-atomic `Batch`.
 */
export async function openGlide(url: string): Promise<BenchClient> {
  Logger.setLoggerConfig('off');
  const { hostname, port } = new URL(url);
  const client = await GlideClient.createClient({
    addresses: [{ host: hostname, port: Number(port) }],
    inflightRequestsLimit: INFLIGHT_LIMIT,
  });
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    getPipeline: (keys) => {
      const batch = new Batch(false);
      for (const key of keys) batch.get(key);
      return client.exec(batch, true);
    },
    close: () => {
      client.close();
      return Promise.resolve();
    },
  };
}
