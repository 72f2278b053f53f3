/**
 * The install footprint of packages as a new user gets them: each is installed alone into a fresh
 * temporary project (production dependencies only, as `npm install <spec>` does), then its node_modules
 * is measured: packages installed and bytes on disk. For README's install section.
 *
 *   npm pack --pack-destination /tmp   # respline as published
 *   npx ts-node --transpile-only spec/tools/install-footprint.ts /tmp/respline-0.1.0.tgz ioredis@5 redis@5
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

interface Footprint {
  spec: string;
  version: string;
  packages: number;
  bytes: number;
}

/** Apparent size of every file (what `du -sb` counts), directories not counted. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

function measure(spec: string): Footprint {
  const dir = mkdtempSync(join(tmpdir(), 'respline-footprint-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{ "name": "footprint", "private": true }\n');
    const target = spec.endsWith('.tgz') ? resolve(spec) : spec;
    execFileSync(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', target],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const tree = execFileSync('npm', ['ls', '--all', '--parseable'], { cwd: dir, encoding: 'utf8' });
    // The first line is the project itself; every other line is one installed package directory.
    const packages = tree.trim().split('\n').length - 1;
    const installed = execFileSync('npm', ['ls', '--depth=0', '--json'], { cwd: dir, encoding: 'utf8' });
    const parsed = JSON.parse(installed) as { dependencies?: Record<string, { version?: string }> };
    const [name, info] = Object.entries(parsed.dependencies ?? {})[0] ?? ['?', {}];
    return {
      spec,
      version: `${name}@${info.version ?? '?'}`,
      packages,
      bytes: bytesUnder(join(dir, 'node_modules')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const specs = process.argv.slice(2);
  if (specs.length === 0) {
    console.error('usage: install-footprint.ts <package spec or .tgz>...');
    process.exitCode = 2;
    return;
  }
  console.log('| package | packages installed | bytes on disk |');
  console.log('| --- | ---: | ---: |');
  for (const spec of specs) {
    const { version, packages, bytes } = measure(spec);
    console.log(`| ${version} | ${packages} | ${(bytes / 1e6).toFixed(2)} MB (${bytes}) |`);
  }
}

main();
