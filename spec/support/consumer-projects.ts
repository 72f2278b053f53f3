import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The source of the three consumer projects of spec/package-consumer.spec.ts: CommonJS, ESM and
 * TypeScript (nodenext, strict), each running README's first example against a server the spec spawned.
 * They sit side by side under one parent whose node_modules holds the installed tarball, so the tarball
 * is installed once.
 */

export interface ConsumerUrls {
  /** Replaces the URL of README's example; one database per project, so their counters stay apart. */
  readonly example: string;
  /** Two shards for a Cluster that is constructed, never connected: it only has to load the hasher. */
  readonly shards: readonly [string, string];
}

/** What each project prints on its last line, as JSON. */
export interface ExampleOutput {
  /** The example's pipeline results. */
  readonly results: unknown;
  /** Whether xxhash-addon was in require.cache after the example (a Client only) ran. */
  readonly xxhashAfterClient: boolean;
  /** Whether it was after a sharded Cluster was constructed. */
  readonly xxhashAfterCluster: boolean;
}

const README_SECTION = '### Client: one server';

/** README's first example (the ```ts block under "### Client: one server"), with its URL replaced. */
export async function readmeExample(readmePath: string, url: string): Promise<string> {
  const readme = await readFile(readmePath, 'utf8');
  const section = readme.indexOf(README_SECTION);
  if (section === -1) throw new Error(`README has no "${README_SECTION}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(section));
  if (block?.[1] === undefined) throw new Error(`no \`\`\`ts block under "${README_SECTION}"`);
  const urls = block[1].match(/'redis:\/\/[^']*'/g) ?? [];
  // Exactly one: the example must never run against the URL README shows (a shared port).
  if (urls.length !== 1) throw new Error(`README's first example has ${urls.length} URLs, expected 1`);
  return block[1].replace(/'redis:\/\/[^']*'/, `'${url}'`);
}

const IMPORT_LINE = "import { Client } from 'respline';\n";

function withoutImport(example: string): string {
  if (!example.startsWith(IMPORT_LINE))
    throw new Error(`README's first example must begin with ${IMPORT_LINE}`);
  return example.slice(IMPORT_LINE.length);
}

/** Reads the module cache, which CommonJS and ESM (through createRequire) share, for xxhash-addon. */
function xxhashProbe(requireName: string): string {
  return `Object.keys(${requireName}.cache).some((path) => path.includes('/node_modules/xxhash-addon/'))`;
}

function epilogue(urls: ConsumerUrls, requireName: string): string {
  return [
    `const xxhashAfterClient = ${xxhashProbe(requireName)};`,
    `const cluster = new Cluster({ replicas: [[${urls.shards.map((url) => `'${url}'`).join(', ')}]] });`,
    `const xxhashAfterCluster = ${xxhashProbe(requireName)};`,
    'cluster.disconnect();',
    'console.log(JSON.stringify({ results, xxhashAfterClient, xxhashAfterCluster }));',
    '',
  ].join('\n');
}

function commonJsProgram(example: string, urls: ConsumerUrls): string {
  const body = `${withoutImport(example)}\n${epilogue(urls, 'require')}`.replace(/^(?=.)/gm, '  ');
  return [
    "'use strict';",
    "const { Client, Cluster } = require('respline');",
    '',
    'async function main() {',
    body,
    '}',
    '',
    'main().catch((error) => {',
    '  console.error(error);',
    '  process.exitCode = 1;',
    '});',
    '',
  ].join('\n');
}

/** README's example as it is (an ES module with top-level await), then the probe. */
function esmProgram(example: string, urls: ConsumerUrls): string {
  return [
    "import { createRequire } from 'node:module';",
    "import { Cluster } from 'respline';",
    example,
    'const cjsRequire = createRequire(import.meta.url);',
    epilogue(urls, 'cjsRequire'),
  ].join('\n');
}

/**
 * One process, both module systems: the ESM and CommonJS faces must share every class, and
 * respline/testing must load without its optional peers and fail by name when EmbeddedServer needs them.
 */
function dualProgram(url: string): string {
  return `import { createRequire } from 'node:module';
import { Client, ReplyError, ResplineError } from 'respline';
import * as testing from 'respline/testing';

const require = createRequire(import.meta.url);
const cjs = require('respline');
const cjsTesting = require('respline/testing');

const client = new cjs.Client('${url}');
await client.connect();
await client.set('dual:text', 'not a number');
const failure = await client.incr('dual:text').then(() => undefined, (error) => error);
await client.quit();

const missing = (() => {
  try {
    new testing.EmbeddedServer();
    return undefined;
  } catch (error) {
    return error;
  }
})();

console.log(JSON.stringify({
  sameClient: Client === cjs.Client,
  sameReplyError: ReplyError === cjs.ReplyError,
  cjsReplyIsEsmReplyError: failure instanceof ReplyError,
  replyCode: failure?.code,
  sameTestingKit: testing.EmbeddedServer === cjsTesting.EmbeddedServer,
  faultProxy: typeof testing.FaultProxy,
  missingIsTyped: missing instanceof cjsTesting.MissingPeerDependencyError && missing instanceof ResplineError,
  missingPackage: missing?.packageName,
  installCommand: missing?.installCommand,
}));
`;
}

/** The TypeScript project's CommonJS file: the \`require\` condition's types, checked under nodenext. */
const TYPESCRIPT_CJS_CHECK = `import { Client, ReplyError } from 'respline';
import { EmbeddedServer, MissingPeerDependencyError } from 'respline/testing';

export const required: readonly [typeof Client, typeof ReplyError, typeof EmbeddedServer, typeof MissingPeerDependencyError] = [
  Client,
  ReplyError,
  EmbeddedServer,
  MissingPeerDependencyError,
];
`;

function typescriptProgram(example: string, urls: ConsumerUrls): string {
  return [
    "import type { EmbeddedServerOptions } from 'respline/testing';",
    esmProgram(example, urls),
    '// The import condition of respline/testing resolves to typed declarations too.',
    'export const serverOptions: EmbeddedServerOptions = { port: 0 };',
    '',
  ].join('\n');
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Writes `<root>/package.json` (the install target) and the three projects under it. */
export async function writeConsumerProjects(
  root: string,
  example: (url: string) => string,
  urls: { cjs: ConsumerUrls; esm: ConsumerUrls; ts: ConsumerUrls; dual: string },
  typeRoots: string,
): Promise<{ cjs: string; esm: string; ts: string }> {
  const dirs = { cjs: join(root, 'cjs'), esm: join(root, 'esm'), ts: join(root, 'ts') };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  await writeFile(join(root, 'package.json'), json({ name: 'consumers', private: true }));

  await writeFile(
    join(dirs.cjs, 'package.json'),
    json({ name: 'cjs-consumer', private: true, type: 'commonjs' }),
  );
  await writeFile(join(dirs.cjs, 'main.js'), commonJsProgram(example(urls.cjs.example), urls.cjs));

  await writeFile(
    join(dirs.esm, 'package.json'),
    json({ name: 'esm-consumer', private: true, type: 'module' }),
  );
  await writeFile(join(dirs.esm, 'main.js'), esmProgram(example(urls.esm.example), urls.esm));
  await writeFile(join(dirs.esm, 'dual.js'), dualProgram(urls.dual));

  await writeFile(
    join(dirs.ts, 'package.json'),
    json({ name: 'ts-consumer', private: true, type: 'module' }),
  );
  await writeFile(join(dirs.ts, 'main.ts'), typescriptProgram(example(urls.ts.example), urls.ts));
  await writeFile(join(dirs.ts, 'required.cts'), TYPESCRIPT_CJS_CHECK);
  await writeFile(
    join(dirs.ts, 'tsconfig.json'),
    json({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        // respline's own declarations are checked too, as a strict consumer compiles them.
        skipLibCheck: false,
        outDir: 'out',
        types: ['node'],
        typeRoots: [typeRoots],
      },
      files: ['main.ts', 'required.cts'],
    }),
  );
  return dirs;
}
