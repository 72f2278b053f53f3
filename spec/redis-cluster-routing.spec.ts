/**
 * RedisCluster's routing where a command's keys or its node are not where a plain GET's would be, on one
 * real 3×2 Redis Cluster:
 * - commands whose keys move with their arguments (ZUNIONSTORE, XREAD … STREAMS, LMPOP, SINTERCARD, SORT …
 *   STORE…) run on the master of their one slot, directly, in a pipeline and in multi(); keys in several
 *   slots are refused before anything is sent;
 * - WATCH is refused with advice that works on a RedisCluster (node(url).isolated());
 * - HSCAN, SSCAN and ZSCAN iterators follow their key's slot moved mid-iteration (MIGRATE, SETSLOT … NODE);
 * - quit() lets a command already being redirected (MOVED) or retried (TRYAGAIN) finish first, within
 *   its deadline; disconnect() cuts that wait short, and a command blocked with no timeout is not waited for;
 * - each() and scanIterator() called before connect() load the slot map first;
 * - a seed that accepts connections and never answers does not hold connect().
 * What happened is read from the nodes themselves (INFO commandstats and errorstats).
 */
import { RedisCluster } from '../lib/redis-cluster/redis-cluster';
import { slotOf } from '../lib/redis-cluster/slot';
import {
  ConnectionClosedError,
  ConnectionError,
  InvalidArgumentError,
  ReplyError,
  TimeoutError,
} from '../lib/errors';
import { startRedisCluster, type RedisClusterHarness } from './support/redis-cluster-harness';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import {
  assignSlot,
  clientsPerCase,
  masters,
  migrateKeys,
  resetStats,
  startMove,
  stat,
} from './support/redis-cluster-probes';
import { until } from './support/wait';

let cluster: RedisClusterHarness;
const { open, track } = clientsPerCase(() => cluster);

beforeAll(async () => {
  cluster = await startRedisCluster(3, 1);
}, 40_000);

afterAll(async () => {
  await stopAll();
});

/** A master other than the one serving `slot` now. */
async function otherMaster(slot: number): Promise<[source: RedisProcess, target: RedisProcess]> {
  const source = await cluster.masterOf(slot);
  const target = (await masters(cluster)).find((node) => node !== source) as RedisProcess;
  return [source, target];
}

/** Moves every remaining key of `slot` to target, then gives it the slot on every master. */
async function finishMove(slot: number, source: RedisProcess, target: RedisProcess): Promise<void> {
  await migrateKeys(slot, source, target);
  await assignSlot(cluster, slot, target);
  await cluster.waitUntilOk();
}

/** The whole move of `slot`, keys included, behind the client's back (it refreshes nothing by itself). */
async function moveSlot(slot: number): Promise<[source: RedisProcess, target: RedisProcess]> {
  const [source, target] = await otherMaster(slot);
  await startMove(slot, source, target);
  await finishMove(slot, source, target);
  return [source, target];
}

/**
 * `{tag}a` and `{tag}b` written through `rc`, then their slot MIGRATING with `a` moved already: an MGET
 * of both meets TRYAGAIN until finishMove().
 */
async function splitPair(
  rc: RedisCluster,
  tag: string,
): Promise<{ a: string; b: string; slot: number; source: RedisProcess; target: RedisProcess }> {
  const [a, b] = [`{${tag}}a`, `{${tag}}b`];
  const slot = slotOf(a);
  expect(await rc.mset({ [a]: 'A', [b]: 'B' })).toBe('OK');
  const [source, target] = await otherMaster(slot);
  await startMove(slot, source, target);
  await migrateKeys(slot, source, target, [a]);
  return { a, b, slot, source, target };
}

describe('commands whose keys move with their arguments', () => {
  it('run on the master of their one slot, called directly or by their methods', async () => {
    const rc = open();
    await rc.connect();
    const master = await cluster.masterOf(slotOf('{mv}'));
    await resetStats(await masters(cluster));
    expect(await rc.zadd('{mv}a', 1, 'x', 2, 'y')).toBe(2);
    expect(await rc.zadd('{mv}b', 10, 'y', 20, 'z')).toBe(2);
    expect(await rc.zunionstore('{mv}dst', 2, '{mv}a', '{mv}b')).toBe(3);
    expect(await rc.call('ZRANGE', '{mv}dst', 0, -1, 'WITHSCORES')).toEqual(['x', '1', 'y', '12', 'z', '20']);
    expect(await rc.call('ZINTER', 2, '{mv}a', '{mv}b', 'WITHSCORES')).toEqual(['y', '12']);
    expect(await rc.call('ZUNION', 2, '{mv}a', '{mv}b')).toEqual(['x', 'y', 'z']);
    expect(await rc.call('ZINTERCARD', 2, '{mv}a', '{mv}b')).toBe(1);
    expect(await rc.call('ZMPOP', 2, '{mv}none', '{mv}a', 'MIN')).toEqual(['{mv}a', [['x', '1']]]);

    expect(await rc.call('XADD', '{mv}s', '1-1', 'f', 'v1')).toBe('1-1');
    expect(await rc.call('XADD', '{mv}s', '1-2', 'f', 'v2')).toBe('1-2');
    expect(await rc.call('XREAD', 'COUNT', 1, 'STREAMS', '{mv}s', '0')).toEqual([
      ['{mv}s', [['1-1', ['f', 'v1']]]],
    ]);
    expect(await rc.call('XGROUP', 'CREATE', '{mv}s', 'g', '0')).toBe('OK');
    expect(await rc.call('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 5, 'STREAMS', '{mv}s', '>')).toEqual([
      [
        '{mv}s',
        [
          ['1-1', ['f', 'v1']],
          ['1-2', ['f', 'v2']],
        ],
      ],
    ]);
    // A blocking read with data waiting answers at once, through the same routing.
    expect(await rc.call('XREAD', 'BLOCK', 1_000, 'STREAMS', '{mv}s', '1-1')).toEqual([
      ['{mv}s', [['1-2', ['f', 'v2']]]],
    ]);

    expect(await rc.rpush('{mv}l2', 'p', 'q')).toBe(2);
    expect(await rc.call('LMPOP', 2, '{mv}l1', '{mv}l2', 'LEFT')).toEqual(['{mv}l2', ['p']]);
    expect(await rc.call('BLMPOP', 1, 2, '{mv}l1', '{mv}l2', 'RIGHT')).toEqual(['{mv}l2', ['q']]);

    expect(await rc.sadd('{mv}s1', 'a', 'b', 'c')).toBe(3);
    expect(await rc.sadd('{mv}s2', 'b', 'c', 'd')).toBe(3);
    expect(await rc.sintercard(2, '{mv}s1', '{mv}s2')).toBe(2);
    expect(await rc.call('SINTERCARD', 2, '{mv}s1', '{mv}s2', 'LIMIT', 1)).toBe(1);

    expect(await rc.rpush('{mv}n', 3, 1, 2)).toBe(3);
    expect(await rc.sort('{mv}n', 'STORE', '{mv}sorted')).toBe(3);
    expect(await rc.call('LRANGE', '{mv}sorted', 0, -1)).toEqual(['1', '2', '3']);
    expect(await rc.call('SORT_RO', '{mv}n', 'DESC')).toEqual(['3', '2', '1']);
    expect(await rc.call('EVAL', "return redis.call('GET', KEYS[1])", 1, '{mv}nothing')).toBeNull();

    // Each ran once, on the slot's master: nothing was refused, nothing redirected.
    for (const [command, times] of [
      ['zunionstore', 1],
      ['zinter', 1],
      ['zmpop', 1],
      ['xread', 2],
      ['xreadgroup', 1],
      ['lmpop', 1],
      ['blmpop', 1],
      ['sintercard', 2],
      ['sort', 1],
      ['sort_ro', 1],
    ] as const) {
      expect([command, await stat(master, `cmdstat_${command}`)]).toEqual([command, times]);
    }
    for (const node of await masters(cluster)) {
      expect(await stat(node, 'errorstat_MOVED')).toBe(0);
      expect(await stat(node, 'errorstat_CROSSSLOT')).toBe(0);
    }
  }, 20_000);

  it('run in a pipeline and in multi() on the slot of their keys', async () => {
    const rc = open();
    await rc.connect();
    await rc.call('DEL', '{tx}a', '{tx}b', '{tx}dst', '{tx}s', '{tx}l1', '{tx}l2', '{tx}s1', '{tx}s2');
    const replies = await rc
      .multi()
      .zadd('{tx}a', 1, 'x')
      .zadd('{tx}b', 2, 'x', 3, 'y')
      .zunionstore('{tx}dst', 2, '{tx}a', '{tx}b')
      .call('ZRANGE', '{tx}dst', 0, -1, 'WITHSCORES')
      .call('XADD', '{tx}s', '5-1', 'f', 'v')
      .call('XREAD', 'COUNT', 1, 'STREAMS', '{tx}s', '0')
      .rpush('{tx}l2', 'e')
      .call('LMPOP', 2, '{tx}l1', '{tx}l2', 'LEFT')
      .sadd('{tx}s1', 'a', 'b')
      .sadd('{tx}s2', 'b')
      .sintercard(2, '{tx}s1', '{tx}s2')
      .exec();
    expect(replies).toEqual([
      1,
      2,
      2,
      ['x', '3', 'y', '3'],
      '5-1',
      [['{tx}s', [['5-1', ['f', 'v']]]]],
      1,
      ['{tx}l2', ['e']],
      2,
      1,
      1,
    ]);

    const piped = await rc
      .pipeline()
      .call('ZUNION', 2, '{tx}a', '{tx}b', 'WITHSCORES')
      .call('XREAD', 'STREAMS', '{tx}s', '0')
      .call('SINTERCARD', 2, '{tx}s1', '{tx}s2')
      .call('ZUNION', 2, '{one}a', '{two}b')
      .exec();
    expect(piped.slice(0, 3)).toEqual([['x', '3', 'y', '3'], [['{tx}s', [['5-1', ['f', 'v']]]]], 1]);
    expect(piped[3]).toBeInstanceOf(InvalidArgumentError);
  }, 20_000);

  it('keep a value spelled like a token (a member "store", a group "streams") a value, as Redis does', async () => {
    const rc = open();
    await rc.connect();
    expect(await rc.call('GEOADD', '{tok}g', 13.361389, 38.115556, 'store', 15.087269, 37.502669, 'b')).toBe(
      2,
    );
    expect(await rc.call('GEORADIUSBYMEMBER', '{tok}g', 'store', 500, 'km', 'ASC')).toEqual(['store', 'b']);
    expect(await rc.call('GEORADIUSBYMEMBER', '{tok}g', 'store', 500, 'km', 'STORE', '{tok}near')).toBe(2);
    expect(await rc.call('ZCARD', '{tok}near')).toBe(2);
    expect(await rc.call('RPUSH', '{tok}l', 'b', 'a')).toBe(2);
    expect(await rc.call('SORT', '{tok}l', 'BY', 'store', 'ALPHA')).toEqual(['b', 'a']);
    expect(await rc.call('XADD', '{tok}x', '1-1', 'f', 'v')).toBe('1-1');
    expect(await rc.call('XGROUP', 'CREATE', '{tok}x', 'streams', '0')).toBe('OK');
    expect(await rc.call('XREADGROUP', 'GROUP', 'streams', 'STREAMS', 'STREAMS', '{tok}x', '>')).toEqual([
      ['{tok}x', [['1-1', ['f', 'v']]]],
    ]);
  }, 20_000);

  it('in different slots are refused with a typed error before anything is sent', async () => {
    const rc = open();
    await rc.connect();
    const all = await masters(cluster);
    expect(slotOf('{one}a')).not.toBe(slotOf('{two}b'));
    await resetStats(all);
    const crossSlot = /the keys of \w+ are in different slots/;
    await expect(rc.zunionstore('{one}dst', 2, '{one}a', '{two}b')).rejects.toThrow(crossSlot);
    await expect(rc.call('XREAD', 'STREAMS', '{one}s', '{two}s', '0', '0')).rejects.toThrow(crossSlot);
    await expect(rc.call('LMPOP', 2, '{one}l', '{two}l', 'LEFT')).rejects.toThrow(InvalidArgumentError);
    await expect(rc.sintercard(2, '{one}s', '{two}s')).rejects.toThrow(InvalidArgumentError);
    await expect(rc.sort('{one}n', 'STORE', '{two}n')).rejects.toThrow(InvalidArgumentError);
    await expect(
      rc.multi().call('ZUNION', 2, '{one}a', '{one}b').call('ZUNION', 2, '{two}a', '{two}b').exec(),
    ).rejects.toThrow(/the keys of this transaction are in different slots/);
    // Keys that cannot be found from the arguments: refused, not guessed.
    await expect(rc.call('LMPOP', 3, '{one}l', 'LEFT')).rejects.toThrow(/cannot tell which keys LMPOP uses/);
    for (const node of all) {
      for (const command of [
        'zunionstore',
        'xread',
        'lmpop',
        'sintercard',
        'sort',
        'zunion',
        'multi',
        'exec',
      ]) {
        expect([node.port, command, await stat(node, `cmdstat_${command}`)]).toEqual([node.port, command, 0]);
      }
    }
  }, 20_000);
});

describe('WATCH on a RedisCluster', () => {
  it('is refused with advice that works here: the isolated() of the Client of its slot’s master', async () => {
    const rc = open();
    await rc.connect();
    const key = '{watch}balance';
    const slot = slotOf(key);
    const url = rc
      .nodes()
      .find((node) => node.role === 'master' && node.slots.some(([a, b]) => slot >= a && slot <= b))?.url;
    expect(url).toBeDefined();
    const refusals = [
      await rc.watch(key).catch((error: unknown) => error),
      await rc.call('WATCH', key).catch((error: unknown) => error),
      (await rc.pipeline().watch(key).exec())[0],
    ];
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(InvalidArgumentError);
      const message = (refusal as Error).message;
      expect(message).toContain(`node('${url}').isolated(`);
      // Never a bare isolated(): RedisCluster has none.
      expect(message.replace(/node\('[^']*'\)\.isolated\(|node\(url\)\.isolated\(/g, '')).not.toMatch(
        /isolated\(/,
      );
    }
    const unwatch = await rc.unwatch().catch((error: unknown) => error);
    expect(unwatch).toBeInstanceOf(InvalidArgumentError);
    expect((unwatch as Error).message).toContain('node(url).isolated(');
    expect('isolated' in rc).toBe(false);
    const inMulti = await rc
      .multi()
      .watch(key)
      .set(key, '1')
      .exec()
      .catch((error: unknown) => error);
    expect(inMulti).toBeInstanceOf(InvalidArgumentError);
    expect((inMulti as Error).message).not.toMatch(/use isolated\(\)/);
    // The advice, followed, works.
    await rc.set(key, '10');
    const result = await rc.node(url as string).isolated(async (connection) => {
      await connection.watch(key);
      const balance = Number(await connection.get(key));
      return connection
        .multi()
        .set(key, String(balance - 3))
        .exec();
    });
    expect(result).toEqual(['OK']);
    expect(await rc.get(key)).toBe('7');
  }, 20_000);
});

describe('SELECT on a RedisCluster', () => {
  it('is refused, saying a cluster has database 0 only, directly, in a pipeline and in multi(), and nothing is sent', async () => {
    const rc = open();
    await rc.connect();
    const nodes = await masters(cluster);
    await resetStats(nodes);
    const message = 'SELECT is refused: a Redis Cluster serves database 0 only, on every node';
    const direct = await rc.select(1).catch((error: unknown) => error);
    expect(direct).toBeInstanceOf(InvalidArgumentError);
    expect((direct as Error).message).toBe(message);
    const called = await rc.call('select', '1').catch((error: unknown) => error);
    expect((called as Error).message).toBe(message);
    const [pipelined] = await rc.pipeline().select(1).exec();
    expect(pipelined).toBeInstanceOf(InvalidArgumentError);
    expect((pipelined as Error).message).toBe(message);
    const inMulti = await rc
      .multi()
      .set('{select}k', '1')
      .select(1)
      .exec()
      .catch((error: unknown) => error);
    expect(inMulti).toBeInstanceOf(InvalidArgumentError);
    expect((inMulti as Error).message).toBe(message);
    for (const node of nodes) expect(await stat(node, 'cmdstat_select')).toBe(0);
    expect(await stat(await cluster.masterOf(slotOf('{select}k')), 'cmdstat_set')).toBe(0);
  }, 20_000);
});

describe('HSCAN, SSCAN and ZSCAN iterators', () => {
  it('follow their key’s slot moved to another master mid-iteration: every element comes, no error', async () => {
    const rc = open();
    await rc.connect();
    const [hash, set, zset] = ['{scanmove}h', '{scanmove}s', '{scanmove}z'];
    const slot = slotOf(hash);
    const count = 600;
    const fields = Array.from({ length: count }, (_, i) => `f${i}`);
    expect(await rc.call('HSET', hash, ...fields.flatMap((field, i) => [field, `v${i}`]))).toBe(count);
    expect(await rc.call('SADD', set, ...fields)).toBe(count);
    expect(await rc.call('ZADD', zset, ...fields.flatMap((field, i) => [i, field]))).toBe(count);

    const hashes = rc.hscanIterator(hash, { count: 10 });
    const sets = rc.sscanIterator(set, { count: 10 });
    const zsets = rc.zscanIterator(zset, { count: 10 });
    const seenHash = new Map<string, string>();
    const seenSet = new Set<string>();
    const seenZset = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const pair = await hashes.next();
      const member = await sets.next();
      const scored = await zsets.next();
      if (pair.done === true || member.done === true || scored.done === true) throw new Error('too short');
      seenHash.set(pair.value[0], pair.value[1]);
      seenSet.add(member.value);
      seenZset.set(scored.value.member, scored.value.score);
    }
    // Each has had pages from the source and holds one of its cursors.

    const [source, target] = await moveSlot(slot);
    expect(await source.command('EXISTS', hash, set, zset)).toEqual(expect.any(ReplyError));
    expect(await target.command('EXISTS', hash, set, zset)).toBe(3);
    await resetStats([source, target]);

    // Seen after the move only: each iterator started over on the target, so this is every element, the
    // 50 seen before the move included. Going on from the source's cursor would have skipped some.
    const afterHash = new Map<string, string>();
    const afterSet = new Set<string>();
    const afterZset = new Map<string, number>();
    for await (const [field, value] of hashes) afterHash.set(field, value);
    for await (const member of sets) afterSet.add(member);
    for await (const { member, score } of zsets) afterZset.set(member, score);
    expect(afterHash).toEqual(new Map(fields.map((field, i) => [field, `v${i}`])));
    expect(afterSet).toEqual(new Set(fields));
    expect(afterZset).toEqual(new Map(fields.map((field, i) => [field, i])));
    for (const [field, value] of seenHash) expect(afterHash.get(field)).toBe(value);
    for (const member of seenSet) expect(afterSet.has(member)).toBe(true);
    for (const [member, score] of seenZset) expect(afterZset.get(member)).toBe(score);
    // The first page after the move met MOVED, which taught the client the slot's new master; the other
    // two iterators went there at once.
    expect(await stat(source, 'errorstat_MOVED')).toBe(1);
    for (const command of ['hscan', 'sscan', 'zscan']) {
      expect(await stat(target, `cmdstat_${command}`)).toBeGreaterThan(0);
    }
  }, 30_000);
});

describe('quit()', () => {
  it('lets a command that met MOVED in the same tick finish on the new master', async () => {
    const rc = open();
    await rc.connect();
    const key = '{quitmoved}k';
    expect(await rc.set(key, 'moved-value')).toBe('OK');
    const [source, target] = await moveSlot(slotOf(key));
    await resetStats([source, target]);
    const reply = rc.get(key);
    const quitting = rc.quit();
    expect(await reply).toBe('moved-value');
    await quitting;
    expect(await stat(source, 'errorstat_MOVED')).toBe(1);
    expect(await stat(target, 'cmdstat_get')).toBe(1);
    // Closed to new commands from quit() on.
    await expect(rc.get(key)).rejects.toThrow(ConnectionClosedError);
    expect(rc.nodes().every((node) => node.up === false)).toBe(true);
  }, 30_000);

  it('lets a command waiting out TRYAGAIN finish once the migration completes', async () => {
    const rc = open({ client: { commandTimeout: 10_000 } });
    await rc.connect();
    const { a, b, slot, source, target } = await splitPair(rc, 'quittry');
    await resetStats([source, target]);
    let settled = false;
    const reply = rc.mget([a, b]).finally(() => {
      settled = true;
    });
    await until(
      'two TRYAGAIN on the source',
      async () => (await stat(source, 'errorstat_TRYAGAIN')) >= 2,
      10_000,
      10,
    );
    let quit = false;
    const quitting = rc.quit().then(() => {
      quit = true;
    });
    await until(
      'another TRYAGAIN after quit()',
      async () => (await stat(source, 'errorstat_TRYAGAIN')) >= 4,
      10_000,
      10,
    );
    expect([settled, quit]).toEqual([false, false]);
    await finishMove(slot, source, target);
    expect(await reply).toEqual(['A', 'B']);
    await quitting;
    expect(await stat(target, 'cmdstat_mget')).toBe(1);
  }, 30_000);

  it('waits for a retry no longer than its deadline', async () => {
    const rc = open({ client: { commandTimeout: 500 } });
    await rc.connect();
    const { a, b, slot, source, target } = await splitPair(rc, 'quitlate');
    try {
      const reply = rc.mget([a, b]).catch((error: unknown) => error);
      const quitting = rc.quit();
      const error = await reply;
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message).toMatch(/split between two nodes/);
      await quitting;
    } finally {
      await finishMove(slot, source, target);
    }
  }, 30_000);

  it('ends its wait at disconnect(): the command rejects with ConnectionClosedError, and quit() resolves', async () => {
    const rc = open({ client: { commandTimeout: 10_000 } });
    await rc.connect();
    const { a, b, slot, source, target } = await splitPair(rc, 'quitcut');
    try {
      await resetStats([source]);
      const reply = rc.mget([a, b]).catch((error: unknown) => error);
      await until('a TRYAGAIN', async () => (await stat(source, 'errorstat_TRYAGAIN')) >= 1, 10_000, 10);
      const quitting = rc.quit();
      rc.disconnect();
      expect(await reply).toBeInstanceOf(ConnectionClosedError);
      await quitting;
    } finally {
      await finishMove(slot, source, target);
    }
  }, 30_000);

  it('does not wait for a command blocked with no timeout: closing its node ends it, as on a Client', async () => {
    const rc = open();
    await rc.connect();
    const key = '{quitblock}list';
    const master = await cluster.masterOf(slotOf(key));
    const blocked = rc.call('BLPOP', key, 0).catch((error: unknown) => error);
    await until('BLPOP blocked on the master', async () =>
      /blocked_clients:[1-9]/.test(String(await master.command('INFO', 'clients'))),
    );
    await rc.quit();
    expect(await blocked).toBeInstanceOf(ConnectionClosedError);
  }, 20_000);
});

describe('before connect()', () => {
  it('each() and scanIterator() load the slot map first, as a keyed command does, instead of finding no master', async () => {
    const writer = open();
    const prefix = `early:${Date.now()}:`;
    const keys = Array.from({ length: 40 }, (_, i) => `${prefix}${i}`);
    for (const key of keys) expect(await writer.set(key, 'v')).toBe('OK');

    const fresh = open();
    const outcomes = await fresh.each('PING');
    // One outcome per master, in nodes() order: before the fix, none at all.
    expect(outcomes.map((outcome) => outcome.url).sort()).toEqual(
      (await masters(cluster)).map((node) => node.url).sort(),
    );
    expect(outcomes.map((outcome) => outcome.reply)).toEqual(['PONG', 'PONG', 'PONG']);

    const scanned: string[] = [];
    for await (const key of open().scanIterator({ match: `${prefix}*`, count: 100 })) scanned.push(key);
    expect(scanned.sort()).toEqual([...keys].sort());
  }, 20_000);
});

describe('seeds', () => {
  it('a seed that accepts connections and never answers does not hold connect() at all', async () => {
    // A paused redis-server: the kernel accepts the connection, nothing ever answers it.
    const silent = await startRedis();
    silent.pause();
    try {
      const rc = new RedisCluster({
        seeds: [silent.url, ...cluster.seeds],
        refreshInterval: 0,
        // No connect deadline, no stall detector: asked one after the other, the silent seed would hold
        // connect() for good.
        client: { connectTimeout: 0, stallTimeout: 0 },
      });
      track(rc);
      await rc.connect();
      const key = `{seeds}${Date.now()}`;
      expect(await rc.set(key, 'v')).toBe('OK');
      expect(await rc.get(key)).toBe('v');
      expect(rc.nodes().map((node) => node.url)).not.toContain(silent.url);
    } finally {
      silent.resume();
    }
  }, 20_000);

  it('when no seed answers, connect() rejects naming each one', async () => {
    const silent = await startRedis();
    silent.pause();
    const closedPort = await startRedis();
    await closedPort.stop();
    try {
      const rc = new RedisCluster({
        seeds: [silent.url, closedPort.url],
        refreshInterval: 0,
        client: { connectTimeout: 300, reconnect: false },
      });
      track(rc);
      const error = await rc.connect().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectionError);
      const message = (error as Error).message;
      expect(message).toMatch(/^no node answered CLUSTER SHARDS or CLUSTER SLOTS: /);
      for (const server of [silent, closedPort]) expect(message).toContain(`127.0.0.1:${server.port}: `);
    } finally {
      silent.resume();
    }
  }, 20_000);
});
