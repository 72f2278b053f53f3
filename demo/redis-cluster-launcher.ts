/**
 * Starts a local Redis Cluster for the demo: 3 masters and 3 replicas, each a redis-server on a free
 * port (and a free cluster-bus port) in cluster mode, joined by `redis-cli --cluster create`. Every
 * process is registered with the demo's Cleanup, so it is stopped by pid on every way out.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import { freeLoopbackPort } from '../lib/testing/loopback';
import { sleep, type Cleanup } from './cleanup';
import { RedisServerProcess } from './redis-process';

const run = promisify(execFile);
const MASTERS = 3;
const NODES = 6;
const CLI_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 20_000;

/** The redis-cli on PATH, or undefined. */
export function findRedisCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, 'redis-cli'), constants.X_OK);
      return join(dir, 'redis-cli');
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** `redis-cli <args>`; resolves with its output, rejects with its stderr. */
export async function redisCli(cli: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(cli, [...args], { timeout: CLI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`redis-cli ${args.slice(0, 3).join(' ')} failed: ${stderr.trim() || String(error)}`, {
      cause: error,
    });
  }
}

export interface LocalRedisCluster {
  readonly nodes: readonly RedisServerProcess[];
  readonly masters: number;
}

export async function startLocalRedisCluster(
  serverBinary: string,
  cli: string,
  cleanup: Cleanup,
): Promise<LocalRedisCluster> {
  // allSettled: every start must have registered its cleanup before a failure is thrown.
  const settled = await Promise.allSettled(
    Array.from({ length: NODES }, async () => {
      const busPort = await freeLoopbackPort();
      // prettier-ignore
      return RedisServerProcess.start(serverBinary, cleanup, [
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-port', String(busPort), '--cluster-node-timeout', '1000',
        '--repl-diskless-sync-delay', '0',
      ]);
    }),
  );
  const nodes = settled.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
  await redisCli(cli, [
    '--cluster',
    'create',
    ...nodes.map((node) => `127.0.0.1:${node.port}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  await waitUntilOk(cli, nodes);
  return { nodes, masters: MASTERS };
}

/** Resolves once every running node says cluster_state:ok and every replica's link is up. */
export async function waitUntilOk(
  cli: string,
  nodes: readonly RedisServerProcess[],
  limitMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const states = await Promise.all(
      nodes
        .filter((node) => node.running)
        .map(async (node) => {
          const port = String(node.port);
          const info = await redisCli(cli, ['-p', port, 'CLUSTER', 'INFO']).catch(() => '');
          const replication = await redisCli(cli, ['-p', port, 'INFO', 'replication']).catch(() => '');
          const replicaDown =
            replication.includes('role:slave') && !replication.includes('master_link_status:up');
          return info.includes('cluster_state:ok') && !replicaDown;
        }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster was not ok within ${limitMs} ms`);
    await sleep(100);
  }
}
