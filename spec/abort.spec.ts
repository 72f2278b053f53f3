import { getEventListeners } from 'node:events';
import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import { AbortError, ConnectionError, InvalidArgumentError, TimeoutError } from '../lib/errors';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually } from './support/wait';

const track = cleanupAfterEachTest();

let redis: RedisProcess;
let unique = 0;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await stopAll();
});

/** A key and a value no other test uses, so a reply can only be the one it belongs to. */
function fresh(what: string): { key: string; value: string } {
  unique++;
  return { key: `abort:${what}:${process.pid}:${unique}`, value: `${what}-value-${unique}-${Date.now()}` };
}

/** How many times the server ran `command` (INFO commandstats). */
async function calls(command: string): Promise<number> {
  const info = String(await redis.command('INFO', 'commandstats'));
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

function connected(options: ConstructorParameters<typeof Client>[1] = {}): Promise<Client> {
  const client = track(new Client(redis.url, { heartbeatInterval: 0, ...options }));
  return client.connect().then(() => client);
}

/** Polls an asynchronous condition; fails with a reason after a few seconds. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function abortCleared(signal: AbortSignal): boolean {
  return getEventListeners(signal, 'abort').length === 0;
}

describe('withOptions({ signal })', () => {
  test('a signal already aborted rejects at once and nothing is sent', async () => {
    const client = await connected();
    const { key, value } = fresh('before');
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    const setsBefore = await calls('set');
    const sentBefore = client.stats().sent;

    const view = client.withOptions({ signal: controller.signal });
    const error: unknown = await view.set(key, value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ name: 'AbortError', command: 'SET', sent: false, cause: reason });
    await expect(view.pipeline().set(key, value).exec()).rejects.toMatchObject({
      name: 'AbortError',
      sent: false,
    });
    await expect(view.multi().set(key, value).exec()).rejects.toMatchObject({
      name: 'AbortError',
      sent: false,
    });

    expect(client.stats().sent).toBe(sentBefore);
    expect(await calls('set')).toBe(setsBefore);
    expect(await client.get(key)).toBeNull();
    expect(abortCleared(controller.signal)).toBe(true);
  });

  test('aborted before the write: dropped from the queue, the server never sees it', async () => {
    const client = await connected();
    const dropped = fresh('dropped');
    const kept = fresh('kept');
    const setsBefore = await calls('set');
    const controller = new AbortController();

    // Both are queued in this tick; the flush writes them in the next pass, after the abort.
    const aborted = client.withOptions({ signal: controller.signal }).set(dropped.key, dropped.value);
    const other = client.set(kept.key, kept.value);
    controller.abort();

    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', command: 'SET', sent: false });
    expect(await other).toBe('OK');
    expect(await client.get(kept.key)).toBe(kept.value);
    expect(await client.get(dropped.key)).toBeNull();
    // Exactly one SET reached the server: the one not aborted.
    expect(await calls('set')).toBe(setsBefore + 1);
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, pendingBytes: 0 });
    expect(abortCleared(controller.signal)).toBe(true);
  });

  test('aborted in the offline queue: never sent once the connection is up', async () => {
    const client = track(new Client(redis.url, { heartbeatInterval: 0 }));
    const dropped = fresh('offline');
    const setsBefore = await calls('set');
    const controller = new AbortController();
    // Issued before connect(): it waits in the offline queue.
    const aborted = client.withOptions({ signal: controller.signal }).set(dropped.key, dropped.value);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', sent: false });
    await client.connect();
    expect(await client.get(dropped.key)).toBeNull();
    expect(await calls('set')).toBe(setsBefore);
  });

  test('aborted after the write: rejects at once, its late reply is absorbed, the next command gets its own', async () => {
    const client = await connected({ stallTimeout: 0 });
    const written = fresh('written');
    const next = fresh('next');
    await client.set(next.key, next.value);
    const controller = new AbortController();

    redis.pause();
    try {
      const aborted = client.withOptions({ signal: controller.signal }).set(written.key, written.value);
      await eventually(() => client.stats().inFlight === 1, 'the SET to be written');
      controller.abort();
      await expect(aborted).rejects.toMatchObject({ name: 'AbortError', command: 'SET', sent: true });
      // Behind the aborted SET on the same socket: its reply must be this GET's, not the SET's OK.
      const following = client.get(next.key);
      redis.resume();
      expect(await following).toBe(next.value);
    } finally {
      redis.resume();
    }
    // A written write may still apply: this one did.
    expect(await client.get(written.key)).toBe(written.value);
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, pendingBytes: 0 });
    expect(abortCleared(controller.signal)).toBe(true);
  });

  test('a pipeline aborted before its write sends nothing; after it, exec rejects and replies are absorbed', async () => {
    const client = await connected({ stallTimeout: 0 });
    const setsBefore = await calls('set');
    const early = new AbortController();
    const keys = [fresh('p1'), fresh('p2'), fresh('p3')];
    const pipeline = client.withOptions({ signal: early.signal }).pipeline();
    for (const { key, value } of keys) pipeline.set(key, value);
    const unsent = pipeline.exec();
    early.abort();
    await expect(unsent).rejects.toMatchObject({ name: 'AbortError', sent: false });
    expect(await calls('set')).toBe(setsBefore);
    for (const { key } of keys) expect(await client.get(key)).toBeNull();

    const late = new AbortController();
    const next = fresh('after-pipeline');
    await client.set(next.key, next.value);
    redis.pause();
    try {
      const sent = client
        .withOptions({ signal: late.signal })
        .pipeline()
        .set(keys[0].key, keys[0].value)
        .incr(`${keys[1].key}:n`)
        .get(keys[2].key)
        .exec();
      await eventually(() => client.stats().inFlight === 3, 'the pipeline to be written');
      late.abort();
      await expect(sent).rejects.toMatchObject({ name: 'AbortError', sent: true });
      const following = client.get(next.key);
      redis.resume();
      expect(await following).toBe(next.value);
    } finally {
      redis.resume();
    }
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0, pendingBytes: 0 });
  });

  test('a transaction aborted after its write rejects whole; the next command gets its own reply', async () => {
    const client = await connected({ stallTimeout: 0 });
    const next = fresh('after-multi');
    const inside = fresh('multi');
    await client.set(next.key, next.value);
    const controller = new AbortController();
    redis.pause();
    try {
      const exec = client
        .withOptions({ signal: controller.signal })
        .multi()
        .set(inside.key, inside.value)
        .get(inside.key)
        .exec();
      // MULTI, SET, GET, EXEC.
      await eventually(() => client.stats().inFlight === 4, 'the transaction to be written');
      controller.abort();
      await expect(exec).rejects.toMatchObject({ name: 'AbortError', sent: true });
      const following = client.get(next.key);
      redis.resume();
      expect(await following).toBe(next.value);
    } finally {
      redis.resume();
    }
    expect(client.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  test('one abort listener per signal, removed once nothing of it is pending: no leak over many commands', async () => {
    const client = await connected();
    const controller = new AbortController();
    const view = client.withOptions({ signal: controller.signal });
    const { key, value } = fresh('listener');
    await client.set(key, value);

    const burst = Array.from({ length: 128 }, () => view.get(key));
    // 128 commands in flight under one signal: still one listener (Node warns past 10).
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    expect(await Promise.all(burst)).toEqual(Array.from({ length: 128 }, () => value));
    expect(abortCleared(controller.signal)).toBe(true);

    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 500 }, () => view.get(key)));
      await view.pipeline().get(key).get(key).exec();
      await view.multi().get(key).exec();
    }
    // Failed commands release it too.
    await expect(view.incr(key)).rejects.toMatchObject({ code: 'ERR' });
    expect(abortCleared(controller.signal)).toBe(true);
  });

  test('a blocking command aborted while blocked: rejects at once and its connection is closed, so it pops nothing', async () => {
    const client = await connected();
    const { key, value } = fresh('blocked');
    const blockedClients = async (): Promise<number> =>
      Number(/^blocked_clients:(\d+)/m.exec(String(await redis.command('INFO', 'clients')))?.[1]);
    const baseline = await blockedClients();
    const controller = new AbortController();
    const blocked = client.withOptions({ signal: controller.signal }).blpop(key, 0);
    await until(async () => (await blockedClients()) === baseline + 1, 'the BLPOP to block');
    controller.abort();
    await expect(blocked).rejects.toMatchObject({ name: 'AbortError', command: 'BLPOP', sent: true });
    await until(async () => (await blockedClients()) === baseline, 'its connection to be closed');
    expect(await client.rpush(key, value)).toBe(1);
    expect(await client.lrange(key, 0, -1)).toEqual([value]);
    expect(client.stats().pool).toMatchObject({ leased: 0 });
  });

  test('withOptions rejects bad options; withOptions({}) sends as the Client does', async () => {
    const client = await connected();
    expect(() => client.withOptions({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => client.withOptions({ signal: {} as AbortSignal })).toThrow(InvalidArgumentError);
    const { key, value } = fresh('plain');
    const view = client.withOptions({});
    expect(await view.set(key, value)).toBe('OK');
    expect(await view.get(key)).toBe(value);
    expect(await view.pipeline().get(key).exec()).toEqual([value]);
  });
});

describe('withOptions({ timeout })', () => {
  test('a shorter timeout behind a command with the default deadline fires on its own', async () => {
    const client = await connected({ commandTimeout: 60_000, stallTimeout: 0 });
    const { key, value } = fresh('short');
    await client.set(key, value);
    redis.pause();
    try {
      let headSettled = false;
      const head = client.get(key).finally(() => {
        headSettled = true;
      });
      const short = client.withOptions({ timeout: 50 }).get(key);
      await expect(short).rejects.toBeInstanceOf(TimeoutError);
      await expect(short).rejects.toMatchObject({ command: 'GET', timeoutMs: 50, sent: true });
      // The head, with its 60 s deadline, is still waiting: the short one did not wait for it.
      expect(headSettled).toBe(false);
      redis.resume();
      expect(await head).toBe(value);
    } finally {
      redis.resume();
    }
    expect(client.stats().timeouts).toBe(1);
  });

  test('a longer timeout at the head does not hold up the default deadlines behind it', async () => {
    const client = await connected({ commandTimeout: 100, stallTimeout: 0 });
    const { key, value } = fresh('long');
    await client.set(key, value);
    redis.pause();
    try {
      let headSettled = false;
      const head = client
        .withOptions({ timeout: 60_000 })
        .get(key)
        .finally(() => {
          headSettled = true;
        });
      const behind = client.get(key);
      await expect(behind).rejects.toMatchObject({ name: 'TimeoutError', timeoutMs: 100 });
      expect(headSettled).toBe(false);
      redis.resume();
      expect(await head).toBe(value);
    } finally {
      redis.resume();
    }
  });

  test('timeout 0 turns the deadline off for those commands only', async () => {
    const client = await connected({ commandTimeout: 100, stallTimeout: 0 });
    const { key, value } = fresh('none');
    await client.set(key, value);
    redis.pause();
    try {
      const patient = client.withOptions({ timeout: 0 }).get(key);
      const hasty = client.get(key);
      await expect(hasty).rejects.toBeInstanceOf(TimeoutError);
      redis.resume();
      expect(await patient).toBe(value);
    } finally {
      redis.resume();
    }
  });
});

describe('Cluster.withOptions({ signal })', () => {
  let replicas: RedisProcess[];

  beforeAll(async () => {
    replicas = [await startRedis(), await startRedis()];
  });

  /** Two replicas of one shard: replica 0 serves reads first (readFrom 'ordered'); writes need both. */
  async function cluster(): Promise<Cluster> {
    const made = new Cluster({
      replicas: replicas.map((server) => [server.url]),
      writeAck: 'all',
      client: { heartbeatInterval: 0, stallTimeout: 0 },
    });
    trackedClusters.push(made);
    await made.connect();
    return made;
  }

  const trackedClusters: Cluster[] = [];
  afterEach(() => {
    for (const made of trackedClusters.splice(0)) made.disconnect();
    for (const server of replicas) if (server.running) server.resume();
  });

  async function callsOn(server: RedisProcess, command: string): Promise<number> {
    const info = String(await server.command('INFO', 'commandstats'));
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
    return match === null ? 0 : Number(match[1]);
  }

  test('a signal already aborted sends nothing to any server', async () => {
    const made = await cluster();
    const { key, value } = fresh('cluster-before');
    const controller = new AbortController();
    controller.abort();
    const before = await Promise.all(replicas.map((server) => callsOn(server, 'set')));
    const view = made.withOptions({ signal: controller.signal });
    await expect(view.set(key, value)).rejects.toMatchObject({ name: 'AbortError', sent: false });
    await expect(view.get(key)).rejects.toMatchObject({ name: 'AbortError', sent: false });
    await expect(view.multi().set(key, value).exec()).rejects.toMatchObject({ name: 'AbortError' });
    expect(await Promise.all(replicas.map((server) => callsOn(server, 'set')))).toEqual(before);
    expect(await made.get(key)).toBeNull();
  });

  test('a written read aborted: rejects at once, is not failed over, and counts against no server', async () => {
    const made = await cluster();
    const { key, value } = fresh('cluster-read');
    await made.set(key, value);
    const getsOnSecond = await callsOn(replicas[1], 'get');
    const controller = new AbortController();
    replicas[0].pause();
    const read = made.withOptions({ signal: controller.signal }).get(key);
    await eventually(() => made.server(0, 0).stats().inFlight === 1, 'the GET to reach replica 0');
    controller.abort();
    await expect(read).rejects.toMatchObject({ name: 'AbortError', command: 'GET', sent: true });
    replicas[0].resume();
    // The late reply is absorbed on replica 0's connection; the next read there gets its own.
    const other = fresh('cluster-read-next');
    await made.set(other.key, other.value);
    expect(await made.get(other.key)).toBe(other.value);
    expect(await callsOn(replicas[1], 'get')).toBe(getsOnSecond);
    expect(made.health().map((server) => server.errors)).toEqual([0, 0]);
  });

  test('a write aborted midway rejects at once; its fan-out goes on and a replica failing later is reported', async () => {
    const made = await cluster();
    const { key, value } = fresh('cluster-write');
    const reported: { error: Error; replica: number; kind: string; command: string }[] = [];
    made.on('replicaError', (error, detail) => reported.push({ error, ...detail }));
    const controller = new AbortController();
    replicas[1].pause();
    const write = made.withOptions({ signal: controller.signal }).set(key, value);
    await eventually(() => made.server(1, 0).stats().inFlight === 1, 'the SET to reach replica 1');
    controller.abort();
    await expect(write).rejects.toMatchObject({ name: 'AbortError', command: 'SET', sent: true });
    // Replica 0 ran it; replica 1 dies before answering: its failure has no caller left, so it is reported.
    await replicas[1].kill();
    await eventually(() => reported.length > 0, 'the replica failure to be reported');
    expect(reported[0]).toMatchObject({ replica: 1, kind: 'failure', command: 'SET' });
    expect(reported[0].error).toBeInstanceOf(ConnectionError);
    expect(await made.server(0, 0).get(key)).toBe(value);
    await replicas[1].restart();
  });

  test('a pipeline of reads aborted before its write sends nothing', async () => {
    const made = await cluster();
    const { key, value } = fresh('cluster-pipeline');
    await made.set(key, value);
    const before = await Promise.all(replicas.map((server) => callsOn(server, 'get')));
    const controller = new AbortController();
    const exec = made.withOptions({ signal: controller.signal }).pipeline().get(key).get(key).exec();
    controller.abort();
    await expect(exec).rejects.toMatchObject({ name: 'AbortError', sent: false });
    expect(await Promise.all(replicas.map((server) => callsOn(server, 'get')))).toEqual(before);
  });
});

describe('sharded Cluster.withOptions({ signal }): a pipeline aborted after its write', () => {
  /** replicas[r][s] = servers[r * 2 + s]: two replicas of two shards. */
  let servers: RedisProcess[];

  beforeAll(async () => {
    servers = await Promise.all([0, 1, 2, 3].map(() => startRedis()));
  });

  const trackedClusters: Cluster[] = [];
  afterEach(() => {
    for (const made of trackedClusters.splice(0)) made.disconnect();
    for (const server of servers) if (server.running) server.resume();
  });

  /** Settles as `promise` does, or rejects naming `what` after `ms`: a hang fails with a reason. */
  function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  test('exec rejects with AbortError while the servers are stopped; the late replies are absorbed and the next commands get their own', async () => {
    const made = new Cluster({
      replicas: [
        [servers[0].url, servers[1].url],
        [servers[2].url, servers[3].url],
      ],
      writeAck: 'all',
      client: { heartbeatInterval: 0, stallTimeout: 0 },
    });
    trackedClusters.push(made);
    await made.connect();
    const onShard = (shard: number, what: string): { key: string; value: string } => {
      for (;;) {
        const picked = fresh(what);
        if (made.shardOf(picked.key) === shard) return picked;
      }
    };
    const [read0, read1, written0, counter1, next0, next1] = [
      onShard(0, 'sharded-read'),
      onShard(1, 'sharded-read'),
      onShard(0, 'sharded-write'),
      onShard(1, 'sharded-counter'),
      onShard(0, 'sharded-next'),
      onShard(1, 'sharded-next'),
    ];
    for (const { key, value } of [read0, read1, next0, next1]) await made.set(key, value);
    const inFlight = (): number[] =>
      [0, 1].flatMap((replica) => [0, 1].map((shard) => made.server(replica, shard).stats().inFlight));
    const controller = new AbortController();

    for (const server of servers) server.pause();
    try {
      const exec = made
        .withOptions({ signal: controller.signal })
        .pipeline()
        .get(read0.key)
        .get(read1.key)
        .set(written0.key, written0.value)
        .incr(counter1.key)
        .exec();
      // Reads on replica 0 ('ordered'); the SET and INCR on both replicas of their shards (writeAck 'all').
      await eventually(() => inFlight().join() === '2,2,1,1', 'the pipeline to be written to every server');
      controller.abort();
      await expect(within(exec, 2_000, 'the aborted exec')).rejects.toMatchObject({
        name: 'AbortError',
        command: 'GET',
        sent: true,
      });
      // Behind the late replies on the same sockets: each must get its own reply, not an aborted one's.
      const following = [made.get(next0.key), made.get(next1.key)];
      for (const server of servers) server.resume();
      expect(await within(Promise.all(following), 5_000, 'the commands after the abort')).toEqual([
        next0.value,
        next1.value,
      ]);
    } finally {
      for (const server of servers) server.resume();
    }
    // Written before the abort, the writes still applied, on every replica.
    for (const replica of [0, 1]) {
      expect(await made.server(replica, 0).get(written0.key)).toBe(written0.value);
      expect(await made.server(replica, 1).get(counter1.key)).toBe('1');
    }
    expect(inFlight()).toEqual([0, 0, 0, 0]);
    expect(made.health().map((server) => server.errors)).toEqual([0, 0, 0, 0]);
    expect(abortCleared(controller.signal)).toBe(true);
  });
});
