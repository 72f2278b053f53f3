/**
 * Cluster construction and routing decisions that need no server: the constructor validates and opens
 * nothing, and commands that cannot be routed are refused before any socket would be opened.
 */
import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import { shardOf } from '../lib/cluster/routing';
import { ConnectionClosedError, InvalidArgumentError } from '../lib/errors';
import shardVectors from './fixtures/shard-vectors.json';

// Nothing listens here and nothing is ever sent: every test below is refused before a socket opens.
const grid = (replicas: number, shards: number, base = 7100): string[][] =>
  Array.from({ length: replicas }, (_, r) =>
    Array.from({ length: shards }, (_, s) => `redis://127.0.0.1:${base + r * shards + s}`),
  );

const clusters: Cluster[] = [];
function cluster(options: ConstructorParameters<typeof Cluster>[0]): Cluster {
  const created = new Cluster(options);
  clusters.push(created);
  return created;
}

afterAll(() => {
  for (const created of clusters) created.disconnect();
});

function constructionError(options: unknown): Error {
  try {
    cluster(options as ConstructorParameters<typeof Cluster>[0]);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the constructor accepted it');
}

describe('Cluster constructor', () => {
  it('accepts a 3x3 topology and opens no socket', () => {
    const created = cluster({ replicas: grid(3, 3) });
    expect(created.replicaCount).toBe(3);
    expect(created.shardCount).toBe(3);
    const health = created.health();
    expect(health).toHaveLength(9);
    expect(health.map(({ replica, shard }) => [replica, shard])).toEqual([
      [0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2],
    ]); // prettier-ignore
    for (const entry of health) {
      expect(entry).toMatchObject({ up: true, latencyMs: null, errors: 0, inFlight: 0 });
      expect(created.server(entry.replica, entry.shard).status).toBe('idle');
    }
  });

  it.each([
    ['no options', undefined, /options object/],
    ['no replicas', {}, /non-empty array of replicas/],
    ['an empty topology', { replicas: [] }, /non-empty array of replicas/],
    ['a replica with no shards', { replicas: [[]] }, /replicas\[0\] must be a non-empty array/],
    ['a replica that is not an array', { replicas: ['redis://127.0.0.1:7000'] }, /replicas\[0\] must be/],
  ])('rejects %s', (_, options, message) => {
    const error = constructionError(options);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(message);
  });

  it('rejects replicas with different shard counts, naming them', () => {
    const replicas = grid(3, 3);
    replicas[2].pop();
    const error = constructionError({ replicas });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      'every replica needs the same number of shards: replicas[0] has 3, replicas[2] has 2',
    );
  });

  it.each([
    ['not a URL', 'nonsense', /replicas\[1\]\[2\]: not a valid URL/],
    ['another scheme', 'http://127.0.0.1:7000', /replicas\[1\]\[2\]: unsupported URL scheme "http:"/],
    [
      'a non-numeric database',
      'redis://127.0.0.1:7000/x',
      /replicas\[1\]\[2\]: the database .* must be a number/,
    ],
  ])('rejects a bad URL (%s), naming its place', (_, url, message) => {
    const replicas = grid(2, 3);
    replicas[1][2] = url;
    const error = constructionError({ replicas });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(message);
  });

  it('rejects a URL that is not a string', () => {
    const replicas: unknown[][] = grid(2, 2);
    replicas[0][1] = 7000;
    const error = constructionError({ replicas });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/replicas\[0\]\[1\] must be a redis:\/\/ URL string, not number/);
  });

  it('hides passwords in its messages', () => {
    const replicas = grid(2, 2);
    replicas[1][1] = 'redis://user:secret@127.0.0.1:7000/zz';
    const error = constructionError({ replicas });
    expect(error.message).not.toContain('secret');
  });

  it('rejects the same server twice, in any spelling of its URL', () => {
    const replicas = grid(2, 3);
    replicas[1][0] = 'redis://user:pw@127.0.0.1:7101/0'; // replicas[0][1] with credentials and db 0
    const error = constructionError({ replicas });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(
      /replicas\[0\]\[1\] and replicas\[1\]\[0\] are the same server \(127\.0\.0\.1:7101\/0\)/,
    );
    expect(error.message).not.toContain('pw');
  });

  it('treats another database of the same host and port as another server', () => {
    const replicas = [['redis://127.0.0.1:7000/1'], ['redis://127.0.0.1:7000/2']];
    expect(cluster({ replicas }).replicaCount).toBe(2);
  });

  it('counts the default port when the URL has none', () => {
    const error = constructionError({ replicas: [['redis://127.0.0.1'], ['redis://127.0.0.1:6379']] });
    expect(error.message).toMatch(/are the same server/);
  });

  it.each([
    ['writeAck', { writeAck: 'most' }, /writeAck must be 'one', 'quorum' or 'all', not 'most'/],
    ['readFrom', { readFrom: 'random' }, /readFrom must be 'ordered', 'round-robin' or 'fastest'/],
    ['hedgeAfter', { hedgeAfter: -1 }, /hedgeAfter must be a number of ms >= 0/],
    ['hedgeAfter', { hedgeAfter: Infinity }, /hedgeAfter must be/],
    ['downAfter', { downAfter: 0 }, /downAfter must be an integer >= 1/],
    ['downAfter', { downAfter: 1.5 }, /downAfter must be an integer >= 1/],
    ['probeInterval', { probeInterval: 0 }, /probeInterval must be a positive number/],
    [
      'client',
      { client: { commandTimeout: -5 } },
      /client options: commandTimeout must be a non-negative number/,
    ],
    ['client', { client: 'fast' }, /client must be an object/],
  ])('rejects a bad %s', (_, extra, message) => {
    const error = constructionError({ replicas: grid(1, 1), ...extra });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(message);
  });

  it('rejects more than 32 replicas', () => {
    const error = constructionError({ replicas: grid(33, 1) });
    expect(error.message).toMatch(/at most 32 replicas/);
  });
});

describe('Cluster routing without servers', () => {
  const created = (): Cluster => cluster({ replicas: grid(3, 3, 7200) });

  it('shardOf agrees with the shared routing function and the independent vectors', () => {
    const subject = created();
    for (const vector of shardVectors.vectors) {
      const key =
        'key' in vector && typeof vector.key === 'string' ? vector.key : Buffer.from(vector.keyHex, 'hex');
      expect(subject.shardOf(key)).toBe(vector.shards['3']);
      expect(subject.shardOf(key)).toBe(shardOf(key, 3));
    }
    expect(() => subject.shardOf(42 as unknown as string)).toThrow(InvalidArgumentError);
  });

  it.each([
    [
      'an unknown command',
      ['NOSUCHCOMMAND', 'k'],
      /unknown command 'NOSUCHCOMMAND'.*each\(\).*server\(replica, shard\)/,
    ],
    [
      'a command without keys',
      ['FLUSHALL'],
      /FLUSHALL has no key to route it by: run it on every server with each\(\)/,
    ],
    ['INFO', ['INFO', 'server'], /INFO has no key to route it by/],
    ['a script without keys', ['EVAL', 'return 1', 0], /EVAL has no key to route it by/],
    ['a bad numkeys', ['EVAL', 'return 1', 5, 'k'], /numkeys must be an integer/],
    [
      'keys that move with the arguments',
      ['MIGRATE', 'h', 1, 'k', 0, 100],
      /cannot tell which keys MIGRATE uses/,
    ],
    ['subscriber mode', ['SUBSCRIBE', 'chan'], /SUBSCRIBE changes the state of the connection/],
    ['sharded subscriber mode', ['SSUBSCRIBE', 'chan'], /SSUBSCRIBE changes the state of the connection/],
    [
      'a connection command with keys',
      ['WATCH', 'k'],
      /WATCH changes the state of the connection.*isolated\(\)/,
    ],
    ['a transaction', ['MULTI'], /use multi\(\)/],
    [
      'keys in different shards',
      ['SINTER', 'a', 'b'],
      /keys of SINTER belong to different shards \(\d, \d\): .*\{hash tag\}/,
    ],
    ['MSETNX across shards', ['MSETNX', 'a', '1', 'b', '2'], /keys of MSETNX belong to different shards/],
  ])('refuses %s with InvalidArgumentError', async (_, [command, ...args], message) => {
    const subject = created();
    expect(subject.shardOf('a')).not.toBe(subject.shardOf('b')); // the cross-shard cases rely on it
    const error = await subject.call(command as string, ...args).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(message);
    // Refused before routing: no Client was asked to connect.
    for (const entry of subject.health())
      expect(subject.server(entry.replica, entry.shard).status).toBe('idle');
  });

  it('refuses bad arguments from the typed methods', async () => {
    const subject = created();
    await expect(subject.set('k', 'v', { ex: 1, px: 1 })).rejects.toThrow(InvalidArgumentError);
    await expect(subject.mget([])).rejects.toThrow(/MGET needs at least one key/);
    await expect(subject.del()).rejects.toThrow(InvalidArgumentError);
    await expect(subject.mset({})).rejects.toThrow(/MSET needs at least one key/);
    await expect(subject.get({} as unknown as string)).rejects.toThrow(/a key must be a string or a Buffer/);
    await expect(subject.call('')).rejects.toThrow(/non-empty string/);
    await expect(subject.each('')).rejects.toThrow(InvalidArgumentError);
    await expect(subject.each('SET', 'k', NaN)).rejects.toThrow(/finite numbers/);
  });

  it('server() checks its arguments and returns that Client', () => {
    const subject = created();
    expect(subject.server(2, 1)).toBeInstanceOf(Client);
    expect(subject.server(2, 1).address).toBe('127.0.0.1:7207');
    expect(() => subject.server(3, 0)).toThrow(/replica must be an integer in \[0, 2\], not 3/);
    expect(() => subject.server(0, -1)).toThrow(/shard must be an integer in \[0, 2\], not -1/);
    expect(() => subject.server(0.5, 0)).toThrow(InvalidArgumentError);
  });

  it('refuses everything once closed', async () => {
    const subject = created();
    subject.disconnect();
    await expect(subject.get('k')).rejects.toThrow(ConnectionClosedError);
    await expect(subject.each('PING')).rejects.toThrow(ConnectionClosedError);
    await expect(subject.connect()).rejects.toThrow(ConnectionClosedError);
    await expect(subject.quit()).resolves.toBeUndefined();
  });
});
