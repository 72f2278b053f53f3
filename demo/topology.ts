/**
 * Where the demo's 3 x 3 servers come from, and how one of them is taken away and brought back:
 * - redis-server processes it starts (paused with SIGSTOP, resumed with SIGCONT);
 * - EmbeddedServers in this process when redis-server is not installed (stopped, started again);
 * - servers given with --servers or RESPLINE_DEMO_SERVERS, which it cannot kill: it pauses them with
 *   CLIENT PAUSE, which ends by itself.
 * Only redis-server processes it started can be restarted empty (step 5).
 */
import type { Cluster } from '../lib';
import { EmbeddedServer } from '../lib/testing';
import { sleep, type Cleanup } from './cleanup';
import type { DemoOptions } from './options';
import { findRedisServer, RedisServerProcess } from './redis-process';
import { formatMs } from './terminal';

export const REPLICAS = 3;
export const SHARDS = 3;
/** How long CLIENT PAUSE holds an external server: long enough for step 3, short enough to wait out. */
export const CLIENT_PAUSE_MS = 3_000;

export type TopologyKind = 'redis-server' | 'embedded' | 'external';

/** One server taken away in step 3 and brought back in step 4. */
export interface Outage {
  /** Plain words for what takeDown() does, said before it does it. */
  readonly downText: string;
  /** Plain words for what bringBack() does. */
  readonly upText: string;
  takeDown(): Promise<void>;
  bringBack(): Promise<void>;
}

/** One server killed and started again, empty, in step 5. */
export interface EmptyRestart {
  /** Plain words for what run() does, said before it does it. */
  readonly text: string;
  /** Resolves once the new process accepts connections. */
  run(): Promise<void>;
}

export interface DemoTopology {
  readonly kind: TopologyKind;
  /** `replicas[r][s]`: the URL of shard s of replica r. */
  readonly replicas: string[][];
  /** Lines saying where the servers are and who owns them. */
  readonly description: string;
  /** What stopping the topology does, said at the end. */
  readonly goodbye: string;
  outage(cluster: Cluster, replica: number, shard: number): Outage;
  /** How one server is restarted empty, or, as a string, why these servers cannot be. */
  emptyRestart(replica: number, shard: number): EmptyRestart | string;
}

export function serverLabel(replica: number, shard: number): string {
  return `r${replica}-s${shard}`;
}

/** Starts (or adopts) the servers; everything started is registered with `cleanup` before it can fail. */
export async function openTopology(options: DemoOptions, cleanup: Cleanup): Promise<DemoTopology> {
  if (options.servers !== undefined) return external(options.servers.replicas, options.servers.source);
  const binary = options.embedded ? undefined : findRedisServer();
  if (binary === undefined) return embedded(cleanup, options.embedded);
  return redisServers(binary, cleanup);
}

async function redisServers(binary: string, cleanup: Cleanup): Promise<DemoTopology> {
  // allSettled: every start must have finished (and registered its cleanup) before a failure is thrown.
  const settled = await Promise.all(
    grid(() => RedisServerProcess.start(binary, cleanup)).map((replica) => Promise.allSettled(replica)),
  );
  const servers = settled.map((replica) =>
    replica.map((result) => {
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    }),
  );
  return {
    kind: 'redis-server',
    replicas: servers.map((replica) => replica.map((server) => server.url)),
    description:
      `Started ${REPLICAS * SHARDS} redis-server processes (${binary}) on 127.0.0.1, on free ports, without ` +
      'persistence. They are stopped when the demo ends, however it ends.',
    goodbye: `Stopped the ${REPLICAS * SHARDS} redis-server processes it started.`,
    outage: (_cluster, replica, shard) => {
      const server = servers[replica][shard];
      const label = serverLabel(replica, shard);
      return {
        downText:
          `Pausing ${label} (redis-server pid ${server.pid}, port ${server.port}) with SIGSTOP: its connections ` +
          'stay open but it answers nothing, like a hung machine.',
        upText: `Resuming ${label} with SIGCONT.`,
        takeDown: async () => server.pause(),
        bringBack: async () => server.resume(),
      };
    },
    emptyRestart: (replica, shard) => {
      const server = servers[replica][shard];
      return {
        text:
          `Killing ${serverLabel(replica, shard)} (redis-server pid ${server.pid}) with SIGKILL and starting it ` +
          `again on port ${server.port}, without persistence: it comes back holding no keys, with a new run_id.`,
        run: () => server.restart(),
      };
    },
  };
}

async function embedded(cleanup: Cleanup, asked: boolean): Promise<DemoTopology> {
  const servers = grid(() => new EmbeddedServer());
  for (const server of servers.flat()) cleanup.add('stopping an EmbeddedServer', () => server.stop());
  await Promise.all(servers.flat().map((server) => server.start()));
  const why = asked
    ? 'As asked (--embedded), this demo runs'
    : 'redis-server is not installed (not found on PATH), so this demo runs';
  return {
    kind: 'embedded',
    replicas: servers.map((replica) => replica.map((server) => server.url)),
    description:
      `${why} ${REPLICAS * SHARDS} EmbeddedServers inside this Node.js process instead: ` +
      "respline's in-process test server (respline/testing), backed by ioredis-mock. It speaks RESP " +
      'like Redis but it is not Redis, and its speed says nothing about a real server. Install redis-server ' +
      '(e.g. apt-get install redis-server) and run the demo again to see the real thing.',
    goodbye: `Stopped the ${REPLICAS * SHARDS} EmbeddedServers.`,
    outage: (_cluster, replica, shard) => {
      const server = servers[replica][shard];
      const label = serverLabel(replica, shard);
      return {
        downText: `Stopping ${label} (EmbeddedServer on port ${server.port}): its port closes and its connections drop, like a crashed process.`,
        upText: `Starting ${label} again on port ${server.port}. (An EmbeddedServer keeps its data across a restart.)`,
        takeDown: () => server.stop(),
        bringBack: async () => {
          await server.start();
        },
      };
    },
    emptyRestart: () =>
      'An EmbeddedServer reports no run_id (INFO server), and the run_id is how a Cluster tells a ' +
      'restarted server from the one it knew: this step needs redis-server.',
  };
}

function external(replicas: string[][], source: string): DemoTopology {
  const count = replicas.length * replicas[0].length;
  return {
    kind: 'external',
    replicas,
    description:
      `Using the ${count} servers listed in ${source} (${replicas.length} replicas x ${replicas[0].length} shards). ` +
      'The demo did not start them, so it will not stop them: it pauses one with CLIENT PAUSE instead of ' +
      'killing it, and removes the keys it wrote (demo:*) at the end.',
    goodbye: 'Removed the keys it wrote; the servers keep running (the demo did not start them).',
    outage: (cluster, replica, shard) => {
      const label = serverLabel(replica, shard);
      let until = 0;
      return {
        downText:
          `Pausing ${label} with CLIENT PAUSE ${CLIENT_PAUSE_MS} ALL: for ${formatMs(CLIENT_PAUSE_MS)} it holds every ` +
          "client's commands unanswered, like a hung machine. (The demo cannot kill a server it did not start.)",
        upText: `Waiting for the CLIENT PAUSE on ${label} to run out; nothing else needs doing.`,
        takeDown: async () => {
          until = Date.now() + CLIENT_PAUSE_MS;
          await cluster.server(replica, shard).call('CLIENT', 'PAUSE', CLIENT_PAUSE_MS, 'ALL');
        },
        bringBack: () => sleep(Math.max(0, until - Date.now())),
      };
    },
    emptyRestart: () =>
      'The demo did not start these servers, so it will not kill one: run it without --servers to see this step.',
  };
}

function grid<T>(make: (replica: number, shard: number) => T): T[][] {
  return Array.from({ length: REPLICAS }, (_, replica) =>
    Array.from({ length: SHARDS }, (_, shard) => make(replica, shard)),
  );
}
