import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

import { readmeExample, writeConsumerProjects, type ExampleOutput } from './support/consumer-projects';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';

/**
 * The package as a user gets it: `npm pack` (which builds through prepack), the tarball installed into
 * fresh CommonJS, ESM and TypeScript projects, README's first example run in each against a real server.
 * Needs the npm registry or a warm npm cache for xxhash-addon, as `npm ci` of this repository does.
 */

const run = promisify(execFile);
const REPO = resolve(__dirname, '..');
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');
/** The build (tsc over lib/) dominates; bounded so a hung npm fails the suite instead of stalling it. */
const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 30_000;
/** The TypeScript consumer type-checks respline's declarations (skipLibCheck off) and @types/node. */
const TSC_TIMEOUT_MS = 60_000;

/**
 * Under `npm test`, npm passes its settings to scripts as npm_* variables, npm_config_local_prefix (this
 * repository) among them: a child npm inheriting it would install here. Only the settings that say how
 * to reach the registry and where the cache is are kept.
 */
const KEPT_NPM_SETTINGS = new Set(
  [
    'cache',
    'registry',
    'userconfig',
    'globalconfig',
    'cafile',
    'proxy',
    'https_proxy',
    'noproxy',
    'strict_ssl',
  ].map((name) => `npm_config_${name}`),
);

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^npm_/i.test(name) || KEPT_NPM_SETTINGS.has(name.toLowerCase()),
    ),
  );
}

async function sh(
  file: string,
  args: readonly string[],
  cwd: string,
  timeout = STEP_TIMEOUT_MS,
): Promise<string> {
  const { stdout } = await run(file, args, { cwd, env: cleanEnv(), timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** The JSON a consumer program printed on its last line. */
function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '');
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

interface NpmTree {
  version?: string;
  dependencies?: Record<string, NpmTree>;
}

/**
 * Every installed package in an `npm ls --all --json` tree, as `parent>child` paths. An optional peer
 * that is not installed (ioredis-mock) is listed with no version: it is not part of the install.
 */
function treePaths(tree: NpmTree, prefix = ''): string[] {
  return Object.entries(tree.dependencies ?? {})
    .filter(([, child]) => child.version !== undefined)
    .flatMap(([name, child]) => [`${prefix}${name}`, ...treePaths(child, `${prefix}${name}>`)]);
}

/** The package names present under node_modules (scoped ones as `@scope/name`), nested ones included. */
async function packagesOnDisk(nodeModules: string): Promise<string[]> {
  const manifests = (await filesUnder(nodeModules)).filter((file) => file.endsWith('/package.json'));
  const names = new Set<string>();
  for (const manifest of manifests) {
    const parsed = JSON.parse(await readFile(manifest, 'utf8')) as { name?: unknown };
    // Only a package's root manifest: the directory right under a node_modules (or @scope) is named after it.
    const dir = relative(nodeModules, dirname(manifest)).split('/');
    const index = dir.lastIndexOf('node_modules');
    const rest = dir.slice(index + 1);
    const isRoot = rest.length === 1 || (rest.length === 2 && rest[0]?.startsWith('@') === true);
    if (isRoot && typeof parsed.name === 'string') names.add(parsed.name);
  }
  return [...names].sort();
}

const EXPECTED_RESULTS = ['OK', '1', 2, 'v'];

describe('the packed tarball, installed into fresh projects', () => {
  let work: string;
  let tarball: string;
  let consumers: string;
  let installed: string;
  let redis: RedisProcess;
  let dirs: { cjs: string; esm: string; ts: string };

  beforeAll(
    async () => {
      work = await mkdtemp(join(tmpdir(), 'respline-consumer-'));
      redis = await startRedis();
      await sh('npm', ['pack', '--silent', '--pack-destination', work], REPO, PACK_TIMEOUT_MS);
      const packed = (await readdir(work)).filter((name) => name.endsWith('.tgz'));
      expect(packed).toHaveLength(1);
      tarball = join(work, packed[0] ?? '');

      consumers = join(work, 'consumers');
      const url = (db: number): string => `redis://127.0.0.1:${redis.port}/${db}`;
      const example = await readmeExample(join(REPO, 'README.md'), url(0));
      dirs = await writeConsumerProjects(
        consumers,
        // Each project gets its own database, so INCR counts from zero in each.
        (exampleUrl) => example.replace(`'${url(0)}'`, `'${exampleUrl}'`),
        {
          cjs: { example: url(1), shards: [url(11), url(12)] },
          esm: { example: url(2), shards: [url(11), url(12)] },
          ts: { example: url(3), shards: [url(11), url(12)] },
          dual: url(4),
        },
        join(REPO, 'node_modules', '@types'),
      );
      // One install for the three projects: they resolve respline from their parent's node_modules.
      await sh(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball],
        consumers,
        INSTALL_TIMEOUT_MS,
      );
      installed = join(consumers, 'node_modules', 'respline');
    },
    PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS + STEP_TIMEOUT_MS,
  );

  afterAll(async () => {
    await stopAll();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('holds dist/, package.json, README and LICENSE only, with no spec, bench or demo code', async () => {
    const listing = (await sh('tar', ['-tzf', tarball], work)).trim().split('\n');
    const outsideDist = listing.filter((path) => !path.startsWith('package/dist/')).sort();
    expect(outsideDist).toEqual(['package/LICENSE', 'package/README.md', 'package/package.json']);
    expect(listing.filter((path) => /\/(spec|bench|demo|examples)\//.test(path))).toEqual([]);
    expect(listing.filter((path) => path.endsWith('.ts') && !/\.d\.m?ts$/.test(path))).toEqual([]);
  });

  it('resolves every exports target and bin of its package.json inside the package', async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      bin?: Record<string, string>;
    };
    const targets = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value]
        : Object.values(value ?? {}).flatMap((child: unknown) => targets(child));
    const exported = targets(manifest.exports);
    expect(exported.length).toBeGreaterThanOrEqual(9);
    expect(exported.filter((target) => !existsSync(join(installed, target)))).toEqual([]);
    for (const [name, bin] of Object.entries(manifest.bin ?? {})) {
      expect((await readFile(join(installed, bin), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
      // Linked, executable, and everything it loads is in the production install.
      const help = await sh(join(consumers, 'node_modules', '.bin', name), ['--help'], consumers);
      expect(help).toContain(name);
    }
  });

  it('ships source maps that resolve: each source is inlined or inside the package', async () => {
    const maps = (await filesUnder(join(installed, 'dist'))).filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const unresolved: string[] = [];
    for (const map of maps) {
      const parsed = JSON.parse(await readFile(map, 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      parsed.sources.forEach((source, index) => {
        const inline = typeof parsed.sourcesContent?.[index] === 'string';
        if (!inline && !existsSync(resolve(dirname(map), source)))
          unresolved.push(`${relative(installed, map)}: ${source}`);
      });
    }
    expect(unresolved).toEqual([]);
  });

  it('installs respline and the hasher the sharded Cluster needs, and nothing else', async () => {
    const tree = JSON.parse(await sh('npm', ['ls', '--omit=dev', '--all', '--json'], consumers)) as NpmTree;
    const paths = treePaths(tree);
    expect(Object.keys(tree.dependencies ?? {})).toEqual(['respline']);
    expect(paths.filter((path) => path.split('>').length === 2)).toEqual(['respline>xxhash-addon']);
    // Whatever xxhash-addon itself needs (node-gyp-build today) is its own; nothing else hangs off respline.
    expect(paths.filter((path) => !path.startsWith('respline>xxhash-addon'))).toEqual(['respline']);
    // And nothing more on disk than the tree lists.
    const inTree = [...new Set(paths.map((path) => path.slice(path.lastIndexOf('>') + 1)))].sort();
    expect(await packagesOnDisk(join(consumers, 'node_modules'))).toEqual(inTree);
    expect(inTree.filter((name) => /ioredis|fengari/.test(name))).toEqual([]);
  });

  it("runs README's first example from CommonJS; xxhash-addon loads only with a Cluster", async () => {
    const output = lastJsonLine(await sh('node', ['main.js'], dirs.cjs)) as ExampleOutput;
    expect(output).toEqual({ results: EXPECTED_RESULTS, xxhashAfterClient: false, xxhashAfterCluster: true });
  });

  it("runs README's first example from ESM; xxhash-addon loads only with a Cluster", async () => {
    const output = lastJsonLine(await sh('node', ['main.js'], dirs.esm)) as ExampleOutput;
    expect(output).toEqual({ results: EXPECTED_RESULTS, xxhashAfterClient: false, xxhashAfterCluster: true });
  });

  it('shares one implementation between import and require: instanceof holds across both', async () => {
    const output = lastJsonLine(await sh('node', ['dual.js'], dirs.esm));
    expect(output).toEqual({
      sameClient: true,
      sameReplyError: true,
      cjsReplyIsEsmReplyError: true,
      replyCode: 'ERR',
      sameTestingKit: true,
      faultProxy: 'function',
      missingIsTyped: true,
      missingPackage: 'ioredis-mock',
      installCommand: 'npm install --save-dev ioredis-mock ioredis@5',
    });
  });

  it(
    "compiles README's first example as strict nodenext TypeScript, both conditions typed, and runs it",
    async () => {
      const listed = await sh(TSC, ['-p', dirs.ts, '--listFiles'], dirs.ts, TSC_TIMEOUT_MS);
      const declarations = listed
        .split('\n')
        .filter((file) => file.includes('/node_modules/respline/dist/') && /index\.d\.m?ts$/.test(file))
        .map((file) => relative(installed, file))
        .sort();
      // main.ts resolves the import condition (.d.mts), required.cts the require condition (.d.ts).
      expect(declarations).toEqual(
        expect.arrayContaining([
          'dist/index.d.mts',
          'dist/index.d.ts',
          'dist/testing/index.d.mts',
          'dist/testing/index.d.ts',
        ]),
      );
      const output = lastJsonLine(await sh('node', ['out/main.js'], dirs.ts)) as ExampleOutput;
      expect(output).toEqual({
        results: EXPECTED_RESULTS,
        xxhashAfterClient: false,
        xxhashAfterCluster: true,
      });
    },
    TSC_TIMEOUT_MS + STEP_TIMEOUT_MS,
  );
});
