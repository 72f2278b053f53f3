/**
 * Fencing, on 2 replicas x 1 shard of real redis-server, replica 0 behind a FaultProxy: when a Cluster
 * with repair reconnects to the same server process, it kills its earlier socket there by id (CLIENT
 * KILL ID) before it trusts the server again. A socket given up on (a stall) may still hold commands
 * the server has not read; run after a repair, one of them would undo it (an INCR counted twice, an
 * older SET over a newer one). After a restart it kills nothing: ids start again in a new process,
 * and the old id may name another client's socket there.
 *
 * The server counts the kills (INFO commandstats). After a restart, the proxy is stopped while the
 * server is changed and MONITOR started, so the cluster's next socket is made only once MONITOR
 * watches: its run_id check is seen.
 */
import { Client } from '../lib/client';
import { Cluster } from '../lib/cluster/cluster';
import type { MonitorEvent } from '../lib/client/monitor';
import { FaultProxy } from '../lib/testing/fault-proxy';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { eventually, sleep } from './support/wait';

let r0: RedisProcess;
let r1: RedisProcess;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  [r0, r1] = await Promise.all([startRedis(), startRedis()]);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await stopAll();
});

async function stage(): Promise<{ cluster: Cluster; proxy: FaultProxy; oldId: number }> {
  const proxy = new FaultProxy({ port: r0.port });
  await proxy.start();
  closers.push(() => proxy.stop());
  const cluster = new Cluster({
    replicas: [[proxy.url], [r1.url]],
    readFrom: 'ordered',
    downAfter: 1_000,
    client: { commandTimeout: 2_000, connectTimeout: 2_000, reconnect: { minDelay: 20, maxDelay: 50 } },
  });
  closers.push(() => cluster.disconnect());
  cluster.on('error', () => undefined);
  cluster.on('replicaError', () => undefined);
  await cluster.connect();
  await eventually(() => cluster.health()[0].runId !== null, 'replica 0 checked', 5_000);
  const oldId = cluster.server(0, 0).connectionId;
  if (oldId === null) throw new Error('replica 0 has no connection id after its handshake');
  // The id is the server's own: CLIENT LIST names it.
  expect(String(await r0.command('CLIENT', 'LIST', 'ID', oldId))).toContain(`id=${oldId} `);
  return { cluster, proxy, oldId };
}

/** Calls of CLIENT KILL the server ran (INFO commandstats): MONITOR does not show admin commands. */
async function killCalls(server: RedisProcess): Promise<number> {
  const info = String(await server.command('INFO', 'commandstats'));
  const match = /^cmdstat_client\|kill:calls=(\d+)/m.exec(info);
  return match === null ? 0 : Number(match[1]);
}

async function watch(server: RedisProcess): Promise<MonitorEvent[]> {
  const seen: MonitorEvent[] = [];
  const client = new Client(server.url);
  closers.push(() => client.disconnect());
  const monitor = await client.monitor((event) => seen.push(event));
  closers.push(() => monitor.stop());
  return seen;
}

describe('Cluster repair fences sockets it gave up on', () => {
  it('kills its earlier socket by id when it reconnects to the same server process', async () => {
    const { cluster, proxy, oldId } = await stage();
    const runId = cluster.health()[0].runId;
    const before = await killCalls(r0);
    await proxy.stop();
    await proxy.start();
    await eventually(
      () => cluster.server(0, 0).connectionId !== oldId && cluster.health()[0].state === 'up',
      'replica 0 back, on a new socket',
      10_000,
    );
    expect(cluster.health()[0].runId).toBe(runId);
    let calls = before;
    for (const deadline = Date.now() + 5_000; calls === before && Date.now() < deadline; await sleep(20)) {
      calls = await killCalls(r0);
    }
    // Exactly one: the socket it gave up on, and not the new one, which serves reads and writes.
    expect(calls - before).toBe(1);
    expect(await killCalls(r0)).toBe(calls);
    const newId = cluster.server(0, 0).connectionId;
    expect(newId).not.toBe(oldId);
    expect(String(await r0.command('CLIENT', 'LIST', 'ID', String(newId)))).toContain(`id=${newId} `);
    expect(await cluster.set('fenced', 'v')).toBe('OK');
    expect(await cluster.get('fenced')).toBe('v');
    expect(await r0.command('GET', 'fenced')).toBe('v');
  });

  it('kills nothing after a restart: the old id belonged to the old process', async () => {
    const { cluster, proxy, oldId } = await stage();
    const runId = cluster.health()[0].runId;
    await proxy.stop();
    await r0.restart();
    const seen = await watch(r0);
    await proxy.start();
    await eventually(
      () => cluster.health()[0].runId !== runId && cluster.health()[0].state === 'up',
      'replica 0 restarted, repaired and back',
      15_000,
    );
    expect(cluster.server(0, 0).connectionId).not.toBeNull();
    // It did check the new process (MONITOR saw its INFO), and killed nothing there.
    expect(seen.some((event) => event.args[0]?.toUpperCase() === 'INFO')).toBe(true);
    expect(await killCalls(r0)).toBe(0);
    expect(oldId).toBeGreaterThan(0);
  });
});
