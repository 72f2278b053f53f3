import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RespValue } from '../../lib/resp/types';
import type { RawArg } from './raw-client';
import { startRedis, type RedisProcess } from './redis-harness';
import { sleep } from './wait';

/**
 * A real Redis Cluster for tests: `masters` × (1 + replicas) redis-servers started in parallel with
 * cluster mode on, joined by `redis-cli --cluster create`, and ready once every node says
 * cluster_state:ok. Stopped by pid through the redis harness's stopAll().
 */

const run = promisify(execFile);
const READY_LIMIT_MS = 20_000;
/** How long waitUntilOk lets Redis converge by itself before it steps in (see adoptEmptyMaster). */
const ADOPT_AFTER_MS = 10_000;

export interface RedisClusterHarness {
  readonly nodes: readonly RedisProcess[];
  readonly seeds: string[];
  /** The node currently serving `slot` as master, by asking the cluster itself. */
  masterOf(slot: number): Promise<RedisProcess>;
  /** One command on the node at `port`, over a fresh connection. */
  command(port: number, ...args: RawArg[]): Promise<RespValue>;
  /** Resolves when every running node says cluster_state:ok and agrees on who serves every slot. */
  waitUntilOk(limitMs?: number): Promise<void>;
  /** `redis-cli --cluster …` against the first running node. */
  cli(...args: string[]): Promise<string>;
}

export async function startRedisCluster(masters = 3, replicas = 1): Promise<RedisClusterHarness> {
  const count = masters * (1 + replicas);
  const nodes = await Promise.all(
    Array.from({ length: count }, () =>
      startRedis({
        clusterBus: true,
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '1000',
          '--repl-diskless-sync-delay',
          '0',
          '--appendonly',
          'no',
        ],
      }),
    ),
  );
  await run(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ],
    { timeout: 20_000 },
  );
  const replicasOnline = async (): Promise<boolean> => {
    for (const node of nodes.filter((each) => each.running)) {
      const info = String(await node.command('INFO', 'replication').catch(() => ''));
      if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
    }
    return true;
  };
  const byPort = new Map(nodes.map((node) => [node.port, node]));
  /**
   * A restarted old master is told by the others that its slots moved, and normally turns into a replica
   * of their new owner; now and then it stays a master of no slots (redis/redis#6755), and then nothing
   * changes by itself. As an operator would, this makes such a node (one at a time) a replica of the
   * master with the fewest replicas. Returns its port, or null when there is none.
   */
  const adoptEmptyMaster = async (): Promise<number | null> => {
    for (const node of nodes.filter((each) => each.running)) {
      const view = String(await node.command('CLUSTER', 'NODES').catch(() => ''));
      const lines = view
        .trim()
        .split('\n')
        .map((line) => line.split(' '));
      const me = lines.find((fields) => fields[2]?.split(',').includes('myself'));
      if (me === undefined || !me[2].split(',').includes('master') || me.length > 8) continue;
      const owners = lines.filter(
        (fields) =>
          fields[2].split(',').includes('master') && !fields[2].includes('fail') && fields.length > 8,
      );
      if (owners.length === 0) continue;
      const replicasOf = (id: string): number => lines.filter((fields) => fields[3] === id).length;
      const [target] = owners.sort((a, b) => replicasOf(a[0]) - replicasOf(b[0]));
      await node.command('CLUSTER', 'REPLICATE', target[0]).catch(() => undefined);
      return node.port;
    }
    return null;
  };
  /** Each running node's own view, for a failure message: which condition of waitUntilOk it misses. */
  const describeNodes = async (): Promise<string> => {
    const lines = await Promise.all(
      nodes
        .filter((node) => node.running)
        .map(async (node) => {
          const ask = (...args: RawArg[]): Promise<string> =>
            node.command(...args).then(
              (reply) => (typeof reply === 'string' ? reply : JSON.stringify(reply)),
              (error: unknown) => `(${error instanceof Error ? error.message : String(error)})`,
            );
          const [info, replication, view] = await Promise.all([
            ask('CLUSTER', 'INFO'),
            ask('INFO', 'replication'),
            ask('CLUSTER', 'NODES'),
          ]);
          const field = (text: string, name: string): string =>
            new RegExp(`${name}:(\\S+)`).exec(text)?.[1] ?? '?';
          return [
            `node ${node.port}: cluster_state=${field(info, 'cluster_state')} role=${field(replication, 'role')}` +
              ` master_link_status=${field(replication, 'master_link_status')}` +
              ` master_port=${field(replication, 'master_port')}`,
            ...view
              .trim()
              .split('\n')
              .map((line) => `    ${line}`),
            ...node
              .logTail()
              .trim()
              .split('\n')
              .slice(-12)
              .map((line) => `    | ${line}`),
          ].join('\n');
        }),
    );
    return lines.join('\n');
  };
  const harness: RedisClusterHarness = {
    nodes,
    seeds: nodes.slice(0, 2).map((node) => node.url),
    command: (port, ...args) => {
      const node = byPort.get(port);
      if (node === undefined) throw new Error(`no node on port ${port}`);
      return node.command(...args);
    },
    async masterOf(slot) {
      const running = nodes.find((node) => node.running);
      if (running === undefined) throw new Error('no node is running');
      const ranges = (await running.command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      for (const [first, last, [, port]] of ranges) {
        if (slot >= first && slot <= last) return byPort.get(Number(port)) as RedisProcess;
      }
      throw new Error(`no node serves slot ${slot}`);
    },
    async waitUntilOk(limitMs = READY_LIMIT_MS) {
      const startedAt = Date.now();
      const deadline = startedAt + limitMs;
      const adopted: number[] = [];
      let lastAdoption = 0;
      for (;;) {
        const states = await Promise.all(
          nodes
            .filter((node) => node.running)
            .map(async (node) => {
              try {
                const info = String(await node.command('CLUSTER', 'INFO'));
                const slots = JSON.stringify(await node.command('CLUSTER', 'SLOTS'));
                return info.includes('cluster_state:ok') ? slots : null;
              } catch {
                return null;
              }
            }),
        );
        if (states.every((state) => state !== null && state === states[0])) {
          const ranges = JSON.parse(states[0] as string) as [number, number, ...unknown[]][];
          const covered = ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0) === 16384;
          // Every running replica listed, and synced: reads from replicas are then deterministic.
          const listed = new Set(
            ranges.flatMap((range) => range.slice(2).map((node) => JSON.stringify(node))),
          ).size;
          if (covered && listed === nodes.filter((node) => node.running).length && (await replicasOnline()))
            return;
        }
        if (Date.now() > deadline)
          throw new Error(
            `the cluster was not ok within ${limitMs} ms` +
              (adopted.length > 0 ? ` (made replicas: ${adopted.join(', ')})` : '') +
              `:\n${await describeNodes()}`,
          );
        if (Date.now() - startedAt > ADOPT_AFTER_MS && Date.now() - lastAdoption > ADOPT_AFTER_MS) {
          const port = await adoptEmptyMaster();
          if (port !== null) {
            adopted.push(port);
            lastAdoption = Date.now();
          }
        }
        await sleep(50);
      }
    },
    async cli(...args) {
      const running = nodes.find((node) => node.running);
      if (running === undefined) throw new Error('no node is running');
      const { stdout } = await run(
        'redis-cli',
        ['--cluster', ...args.map((arg) => arg.replace('$NODE', `127.0.0.1:${running.port}`))],
        {
          timeout: 30_000,
        },
      );
      return stdout;
    },
  };
  await harness.waitUntilOk();
  return harness;
}
