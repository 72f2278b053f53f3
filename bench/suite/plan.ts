import type { Config, Scenario } from './config';
import type { ClientName, Driver, Workload } from './protocol';

/** One measured configuration, run for each of its clients in turn (interleaved), once per repeat. */
export interface CellGroup {
  key: string;
  driver: Driver;
  workload: Workload;
  depth: number;
  clients: ClientName[];
}

/**
 * Scenarios share cells rather than measure the same thing twice: the headline's "128 in flight" row is
 * respline's GET cell at depth 128 from the peers table, and its pipeline row is the pipeline scenario's.
 */
export function planGroups(config: Config): CellGroup[] {
  const groups = new Map<string, CellGroup>();
  const add = (driver: Driver, workload: Workload, depth: number, clients: ClientName[]): void => {
    const key = cellKey(driver, workload, depth);
    const group = groups.get(key) ?? { key, driver, workload, depth, clients: [] };
    for (const client of clients) if (!group.clients.includes(client)) group.clients.push(client);
    groups.set(key, group);
  };
  const wants = (scenario: Scenario): boolean => config.scenarios.has(scenario);

  if (wants('headline')) {
    add('await-loop', 'get', 1, ['respline']);
    for (const depth of [1, 128, ...(config.quick ? [] : [1024])]) add('queue', 'get', depth, ['respline']);
    add('pipeline100', 'get', 100, ['respline']);
  }
  if (wants('peers')) {
    for (const workload of ['get', 'set', 'mixed'] as const) {
      for (const depth of config.depths[workload]) add('queue', workload, depth, config.peers);
    }
    // The driver alone, with no client and no I/O: what p-queue adds to every figure at that depth.
    for (const depth of config.driverDepths) add('queue', 'get', depth, ['noop']);
  }
  if (wants('pipeline')) add('pipeline100', 'get', 100, config.pipelineClients);
  return [...groups.values()];
}

export function cellKey(driver: Driver, workload: Workload, depth: number): string {
  return `${driver}/${workload}/${depth}`;
}

export function describeGroup(group: Pick<CellGroup, 'driver' | 'workload' | 'depth'>): string {
  const workload = group.workload === 'mixed' ? 'mixed 80/20' : group.workload.toUpperCase();
  switch (group.driver) {
    case 'queue':
      return `${workload} · ${group.depth} in flight`;
    case 'await-loop':
      return `${workload} · sequential await`;
    case 'pipeline100':
      return `${workload} · pipeline of ${group.depth}`;
  }
}

/** Repeat r starts with a different client, so no client is always first (or always after the same one). */
export function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
