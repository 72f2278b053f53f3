/**
 * The API reference builds cleanly: `npm run docs:check` (TypeDoc over lib/index.ts and
 * lib/testing/index.ts, typedoc.json) must report no warning — no exported symbol without TSDoc, no
 * public type that is referenced but not exported, no broken {@link}. CI runs only `npm test`, so this
 * spec is what checks the docs build there. It emits nothing; `npm run docs` writes the HTML.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

import packageJson from '../package.json';

const ROOT = join(__dirname, '..');
const TYPEDOC = join(dirname(require.resolve('typedoc/package.json')), 'bin', 'typedoc');
/** TypeDoc reads the whole program once; generous, since other specs share the cores. */
const LIMIT_MS = 150_000;

interface Run {
  code: number | null;
  output: string;
}

function runTypedoc(args: readonly string[]): Promise<Run> {
  const child = spawn(process.execPath, [TYPEDOC, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS - 5_000);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, output }));
    });
  });
}

test(
  'npm run docs:check: every exported symbol is documented, no warning, no error',
  async () => {
    // The same flags as the package.json script, so the two cannot drift apart silently.
    const script = packageJson.scripts['docs:check'];
    expect(script).toBe('typedoc --emit none --treatWarningsAsErrors --skipErrorChecking');
    const { code, output } = await runTypedoc(script.split(' ').slice(1));
    // eslint-disable-next-line no-control-regex
    const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
    const problems = plain.split('\n').filter((line) => /^\[(warning|error)\]/.test(line));
    // Listing the lines makes a failure say which symbols need TSDoc.
    expect(problems).toEqual([]);
    expect(code).toBe(0);
  },
  LIMIT_MS,
);
