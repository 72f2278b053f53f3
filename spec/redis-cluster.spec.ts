/**
 * RedisCluster against a real Redis Cluster: 3 masters and 3 replicas of redis-server, joined by
 * redis-cli. Placement is checked on the nodes themselves; migrations, a reshard and a master's
 * death run under load, and every command's outcome is checked exactly.
 */
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import { crc16, slotOf } from '../lib/redis-cluster/slot';
import { Script } from '../lib/client/script';
import { ConnectionError, InvalidArgumentError, ReplyError, TimeoutError } from '../lib/errors';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { stopAll, type RedisProcess } from './support/redis-harness';
import { sleep } from './support/wait';
import { calls, nodeId } from './support/redis-cluster-probes';
import { inspect } from 'node:util';

let cluster: RedisClusterHarness;
const clients: RedisCluster[] = [];

function open(options: Partial<ConstructorParameters<typeof RedisCluster>[0]> = {}): RedisCluster {
  const rc = new RedisCluster({
    seeds: cluster.seeds,
    client: { commandTimeout: 3_000, connectTimeout: 1_000, reconnect: { minDelay: 20, maxDelay: 200 } },
    ...options,
  });
  clients.push(rc);
  return rc;
}

beforeAll(async () => {
  cluster = await startRedisCluster(3, 1);
}, 40_000);

afterAll(async () => {
  for (const rc of clients) rc.disconnect();
  await stopAll();
});

async function masters(): Promise<RedisProcess[]> {
  const ranges = (await cluster.nodes[0].command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const ports = [...new Set(ranges.map(([, , [, port]]) => Number(port)))];
  return ports.map((port) => cluster.nodes.find((node) => node.port === port) as RedisProcess);
}

/** Runs `worker` on `concurrency` lanes until `stop()` resolves; collects every error. */
async function underLoad(
  concurrency: number,
  worker: (lane: number, round: number) => Promise<void>,
  during: () => Promise<void>,
): Promise<Error[]> {
  const errors: Error[] = [];
  let running = true;
  const lanes = Array.from({ length: concurrency }, async (_, lane) => {
    for (let round = 0; running; round++) {
      try {
        await worker(lane, round);
      } catch (error) {
        errors.push(error as Error);
      }
    }
  });
  try {
    await during();
  } finally {
    running = false;
    await Promise.all(lanes);
  }
  return errors;
}

describe('slots', () => {
  it('CRC16-XMODEM matches the check value and CLUSTER KEYSLOT on many keys', async () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    const keys: (string | Buffer)[] = [
      '',
      'foo',
      'a',
      '{}',
      '{}x',
      'x{}',
      '{a}{b}',
      'a{b}c',
      '{{a}}',
      '{a',
      'a}',
      'é',
      '日本語{日}',
      'user:{42}:name',
      Buffer.from([0xff, 0x00, 0x7b, 0x61, 0x7d]),
    ];
    for (let i = 0; i < 300; i++) keys.push(`key:${i}:${(i * 7919).toString(36)}`);
    for (let i = 0; i < 50; i++) keys.push(`{tag${i}}:rest:${i}`);
    keys.push('x'.repeat(2000));
    const answers = await Promise.all(keys.map((key) => cluster.nodes[0].command('CLUSTER', 'KEYSLOT', key)));
    keys.forEach((key, i) => expect([String(key), slotOf(key)]).toEqual([String(key), answers[i]]));
  });
});

describe('routing on a stable cluster', () => {
  let rc: RedisCluster;
  beforeAll(async () => {
    rc = open();
    await rc.connect();
  });

  it('lists 3 masters covering every slot and 3 replicas', () => {
    const nodes = rc.nodes();
    expect(nodes.filter((node) => node.role === 'master')).toHaveLength(3);
    expect(nodes.filter((node) => node.role === 'replica')).toHaveLength(3);
    const covered = nodes.flatMap((node) => node.slots).reduce((sum, [a, b]) => sum + b - a + 1, 0);
    expect(covered).toBe(16384);
    expect(rc.health().every((node) => node.up && node.errors === 0)).toBe(true);
  });

  it("writes each key on its slot's master only", async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `placed:${i}`);
    await Promise.all(keys.map((key, i) => rc.set(key, `v${i}`)));
    const all = await masters();
    for (const [i, key] of keys.entries()) {
      const owner = await cluster.masterOf(slotOf(key));
      expect(await owner.command('GET', key)).toBe(`v${i}`);
      for (const other of all.filter((node) => node !== owner)) {
        // Another master redirects, and holds no key of that slot at all.
        expect(String(await other.command('GET', key))).toMatch(/MOVED /);
        expect(await other.command('CLUSTER', 'COUNTKEYSINSLOT', slotOf(key))).toBe(0);
      }
    }
    expect(await Promise.all(keys.map((key) => rc.get(key)))).toEqual(keys.map((_, i) => `v${i}`));
  });

  it('splits MGET, MSET, DEL, EXISTS across slots and reassembles in order', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `multi:${i}`);
    expect(new Set(keys.map(slotOf)).size).toBeGreaterThan(20);
    expect(await rc.mset(Object.fromEntries(keys.map((key, i) => [key, `m${i}`])))).toBe('OK');
    expect(await rc.mget([...keys, 'multi:absent'])).toEqual([...keys.map((_, i) => `m${i}`), null]);
    expect(await rc.exists(...keys, 'multi:absent')).toBe(40);
    expect(await rc.del(...keys.slice(0, 25), 'multi:absent')).toBe(25);
    expect(await rc.mget(keys)).toEqual(keys.map((_, i) => (i < 25 ? null : `m${i}`)));
  });

  it('runs a pipeline across slots with replies in the caller order', async () => {
    const pipeline = rc.pipeline();
    for (let i = 0; i < 30; i++) pipeline.set(`pipe:${i}`, `p${i}`).incr(`pipe:n:${i}`).get(`pipe:${i}`);
    pipeline.call('GET').mget(['pipe:0', 'pipe:29']);
    const replies = await pipeline.exec();
    const expected: unknown[] = [];
    for (let i = 0; i < 30; i++) expected.push('OK', 1, `p${i}`);
    expect(replies.slice(0, 90)).toEqual(expected);
    expect(replies[90]).toBeInstanceOf(InvalidArgumentError);
    expect(replies[91]).toEqual(['p0', 'p29']);
  });

  it('runs multi() in one slot and refuses one across slots', async () => {
    expect(await rc.multi().set('{acct}:a', '1').incr('{acct}:n').get('{acct}:a').exec()).toEqual([
      'OK',
      1,
      '1',
    ]);
    await expect(rc.multi().set('tx:a', '1').set('tx:b', '2').exec()).rejects.toThrow(InvalidArgumentError);
    expect(await rc.exists('tx:a', 'tx:b')).toBe(0);
    await expect(rc.multi().call('PING').exec()).rejects.toThrow(InvalidArgumentError);
  });

  it('runs a Script by its first key, and refuses keys in several slots', async () => {
    const script = new Script("return redis.call('SET', KEYS[1], ARGV[1])");
    expect(await script.run(rc, ['script:{s}'], ['ran'])).toBe('OK');
    expect(await rc.get('script:{s}')).toBe('ran');
    await expect(script.run(rc, ['script:a', 'script:b'], ['x'])).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses unkeyed commands, which go through each() and node()', async () => {
    await expect(rc.call('DBSIZE')).rejects.toThrow(InvalidArgumentError);
    const outcomes = await rc.each('PING');
    expect(outcomes.map((outcome) => outcome.reply)).toEqual(['PONG', 'PONG', 'PONG']);
    expect(await rc.node(rc.nodes()[0].url).ping()).toBe('PONG');
    expect(() => rc.node('redis://127.0.0.1:1')).toThrow(InvalidArgumentError);
  });

  it('scans every master once', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => `scan:${i}`);
    await rc.mset(Object.fromEntries(keys.map((key) => [key, '1'])));
    const seen: string[] = [];
    for await (const key of rc.scanIterator({ match: 'scan:*', count: 100 })) seen.push(key);
    expect(seen.sort()).toEqual([...keys].sort());
  });

  it('shows no credentials when inspected', () => {
    const secret = new RedisCluster({ seeds: ['redis://user:hunter2@127.0.0.1:1'] });
    expect(inspect(secret)).not.toContain('hunter2');
    secret.disconnect();
  });
});

describe('replica reads', () => {
  it('sends reads to replicas, which had READONLY, and writes to masters', async () => {
    const rc = open({ readFrom: 'replica' });
    await rc.connect();
    const replicas = rc.nodes().filter((node) => node.role === 'replica');
    const replicaNodes = replicas.map((node) =>
      cluster.nodes.find((each) => node.url.endsWith(`:${each.port}`))!,
    );
    const getCalls = async (nodes: RedisProcess[]): Promise<number> => {
      let total = 0;
      for (const node of nodes) {
        const match = /cmdstat_get:calls=(\d+)/.exec(String(await node.command('INFO', 'commandstats')));
        total += match === null ? 0 : Number(match[1]);
      }
      return total;
    };
    const before = await getCalls(replicaNodes);
    const masterNodes = await masters();
    const mastersBefore = await getCalls(masterNodes);
    await rc.set('replica:read', 'fresh');
    // The write has reached the replica once WAIT says so.
    await cluster.masterOf(slotOf('replica:read')).then((owner) => owner.command('WAIT', 1, 2_000));
    const reads = await Promise.all(Array.from({ length: 60 }, () => rc.get('replica:read')));
    expect(reads).toEqual(Array.from({ length: 60 }, () => 'fresh'));
    expect((await getCalls(replicaNodes)) - before).toBe(60);
    expect((await getCalls(masterNodes)) - mastersBefore).toBe(0);
    for (const node of replicaNodes) {
      expect(String(await node.command('INFO', 'commandstats'))).toMatch(/cmdstat_readonly:calls=[1-9]/);
    }
  });
});

/** Fails the lane with a message naming what came back. */
function check(got: unknown, wanted: unknown, what: string): void {
  if (got !== wanted) throw new Error(`${what}: got ${String(got)}, wanted ${String(wanted)}`);
}

describe('slots on the move, under load', () => {
  it('follows ASK through a migration made by hand, with no error and no wrong value', async () => {
    const rc = open();
    await rc.connect();
    const slot = slotOf('{mig}');
    const source = await cluster.masterOf(slot);
    const target = (await masters()).find((node) => node !== source) as RedisProcess;
    const [sourceId, targetId] = await Promise.all([nodeId(source), nodeId(target)]);
    const keys = Array.from({ length: 192 }, (_, i) => `{mig}:${i}`);
    await rc.mset(Object.fromEntries(keys.map((key) => [key, 'initial'])));
    const askingBefore = await calls(target, 'asking');
    await target.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
    await source.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
    const last = new Map<string, string>();
    const errors = await underLoad(
      16,
      async (lane, round) => {
        // Each lane owns its keys, so what it reads back must be what it wrote.
        const key = keys[lane + 16 * (round % 12)];
        const value = `${lane}:${round}`;
        check(await rc.set(key, value), 'OK', `SET ${key}`);
        last.set(key, value);
        check(await rc.get(key), value, `GET ${key}`);
        const fresh = `{mig}:new:${lane}:${round}`;
        check(await rc.set(fresh, value), 'OK', `SET ${fresh}`);
        check(await rc.get(fresh), value, `GET ${fresh}`);
      },
      async () => {
        for (;;) {
          const batch = (await source.command('CLUSTER', 'GETKEYSINSLOT', slot, 10)) as string[];
          if (batch.length === 0) break;
          await source.command('MIGRATE', '127.0.0.1', target.port, '', 0, 5_000, 'KEYS', ...batch);
          await sleep(15);
        }
        for (const node of [
          target,
          source,
          ...(await masters()).filter((m) => m !== source && m !== target),
        ]) {
          await node.command('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
        }
        await sleep(100);
      },
    );
    expect(errors).toEqual([]);
    expect((await calls(target, 'asking')) - askingBefore).toBeGreaterThan(0);
    expect(await source.command('CLUSTER', 'COUNTKEYSINSLOT', slot)).toBe(0);
    for (const [key, value] of last) expect([key, await target.command('GET', key)]).toEqual([key, value]);
    expect(await rc.mget([...last.keys()])).toEqual([...last.values()]);
    await cluster.waitUntilOk();
  });

  it('keeps every command right through redis-cli --cluster reshard', async () => {
    const rc = open();
    await rc.connect();
    const all = await masters();
    const [from, to] = [all[0], all[1]];
    const ranges = (await from.command('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const own = ranges.filter(([, , [, port]]) => Number(port) === from.port).sort((a, b) => a[0] - b[0]);
    const first = own[0][0];
    // Keys in the first slots of `from`: the ones a reshard of 300 slots moves.
    const keys: string[] = [];
    for (let i = 0; keys.length < 64; i++) {
      const slot = slotOf(`rs:${i}`);
      if (slot >= first && slot < first + 300 && slot <= own[0][1]) keys.push(`rs:${i}`);
    }
    await rc.mset(Object.fromEntries(keys.map((key) => [key, 'initial'])));
    const [fromId, toId] = await Promise.all([nodeId(from), nodeId(to)]);
    const last = new Map<string, string>();
    const errors = await underLoad(
      16,
      async (lane, round) => {
        const key = keys[lane + 16 * (round % 4)];
        const value = `${lane}:${round}`;
        check(await rc.set(key, value), 'OK', `SET ${key}`);
        last.set(key, value);
        check(await rc.get(key), value, `GET ${key}`);
      },
      async () => {
        await cluster.cli(
          'reshard',
          '$NODE',
          '--cluster-from',
          fromId,
          '--cluster-to',
          toId,
          '--cluster-slots',
          '300',
          '--cluster-yes',
          '--cluster-pipeline',
          '5',
        );
        await sleep(100);
      },
    );
    expect(errors).toEqual([]);
    expect(await rc.mget([...last.keys()])).toEqual([...last.values()]);
    for (const key of keys) expect((await cluster.masterOf(slotOf(key))).port).toBe(to.port);
    await cluster.waitUntilOk();
  });
});

describe('a master killed', () => {
  it('writes to its slots work again once its replica is promoted; errors are typed, never a redirect', async () => {
    const rc = open({
      client: { commandTimeout: 1_500, connectTimeout: 500, reconnect: { minDelay: 20, maxDelay: 200 } },
    });
    await rc.connect();
    const victim = await cluster.masterOf(slotOf('{kill}'));
    const keys = Array.from({ length: 8 }, (_, i) => [`{kill}:${i}`, `spread:${i}`]).flat();
    let recovered = false;
    const errors = await underLoad(
      16,
      async (lane, round) => {
        const key = keys[lane];
        const value = `${lane}:${round}`;
        check(await rc.set(key, value), 'OK', `SET ${key}`);
        check(await rc.get(key), value, `GET ${key}`);
      },
      async () => {
        await sleep(100);
        await victim.kill('SIGKILL');
        const deadline = Date.now() + 20_000;
        while (!recovered && Date.now() < deadline) {
          recovered = await rc.set('{kill}:probe', 'after').then(
            (reply) => reply === 'OK',
            () => false,
          );
          if (!recovered) await sleep(100);
        }
        await sleep(200);
      },
    );
    expect(recovered).toBe(true);
    const promoted = await cluster.masterOf(slotOf('{kill}'));
    expect(promoted.port).not.toBe(victim.port);
    expect(await promoted.command('GET', '{kill}:probe')).toBe('after');
    for (const error of errors) {
      expect(
        error instanceof ConnectionError || error instanceof TimeoutError || error instanceof ReplyError,
      ).toBe(true);
      expect(error.message).not.toMatch(/MOVED|ASK|CLUSTERDOWN|TRYAGAIN/);
    }
    expect(await rc.get('{kill}:probe')).toBe('after');
  }, 40_000);
});
