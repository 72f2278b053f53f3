import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ReplyError } from '../../lib/errors';
import type { RespValue } from '../../lib/resp/types';
import { freeLoopbackPort } from '../../lib/testing/loopback';
import { encodeCommand, RawClient, type RawArg } from './raw-client';
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

/** One command of a master's replication stream, at the offset of its first byte. */
export interface StreamedCommand {
  readonly offset: number;
  readonly args: readonly string[];
}

export interface ReplicationTap {
  /** The replication id of the stream being followed (the master's `master_replid` when it began). */
  readonly replid: string;
  /** Every command the master appended to its stream since the tap began, in order. */
  readonly commands: readonly StreamedCommand[];
  /** The offset of the next byte the tap expects: everything before it has been received. */
  readonly nextOffset: number;
  /**
   * Settles when the master closes the tap, with the server's ROLE then. A master that becomes a
   * replica keeps its sub-replicas until it syncs with its new master, so this is `slave` when the tap
   * lasted through the demotion, `master` if it was cut short.
   */
  readonly ended: Promise<string>;
  close(): void;
}

/**
 * Follows `server`'s replication stream as a replica would, from its current offset (PSYNC of its own
 * replid: a partial resync, no RDB), and records every command the server executes as a master with
 * its offset in the stream. A write accepted by a master after its replica was promoted sits at or
 * beyond the new master's `second_repl_offset`: it is a write the new master never got.
 *
 * The sentinels learn replicas from the master's INFO: the tap announces the listening port of
 * `announcePort` (the real replica), so that they do not add a replica that does not exist.
 */
export async function tapReplication(
  server: RedisProcess,
  password: string,
  announcePort: number,
): Promise<ReplicationTap> {
  const info = String(await server.command('INFO', 'replication'));
  const replid = /master_replid:(\w+)/.exec(info)?.[1];
  const offset = Number(/master_repl_offset:(\d+)/.exec(info)?.[1]);
  if (!/role:master/.test(info) || replid === undefined || !Number.isInteger(offset)) {
    throw new Error(`${server.port} cannot be tapped: ${info}`);
  }
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect({ host: '127.0.0.1', port: server.port }, () => {
      opened.off('error', reject);
      resolve(opened);
    });
    opened.once('error', reject);
  });
  socket.setNoDelay(true);
  const commands: StreamedCommand[] = [];
  let nextOffset = offset + 1;
  let pending: Buffer = Buffer.alloc(0);
  /** Status lines still owed by the handshake: AUTH, two REPLCONFs, then PSYNC's +CONTINUE. */
  let handshake = 4;
  let failure: Error | null = null;
  let resolveStarted!: () => void;
  let rejectStarted!: (error: Error) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  const fail = (error: Error): void => {
    failure ??= error;
    rejectStarted(error);
    socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (handshake > 0) {
      const end = pending.indexOf('\r\n');
      if (end === -1) return;
      const line = pending.subarray(0, end).toString();
      pending = pending.subarray(end + 2);
      handshake--;
      const expected = handshake === 0 ? /^\+CONTINUE/ : /^\+OK$/;
      if (!expected.test(line)) return fail(new Error(`the replication tap on ${server.port} got ${line}`));
      // PSYNC is refused while replies are still owed to the connection: it goes once they are read.
      if (handshake === 1) socket.write(encodeCommand(['PSYNC', replid, offset + 1]));
      if (handshake === 0) resolveStarted();
    }
    for (;;) {
      const parsed = parseCommand(pending);
      if (parsed === null) return;
      if (parsed instanceof Error) return fail(parsed);
      commands.push({ offset: nextOffset, args: parsed.args });
      nextOffset += parsed.length;
      pending = pending.subarray(parsed.length);
    }
  });
  socket.on('error', (error) => fail(error));
  const ended = new Promise<string>((resolve, reject) => {
    socket.once('close', () => {
      clearInterval(acks);
      if (failure !== null) return reject(failure);
      server.command('ROLE').then((role) => resolve(String((role as RespValue[])[0])), reject);
    });
  });
  ended.catch(() => undefined);
  // A master drops a replica that has not acknowledged for repl-timeout (60 s): acknowledge every second.
  const acks = setInterval(() => {
    if (handshake === 0) socket.write(encodeCommand(['REPLCONF', 'ACK', nextOffset - 1]));
  }, 1_000);
  acks.unref();
  socket.write(
    Buffer.concat([
      encodeCommand(['AUTH', password]),
      encodeCommand(['REPLCONF', 'listening-port', announcePort]),
      encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']),
    ]),
  );
  await started;
  return {
    replid,
    commands,
    get nextOffset() {
      return nextOffset;
    },
    ended,
    close: () => socket.destroy(),
  };
}

/** One `*N` array of bulk strings at the start of `bytes`, its size; null when incomplete. */
function parseCommand(bytes: Buffer): { args: string[]; length: number } | Error | null {
  if (bytes.length === 0) return null;
  if (bytes[0] !== 0x2a)
    return new Error(`the replication stream has ${JSON.stringify(bytes.subarray(0, 40).toString())}`);
  let position = 0;
  const line = (): string | null => {
    const end = bytes.indexOf('\r\n', position);
    if (end === -1) return null;
    const text = bytes.subarray(position, end).toString();
    position = end + 2;
    return text;
  };
  const header = line();
  if (header === null) return null;
  const count = Number(header.slice(1));
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = line();
    if (size === null) return null;
    const length = Number(size.slice(1));
    if (size[0] !== '$' || !Number.isInteger(length)) return new Error(`the replication stream has ${size}`);
    if (bytes.length < position + length + 2) return null;
    args.push(bytes.subarray(position, position + length).toString());
    position += length + 2;
  }
  return { args, length: position };
}
