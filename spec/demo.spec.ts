/**
 * `npm run demo`, end to end, in a child process: with small numbers, against the redis-servers it
 * starts itself (or EmbeddedServers when redis-server is missing), with --embedded, against servers
 * that do not answer, and interrupted by SIGINT. Every run must leave no server behind.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

import { findRedisCli } from '../demo/redis-cluster-launcher';
import { findRedisServer } from '../demo/redis-process';
import { RESTART_STEP, TOTAL_STEPS } from '../demo/steps/context';
import { freeLoopbackPort } from '../lib/testing/loopback';

const ROOT = join(__dirname, '..');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
/**
 * A guard against a hung demo, not a timing check: the demo itself takes about 5 s, but on a loaded
 * 2-core machine (load average 13) ts-node alone took some 25 s to start it. Below jest's 60 s.
 */
const RUN_LIMIT_MS = 50_000;

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** The child is killed (SIGKILL) after this long; RUN_LIMIT_MS unless set. */
  limitMs?: number;
  /** Called with the output so far on every chunk; may signal the child. */
  onOutput?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void;
}

function runDemo(args: string[], options: RunOptions = {}): Promise<DemoRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  if (options.env?.RESPLINE_DEMO_SERVERS === undefined) delete env.RESPLINE_DEMO_SERVERS;
  const child = spawn(
    process.execPath,
    [TS_NODE, '--transpile-only', join('demo', 'cluster-demo.ts'), ...args],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? RUN_LIMIT_MS);
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onOutput?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' can come before the pipes are drained.
      setImmediate(() => resolve({ code, signal, stdout, stderr }));
    });
  });
}

/** The ports of the servers the demo listed ("r0-s0 127.0.0.1:40001"). */
function listedPorts(stdout: string): number[] {
  return [...stdout.matchAll(/\br\d+-s\d+ 127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function expectAllClosed(ports: number[]): Promise<void> {
  const open = [];
  for (const port of ports) if (await portOpen(port)) open.push(port);
  expect(open).toEqual([]);
}

/** Ports nobody listens on: the OS picked them free a moment ago. */
async function closedPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freeLoopbackPort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** The demo's text with its wrapped lines joined again (the terminal wraps at spaces, indenting by 4). */
function unwrapped(stdout: string): string {
  return stdout.replace(/\n {4}/g, ' ');
}

/** "Step N of M: " at the start of a line, for the demo's M (5, or 6 with the restart step). */
const STEP_LINE = new RegExp(`^Step (\\d) of ${TOTAL_STEPS}: `, 'gm');

/** The lines a newcomer is promised, in order. */
function expectTheSteps(stdout: string, keys: number): void {
  const steps = [...stdout.matchAll(STEP_LINE)].map((match) => Number(match[1]));
  expect(steps).toEqual(Array.from({ length: TOTAL_STEPS }, (_, i) => i + 1));
  expect(stdout).toContain(`${keys.toLocaleString('en-US')}/${keys.toLocaleString('en-US')} keys`);
  expect(stdout).toMatch(/✓ Balance: every shard is within [\d.]+% of the mean/);
  expect(stdout).toMatch(/✓ Each server holds exactly the keys of its shard/);
  const reads = [...stdout.matchAll(/✓ (\d+) of (\d+) reads returned the right value,/g)];
  expect(reads).toHaveLength(1);
  expect(reads[0][1]).toBe(reads[0][2]);
  expect(stdout).toMatch(/✓ r0-s1 was marked down .* \(a 'serverDown' event/);
  expect(stdout).toMatch(/r0-s1 +DOWN/);
  expect(stdout).toMatch(/✓ (\d+) of \1 writes confirmed/);
  expect(stdout).toMatch(/✓ r0-s1 was marked up again .* \(a 'serverUp' event/);
  if (RESTART_STEP)
    expect(stdout).toMatch(/^Step 5 of 6: Restart a server empty: r0-s2 \(replica 0, shard 2\)$/m);
  expect(stdout).toMatch(/✓ Pipelining was [\d.]+x faster/);
  expect(stdout).toMatch(/✓ Done in /);
  expect(stdout.indexOf('marked down')).toBeLessThan(stdout.indexOf('marked up again'));
}

/**
 * Step 5 on redis-servers: r0-s2 killed and started again empty is marked stale ('restarted', a new
 * run_id), kept out of reads, repaired by a full resync of exactly the keys it held, and read again.
 */
function expectTheRestartRepaired(stdout: string): void {
  const text = unwrapped(stdout.slice(stdout.indexOf('Step 5 of 6: '), stdout.indexOf('Step 6 of 6: ')));
  const held =
    /✓ r0-s2 is running again after [\d.]+ m?s; it started with 0 keys \(it held ([\d,]+)\)\./.exec(text);
  expect(held).not.toBeNull();
  const keys = held?.[1] ?? '';
  expect(Number(keys.replace(/,/g, ''))).toBeGreaterThan(0);
  const stale =
    /✓ r0-s2 was marked stale [\d.]+ m?s after the kill \(a 'serverStale' event, reason 'restarted': its run_id changed from (\w{8})… to (\w{8})…\)/.exec(
      text,
    );
  expect(stale).not.toBeNull();
  expect(stale?.[1]).not.toBe(stale?.[2]);
  expect(text).toMatch(/r0-s2 +STALE .* all \(full resync\) +\w{8} <-/);
  expect(text).toContain(`a full resync copied ${keys} keys from r1-s2 or r2-s2 in `);
  expect(text).toMatch(/\(a 'serverRepaired' event, after [\d,]+ 'repairProgress' events?\)/);
  expect(text).toMatch(/r0-s2 +up +\S+( ms)? +\d+ +\d+ +0 +\w{8} <-/);
  const during =
    /✓ ([\d,]+) of ([\d,]+) reads returned the right value while it restarted, was stale and was repaired/.exec(
      text,
    );
  expect(during?.[1]).toBe(during?.[2]);
  expect(text).toContain(`✓ r0-s2 holds ${keys} keys again, as r1-s2 and r2-s2 do.`);
  const served = /✓ Back in the read set: r0-s2 answered (\d+) of (\d+) reads of shard 2 keys/.exec(text);
  expect(served?.[1]).toBe(served?.[2]);
}

describe('npm run demo', () => {
  it('runs its steps on servers it starts, exits 0 and leaves none running', async () => {
    const run = await runDemo(['--keys', '300', '--ops', '2000']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expectTheSteps(run.stdout, 300);
    if (findRedisServer() !== undefined) {
      expect(run.stdout).toMatch(/Started 9 redis-server processes/);
      expect(run.stdout).toMatch(/with SIGSTOP/);
      if (RESTART_STEP) expectTheRestartRepaired(run.stdout);
      expect(run.stdout).toMatch(/Stopped the 9 redis-server processes it started\./);
    } else {
      expect(run.stdout).toMatch(/redis-server is not installed .* EmbeddedServers/s);
    }
    const ports = listedPorts(run.stdout);
    expect(ports).toHaveLength(9);
    expect(ports).not.toContain(6379);
    await expectAllClosed(ports);
    // A pipe is no terminal: no colors, no carriage returns.
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout).not.toContain('\r');
  });

  it('says plainly when it runs EmbeddedServers, and runs the same steps on them', async () => {
    const run = await runDemo(['--embedded', '--keys', '200', '--ops', '1000']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/9 EmbeddedServers inside this Node\.js process/);
    expect(run.stdout).toMatch(/it is not Redis/);
    expectTheSteps(run.stdout, 200);
    if (RESTART_STEP)
      expect(unwrapped(run.stdout)).toContain(
        'Skipped. An EmbeddedServer reports no run_id (INFO server), and the run_id is how a Cluster tells',
      );
  });

  it('fails with a clear message and a non-zero code when the servers it is given do not answer', async () => {
    const ports = await closedPorts(4);
    const spec = `redis://127.0.0.1:${ports[0]},redis://127.0.0.1:${ports[1]};redis://127.0.0.1:${ports[2]},redis://127.0.0.1:${ports[3]}`;
    const run = await runDemo(['--keys', '10'], { env: { RESPLINE_DEMO_SERVERS: spec } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'Using the 4 servers listed in RESPLINE_DEMO_SERVERS (2 replicas x 2 shards)',
    );
    expect(run.stderr).toMatch(/✗ The demo failed: ReplicationError: no replica of shards 0, 1 is reachable/);
    expect(run.stdout).not.toMatch(/^Step 1/m);
  });

  it('refuses a bad --servers spec before starting anything, with exit code 2', async () => {
    const run = await runDemo(['--servers', 'redis://a:6379,redis://b:6379;redis://c:6379']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      '--servers: replica 0 has 2 shards but replica 1 has 1; every replica needs the same number of',
    );
  });

  it('stops every server it started when interrupted with SIGINT, and exits 130', async () => {
    let signalled = false;
    const run = await runDemo(['--keys', '1000000'], {
      onOutput: (stdout, kill) => {
        if (!signalled && /^Step 1 of /m.test(stdout)) {
          signalled = true;
          kill('SIGINT');
        }
      },
    });
    expect(signalled).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('Interrupted (Ctrl-C): cleaning up...');
    expect(run.stderr).not.toContain('The demo failed');
    const ports = listedPorts(run.stdout);
    expect(ports).toHaveLength(9);
    await expectAllClosed(ports);
  });

  const withRedisCluster = findRedisServer() !== undefined && findRedisCli() !== undefined ? it : it.skip;
  withRedisCluster(
    '--redis-cluster: routes, reshards and fails over under load with no untyped error, and stops its 6 nodes',
    async () => {
      const run = await runDemo(['--redis-cluster', '--keys', '500'], { limitMs: 50_000 });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const steps = [...run.stdout.matchAll(/^Step (\d) of 3: /gm)].map((match) => Number(match[1]));
      expect(steps).toEqual([1, 2, 3]);
      expect(run.stdout).toContain('✓ Each master holds exactly the keys of its slots (DBSIZE agrees).');
      expect(run.stdout).toMatch(/✓ [\d,]+ SETs in [\d.]+ m?s while 500 slots moved: 0 errors, and 1,000 of/);
      expect(run.stdout).toMatch(/✓ 127\.0\.0\.1:\d+ is now a master \(127\.0\.0\.1:\d+ master, 5,461 slots/);
      expect(run.stdout).toMatch(/every one with a typed error/);
      expect(run.stdout).not.toContain('untyped errors');
      expect(run.stdout).toContain('Stopped the 6 redis-server processes it started.');
      const listed = /Started 6 redis-server processes \(ports ([\d, ]+)\)/.exec(run.stdout);
      const ports = (listed?.[1] ?? '').split(', ').map(Number);
      expect(ports).toHaveLength(6);
      expect(ports).not.toContain(6379);
      await expectAllClosed(ports);
    },
    60_000,
  );
});
