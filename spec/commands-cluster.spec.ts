/**
 * The cluster commands against a real two-node Redis Cluster (a master with every slot and its
 * replica): one value per reply under protocol 2, 3 and unset.
 */
import type { RespValue } from '../lib/resp/types';
import { InvalidArgumentError } from '../lib/errors';
import { expectSameAndRight, hasNoPrototype } from './support/protocol-trio';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { useServerTrio } from './support/server-trio';
import { sleep } from './support/wait';

// Kept short so the suite does not wait on Redis's defaults: the diskless-sync delay (5 s) before the
// replica's first sync, the replica ping period (10 s) before its offset moves off 0 and CLUSTER SHARDS
// calls it online, and the shutdown timeout (10 s) stopping the master waits for its replica.
const CLUSTER_ARGS = [
  '--cluster-enabled',
  'yes',
  '--cluster-config-file',
  'nodes.conf',
  '--repl-diskless-sync-delay',
  '0',
  '--shutdown-timeout',
  '0',
  '--repl-ping-replica-period',
  '1',
];
const trio = useServerTrio({ args: CLUSTER_ARGS }, true);
const bare = <T extends object>(value: T): T => Object.assign(Object.create(null) as T, value);
const refused = (error: Error): string =>
  error instanceof InvalidArgumentError ? 'refused' : `not refused: ${error.message}`;

/** Polls a raw command until `done` holds for its reply; fails with the last reply after 15 s. */
async function until(
  redis: RedisProcess,
  args: string[],
  done: (reply: RespValue) => boolean,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const reply = await redis.command(...args);
    if (done(reply)) return;
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} never got there: ${String(reply)}`);
    await sleep(50);
  }
}

describe('cluster commands under every protocol', () => {
  let master: RedisProcess;
  let replica: RedisProcess;
  let masterId: string;
  let replicaId: string;

  beforeAll(async () => {
    master = trio.redis();
    replica = await startRedis({ args: CLUSTER_ARGS });
    // A new master turns its cluster state ok after 2 s; the replica syncs meanwhile.
    await master.command('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
    masterId = String(await master.command('CLUSTER', 'MYID'));
    replicaId = String(await replica.command('CLUSTER', 'MYID'));
    await replica.command('CLUSTER', 'MEET', '127.0.0.1', master.port);
    await until(replica, ['CLUSTER', 'NODES'], (nodes) => String(nodes).includes(masterId));
    await replica.command('CLUSTER', 'REPLICATE', masterId);
    // Online in CLUSTER SHARDS once synced, which is when CLUSTER SLOTS lists it too.
    await until(
      master,
      ['CLUSTER', 'SHARDS'],
      (shards) => (JSON.stringify(shards).match(/online/g) ?? []).length === 2,
    );
    await until(master, ['CLUSTER', 'INFO'], (info) => String(info).startsWith('cluster_state:ok'));
  }, 30_000);

  test('MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT, COUNT-FAILURE-REPORTS, INFO, ASKING', async () => {
    const results = await trio.each(async (c) => {
      await c.set('foo', 'bar');
      return {
        myid: (await c.clusterMyid()) === masterId,
        keyslot: await c.clusterKeyslot('foo'),
        keyslotTag: await c.clusterKeyslot('{foo}.other'),
        count: await c.clusterCountkeysinslot(12182),
        keys: await c.clusterGetkeysinslot(12182, 10),
        keysBuffer: await c.clusterGetkeysinslotBuffer(12182, 10),
        failureReports: await c.clusterCountFailureReports(replicaId),
        info: (await c.clusterInfo()).split('\r\n').slice(0, 3),
        asking: await c.asking(),
        saveconfig: await c.clusterSaveconfig(),
        bumpepoch: /^(BUMPED|STILL) \d+$/.test(await c.clusterBumpepoch()),
        helpFirst: (await c.clusterHelp())[0],
      };
    });
    expectSameAndRight(results, {
      myid: true,
      keyslot: 12182,
      keyslotTag: 12182,
      count: 1,
      keys: ['foo'],
      keysBuffer: [Buffer.from('foo')],
      failureReports: 0,
      info: ['cluster_state:ok', 'cluster_slots_assigned:16384', 'cluster_slots_ok:16384'],
      asking: 'OK',
      saveconfig: 'OK',
      bumpepoch: true,
      helpFirst: 'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    });
  });

  test('NODES, REPLICAS and SLAVES parse into nodes', async () => {
    const results = await trio.each(async (c) => {
      const nodes = await c.clusterNodes();
      const self = nodes.find((node) => node.id === masterId);
      const other = nodes.find((node) => node.id === replicaId);
      const [replicaLine] = await c.clusterReplicas(masterId);
      return {
        count: nodes.length,
        self: self && { ...self, configEpoch: typeof self.configEpoch },
        other: other && { ...other, pingSent: 'varies', pongReceived: 'varies', configEpoch: 'varies' },
        replicaIsOther: replicaLine?.id === replicaId && replicaLine.master === masterId,
        slaves: (await c.clusterSlaves(masterId)).map((node) => node.id),
      };
    });
    expectSameAndRight(results, {
      count: 2,
      self: {
        id: masterId,
        address: `127.0.0.1:${master.port}@${master.port + 10000}`,
        host: '127.0.0.1',
        port: master.port,
        busPort: master.port + 10000,
        hostname: null,
        flags: ['myself', 'master'],
        master: null,
        pingSent: 0,
        pongReceived: 0,
        configEpoch: 'number',
        linkState: 'connected',
        slots: [[0, 16383]],
        migrating: [],
        importing: [],
      },
      other: {
        id: replicaId,
        address: `127.0.0.1:${replica.port}@${replica.port + 10000}`,
        host: '127.0.0.1',
        port: replica.port,
        busPort: replica.port + 10000,
        hostname: null,
        flags: ['slave'],
        master: masterId,
        pingSent: 'varies',
        pongReceived: 'varies',
        configEpoch: 'varies',
        linkState: 'connected',
        slots: [],
        migrating: [],
        importing: [],
      },
      replicaIsOther: true,
      slaves: [replicaId],
    });
  });

  test('SHARDS, SLOTS and LINKS as typed objects with Redis field names', async () => {
    const results = await trio.each(async (c) => {
      const shards = await c.clusterShards();
      const links = await c.clusterLinks();
      return {
        shards: shards.map((shard) => ({
          slots: shard.slots,
          nodes: shard.nodes.map((node) => ({
            ...node,
            'replication-offset': typeof node['replication-offset'],
          })),
        })),
        shardsAreRecords: shards.every((shard) => hasNoPrototype(shard) && shard.nodes.every(hasNoPrototype)),
        slots: await c.clusterSlots(),
        links: links
          .map((link) => ({
            ...link,
            'create-time': typeof link['create-time'],
            events: typeof link.events,
            'send-buffer-allocated': typeof link['send-buffer-allocated'],
            'send-buffer-used': typeof link['send-buffer-used'],
          }))
          .sort((a, b) => (a.direction < b.direction ? -1 : 1)),
      };
    });
    const shardNode = (redis: RedisProcess, id: string, role: string) =>
      bare({
        id,
        port: redis.port,
        ip: '127.0.0.1',
        endpoint: '127.0.0.1',
        role,
        'replication-offset': 'number' as const,
        health: 'online',
      });
    const linkTo = (direction: string) => ({
      direction,
      node: replicaId,
      'create-time': 'number' as const,
      events: 'string' as const,
      'send-buffer-allocated': 'number' as const,
      'send-buffer-used': 'number' as const,
    });
    expectSameAndRight(results, {
      shards: [
        {
          slots: [[0, 16383]],
          nodes: [shardNode(master, masterId, 'master'), shardNode(replica, replicaId, 'replica')].map(
            (node) => ({ ...node }),
          ),
        },
      ],
      shardsAreRecords: true,
      slots: [
        {
          start: 0,
          end: 16383,
          master: { host: '127.0.0.1', port: master.port, id: masterId, metadata: bare({}) },
          replicas: [{ host: '127.0.0.1', port: replica.port, id: replicaId, metadata: bare({}) }],
        },
      ],
      links: [linkTo('from'), linkTo('to')],
    });
  });

  test('slot assignment round trip; READONLY and READWRITE are refused on the shared connection', async () => {
    const results = await trio.each(async (c) => ({
      delslots: await c.clusterDelslots(5000),
      addslots: await c.clusterAddslots(5000),
      busy: await c.clusterAddslots(5000).catch((error: Error) => error.message),
      delrange: await c.clusterDelslotsrange(6000, 6001),
      addrange: await c.clusterAddslotsrange(6000, 6001),
      stable: await c.clusterSetslot(5000, 'STABLE'),
      readonly: await c.readonly().catch(refused),
      readwrite: await c.readwrite().catch(refused),
    }));
    expectSameAndRight(results, {
      delslots: 'OK',
      addslots: 'OK',
      busy: 'ERR Slot 5000 is already busy',
      delrange: 'OK',
      addrange: 'OK',
      stable: 'OK',
      readonly: 'refused',
      readwrite: 'refused',
    });
  });
});
