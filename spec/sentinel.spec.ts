import { Client } from '../lib/client';
import {
  ConnectionError,
  HandshakeError,
  InvalidArgumentError,
  SentinelError,
  TimeoutError,
} from '../lib/errors';
import { freeLoopbackPort } from '../lib/testing/loopback';
import type { RedisProcess } from './support/redis-harness';
import {
  MASTER_NAME,
  startSentinelTopology,
  tapReplication,
  type ReplicationTap,
  type SentinelProcess,
  type SentinelTopology,
} from './support/sentinel-harness';
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

const taps = new Set<ReplicationTap>();
afterEach(() => {
  for (const tap of taps) tap.close();
  taps.clear();
});

function sentinelClient(options: ConstructorParameters<typeof Client>[1] = {}): Client {
  return track(
    new Client({
      sentinels: topology.sentinels.map((sentinel) => sentinel.url),
      masterName: MASTER_NAME,
      password: topology.dataPassword,
      ...options,
    }),
  );
}

test('discovers the master through the sentinels and runs commands on it', async () => {
  const master = await topology.currentMaster();
  const client = sentinelClient();
  await client.connect();
  expect(await client.set('discovery:key', 'discovered')).toBe('OK');
  expect(await master.command('GET', 'discovery:key')).toBe('discovered');
  expect(client.address).toBe(`"${MASTER_NAME}" (through Sentinel)`);
});

test('a Client given sentinels takes no URL, and needs a masterName', () => {
  expect(
    () => new Client('redis://127.0.0.1:1', { sentinels: ['redis://127.0.0.1:2'], masterName: 'm' }),
  ).toThrow(InvalidArgumentError);
  expect(() => new Client({ sentinels: ['redis://127.0.0.1:2'] })).toThrow(/masterName/);
  expect(() => new Client({ sentinels: [], masterName: 'm' })).toThrow(InvalidArgumentError);
  expect(() => new Client({ masterName: 'm' })).toThrow(/sentinels/);
  expect(
    () => new Client({ sentinels: ['redis://127.0.0.1:2'], masterName: 'm', role: 'leader' as never }),
  ).toThrow(InvalidArgumentError);
});

test('a wrong masterName rejects connect() with a SentinelError that says so', async () => {
  const client = sentinelClient({ masterName: 'no-such-master', reconnect: false });
  const error = await client.connect().then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SentinelError);
  expect((error as Error).message).toMatch(/no sentinel knows a master named "no-such-master" \(asked 3\)/);
});

test('the sentinels have a password of their own: the data password is never sent to them', async () => {
  const bare = topology.sentinels.map((sentinel) => `redis://127.0.0.1:${sentinel.port}`);
  const wrong = track(
    new Client({
      sentinels: bare,
      masterName: MASTER_NAME,
      password: topology.dataPassword,
      reconnect: false,
    }),
  );
  const refused = await wrong.connect().then(
    () => null,
    (reason: unknown) => reason as Error,
  );
  expect(refused).toBeInstanceOf(SentinelError);
  expect(refused?.message).toMatch(/NOAUTH|Authentication required/);
  expect(refused?.message).not.toContain(topology.dataPassword);

  const right = track(
    new Client({
      sentinels: bare,
      masterName: MASTER_NAME,
      sentinelPassword: topology.sentinelPassword,
      password: topology.dataPassword,
    }),
  );
  await right.connect();
  expect(await right.ping()).toBe('PONG');

  // Sentinel credentials only: the data server refuses, and no message shows either password.
  const noData = track(
    new Client({
      sentinels: bare,
      masterName: MASTER_NAME,
      sentinelPassword: topology.sentinelPassword,
      reconnect: false,
    }),
  );
  const noAuth = await noData.connect().then(
    () => null,
    (reason: unknown) => reason as Error,
  );
  expect(noAuth).toBeInstanceOf(HandshakeError);
  expect(noAuth?.message).toMatch(/NOAUTH/);
  for (const error of [refused, noAuth]) {
    expect(String(error?.message)).not.toContain(topology.sentinelPassword);
    expect(String(error?.message)).not.toContain(topology.dataPassword);
  }
});

test('a dead first sentinel (refusing, then hung) is skipped', async () => {
  const refusing = `redis://127.0.0.1:${await freeLoopbackPort()}`;
  const master = await topology.currentMaster();
  const hung = topology.sentinels[0] as SentinelProcess;
  hung.pause();
  try {
    const client = sentinelClient({
      sentinels: [refusing, hung.url, ...topology.sentinels.slice(1).map((sentinel) => sentinel.url)],
    });
    await client.connect();
    expect(await client.set('dead-sentinel:key', 'still-found')).toBe('OK');
    expect(await master.command('GET', 'dead-sentinel:key')).toBe('still-found');
  } finally {
    hung.resume();
  }
});

test('given one sentinel, it learns the others (SENTINEL sentinels) and watches every one', async () => {
  const first = topology.sentinels[2] as SentinelProcess;
  const client = sentinelClient({ sentinels: [first.url] });
  await client.connect();
  await subscribedToEverySentinel();
  expect(await client.ping()).toBe('PONG');
});

test('a READONLY reply makes the client leave its server and ask the sentinels again', async () => {
  const client = sentinelClient();
  const left: string[] = [];
  client.on('error', (error) => {
    if (error instanceof SentinelError) left.push(error.message);
  });
  await client.connect();
  expect(client.stats().reconnects).toBe(0);
  // A master whose script answers as a demoted one would: the error's code is what the client sees.
  const readOnly = client.eval(
    "return redis.error_reply('READONLY You can\\'t write against a read only replica.')",
    0,
  );
  await expect(readOnly).rejects.toMatchObject({ code: 'READONLY' });
  await until(async () => client.stats().reconnects === 1, 'a reconnect');
  expect(left).toEqual([
    expect.stringMatching(/answered READONLY: it is no longer the master of "mymaster"/),
  ]);
  expect(await client.set('readonly:key', 'after')).toBe('OK');
});

test('quit() and disconnect() leave no socket or timer behind, sentinel subscribers included', async () => {
  const countResources = (): number =>
    process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'TCPSocketWrap').length;
  const baseline = countResources();
  for (const end of ['quit', 'disconnect'] as const) {
    const client = sentinelClient();
    await client.connect();
    await subscribedToEverySentinel();
    expect(await client.isolated((connection) => connection.ping())).toBe('PONG');
    if (end === 'quit') await client.quit();
    else client.disconnect();
    // At most the baseline: earlier tests' resources may still be closing when it was taken.
    await until(async () => countResources() <= baseline, `no resources left after ${end}()`);
  }
});

test("role 'replica' reads from the replica the sentinels list", async () => {
  const master = await topology.currentMaster();
  const replica = topology.servers.find((server) => server !== master) as RedisProcess;
  await master.command('SET', 'replica-read:key', 'replicated');
  await until(async () => (await replica.command('GET', 'replica-read:key')) === 'replicated', 'replication');
  const before = { master: await getCalls(master), replica: await getCalls(replica) };
  const client = sentinelClient({ role: 'replica' });
  await client.connect();
  const reads = 25;
  for (let i = 0; i < reads; i++) expect(await client.get('replica-read:key')).toBe('replicated');
  expect(await getCalls(replica)).toBe(before.replica + reads);
  expect(await getCalls(master)).toBe(before.master);
  await expect(client.set('replica-read:key', 'x')).rejects.toMatchObject({ code: 'READONLY' });
});

async function getCalls(server: RedisProcess): Promise<number> {
  const info = String(await server.command('INFO', 'commandstats'));
  const match = /cmdstat_get:calls=(\d+)/.exec(info);
  return match === null ? 0 : Number(match[1]);
}

/** Polls an async condition; rejects after `limitMs` so a broken test fails with a reason. */
async function until(condition: () => Promise<boolean>, what: string, limitMs = 10_000): Promise<void> {
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

interface Load {
  /** Keys whose SET was acknowledged, in order. */
  readonly acked: string[];
  /** How many SETs were issued so far: key `<prefix>:<n>` was the n-th (from 0). */
  readonly issued: number;
  /** Everything a SET was rejected with. */
  readonly failures: unknown[];
  stop(): Promise<void>;
}

/** `writers` loops, each SETting unique keys (key = value) one after another until stopped. */
function writeLoad(client: Client, prefix: string, writers = 16): Load {
  const acked: string[] = [];
  const failures: unknown[] = [];
  let running = true;
  let sequence = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      const key = `${prefix}:${sequence++}`;
      try {
        expect(await client.set(key, key)).toBe('OK');
        acked.push(key);
      } catch (error) {
        failures.push(error);
        await sleep(10);
      }
    }
  };
  const loops = Array.from({ length: writers }, loop);
  return {
    acked,
    failures,
    get issued() {
      return sequence;
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Every sentinel has a subscriber of ours (CLIENT LIST psub=1), so none of its events is missed. */
async function subscribedToEverySentinel(): Promise<void> {
  await until(async () => {
    const lists = await Promise.all(topology.sentinels.map((sentinel) => sentinel.command('CLIENT', 'LIST')));
    return lists.every((list) => /psub=1/.test(String(list)));
  }, 'subscription to every sentinel');
}

/** Which of `keys` the server holds, by MGET in chunks. */
async function present(server: RedisProcess, keys: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const values = (await server.command('MGET', ...chunk)) as (string | null)[];
    chunk.forEach((key, j) => {
      if (values[j] === key) found.add(key);
    });
  }
  return found;
}

/** Commands a master appends to its replication stream on its own or for the sentinels, not for a client. */
function housekeeping(args: readonly string[]): boolean {
  const name = (args[0] ?? '').toUpperCase();
  if (name === 'PING' || name === 'SELECT' || name === 'REPLCONF') return true;
  return name === 'PUBLISH' && args[1] === '__sentinel__:hello';
}

/**
 * Writes under load through a failover, then checks what no client may lose: every SET settled with
 * 'OK' or a typed error; writes went on on the new master; every acknowledged write is on the new
 * master with its value; and the old master executed no write after its replica was promoted. The
 * last is read from the old master's replication stream, tapped from before the load until it is
 * reconfigured as a replica: nothing but housekeeping may follow the offset at which the new master
 * left that stream (its second_repl_offset). Its dataset cannot tell: the rejoin's full resync
 * replaces it with the new master's.
 */
async function failOverUnderLoad(
  prefix: string,
  failOver: (oldMaster: RedisProcess) => Promise<void>,
  /** For a failover by SIGSTOP: wakes the old master once the failover is done. */
  resume?: (oldMaster: RedisProcess) => void,
): Promise<void> {
  const oldMaster = await topology.currentMaster();
  const newMaster = topology.servers.find((server) => server !== oldMaster) as RedisProcess;
  const tap = await tapReplication(oldMaster, topology.dataPassword, newMaster.port);
  taps.add(tap);
  const client = sentinelClient({ commandTimeout: 2_000 });
  const leaves: string[] = [];
  client.on('error', (error) => {
    if (error instanceof SentinelError) leaves.push(error.message);
  });
  await client.connect();
  await subscribedToEverySentinel();
  // Leaves a pooled connection idle on the old master: it must not be lent again after the failover.
  expect(await client.isolated((connection) => connection.ping())).toBe('PONG');
  const heard: string[] = [];
  await client.subscribe(`${prefix}:news`, (message) => heard.push(message));
  const load = writeLoad(client, prefix);
  // SETs issued before the client first left the old master: the leave is emitted as the socket drops.
  let issuedAtLeave = Infinity;
  client.on('error', (error) => {
    if (error instanceof SentinelError && issuedAtLeave === Infinity) issuedAtLeave = load.issued;
  });
  let ackedAtSwitch: number;
  try {
    await until(async () => load.acked.length >= 500, 'writes before the failover');
    await failOver(oldMaster);
    await until(async () => (await topology.currentMaster()) === newMaster, 'the failover', 20_000);
    ackedAtSwitch = load.acked.length;
    // The subscriber moved too: the new master's messages reach it before the old master rejoins.
    let published = 0;
    await until(
      async () => {
        await newMaster.command('PUBLISH', `${prefix}:news`, `after-${++published}`);
        return heard.some((message) => message.startsWith('after-'));
      },
      'a message published on the new master',
      5_000,
    );
    await until(async () => load.acked.length >= ackedAtSwitch + 500, 'writes after the failover');
  } finally {
    // Even when a step above failed: no writer may outlive the test, and the old master must wake.
    await load.stop();
    resume?.(oldMaster);
  }
  const isolatedKey = `${prefix}:isolated`;
  expect(await client.isolated((connection) => connection.set(isolatedKey, isolatedKey))).toBe('OK');
  load.acked.push(isolatedKey);

  if (process.env['SENTINEL_REPORT'] !== undefined) {
    const kinds = new Map<string, number>();
    for (const error of load.failures) {
      const kind = (error as Error).constructor.name;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    console.log(prefix, {
      acked: load.acked.length,
      ackedAtSwitch,
      failures: Object.fromEntries(kinds),
      leaves,
    });
  }
  expect(
    load.failures.every((error) => error instanceof ConnectionError || error instanceof TimeoutError),
  ).toBe(true);
  expect(leaves.some((message) => message.includes(`to 127.0.0.1:${newMaster.port}`))).toBe(true);
  const onNewMaster = await present(newMaster, load.acked);
  expect(load.acked.filter((key) => !onNewMaster.has(key))).toEqual([]);
  const afterSwitch = load.acked.slice(ackedAtSwitch);
  expect(afterSwitch.length).toBeGreaterThanOrEqual(500);

  // The old master rejoins as a replica of the new one; its sync with it ends the tap.
  await topology.settledOn(newMaster, 40_000);
  const role = (await oldMaster.command('ROLE')) as [string, string, number];
  expect([role[0], role[2]]).toEqual(['slave', newMaster.port]);
  let waited: NodeJS.Timeout | undefined;
  const roleWhenTapEnded = await Promise.race([
    tap.ended,
    new Promise<string>((resolve) => (waited = setTimeout(() => resolve('still tapped'), 20_000))),
  ]).finally(() => clearTimeout(waited));
  const replication = String(await newMaster.command('INFO', 'replication'));
  const promotion = {
    replid: /master_replid2:(\w+)/.exec(replication)?.[1],
    offset: Number(/second_repl_offset:(-?\d+)/.exec(replication)?.[1]),
  };
  // The new master left the stream the tap followed, and the tap saw all of it up to that point and
  // beyond, until the old master was a replica.
  expect(promotion.replid).toBe(tap.replid);
  expect(tap.nextOffset).toBeGreaterThanOrEqual(promotion.offset);
  expect(roleWhenTapEnded).toBe('slave');
  const before = tap.commands.filter((command) => command.offset < promotion.offset);
  // The 500 writes before the failover began went to the old master: the tap did see the load.
  expect(before.filter((command) => command.args[0]?.toUpperCase() === 'SET').length).toBeGreaterThanOrEqual(
    500,
  );
  const after = tap.commands.filter((command) => command.offset >= promotion.offset);
  if (process.env['SENTINEL_REPORT'] !== undefined) {
    console.log(prefix, {
      tapped: tap.commands.length,
      promotionOffset: promotion.offset,
      tapEnd: tap.nextOffset,
      issuedAtLeave,
      afterPromotion: after.filter((command) => !housekeeping(command.args)).map((c) => c.args.join(' ')),
    });
  }
  const late = after.filter((command) => !housekeeping(command.args));
  if (resume === undefined) {
    // A running old master gets nothing after the promotion: the client left it before.
    expect(late.map((command) => command.args.join(' '))).toEqual([]);
  } else {
    // A paused one runs, once woken, the SETs that were waiting in its sockets: issued before the client
    // left it (it could not know), and never acknowledged. None issued after the client left it.
    const acked = new Set(load.acked);
    const sentBeforeLeaving = (key: string | undefined): boolean => {
      const match = key === undefined ? null : new RegExp(`^${prefix}:(\\d+)$`).exec(key);
      return match !== null && Number(match[1]) < issuedAtLeave;
    };
    const wrong = late.filter(
      (command) =>
        command.args[0]?.toUpperCase() !== 'SET' ||
        !sentBeforeLeaving(command.args[1]) ||
        acked.has(command.args[1] as string),
    );
    expect(wrong.map((command) => command.args.join(' '))).toEqual([]);
  }
}

test('SENTINEL FAILOVER under load: writes follow the new master and none is lost on the old one', async () => {
  await failOverUnderLoad('manual', async () => {
    await topology.sentinels[1]?.command('SENTINEL', 'FAILOVER', MASTER_NAME);
  });
}, 70_000);

test('an automatic failover after SIGSTOP of the master; after SIGCONT it rejoins as a replica', async () => {
  await failOverUnderLoad(
    'automatic',
    async (oldMaster) => oldMaster.pause(),
    (oldMaster) => oldMaster.resume(),
  );
}, 70_000);
