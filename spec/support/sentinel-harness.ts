import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ReplyError } from '../../lib/errors';
import type { RespValue } from '../../lib/resp/types';
import { freeLoopbackPort } from '../../lib/testing/loopback';
import { RawClient, type RawArg } from './raw-client';
import { startRedis, type RedisProcess } from './redis-harness';
import { sleep } from './wait';

/**
 * A Redis Sentinel deployment for tests: a master, a replica (`--replicaof`) and three sentinels
 * (`redis-server <conf> --sentinel`, quorum 2, down-after 1 s, failover-timeout 5 s), all on 127.0.0.1
 * and free ports, started in parallel and stopped by pid. The data servers and the sentinels have
 * passwords of their own, so a test can tell which credentials went where.
 */

export const MASTER_NAME = 'mymaster';
const FORM_TIMEOUT_MS = 20_000;
const COMMAND_TIMEOUT_MS = 5_000;

export interface SentinelProcess {
  readonly port: number;
  readonly pid: number;
  /** redis://:<sentinel password>@127.0.0.1:<port> */
  readonly url: string;
  /** One command over a fresh authenticated connection; an error reply is thrown. */
  command(...args: RawArg[]): Promise<RespValue>;
  pause(): void;
  resume(): void;
}

export interface SentinelTopology {
  readonly dataPassword: string;
  readonly sentinelPassword: string;
  /** The two data servers, in the roles they started with: [master, replica]. */
  readonly servers: readonly [RedisProcess, RedisProcess];
  readonly sentinels: readonly SentinelProcess[];
  /** The data server every sentinel names as master now; throws if they disagree. */
  currentMaster(): Promise<RedisProcess>;
  /** Resolves once every sentinel names `server` as master and sees the other one as a replica. */
  settledOn(server: RedisProcess, limitMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
let exitHook = false;

export async function startSentinelTopology(): Promise<SentinelTopology> {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const child of children) child.kill('SIGKILL');
    });
  }
  const dataPassword = `data-${process.pid}-secret`;
  const sentinelPassword = `sentinel-${process.pid}-secret`;
  const auth = ['--masterauth', dataPassword];
  const master = await startRedis({ password: dataPassword, args: auth });
  const replica = await startRedis({
    password: dataPassword,
    args: [...auth, '--replicaof', '127.0.0.1', String(master.port)],
  });
  const dir = await mkdtemp(join(tmpdir(), 'respline-sentinel-'));
  const sentinels = await Promise.all(
    [0, 1, 2].map((index) => startSentinel(dir, index, master.port, dataPassword, sentinelPassword)),
  );
  const servers = [master, replica] as const;

  const topology: SentinelTopology = {
    dataPassword,
    sentinelPassword,
    servers,
    sentinels,
    async currentMaster() {
      const ports = await Promise.all(
        sentinels.map(async (sentinel) => {
          const reply = await sentinel.command('SENTINEL', 'get-master-addr-by-name', MASTER_NAME);
          return Number((reply as string[])[1]);
        }),
      );
      if (new Set(ports).size !== 1)
        throw new Error(`the sentinels disagree on the master: ${ports.join(', ')}`);
      const found = servers.find((server) => server.port === ports[0]);
      if (found === undefined) throw new Error(`the sentinels name an unknown master, port ${ports[0]}`);
      return found;
    },
    async settledOn(server, limitMs = FORM_TIMEOUT_MS) {
      const deadline = Date.now() + limitMs;
      let last: string;
      for (;;) {
        try {
          const views = await Promise.all(sentinels.map((sentinel) => sentinelView(sentinel)));
          const good = views.every(
            (view) =>
              view.masterPort === server.port &&
              view.otherSentinels === sentinels.length - 1 &&
              view.healthyReplicas === 1 &&
              !view.failingOver,
          );
          if (good) return;
          last = JSON.stringify(views);
        } catch (error) {
          last = (error as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`sentinels did not settle on ${server.port}: ${last}`);
        await sleep(100);
      }
    },
    async stop() {
      await Promise.all(sentinels.map((sentinel) => stopPid(sentinel.pid)));
      await Promise.all(servers.map((server) => server.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  await topology.settledOn(master);
  return topology;
}

interface SentinelView {
  masterPort: number;
  otherSentinels: number;
  healthyReplicas: number;
  failingOver: boolean;
}

async function sentinelView(sentinel: SentinelProcess): Promise<SentinelView> {
  const master = fields(await sentinel.command('SENTINEL', 'master', MASTER_NAME));
  const replicas = (await sentinel.command('SENTINEL', 'replicas', MASTER_NAME)) as RespValue[];
  const healthy = replicas
    .map(fields)
    .filter(
      (replica) =>
        !/s_down|o_down|disconnected/.test(replica['flags'] ?? '') && replica['master-link-status'] === 'ok',
    );
  return {
    masterPort: Number(master['port']),
    otherSentinels: Number(master['num-other-sentinels']),
    healthyReplicas: healthy.length,
    failingOver: /failover_in_progress|s_down|o_down/.test(master['flags'] ?? ''),
  };
}

function fields(reply: RespValue): Record<string, string> {
  const list = reply as RespValue[];
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) record[String(list[i])] = String(list[i + 1]);
  return record;
}

async function startSentinel(
  dir: string,
  index: number,
  masterPort: number,
  dataPassword: string,
  sentinelPassword: string,
): Promise<SentinelProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const conf = join(dir, `sentinel-${index}-${attempt}.conf`);
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'daemonize no',
        'logfile ""',
        `dir ${dir}`,
        'sentinel resolve-hostnames no',
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel auth-pass ${MASTER_NAME} ${dataPassword}`,
        `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
        `sentinel failover-timeout ${MASTER_NAME} 5000`,
        `requirepass ${sentinelPassword}`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let log = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    child.once('exit', () => children.delete(child));
    const pid = child.pid as number;
    const sentinel: SentinelProcess = {
      port,
      pid,
      url: `redis://:${sentinelPassword}@127.0.0.1:${port}`,
      command: (...args) => sentinelCommand(port, sentinelPassword, args),
      pause: () => process.kill(pid, 'SIGSTOP'),
      resume: () => process.kill(pid, 'SIGCONT'),
    };
    const deadline = Date.now() + COMMAND_TIMEOUT_MS;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        if ((await sentinel.command('PING')) === 'PONG') return sentinel;
      } catch {
        await sleep(50);
      }
    }
    child.kill('SIGKILL');
    if (!/Address already in use/i.test(log) || attempt === 5) {
      throw new Error(`sentinel on ${port} did not start: ${log.slice(-1000)}`);
    }
  }
}

async function sentinelCommand(port: number, password: string, args: RawArg[]): Promise<RespValue> {
  const client = await RawClient.connect(port);
  const timer = setTimeout(() => client.destroy(), COMMAND_TIMEOUT_MS);
  try {
    const auth = await client.command('AUTH', password);
    if (auth instanceof ReplyError) throw auth;
    const reply = await client.command(...args);
    if (reply instanceof ReplyError) throw reply;
    return reply;
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
}
