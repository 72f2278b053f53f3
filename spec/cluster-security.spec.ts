/**
 * Passwords never appear in what a Cluster says: health(), its events ('error', 'replicaError',
 * 'serverDown', 'serverUp'), ReplicationError messages and outcomes, each() outcomes, and util.inspect
 * of the Cluster and of the Clients server() returns, through failures of every kind: a paused server,
 * a killed one, writes failing under 'all', reads failing on every replica, a wrong password.
 *
 * The passwords hold '/' and '@', as generated ones often do (base64), so a redactor that stops at the
 * first '/' or '@' would leave part of them showing: every fragment between those characters is looked
 * for too, and the percent-encoded form. URLs carry them percent-encoded, as URL syntax requires; a URL
 * with a '/' (or '#', '?', a stray '%') left unencoded is refused with an InvalidArgumentError that hides
 * the password.
 */
import { inspect } from 'node:util';

import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import type { ClusterOptions } from '../lib/cluster/cluster-options';
import type { ClientOptions } from '../lib/connection/options';
import { HandshakeError, InvalidArgumentError, ReplicationError } from '../lib/errors';
import { startRedis, stopAll, type RedisProcess, reviveAll } from './support/redis-harness';
import { eventually } from './support/wait';
import { SaidLog } from './support/said-log';

const REPLICAS = 3;
const SHARDS = 2;
/** One password per replica; every fragment between '/' and '@' is distinctive enough to search for. */
const PASSWORDS = ['Kq7xVw/Zr9mPt@Hy3nLc', 'Bd4sQe@Wm8uJn/Fx2gTa', 'Lp6cYr/Nv1hXk@@Dz5oEb'];
const WRONG_PASSWORD = 'Wr0ngQ/Ta3kZt@Rk7vYs';
/** Only '@', no '/': a URL that leaves it unencoded still parses (the last '@' ends the credentials). */
const AT_ONLY_PASSWORD = 'Mj3kWq@Vs6nPd';

const SECRETS = [...PASSWORDS, WRONG_PASSWORD, AT_ONLY_PASSWORD].flatMap((password) => [
  password,
  encodeURIComponent(password),
  ...password.split(/[/@]+/),
]);

const CLIENT: ClientOptions = {
  commandTimeout: 300,
  connectTimeout: 1_000,
  heartbeatInterval: 200,
  stallTimeout: 600,
  reconnect: { minDelay: 20, maxDelay: 200 },
};

/** The secrets `text` shows, each with a little context: empty when it shows none. */
function leaks(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret)).map((secret) => {
    const at = text.indexOf(secret);
    return `${secret} in …${text.slice(Math.max(0, at - 60), at + secret.length + 20)}…`;
  });
}

/** servers[replica][shard], replica r with PASSWORDS[r]. */
let servers: RedisProcess[][];
const clusters: Cluster[] = [];

beforeAll(async () => {
  servers = await Promise.all(
    PASSWORDS.map((password) => Promise.all(Array.from({ length: SHARDS }, () => startRedis({ password })))),
  );
});

afterEach(async () => {
  for (const cluster of clusters.splice(0)) cluster.disconnect();
  await reviveAll(servers.flat());
  await Promise.all(servers.flat().map((server) => server.command('FLUSHALL')));
});

afterAll(async () => {
  await stopAll();
});

/** The harness's URLs: `redis://:<password percent-encoded>@127.0.0.1:port`. */
function urls(): string[][] {
  return servers.map((row) => row.map((server) => server.url));
}

function makeCluster(options: Partial<ClusterOptions> = {}): Cluster {
  const cluster = new Cluster({
    replicas: urls(),
    downAfter: 2,
    probeInterval: 100,
    client: CLIENT,
    ...options,
  });
  clusters.push(cluster);
  return cluster;
}

function keyOf(cluster: Cluster, shard: number, prefix: string): string {
  for (let i = 0; ; i++) if (cluster.shardOf(`${prefix}:${i}`) === shard) return `${prefix}:${i}`;
}

/**
 * Everything a cluster tells the outside world: every event with its payload, what calls settled
 * with, and, when asked for text, its health(), util.inspect of it and of every server's Client, and
 * the stats of each.
 */
class Transcript extends SaidLog {
  constructor(private readonly cluster: Cluster) {
    super();
    cluster.on('error', (error, server) => this.said.push(['error', error, server]));
    cluster.on('replicaError', (error, detail) => this.said.push(['replicaError', error, detail]));
    cluster.on('serverDown', (server, reason) => this.said.push(['serverDown', server, reason]));
    cluster.on('serverUp', (server) => this.said.push(['serverUp', server]));
  }

  /** Every error said, with its causes and, for a ReplicationError, its outcomes' errors. */
  errors(): Error[] {
    const found: Error[] = [];
    const visit = (value: unknown): void => {
      if (value instanceof Error) {
        if (found.includes(value)) return;
        found.push(value);
        visit(value.cause);
        if (value instanceof ReplicationError) for (const outcome of value.outcomes) visit(outcome.error);
      } else if (Array.isArray(value)) value.forEach(visit);
      else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
    };
    visit(this.said);
    return found;
  }

  /** As text, the way logs, JSON and a debugger would show it. */
  text(): string {
    const cluster = this.cluster;
    const clients: Client[] = [];
    for (let replica = 0; replica < cluster.replicaCount; replica++) {
      for (let shard = 0; shard < cluster.shardCount; shard++) clients.push(cluster.server(replica, shard));
    }
    return [
      inspect(this.said, { depth: Infinity, showHidden: true }),
      safeJson(this.said),
      ...this.errors().map((error) => `${String(error)}\n${error.stack ?? ''}\n${safeJson(error)}`),
      JSON.stringify(cluster.health()),
      inspect(cluster.health(), { depth: Infinity }),
      String(cluster),
      inspect(cluster),
      inspect(cluster, { depth: 6 }),
      inspect(cluster, { depth: 6, showHidden: true }),
      ...clients.flatMap((client) => [
        inspect(client, { depth: 6 }),
        inspect(client, { depth: 6, showHidden: true }),
        JSON.stringify(client.stats()),
        client.address,
      ]),
    ].join('\n');
  }
}

/** JSON as a logger would write it: errors with their message and stack, and outcomes within. */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item: unknown) =>
      item instanceof Error ? { ...item, name: item.name, message: item.message, stack: item.stack } : item,
    );
  } catch (error) {
    return `(not serialisable: ${String(error)})`;
  }
}

describe('passwords never appear in health(), events, errors, outcomes or inspect output', () => {
  test('a healthy cluster, with passwords holding "/" and "@", percent-encoded in its URLs', async () => {
    const cluster = makeCluster({ writeAck: 'all' });
    const transcript = new Transcript(cluster);
    await transcript.settle(cluster.connect());
    // Every server authenticated: the passwords were decoded right.
    const keys = [0, 1].map((shard) => keyOf(cluster, shard, 'healthy'));
    expect(await transcript.settle(cluster.mset({ [keys[0]]: 'a', [keys[1]]: 'b' }))).toBe('OK');
    expect(await transcript.settle(cluster.mget(keys))).toEqual(['a', 'b']);
    const pings = await cluster.each('PING');
    transcript.record('each', pings);
    expect(pings.map((outcome) => outcome.ok)).toEqual(Array(REPLICAS * SHARDS).fill(true));
    expect(await transcript.settle(cluster.pipeline().get(keys[0]).incr('n').exec())).toEqual(['a', 1]);
    // health() names each server by its URL with the password hidden.
    for (const entry of cluster.health()) {
      expect(entry.url).toContain(`127.0.0.1:${servers[entry.replica][entry.shard].port}`);
    }
    expect(leaks(transcript.text())).toEqual([]);
  });

  test('a paused server, a killed one, writes failing under "all", reads failing on every replica', async () => {
    const cluster = makeCluster({ writeAck: 'all' });
    const transcript = new Transcript(cluster);
    await cluster.connect();
    const [key0, key1] = [0, 1].map((shard) => keyOf(cluster, shard, 'failing'));
    await cluster.mset({ [key0]: 'v0', [key1]: 'v1' });

    // Paused: the write times out there and cannot meet 'all'; the read fails over.
    servers[1][0].pause();
    const timedOut = await transcript.settle(cluster.set(key0, 'paused'));
    expect(timedOut).toBeInstanceOf(ReplicationError);
    expect(await transcript.settle(cluster.get(key0))).toBe('paused');
    await eventually(() => transcript.count('serverDown') > 0, 'the paused server marked down');
    const { outcomes } = timedOut as ReplicationError;
    await eventually(
      () => outcomes.every((outcome) => outcome.ok || outcome.error !== undefined),
      'outcomes',
    );
    servers[1][0].resume();
    await eventually(() => transcript.count('serverUp') > 0, 'the resumed server back up');

    // Killed: refused connections, 'error' events, each() and 'all' writes failing on it.
    await servers[2][1].kill();
    await transcript.settle(cluster.set(key1, 'killed'));
    await eventually(() => !cluster.health()[2 * SHARDS + 1].up, 'the killed server marked down');
    const each = await cluster.each('PING');
    transcript.record('each', each);
    expect(each.filter((outcome) => !outcome.ok).map(({ replica, shard }) => `${replica}/${shard}`)).toEqual([
      '2/1',
    ]);
    await transcript.settle(cluster.mset({ [key0]: 'x', [key1]: 'y' }));
    await servers[2][1].restart();
    await eventually(() => cluster.health().every((entry) => entry.up), 'every server back up');

    // Replicas that disagree are reported as a 'mismatch' whose outcomes hold both answers.
    const counter = keyOf(cluster, 0, 'counter');
    await servers[0][0].command('SET', counter, '10');
    // The caller gets the first answer: 11 from replica 0, or 1 from the others.
    expect([1, 11]).toContain(await transcript.settle(cluster.incr(counter)));
    await eventually(() => transcript.text().includes("kind: 'mismatch'"), 'the mismatch reported');

    // Every replica of shard 0 gone: reads, PING and a fresh cluster's connect() fail with every outcome.
    await Promise.all(servers.map((row) => row[0].kill()));
    const readError = await transcript.settle(cluster.get(key0));
    expect(readError).toBeInstanceOf(ReplicationError);
    expect((readError as ReplicationError).outcomes).toHaveLength(REPLICAS);
    await transcript.settle(cluster.mget([key0, key1]));
    await transcript.settle(cluster.ping());
    const fresh = makeCluster();
    const freshTranscript = new Transcript(fresh);
    expect(await freshTranscript.settle(fresh.connect())).toBeInstanceOf(ReplicationError);

    for (const kind of ['error', 'replicaError', 'serverDown', 'serverUp']) {
      expect(transcript.count(kind)).toBeGreaterThan(0);
    }
    expect(transcript.count('rejection')).toBeGreaterThanOrEqual(5);
    expect(leaks(transcript.text())).toEqual([]);
    expect(leaks(freshTranscript.text())).toEqual([]);
  });

  test('a wrong password (with "/" and "@" too) is refused without showing either password', async () => {
    const wrong = urls();
    const port = servers[2][1].port;
    wrong[2][1] = `redis://:${encodeURIComponent(WRONG_PASSWORD)}@127.0.0.1:${port}`;
    const cluster = makeCluster({ replicas: wrong });
    const transcript = new Transcript(cluster);
    // The other replicas of shard 1 are fine: connect() succeeds, the refused server is down.
    await transcript.settle(cluster.connect());
    expect(cluster.health().filter((entry) => !entry.up)).toMatchObject([{ replica: 2, shard: 1 }]);
    await eventually(() => transcript.count('error') >= 2, 'the refusal repeated on reconnect');
    const refusals = transcript.errors().filter((error) => error instanceof HandshakeError);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals[0].message).toMatch(/WRONGPASS|invalid password|invalid username-password/i);

    // A whole shard refusing: connect() rejects, naming each refusal.
    const refused = urls();
    for (let replica = 0; replica < REPLICAS; replica++) {
      refused[replica][0] =
        `redis://:${encodeURIComponent(WRONG_PASSWORD)}@127.0.0.1:${servers[replica][0].port}`;
    }
    const failing = makeCluster({ replicas: refused });
    const failingTranscript = new Transcript(failing);
    const failure = await failingTranscript.settle(failing.connect());
    expect(failure).toBeInstanceOf(ReplicationError);
    expect((failure as ReplicationError).outcomes.map((outcome) => outcome.error)).toEqual([
      expect.any(HandshakeError),
      expect.any(HandshakeError),
      expect.any(HandshakeError),
    ]);
    expect(leaks(transcript.text())).toEqual([]);
    expect(leaks(failingTranscript.text())).toEqual([]);
  });

  test('a password given in the client options, not the URLs', async () => {
    const cluster = makeCluster({
      replicas: [servers[0].map((server) => `redis://127.0.0.1:${server.port}`)],
      client: { ...CLIENT, password: PASSWORDS[0] },
    });
    const transcript = new Transcript(cluster);
    await cluster.connect();
    expect(await transcript.settle(cluster.set('k', 'v'))).toBe('OK');
    await servers[0][1].kill();
    await transcript.settle(cluster.set(keyOf(cluster, 1, 'options'), 'v'));
    await servers[0][1].restart();
    await eventually(() => cluster.health().every((entry) => entry.up), 'back up');
    expect(leaks(transcript.text())).toEqual([]);
  });

  /*
   * BUG (reported): the Cluster keeps the `client` options it was given as they are, password in an
   * enumerable field, so anything that walks its fields without its custom inspect (a debugger's
   * variables view, console.dir with customInspect: false) shows it. The Client stores its resolved
   * options with the password not enumerable for exactly that reason; the Cluster should do the same.
   */
  test('walking the fields of a Cluster or Client (no custom inspect) does not show the password', () => {
    const fromOptions = makeCluster({
      replicas: [servers[0].map((server) => `redis://127.0.0.1:${server.port}`)],
      client: { ...CLIENT, password: PASSWORDS[0] },
    });
    const fromUrls = makeCluster();
    const client = new Client(servers[0][0].url, CLIENT);
    try {
      for (const subject of [client, fromUrls, fromOptions]) {
        expect(leaks(inspect(subject, { depth: 6, customInspect: false }))).toEqual([]);
      }
    } finally {
      client.disconnect();
    }
  });
});

describe('passwords left unencoded in a URL', () => {
  test.each([
    ['"/" and "@"', PASSWORDS[0]],
    ['"/" only', 'Gh5tRw/Yu8iOp'],
    ['"#"', 'Gh5tRw#Yu8iOp'],
    ['"?"', 'Gh5tRw?Yu8iOp'],
  ])('a password with %s is refused with an InvalidArgumentError that hides it', (_label, password) => {
    const url = `redis://:${password}@127.0.0.1:${servers[0][1].port}`;
    const replicas = urls();
    replicas[0][1] = url;
    let caught: unknown;
    try {
      makeCluster({ replicas });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    const message = (caught as Error).message;
    expect(message).toMatch(/^replicas\[0\]\[1\]: /);
    for (const secret of [password, ...password.split(/[/@#?]/)]) expect(message).not.toContain(secret);
    expect(`${String(caught)}\n${(caught as Error).stack ?? ''}`).not.toContain(password);
  });

  /*
   * BUG (reported): a "%" not followed by two hex digits makes parseRedisUrl's decodeURIComponent throw
   * a bare URIError ("URI malformed"), not an InvalidArgumentError naming the URL (for Client too).
   */
  test('a password with a stray "%" is refused with an InvalidArgumentError that hides it', () => {
    const password = 'Gh5tRw%zYu8iOp';
    const replicas = urls();
    replicas[1][0] = `redis://:${password}@127.0.0.1:${servers[1][0].port}`;
    let caught: unknown;
    try {
      makeCluster({ replicas });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as Error).message).toMatch(/^replicas\[1\]\[0\]: /);
    expect((caught as Error).message).not.toContain('Gh5tRw');
  });

  test('a password with "@" only still parses (the last "@" ends it), authenticates and stays hidden', async () => {
    const server = await startRedis({ password: AT_ONLY_PASSWORD });
    try {
      const cluster = makeCluster({ replicas: [[`redis://:${AT_ONLY_PASSWORD}@127.0.0.1:${server.port}`]] });
      const transcript = new Transcript(cluster);
      await cluster.connect();
      expect(await transcript.settle(cluster.set('k', 'v'))).toBe('OK');
      expect(cluster.health()[0].url).toBe(`redis://:***@127.0.0.1:${server.port}`);
      server.pause();
      await transcript.settle(cluster.get('k'));
      server.resume();
      expect(leaks(transcript.text())).toEqual([]);
    } finally {
      for (const cluster of clusters.splice(0)) cluster.disconnect();
      await server.stop();
    }
  });
});
