/**
 * Scripts and functions on real redis-servers: Script's EVALSHA → EVAL fallback after SCRIPT FLUSH on a
 * Client, in a pipeline and in a transaction; read-only scripts; binary arguments; script replies
 * identical under RESP2 and RESP3; FCALL/FCALL_RO and the FUNCTION and SCRIPT replies; a Cluster
 * routing scripts to the shard of their key, checked on the servers themselves.
 */
import { Client } from '../lib/client';
import { Script } from '../lib/client/script';
import { Cluster } from '../lib/cluster/cluster';
import { InvalidArgumentError, ReplyError } from '../lib/errors';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';

const track = cleanupAfterEachTest();

let server: RedisProcess;
/** cluster servers[replica][shard], 2 x 2 */
let servers: RedisProcess[][];

beforeAll(async () => {
  const started = await Promise.all(Array.from({ length: 5 }, () => startRedis()));
  server = started[0];
  servers = [started.slice(1, 3), started.slice(3, 5)];
});

beforeEach(async () => {
  await Promise.all(
    [server, ...servers.flat()].map(async (each) => {
      await each.command('FLUSHALL');
      await each.command('SCRIPT', 'FLUSH');
      await each.command('FUNCTION', 'FLUSH');
      await each.command('CONFIG', 'RESETSTAT');
    }),
  );
});

async function connected(protocol?: 2 | 3): Promise<Client> {
  const client = track(new Client(server.url, protocol === undefined ? {} : { protocol }));
  await client.connect();
  return client;
}

/** calls of one command on `on`, from INFO commandstats (0 when it never ran). */
async function calls(on: RedisProcess, command: string): Promise<number> {
  const info = String(await on.command('INFO', 'commandstats'));
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return match === null ? 0 : Number(match[1]);
}

// Adds ARGV[1] to KEYS[1] and returns { new value, the key's name }: a write whose result shows it ran once.
const INCR_SOURCE = "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) return {n, KEYS[1]}";

describe('Script on a Client', () => {
  it('computes the sha1 locally, the same as SCRIPT LOAD', async () => {
    const client = await connected();
    const script = new Script(INCR_SOURCE);
    expect(await client.scriptLoad(INCR_SOURCE)).toBe(script.sha1);
    expect(script.sha1).toMatch(/^[0-9a-f]{40}$/);
  });

  it('falls back to EVAL after SCRIPT FLUSH, then runs by sha1 again', async () => {
    const client = await connected();
    const script = new Script(INCR_SOURCE);
    expect(await client.scriptExists(script.sha1)).toEqual([false]);
    expect(await script.run(client, ['counter:a'], [5])).toEqual([5, 'counter:a']);
    expect(await client.scriptExists(script.sha1)).toEqual([true]);
    expect(await calls(server, 'evalsha')).toBe(1);
    expect(await calls(server, 'eval')).toBe(1);

    expect(await script.run(client, ['counter:a'], [2])).toEqual([7, 'counter:a']);
    expect(await calls(server, 'evalsha')).toBe(2);
    expect(await calls(server, 'eval')).toBe(1);

    await client.scriptFlush();
    expect(await script.run(client, ['counter:a'], [1])).toEqual([8, 'counter:a']);
    expect(await calls(server, 'eval')).toBe(2);
    expect(await server.command('GET', 'counter:a')).toBe('8');
  });

  it('passes an error reply of the script through, without retrying it', async () => {
    const client = await connected();
    const script = new Script("return redis.error_reply('MINE went wrong')");
    const error = await script.run(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReplyError);
    expect((error as ReplyError).code).toBe('MINE');
    expect(await calls(server, 'eval')).toBe(1);
  });

  it('runs a readOnly script as EVALSHA_RO / EVAL_RO, where writes are refused', async () => {
    const client = await connected();
    await client.set('ro:key', 'ro-value');
    const read = new Script("return redis.call('GET', KEYS[1])", { readOnly: true });
    expect(await read.run(client, ['ro:key'])).toBe('ro-value');
    expect(await read.run(client, ['ro:key'])).toBe('ro-value');
    expect(await calls(server, 'evalsha_ro')).toBe(2);
    expect(await calls(server, 'eval_ro')).toBe(1);
    expect(await calls(server, 'eval')).toBe(0);

    const write = new Script("return redis.call('SET', KEYS[1], 'x')", { readOnly: true });
    await expect(write.run(client, ['ro:other'])).rejects.toThrow(/Write commands are not allowed/);
    expect(await server.command('EXISTS', 'ro:other')).toBe(0);
  });

  it('passes binary keys and arguments byte for byte, and runBuffer keeps the reply as bytes', async () => {
    const client = await connected();
    const key = Buffer.from([0x6b, 0x00, 0xff, 0x80]);
    const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const script = new Script("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");
    const reply = await script.runBuffer(client, [key], [value]);
    expect(Buffer.isBuffer(reply) && reply.equals(value)).toBe(true);
    const stored = await client.getBuffer(key);
    expect(stored?.equals(value)).toBe(true);
  });

  it('rejects keys that are not an array before sending anything', async () => {
    const client = await connected();
    const script = new Script('return 1');
    await expect(script.run(client, ['k'], [{} as unknown as string])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(script.run(client, 'k' as unknown as string[])).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await calls(server, 'evalsha')).toBe(0);
  });
});

describe('Script in a Pipeline and a Transaction', () => {
  it('runs in its own slot after SCRIPT FLUSH, seen by the commands recorded after it', async () => {
    const client = await connected();
    const script = new Script(INCR_SOURCE);
    await script.run(client, ['counter:p'], [1]);
    await client.scriptFlush();
    const pipeline = client.pipeline().set('counter:p', '10');
    script.run(pipeline, ['counter:p'], [5]).get('counter:p');
    script.run(pipeline, ['counter:p'], [1]);
    expect(await pipeline.exec()).toEqual(['OK', [15, 'counter:p'], '15', [16, 'counter:p']]);
    // EVAL cached it again: a Client's next run goes by sha1 alone.
    const before = await calls(server, 'eval');
    expect(await script.run(client, ['counter:p'], [1])).toEqual([17, 'counter:p']);
    expect(await calls(server, 'eval')).toBe(before);
  });

  it('runs inside MULTI after SCRIPT FLUSH', async () => {
    const client = await connected();
    const script = new Script(INCR_SOURCE);
    const transaction = client.multi().set('counter:t', '1');
    script.run(transaction, ['counter:t'], [2]).incr('counter:t');
    expect(await transaction.exec()).toEqual(['OK', [3, 'counter:t'], 4]);
  });

  it('records a readOnly script as EVAL_RO, and a script error stays in its slot', async () => {
    const client = await connected();
    await client.set('ro:p', 'v');
    const read = new Script("return redis.call('GET', KEYS[1])", { readOnly: true });
    const failing = new Script("return redis.error_reply('OOPS slot')");
    const pipeline = client.pipeline();
    read.run(pipeline, ['ro:p']);
    failing.run(pipeline);
    read.runBuffer(pipeline, ['ro:p']);
    const [text, error, bytes] = await pipeline.exec();
    expect(text).toBe('v');
    expect(error).toBeInstanceOf(ReplyError);
    expect(bytes).toEqual(Buffer.from('v'));
    expect(await calls(server, 'eval_ro')).toBe(2);
  });
});

describe('script replies are the same under RESP2 and RESP3', () => {
  const shapes = [
    ['nested tables, booleans and nil', 'return {1, "two", {3, false, true}, false}'],
    [
      'a RESP3 map and set from redis.call',
      "redis.setresp(3) return {redis.call('HGETALL', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}",
    ],
    ['RESP3 booleans', 'redis.setresp(3) return {true, false}'],
    ['a status reply', "return redis.status_reply('FINE')"],
  ] as const;

  it.each(shapes)('%s', async (_, source) => {
    const [two, three] = await Promise.all([connected(2), connected(3)]);
    await two.hset('shape:h', 'field', 'value');
    await two.sadd('shape:s', 'only');
    const script = new Script(source);
    const replies = await Promise.all(
      [two, three].map((client) => script.run(client, ['shape:h', 'shape:s'])),
    );
    expect(replies[1]).toEqual(replies[0]);
  });

  it('maps Lua values as documented', async () => {
    const client = await connected(3);
    await client.hset('shape:h', 'field', 'value');
    const script = new Script(
      "redis.setresp(3) return {1, 'two', {true, false}, redis.call('HGETALL', KEYS[1]), false}",
    );
    expect(await script.run(client, ['shape:h'])).toEqual([1, 'two', [1, 0], ['field', 'value'], 0]);
  });
});

describe('EVAL and FCALL methods', () => {
  const LIBRARY = [
    '#!lua name=respline_lib',
    "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)",
    "redis.register_function{function_name='peek', callback=function(keys, args) return {keys[1], redis.call('GET', keys[1]), #args} end, flags={'no-writes'}, description='reads a key'}",
  ].join('\n');

  it('loads a library and calls its functions, in the friendly and in Redis’s own spelling', async () => {
    const client = await connected();
    expect(await client.functionLoad(LIBRARY)).toBe('respline_lib');
    expect(await client.fcall('bump', ['fn:n'], [4])).toBe(4);
    expect(await client.fcall('bump', 1, 'fn:n', 3)).toBe(7);
    expect(await client.fcallRo('peek', ['fn:n'])).toEqual(['fn:n', '7', 0]);
    expect(await client.fcallRo('peek', 1, 'fn:n', 'a', 'b')).toEqual(['fn:n', '7', 2]);
    await expect(client.fcallRo('bump', ['fn:n'], [1])).rejects.toThrow(/write flag using \*_ro/);
    expect(await calls(server, 'fcall')).toBe(2);
    // The refused call counts as a (failed) call too.
    expect(await calls(server, 'fcall_ro')).toBe(3);
  });

  it('lists libraries and functions as typed objects, the same under RESP2 and RESP3', async () => {
    const [two, three] = await Promise.all([connected(2), connected(3)]);
    await two.functionLoad(LIBRARY);
    const expected = [
      {
        libraryName: 'respline_lib',
        engine: 'LUA',
        functions: expect.arrayContaining([
          { name: 'bump', description: null, flags: [] },
          { name: 'peek', description: 'reads a key', flags: ['no-writes'] },
        ]),
      },
    ];
    for (const client of [two, three]) {
      const list = await client.functionList();
      expect(list).toEqual(expected);
      expect(list[0].functions).toHaveLength(2);
      expect(list[0].libraryCode).toBeUndefined();
      const withCode = await client.functionList('WITHCODE');
      expect(withCode[0].libraryCode).toBe(LIBRARY);
      expect(await client.function('LIST')).toEqual(list);
      expect(await client.functionStats()).toEqual({
        runningScript: null,
        engines: { LUA: { librariesCount: 1, functionsCount: 2 } },
      });
    }
  });

  it('FUNCTION STATS names the function running, and FUNCTION KILL stops it', async () => {
    const spinner = await connected(3);
    const watcher = await connected(2);
    await watcher.configSet('busy-reply-threshold', '20');
    await watcher.functionLoad(
      "#!lua name=spin\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}",
    );
    const spinning = spinner.fcallRo('spin', ['spin:key'], ['spin-arg']).catch((error: unknown) => error);
    try {
      let stats = await watcher.functionStats();
      // Asked while the server was still between commands: ask again once the function has started.
      for (let asked = 1; stats.runningScript === null && asked < 1_000; asked++) {
        stats = await watcher.functionStats();
      }
      expect(stats.runningScript).toEqual({
        name: 'spin',
        command: ['FCALL_RO', 'spin', '1', 'spin:key', 'spin-arg'],
        durationMs: expect.any(Number),
      });
      expect(await watcher.functionKill()).toBe('OK');
    } finally {
      await watcher.functionKill().catch(() => undefined);
      // Until the killed function has returned, the server answers everything else with BUSY.
      await spinning;
      await watcher.configSet('busy-reply-threshold', '5000');
    }
    const outcome = await spinning;
    expect(outcome).toBeInstanceOf(ReplyError);
    expect(String((outcome as Error).message)).toMatch(/killed/i);
  });

  it('dumps and restores functions as bytes; flushes and deletes', async () => {
    const client = await connected();
    await client.functionLoad(LIBRARY);
    const dump = await client.functionDumpBuffer();
    expect(Buffer.isBuffer(dump)).toBe(true);
    expect(await client.functionFlush()).toBe('OK');
    expect(await client.functionList()).toEqual([]);
    expect(await client.functionRestore(dump)).toBe('OK');
    expect((await client.functionList()).map((library) => library.libraryName)).toEqual(['respline_lib']);
    expect(await client.functionDelete('respline_lib')).toBe('OK');
    expect(await client.functionList()).toEqual([]);
  });

  it('evals in both spellings, and SCRIPT EXISTS answers booleans', async () => {
    const client = await connected();
    expect(await client.eval('return {KEYS[1], ARGV[1]}', ['k1'], ['a1'])).toEqual(['k1', 'a1']);
    expect(await client.eval('return {KEYS[1], KEYS[2], ARGV[1]}', 2, 'k1', 'k2', 'a1')).toEqual([
      'k1',
      'k2',
      'a1',
    ]);
    expect(await client.eval('return #KEYS + #ARGV')).toBe(0);
    const sha = await client.scriptLoad('return ARGV[1]');
    expect(await client.evalsha(sha, [], ['x'])).toBe('x');
    expect(await client.evalshaRo(sha, 0, 'y')).toBe('y');
    expect(await client.evalRo('return ARGV[1]', [], ['z'])).toBe('z');
    expect(await client.scriptExists(sha, 'f'.repeat(40))).toEqual([true, false]);
    expect(await client.script('EXISTS', sha)).toEqual([true]);
  });

  it('refuses malformed calls before sending them', async () => {
    const client = await connected();
    await expect(client.fcall('fn', 'two' as unknown as number)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.fcall('fn', 2, 'only-one')).rejects.toThrow(/numkeys is 2, but only 1/);
    await expect(client.fcall('fn', [1 as unknown as string])).rejects.toThrow(/keys must be strings/);
    await expect(client.eval(7 as unknown as string, [])).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await calls(server, 'fcall')).toBe(0);
    expect(await calls(server, 'eval')).toBe(0);
  });
});

describe('Script on a Cluster (2 replicas x 2 shards)', () => {
  async function cluster(): Promise<Cluster> {
    const made = new Cluster({
      replicas: servers.map((row) => row.map((each) => each.url)),
      writeAck: 'all',
      client: { commandTimeout: 5_000 },
    });
    await made.connect();
    afterCleanup.push(made);
    return made;
  }
  const afterCleanup: Cluster[] = [];
  afterEach(async () => {
    await Promise.all(afterCleanup.splice(0).map((made) => made.quit()));
  });

  /** A key on each shard. */
  function keysByShard(made: Cluster): string[] {
    const found: string[] = [];
    for (let i = 0; found.length < 2; i++) {
      const key = `script:${i}`;
      if (made.shardOf(key) === found.length) found.push(key);
    }
    return found;
  }

  it('writes to every replica of the key’s shard and to no other server, even where one lost its cache', async () => {
    const made = await cluster();
    const script = new Script(INCR_SOURCE);
    const [zero, one] = keysByShard(made);
    // Only replica 1 of shard 1 knows the script: EVALSHA would run it there and nowhere else.
    await servers[1][1].command('SCRIPT', 'LOAD', INCR_SOURCE);
    expect(await script.run(made, [one], [3])).toEqual([3, one]);
    expect(await script.run(made, [zero], [9])).toEqual([9, zero]);
    for (let replica = 0; replica < 2; replica++) {
      expect(await servers[replica][1].command('GET', one)).toBe('3');
      expect(await servers[replica][1].command('EXISTS', zero)).toBe(0);
      expect(await servers[replica][0].command('GET', zero)).toBe('9');
      expect(await servers[replica][0].command('EXISTS', one)).toBe(0);
      expect(await calls(servers[replica][0], 'eval')).toBe(1);
      expect(await calls(servers[replica][1], 'eval')).toBe(1);
      expect(await calls(servers[replica][1], 'evalsha')).toBe(0);
    }
  });

  it('reads a readOnly script from one replica of the shard, falling back to EVAL_RO after SCRIPT FLUSH', async () => {
    const made = await cluster();
    const [zero] = keysByShard(made);
    await made.set(zero, 'shared');
    const read = new Script("return redis.call('GET', KEYS[1])", { readOnly: true });
    expect(await read.run(made, [zero])).toBe('shared');
    expect(await read.run(made, [zero])).toBe('shared');
    const byServer = await Promise.all(
      servers.flat().map(async (each) => (await calls(each, 'evalsha_ro')) + (await calls(each, 'eval_ro'))),
    );
    // readFrom 'ordered': replica 0 of shard 0 served all three calls (EVALSHA_RO, EVAL_RO, EVALSHA_RO).
    expect(byServer).toEqual([3, 0, 0, 0]);
    expect(await calls(servers[0][0], 'eval_ro')).toBe(1);
  });

  it('runs a script in a cluster pipeline and transaction on the key’s shard', async () => {
    const made = await cluster();
    const [, one] = keysByShard(made);
    const script = new Script(INCR_SOURCE);
    const pipeline = made.pipeline();
    script.run(pipeline, [one], [2]).get(one);
    expect(await pipeline.exec()).toEqual([[2, one], '2']);
    const transaction = made.multi();
    script.run(transaction, [one], [5]);
    expect(await transaction.exec()).toEqual([[7, one]]);
    for (let replica = 0; replica < 2; replica++)
      expect(await servers[replica][1].command('GET', one)).toBe('7');
  });

  it('refuses a script without keys, which it cannot route', async () => {
    const made = await cluster();
    await expect(new Script('return 1').run(made)).rejects.toThrow(/no key to route it by/);
  });
});
