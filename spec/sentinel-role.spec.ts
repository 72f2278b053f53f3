import { Client } from '../lib/client';
import { SentinelError } from '../lib/errors';
import { EmbeddedServer, encodeReply, errorReply, type IncomingCommand } from '../lib/testing';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { until } from './support/wait';

/**
 * A sentinel can name as master a server that answers ROLE as a replica: during a failover, or before
 * it has heard of one. A Client with `sentinels` must not count that server as ready, nor send it a
 * write: it asks the sentinels again until the server it is named answers ROLE master.
 *
 * The data servers are real (a master and its replica); the sentinel is an in-process EmbeddedServer
 * that answers `SENTINEL get-master-addr-by-name` with whichever of them the test chooses, and says
 * nothing on its event stream, so the client learns of no failover other than through ROLE.
 */

const MASTER_NAME = 'rolemaster';
const track = cleanupAfterEachTest();
let master: RedisProcess;
let replica: RedisProcess;
let sentinel: EmbeddedServer;
/** The data server the fake sentinel names as master now. */
let named: RedisProcess;
/** How many times it was asked for the master, and how many of those answers named the replica. */
let asked = 0;
let namedReplica = 0;

beforeAll(async () => {
  [master, replica] = await Promise.all([startRedis(), startRedis()]);
  await replica.command('REPLICAOF', '127.0.0.1', master.port);
  sentinel = new EmbeddedServer();
  sentinel.respondWith(fakeSentinel);
  await Promise.all([sentinel.start(), linkedUp()]);
}, 30_000);

afterAll(async () => {
  await sentinel?.stop();
  await stopAll();
});

beforeEach(async () => {
  asked = namedReplica = 0;
  named = master;
  await Promise.all([master.command('CONFIG', 'RESETSTAT'), replica.command('CONFIG', 'RESETSTAT')]);
});

function fakeSentinel(command: IncomingCommand): Buffer | undefined {
  if (command.name === 'psubscribe') {
    return Buffer.from(`*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n`);
  }
  if (command.name !== 'sentinel') return undefined;
  const [sub, name] = command.args.map((arg) => arg.toString());
  if (sub?.toLowerCase() === 'get-master-addr-by-name' && name === MASTER_NAME) {
    asked++;
    if (named === replica) namedReplica++;
    return encodeReply(['127.0.0.1', String(named.port)]);
  }
  if (sub?.toLowerCase() === 'sentinels') return encodeReply([]);
  return encodeReply(errorReply(`ERR unexpected SENTINEL ${sub ?? ''}`));
}

function roleClient(): Client {
  return track(
    new Client({
      sentinels: [sentinel.url],
      masterName: MASTER_NAME,
      reconnect: { minDelay: 10, maxDelay: 50 },
    }),
  );
}

/** `cmdstat_<command>` of INFO commandstats: calls, rejected_calls, failed_calls (0 when never called). */
async function commandStats(
  server: RedisProcess,
  command: string,
): Promise<{ calls: number; rejected: number; failed: number }> {
  const info = String(await server.command('INFO', 'commandstats'));
  const line = new RegExp(`^cmdstat_${command}:(.*)$`, 'm').exec(info)?.[1] ?? '';
  const field = (key: string): number => Number(new RegExp(`(?:^|,)${key}=(\\d+)`).exec(line)?.[1] ?? 0);
  return { calls: field('calls'), rejected: field('rejected_calls'), failed: field('failed_calls') };
}

/** The `errorstat_<code>` counts of INFO errorstats, by code. */
async function errorStats(server: RedisProcess): Promise<Record<string, number>> {
  const info = String(await server.command('INFO', 'errorstats'));
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/^errorstat_(\w+):count=(\d+)/gm))
    counts[match[1] as string] = Number(match[2]);
  return counts;
}

async function linkedUp(): Promise<void> {
  await until(
    'the replica linked to its master',
    async () => /master_link_status:up/.test(String(await replica.command('INFO', 'replication'))),
    10_000,
    20,
  );
}

/** Resolves once the replica has been asked ROLE `times` times, by the client under test. */
async function replicaAskedRole(times: number): Promise<void> {
  await until(
    `ROLE asked ${times} times`,
    async () => (await commandStats(replica, 'role')).calls >= times,
    10_000,
    20,
  );
}

/**
 * What the replica and the master saw, once `key` (written once through the client) has replicated:
 * the replica ran exactly one SET, the master's, refused none and answered no error; the master ran
 * exactly that one.
 */
async function expectTheWriteOnTheMasterOnly(key: string, value: string): Promise<void> {
  expect(await master.command('GET', key)).toBe(value);
  await until(`${key} replicated`, async () => (await replica.command('GET', key)) === value, 10_000, 20);
  expect(await commandStats(master, 'set')).toEqual({ calls: 1, rejected: 0, failed: 0 });
  expect(await commandStats(replica, 'set')).toEqual({ calls: 1, rejected: 0, failed: 0 });
  expect(await errorStats(replica)).toEqual({});
}

test('a server the sentinel names as master but that answers ROLE slave is never ready: the client asks again', async () => {
  named = replica;
  const client = roleClient();
  const refusals: string[] = [];
  client.on('error', (error) => {
    if (error instanceof SentinelError) refusals.push(error.message);
  });
  const readyAfterAsks: number[] = [];
  client.on('ready', () => readyAfterAsks.push(asked));
  // Queued before any server is ready: it must wait for the master, not go to the replica.
  const write = client.set('role:first', 'to-the-master');
  // connect() reports the first attempt, which the replica's ROLE fails; reconnecting goes on.
  await expect(client.connect()).rejects.toThrow(
    new RegExp(`^127\\.0\\.0\\.1:${replica.port}, .* answers ROLE slave: asking the sentinels again$`),
  );
  await replicaAskedRole(3);
  expect(client.status).not.toBe('ready');
  expect(readyAfterAsks).toEqual([]);
  named = master;
  expect(await write).toBe('OK');

  // Every answer that named the replica cost one ROLE on it and one refusal, and nothing else.
  expect(namedReplica).toBeGreaterThanOrEqual(3);
  expect((await commandStats(replica, 'role')).calls).toBe(namedReplica);
  expect((await commandStats(master, 'role')).calls).toBe(1);
  expect(refusals).toHaveLength(namedReplica);
  for (const message of refusals) {
    expect(message).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${replica.port}, .* answers ROLE slave: asking the sentinels again`),
    );
  }
  // Ready once, after the sentinel named the master.
  expect(readyAfterAsks).toEqual([namedReplica + 1]);
  await expectTheWriteOnTheMasterOnly('role:first', 'to-the-master');
});

test('after a lost connection, a replica named as master is refused until the sentinel names a master again', async () => {
  const client = roleClient();
  await client.connect();
  const refusals: string[] = [];
  client.on('error', (error) => {
    if (error instanceof SentinelError) refusals.push(error.message);
  });
  // Mid-failover: the sentinel names the replica, and the client loses its socket to the master.
  named = replica;
  const before = asked;
  const readyAfterAsks: number[] = [];
  client.on('ready', () => readyAfterAsks.push(asked - before));
  const lost = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await master.command('CLIENT', 'KILL', 'TYPE', 'normal');
  await lost;
  // Issued once the socket is gone: it waits for the next server that answers ROLE master.
  const write = client.set('role:second', 'after-the-loss');
  await replicaAskedRole(3);
  expect(client.status).not.toBe('ready');
  named = master;
  expect(await write).toBe('OK');

  expect(namedReplica).toBeGreaterThanOrEqual(3);
  expect((await commandStats(replica, 'role')).calls).toBe(namedReplica);
  expect(asked - before).toBe(namedReplica + 1);
  expect(readyAfterAsks).toEqual([namedReplica + 1]);
  expect(refusals.filter((message) => /answers ROLE slave/.test(message))).toHaveLength(namedReplica);
  await expectTheWriteOnTheMasterOnly('role:second', 'after-the-loss');
});
