/**
 * Dedicated connections through a Sentinel failover (a master, a replica and three sentinels, real
 * servers): a connection leased by isolated() or by a blocking command when the master is switched is
 * closed, not moved, so nothing more reaches the old master. Its pending commands and every later one
 * reject with ConnectionClosedError; new leases go to the new master.
 */
import { Client } from '../lib/client';
import { ConnectionClosedError, SentinelError } from '../lib/errors';
import type { RedisProcess } from './support/redis-harness';
import { MASTER_NAME, startSentinelTopology, type SentinelTopology } from './support/sentinel-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { sleep } from './support/wait';

const track = cleanupAfterEachTest();
let topology: SentinelTopology;

beforeAll(async () => {
  topology = await startSentinelTopology();
}, 40_000);

afterAll(async () => {
  await topology?.stop();
});

async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  limitMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // not yet: a server in the middle of a failover may refuse or disagree
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await sleep(50);
  }
}

async function calls(server: RedisProcess, command: string): Promise<number> {
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(
    String(await server.command('INFO', 'commandstats')),
  );
  return match === null ? 0 : Number(match[1]);
}

test('after +switch-master, leased connections end with ConnectionClosedError and new leases reach the new master', async () => {
  const oldMaster = await topology.currentMaster();
  const newMaster = topology.servers.find((server) => server !== oldMaster) as RedisProcess;
  const client = track(
    new Client({
      sentinels: topology.sentinels.map((sentinel) => sentinel.url),
      masterName: MASTER_NAME,
      password: topology.dataPassword,
    }),
  );
  const leaves: string[] = [];
  client.on('error', (error) => {
    if (error instanceof SentinelError) leaves.push(error.message);
  });
  await client.connect();
  await until(async () => {
    const lists = await Promise.all(topology.sentinels.map((sentinel) => sentinel.command('CLIENT', 'LIST')));
    return lists.every((list) => /psub=1/.test(String(list)));
  }, 'subscription to every sentinel');

  // An isolated() that writes on the old master, then once more after the switch.
  let switched!: () => void;
  const switchSeen = new Promise<void>((resolve) => (switched = resolve));
  let wroteBefore!: () => void;
  const before = new Promise<void>((resolve) => (wroteBefore = resolve));
  const leased = client.isolated(async (connection) => {
    expect(await connection.set('lease:before', 'old')).toBe('OK');
    wroteBefore();
    await switchSeen;
    return connection.set('lease:after', 'must-not-land');
  });
  await before;
  expect(await oldMaster.command('GET', 'lease:before')).toBe('old');
  // A blocking command parked on the old master.
  const blocked = client.blpop('lease:list', 0).then(
    (reply) => reply,
    (error: unknown) => error,
  );
  await until(
    async () => /blocked_clients:1\b/.test(String(await oldMaster.command('INFO', 'clients'))),
    'the BLPOP to block',
  );
  const setsBefore = await calls(oldMaster, 'set');

  oldMaster.pause();
  try {
    await until(
      () => leaves.some((message) => message.includes(`to 127.0.0.1:${newMaster.port}`)),
      'the client to hear +switch-master',
      20_000,
    );
    switched();
    const outcome = await leased.then(
      () => null,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(ConnectionClosedError);
    expect((outcome as Error).message).toMatch(/run it again/);
    const unblocked = await blocked;
    expect(unblocked).toBeInstanceOf(ConnectionClosedError);
    expect((unblocked as Error).message).toMatch(/moved the master|failing over/);
  } finally {
    oldMaster.resume();
  }

  // Nothing more reached the old master: a SET written to its socket while it was stopped would run
  // as soon as it woke, ahead of this fresh connection's INFO.
  expect(await calls(oldMaster, 'set')).toBe(setsBefore);
  expect(await oldMaster.command('GET', 'lease:after')).toBeNull();
  expect(await newMaster.command('GET', 'lease:after')).toBeNull();

  // New leases open on the new master.
  expect(await client.isolated((connection) => connection.set('lease:new', 'new'))).toBe('OK');
  expect(await newMaster.command('GET', 'lease:new')).toBe('new');
  await newMaster.command('RPUSH', 'lease:list', 'item');
  expect(await client.blpop('lease:list', 1)).toEqual({ key: 'lease:list', element: 'item' });
}, 60_000);
