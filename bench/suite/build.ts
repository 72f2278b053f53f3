import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

export const REPO_ROOT = join(__dirname, '..', '..');

/**
 * Workers run as plain JavaScript transpiled here, once per run, into a cache under node_modules (so the
 * packages still resolve, and git, eslint and prettier ignore it). This is what ts-node's transpileOnly
 * does, done ahead of time: a worker starts in ~0.1 s instead of ~0.8 s, and does not carry the
 * TypeScript compiler (~65 MB of RSS) into the memory figures. Types are not checked here; `tsc` does that.
 */
export const BUILD_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'respline-bench');

const SOURCES = ['lib', join('bench', 'suite')];

const OPTIONS: ts.CompilerOptions = {
  // CommonJS like the package itself; dynamic import() becomes require(), so p-queue loads via require(esm).
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
};

/** Returns the path of the compiled worker entry point. */
export function buildWorkers(): string {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  for (const dir of SOURCES) {
    for (const file of tsFiles(join(REPO_ROOT, dir))) {
      const output = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: OPTIONS,
        fileName: file,
      });
      const errors = output.diagnostics?.filter((d) => d.category === ts.DiagnosticCategory.Error) ?? [];
      if (errors.length > 0) {
        const text = ts.flattenDiagnosticMessageText(errors[0].messageText, '\n');
        throw new Error(`cannot transpile ${relative(REPO_ROOT, file)}: ${text}`);
      }
      const target = join(BUILD_DIR, relative(REPO_ROOT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, output.outputText);
    }
  }
  return join(BUILD_DIR, 'bench', 'suite', 'worker.js');
}

function tsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}
