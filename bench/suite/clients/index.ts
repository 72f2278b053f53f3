import type { ClientName } from '../protocol';

/** The few operations the suite drives, the same shape for every client so the driver code is shared. */
export interface BenchClient {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  /** Sends the GETs as one explicit pipeline and resolves with every reply. */
  getPipeline(keys: readonly string[]): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Loads only the library under test: a worker that drives ioredis never loads node-redis or respline, so
 * its start-up RSS and JIT state belong to that client alone.
 */
export async function openClient(name: ClientName, url: string): Promise<BenchClient> {
  switch (name) {
    case 'respline':
      return (await import('./respline.js')).openRespline(url);
    case 'ioredis':
      return (await import('./ioredis.js')).openIoredis(url, false);
    case 'ioredis-auto':
      return (await import('./ioredis.js')).openIoredis(url, true);
    case 'node-redis':
      return (await import('./node-redis.js')).openNodeRedis(url);
    case 'glide':
      return (await import('./glide.js')).openGlide(url);
    case 'noop':
      return (await import('./noop.js')).openNoop();
  }
}
