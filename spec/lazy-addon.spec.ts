/**
 * xxhash-addon is a native module that only a Cluster needs: `import { Client } from 'respline'` must
 * not load it (issue 14). A fresh Node process is the only place where "not loaded yet" means anything,
 * so the check runs in a child with ts-node, reading its own require.cache.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');

let server: RedisProcess;

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await stopAll();
});

// Prints one JSON line per step: is any file of xxhash-addon in require.cache, and what GET answered.
const CHILD = `
const loaded = () => Object.keys(require.cache).some((path) => path.includes('xxhash-addon'));
const { Client, Cluster } = require('./lib/index.ts');
const report = (step, extra) => console.log(JSON.stringify({ step, loaded: loaded(), ...extra }));
(async () => {
  report('import');
  const client = new Client(process.env.URL);
  await client.set('lazy-addon:client', 'from-client');
  report('client', { value: await client.get('lazy-addon:client') });
  await client.quit();
  const cluster = new Cluster({ replicas: [[process.env.URL]] });
  report('cluster');
  await cluster.set('lazy-addon:cluster', 'from-cluster');
  report('cluster-get', { value: await cluster.get('lazy-addon:cluster') });
  await cluster.quit();
})().catch((error) => { console.error(error); process.exit(1); });
`;

it('loads xxhash-addon only when a Cluster is constructed', async () => {
  const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, URL: server.url },
    timeout: 60_000,
  });
  const steps: unknown[] = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(steps).toEqual([
    { step: 'import', loaded: false },
    { step: 'client', loaded: false, value: 'from-client' },
    { step: 'cluster', loaded: true },
    { step: 'cluster-get', loaded: true, value: 'from-cluster' },
  ]);
});
