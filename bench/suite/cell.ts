import type { BenchClient } from './clients/index';
import { drive, makeOp } from './drivers';
import type { CellMeasure, CellSpec } from './protocol';
import { collectGarbage, RssSampler } from './sampler';

/**
 * Warm-up (unmeasured, same driver and depth, so the JIT and the socket buffers settle), then a measured
 * window. CPU time is the worker's own user + system time: the client's cost, not the server's.
 */
export async function measureCell(
  spec: CellSpec,
  client: BenchClient,
  keys: readonly string[],
  batches: readonly (readonly string[])[],
  value: string,
): Promise<CellMeasure> {
  const op = makeOp(client, spec.workload, keys, value);
  if (spec.warmupMs > 0) await drive(spec, client, op, batches, spec.warmupMs);
  collectGarbage();

  const sampler = new RssSampler(20);
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const { ops, errors } = await drive(spec, client, op, batches, spec.durationMs);
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const peakRssBytes = sampler.stop();

  return {
    ops,
    errors,
    elapsedMs,
    opsPerSec: ops / (elapsedMs / 1000),
    cpuUsPerOp: ops === 0 ? 0 : (cpu.user + cpu.system) / ops,
    peakRssBytes,
  };
}
