/**
 * `respline verify` against 2 replicas x 2 shards of real redis-server: planted drift of every kind is
 * reported exactly, with exit status 1; --repair fixes it and a second run finds the replicas equal.
 * Equal values that Redis serializes differently (a hash table and a listpack) are not drift.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../lib/cli/respline';
import { REPAIR_KEY_PREFIX } from '../lib/cluster/repair-keys';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';

const run = promisify(execFile);

/** servers[replica][shard] */
let servers: RedisProcess[][];
let spec: string;

beforeAll(async () => {
  const started = await Promise.all([0, 1, 2, 3].map(() => startRedis()));
  servers = [started.slice(0, 2), started.slice(2, 4)];
  spec = servers.map((replica) => replica.map((server) => server.url).join(',')).join(';');
});

afterAll(async () => {
  await stopAll();
});

beforeEach(async () => {
  await Promise.all(servers.flat().map((server) => server.command('FLUSHALL')));
});

interface Run {
  status: number;
  out: string;
  err: string;
}

async function verify(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const status = await main(
    ['verify', ...args],
    { write: (text: string) => (out += text) },
    { write: (text: string) => (err += text) },
  );
  return { status, out, err };
}

/** The same data on every server, of every type, so most keys are in sync. */
async function writeCommonData(): Promise<void> {
  for (const server of servers.flat()) {
    await server.command('SET', 'common:string', 'v1');
    await server.command('RPUSH', 'common:list', 'a', 'b', 'c');
    await server.command('ZADD', 'common:zset', '1', 'a', '2.5', 'b');
    await server.command('SET', 'common:ttl', 'v', 'EX', '600');
    await server.command('SET', `${REPAIR_KEY_PREFIX}done`, server.url); // bookkeeping: never compared
  }
}

/** Drift of each kind: shard 0 gets missing, extra and value on replica 1; shard 1 a TTL on replica 1. */
async function plantDrift(): Promise<void> {
  await servers[0][0].command('SET', 'drift:missing', 'only-on-replica-0');
  await servers[1][0].command('SET', 'drift:extra', 'only-on-replica-1');
  await servers[0][0].command('HSET', 'drift:value', 'f', 'right');
  await servers[1][0].command('HSET', 'drift:value', 'f', 'wrong');
  await servers[0][1].command('SET', 'drift:ttl', 'v', 'PX', '300000');
  await servers[1][1].command('SET', 'drift:ttl', 'v');
}

const withoutPttl = (text: string): string => text.replace(/pttl \d+ ms/g, 'pttl N ms');

/** The report's lines with the drift lines (1 to `count`) sorted: SCAN order is the servers' own. */
function reportLines(out: string, count: number): string[] {
  const lines = withoutPttl(out).split('\n');
  return [lines[0], ...lines.slice(1, count + 1).sort(), ...lines.slice(count + 1)];
}

describe('respline verify', () => {
  it('reports planted drift exactly and exits 1', async () => {
    await writeCommonData();
    await plantDrift();
    const result = await verify('--servers', spec);
    expect(result.err).toBe('');
    expect(reportLines(result.out, 4)).toEqual([
      'verify: 2 replicas x 2 shards',
      'extra    shard 0, replica 1: "drift:extra" (replica 0 has none)',
      'missing  shard 0, replica 1: "drift:missing" (replica 0 holds it)',
      'ttl      shard 1, replica 1: "drift:ttl" (no expiry, pttl N ms on replica 0)',
      'value    shard 0, replica 1: "drift:value" (differs from replica 0)',
      'shard 0: keys seen 6 on replica 0, 6 on replica 1; drift 1 missing, 1 extra, 1 value',
      'shard 1: keys seen 5 on replica 0, 5 on replica 1; drift 1 ttl',
      'drift: 4 copies on 2 of 2 shards',
      '',
    ]);
    expect(result.status).toBe(1);
  });

  it('gives the same findings as one JSON report', async () => {
    await writeCommonData();
    await plantDrift();
    const result = await verify('--servers', spec, '--json');
    expect(result.status).toBe(1);
    const report = JSON.parse(result.out);
    expect(report).toMatchObject({
      inSync: false,
      exitStatus: 1,
      replicas: 2,
      driftTotal: 4,
      repaired: 0,
      shards: [
        { shard: 0, keys: [6, 6], drift: { missing: 1, extra: 1, value: 1, ttl: 0 } },
        { shard: 1, keys: [5, 5], drift: { missing: 0, extra: 0, value: 0, ttl: 1 } },
      ],
    });
    const found = report.drift.map((d: { kind: string; key: string; replica: number }) => [
      d.kind,
      d.key,
      d.replica,
    ]);
    expect(found.sort()).toEqual([
      ['extra', 'drift:extra', 1],
      ['missing', 'drift:missing', 1],
      ['ttl', 'drift:ttl', 1],
      ['value', 'drift:value', 1],
    ]);
    const ttl = report.drift.find((d: { kind: string }) => d.kind === 'ttl').pttl;
    expect(ttl.replica).toBe(-1);
    expect(ttl.authority).toBeGreaterThan(0);
  });

  it('repairs the drift with --repair (exit 0), and a second run finds the replicas equal', async () => {
    await writeCommonData();
    await plantDrift();
    const repair = await verify('--servers', spec, '--repair');
    expect(repair.out).toContain('repaired: 4 of 4\n');
    expect(repair.out.match(/: repaired$/gm)).toHaveLength(4);
    expect(repair.status).toBe(0);

    expect(await servers[1][0].command('GET', 'drift:missing')).toBe('only-on-replica-0');
    expect(await servers[1][0].command('EXISTS', 'drift:extra')).toBe(0);
    expect(await servers[1][0].command('HGET', 'drift:value', 'f')).toBe('right');
    expect(await servers[1][1].command('PTTL', 'drift:ttl')).toBeGreaterThan(0);

    const again = await verify('--servers', spec);
    expect(again.out.split('\n').slice(-4)).toEqual([
      'shard 0: keys seen 6 on replica 0, 6 on replica 1; in sync',
      'shard 1: keys seen 5 on replica 0, 5 on replica 1; in sync',
      'in sync',
      '',
    ]);
    expect(again.status).toBe(0);
  });

  it('trusts --source over the majority: the extra key is copied instead of deleted', async () => {
    await servers[1][0].command('SET', 'drift:extra', 'only-on-replica-1');
    const result = await verify('--servers', spec, '--source', '1', '--repair');
    expect(result.out).toContain(
      'missing  shard 0, replica 0: "drift:extra" (replica 1 holds it): repaired\n',
    );
    expect(result.status).toBe(0);
    expect(await servers[0][0].command('GET', 'drift:extra')).toBe('only-on-replica-1');
  });

  it('sees equal values as equal however Redis serializes them (hash table vs listpack, set order)', async () => {
    // Replica 0: a value once longer than the listpack limit made it a hash table, and it stays one.
    await servers[0][0].command('HSET', 'h', 'f0', 'v0', 'f1', 'x'.repeat(1000));
    await servers[0][0].command('HSET', 'h', 'f1', 'v1');
    await servers[1][0].command('HSET', 'h', 'f0', 'v0', 'f1', 'v1');
    expect(await servers[0][0].command('OBJECT', 'ENCODING', 'h')).toBe('hashtable');
    expect(await servers[1][0].command('OBJECT', 'ENCODING', 'h')).toBe('listpack');
    const members = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await servers[0][0].command('SADD', 's', ...members);
    await servers[1][0].command('SADD', 's', ...[...members].reverse());
    const result = await verify('--servers', spec);
    expect(result.out).toContain('\nin sync\n');
    expect(result.status).toBe(0);
  });

  it('refuses bad usage with exit 2 and says why', async () => {
    expect(await verify()).toMatchObject({
      status: 2,
      err: expect.stringContaining('--servers is required'),
    });
    expect(await verify('--servers', servers[0].map((s) => s.url).join(','))).toMatchObject({
      status: 2,
      err: expect.stringContaining('verify compares replicas, so it needs at least 2'),
    });
    expect(await verify('--servers', spec, '--source', '2')).toMatchObject({
      status: 2,
      err: expect.stringContaining('--source 2: there are only replicas 0 to 1'),
    });
    expect(await verify('--servers', spec, '--frobnicate')).toMatchObject({
      status: 2,
      err: expect.stringContaining('unknown option "--frobnicate"'),
    });
  });

  it('runs as a command: exit status 1 on drift, from the entry file', async () => {
    await servers[0][1].command('SET', 'drift:missing', 'x');
    const child = run(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join(__dirname, '../lib/cli/respline.ts'),
        'verify',
        '--servers',
        spec,
      ],
      { cwd: join(__dirname, '..'), timeout: 60_000 },
    );
    await expect(child).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringContaining('missing  shard 1, replica 1: "drift:missing" (replica 0 holds it)\n'),
    });
  });
});
