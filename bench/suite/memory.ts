import type { BenchClient } from './clients/index';
import type { MemoryMeasure } from './protocol';
import { collectGarbage, RssSampler } from './sampler';

/**
 * `pending` GETs issued in one synchronous loop, then awaited together: at the end of the loop every one is
 * held by the client and none is answered, since no reply can be read before the loop yields. The growth of
 * heap + external memory across the loop is what the client holds per pending command (the array of
 * promises, 8 bytes a slot, is the same for every client and is included).
 */
export async function measureMemory(
  client: BenchClient,
  keys: readonly string[],
  pending: number,
): Promise<MemoryMeasure> {
  // A small warm-up so lazily built structures (encoders, buffers) exist before the baseline is taken.
  await Promise.all(keys.slice(0, 1000).map((key) => client.get(key)));
  collectGarbage();
  const before = process.memoryUsage();
  const sampler = new RssSampler(5);

  const start = performance.now();
  const replies = new Array<Promise<unknown>>(pending);
  for (let i = 0; i < pending; i++) replies[i] = client.get(keys[i % keys.length]);
  const issued = process.memoryUsage();
  sampler.sample();

  const outcomes = await Promise.allSettled(replies);
  const drainMs = performance.now() - start;
  sampler.stop();
  const errors = outcomes.filter((outcome) => outcome.status === 'rejected').length;

  const grown = issued.heapUsed + issued.external - (before.heapUsed + before.external);
  return {
    pending,
    baselineRssBytes: before.rss,
    issuedRssBytes: issued.rss,
    // maxRSS is in KiB (and covers the whole process life, which here is only this scenario).
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    bytesPerPending: grown / pending,
    rssBytesPerPending: (issued.rss - before.rss) / pending,
    drainMs,
    errors,
  };
}
