/**
 * Pub/sub over the Cluster on 2 replicas x 2 shards of real redis-server: a channel is routed like a
 * key, PUBLISH reaches every replica of its shard, and a subscriber listens on exactly one of them,
 * moving when it goes down. Counts are exact: a message delivered twice fails.
 */
import { Cluster } from '../lib/cluster/cluster';
import type { ServerInfo } from '../lib/cluster/events';
import { startRedis, stopAll, type RedisProcess, reviveAll } from './support/redis-harness';

const REPLICAS = 2;
const SHARDS = 2;
const WAIT_MS = 10_000;
const CLIENT = {
  commandTimeout: 400,
  connectTimeout: 1_000,
  heartbeatInterval: 200,
  reconnect: { minDelay: 20, maxDelay: 200 },
};

/** servers[replica][shard] */
let servers: RedisProcess[][];
const clusters: Cluster[] = [];

beforeAll(async () => {
  const started = await Promise.all(Array.from({ length: REPLICAS * SHARDS }, () => startRedis()));
  servers = Array.from({ length: REPLICAS }, (_, r) => started.slice(r * SHARDS, (r + 1) * SHARDS));
});

afterEach(async () => {
  for (const cluster of clusters.splice(0)) cluster.disconnect();
  await reviveAll(servers.flat());
});

afterAll(() => stopAll());

async function connected(): Promise<Cluster> {
  const cluster = new Cluster({
    replicas: servers.map((row) => row.map((server) => server.url)),
    downAfter: 2,
    probeInterval: 100,
    client: CLIENT,
  });
  clusters.push(cluster);
  cluster.on('error', () => undefined);
  await cluster.connect();
  return cluster;
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let unique = 0;
/** A fresh channel name of `shard`. */
function channelOf(cluster: Cluster, shard: number, label: string): string {
  for (;;) {
    const name = `cps:${label}:${process.pid}:${++unique}`;
    if (cluster.shardOf(name) === shard) return name;
  }
}

const count = (list: string[], item: string): number => list.filter((entry) => entry === item).length;

test('a channel is routed like a key and heard on one replica of its shard', async () => {
  const cluster = await connected();
  const channels = [channelOf(cluster, 0, 'routed'), channelOf(cluster, 1, 'routed')];
  const got: string[] = [];
  await cluster.subscribe(channels, (message, channel) => got.push(`${channel}=${message}`));
  for (const [shard, channel] of channels.entries()) {
    // Listening on the shard's first replica only: the other has no subscriber for it.
    expect(await cluster.server(0, shard).publish(channel, 'direct')).toBe(1);
    expect(await cluster.server(1, shard).publish(channel, 'direct')).toBe(0);
    expect(await cluster.publish(channel, 'routed')).toBe(1);
  }
  // The channel's own shard only: the other shard's servers know nothing of it.
  expect(await cluster.server(0, 1).publish(channels[0]!, 'elsewhere')).toBe(0);
  await until('four messages', () => got.length >= 4);
  await cluster.publish(channels[1]!, 'barrier');
  await until('the barrier', () => got.includes(`${channels[1]}=barrier`));
  expect(got.sort()).toEqual(
    [
      `${channels[0]}=direct`,
      `${channels[0]}=routed`,
      `${channels[1]}=direct`,
      `${channels[1]}=routed`,
      `${channels[1]}=barrier`,
    ].sort(),
  );
});

test('a pattern listens on one replica of every shard: each message once', async () => {
  const cluster = await connected();
  const prefix = `cps:pattern:${process.pid}:${++unique}`;
  const inShard = (shard: number): string => {
    for (let i = 0; ; i++) if (cluster.shardOf(`${prefix}:${i}`) === shard) return `${prefix}:${i}`;
  };
  const got: string[] = [];
  await cluster.psubscribe(`${prefix}:*`, (message, channel, pattern) =>
    got.push(`${pattern}|${channel}|${message}`),
  );
  const [a, b] = [inShard(0), inShard(1)];
  expect(await cluster.publish(a, 'one')).toBe(1);
  expect(await cluster.publish(b, 'two')).toBe(1);
  await until('both messages', () => got.length >= 2);
  await cluster.unsubscribe();
  await cluster.punsubscribe(`${prefix}:*`);
  expect(await cluster.publish(a, 'after')).toBe(0);
  expect(got.sort()).toEqual([`${prefix}:*|${a}|one`, `${prefix}:*|${b}|two`].sort());
});

test('the listening replica goes down: the subscriber moves, and a message published after arrives exactly once', async () => {
  const cluster = await connected();
  const shard = 1;
  const channel = channelOf(cluster, shard, 'failover');
  const got: string[] = [];
  const down: ServerInfo[] = [];
  const up: ServerInfo[] = [];
  cluster.on('serverDown', (server) => down.push(server));
  cluster.on('serverUp', (server) => up.push(server));
  await cluster.subscribe(channel, (message) => got.push(message));
  expect(await cluster.publish(channel, 'before')).toBe(1);

  await servers[0]![shard]!.kill();
  await until('replica 0 of the shard marked down', () =>
    down.some((server) => server.replica === 0 && server.shard === shard),
  );
  // Moved once replica 1 has the subscription; messages sent during the move may be lost.
  let probes = 0;
  await until(
    'the subscription on replica 1',
    async () => (await cluster.server(1, shard).publish(channel, `probe:${++probes}`)) === 1,
  );
  expect(await cluster.publish(channel, 'after failover')).toBe(1);
  await until('the message after the failover', () => got.includes('after failover'));

  // The old replica comes back: the subscriber stays where it is, never on both.
  await servers[0]![shard]!.restart();
  await until('replica 0 of the shard up again', () =>
    up.some((server) => server.replica === 0 && server.shard === shard),
  );
  expect(await cluster.server(0, shard).publish(channel, 'to nobody')).toBe(0);
  expect(await cluster.publish(channel, 'final')).toBe(1);
  await cluster.server(1, shard).publish(channel, 'barrier');
  await until('the barrier', () => got.includes('barrier'));

  expect(count(got, 'before')).toBe(1);
  expect(count(got, 'after failover')).toBe(1);
  expect(count(got, 'final')).toBe(1);
  expect(got).not.toContain('to nobody');
  expect(new Set(got).size).toBe(got.length);
});
