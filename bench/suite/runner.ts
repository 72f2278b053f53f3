import type { Config } from './config';
import { describeGroup, rotate, type CellGroup } from './plan';
import type { Progress } from './progress';
import type { CellMeasure, ClientName, DecoderImpl, DecoderMeasure, MemoryMeasure } from './protocol';
import {
  summariseCell,
  summariseDecoder,
  summariseMemory,
  type CellResult,
  type DecoderResult,
  type MemoryResult,
} from './results';
import { WorkerHost } from './worker-host';

export interface RunContext {
  config: Config;
  workerEntry: string;
  url: string;
  progress: Progress;
}

const DECODER_IMPLS: DecoderImpl[] = ['respline', 'redis-parser'];

/**
 * Throughput cells. Every run gets a fresh worker process: start-up and connect happen before the window
 * (their time is recorded, never measured), and no cell inherits another's heap, RSS or JIT state. For each
 * repeat, each group runs its clients one after another, A B C D, then the next group. Only one worker is
 * ever alive, so clients never compete with each other for the 2 cores.
 */
export async function runCells(context: RunContext, groups: readonly CellGroup[]): Promise<CellResult[]> {
  const { config, progress } = context;
  const runs = new Map<string, { measures: CellMeasure[]; failures: string[]; startupMs: number[] }>();
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    for (const group of groups) {
      for (const client of rotate(group.clients, repeat)) {
        progress.step(`${describeGroup(group)} · ${client} · repeat ${repeat + 1}/${config.repeats}`);
        const slot = runs.get(`${group.key}|${client}`) ?? { measures: [], failures: [], startupMs: [] };
        runs.set(`${group.key}|${client}`, slot);
        const forkedAt = performance.now();
        const host = spawnWorker(context, `${client}-${group.key.replace(/\//g, '-')}-${repeat + 1}`);
        try {
          await connect(context, host, client);
          slot.startupMs.push(performance.now() - forkedAt);
          const spec = {
            driver: group.driver,
            workload: group.workload,
            depth: group.depth,
            holder: config.holder,
            warmupMs: config.warmupMs,
            durationMs: config.durationMs,
            maxOps: config.maxOps,
          };
          slot.measures.push(await host.request({ kind: 'cell', spec }));
        } catch (error) {
          slot.failures.push(firstLine(error));
          progress.log(`! ${describeGroup(group)} · ${client}: ${firstLine(error)}`);
        } finally {
          await host.close();
        }
      }
    }
  }
  return groups.flatMap((group) =>
    group.clients.map((client) => {
      const slot = runs.get(`${group.key}|${client}`) ?? { measures: [], failures: [], startupMs: [] };
      const { key, driver, workload, depth } = group;
      const { measures, failures, startupMs } = slot;
      return summariseCell({ key, driver, workload, depth, client, runs: measures, failures, startupMs });
    }),
  );
}

/**
 * 100k commands in flight at once. A fresh process per client and repeat, so the peak RSS is this
 * scenario's alone and not a leftover of a throughput cell.
 */
export async function runMemory(context: RunContext): Promise<MemoryResult[]> {
  const { config, progress } = context;
  const measures = new Map<ClientName, MemoryMeasure[]>();
  const failures = new Map<ClientName, string[]>();
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    for (const client of rotate(config.memoryClients, repeat)) {
      progress.step(
        `memory · ${config.memoryPending} in flight · ${client} · repeat ${repeat + 1}/${config.repeats}`,
      );
      const host = spawnWorker(context, `memory-${client}-${repeat + 1}`);
      try {
        await connect(context, host, client);
        const measure = await host.request({ kind: 'memory', pending: config.memoryPending });
        measures.set(client, [...(measures.get(client) ?? []), measure]);
      } catch (error) {
        failures.set(client, [...(failures.get(client) ?? []), firstLine(error)]);
        progress.log(`! memory · ${client}: ${firstLine(error)}`);
      } finally {
        await host.close();
      }
    }
  }
  return config.memoryClients.map((client) =>
    summariseMemory(client, config.memoryPending, measures.get(client) ?? [], failures.get(client) ?? []),
  );
}

/** The decoder alone, from memory, in a fresh process per implementation and repeat. */
export async function runDecoder(context: RunContext): Promise<DecoderResult[]> {
  const { config, progress } = context;
  const measures = new Map<DecoderImpl, DecoderMeasure[]>();
  const failures = new Map<DecoderImpl, string[]>();
  for (let repeat = 0; repeat < config.repeats; repeat++) {
    for (const impl of rotate(DECODER_IMPLS, repeat)) {
      progress.step(
        `decoder · $${config.valueSize} frames · ${impl} · repeat ${repeat + 1}/${config.repeats}`,
      );
      const host = spawnWorker(context, `decoder-${impl}-${repeat + 1}`);
      try {
        const measure = await host.request({
          kind: 'decoder',
          impl,
          frames: config.decoderFrames,
          chunkBytes: config.decoderChunkBytes,
          valueSize: config.valueSize,
          durationMs: config.decoderMs,
        });
        measures.set(impl, [...(measures.get(impl) ?? []), measure]);
      } catch (error) {
        failures.set(impl, [...(failures.get(impl) ?? []), firstLine(error)]);
        progress.log(`! decoder · ${impl}: ${firstLine(error)}`);
      } finally {
        await host.close();
      }
    }
  }
  return DECODER_IMPLS.map((impl) =>
    summariseDecoder(impl, measures.get(impl) ?? [], failures.get(impl) ?? []),
  );
}

export function countSteps(config: Config, groups: readonly CellGroup[]): number {
  const cells = groups.reduce((sum, group) => sum + group.clients.length, 0);
  const memory = config.scenarios.has('memory') ? config.memoryClients.length : 0;
  const decoder = config.scenarios.has('decoder') ? DECODER_IMPLS.length : 0;
  return (cells + memory + decoder) * config.repeats;
}

function spawnWorker(context: RunContext, label: string): WorkerHost {
  return new WorkerHost(label, context.workerEntry, {
    cpuProf: context.config.cpuProf,
    log: (line) => context.progress.log(line),
  });
}

async function connect(context: RunContext, host: WorkerHost, client: ClientName): Promise<void> {
  const { keyCount, valueSize } = context.config;
  await host.request({ kind: 'connect', client, url: context.url, keyCount, valueSize });
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}
