import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './build';
import { track } from './processes';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface ExternalRun {
  script: string;
  status: 'ok' | 'failed' | 'timed-out' | 'skipped';
  /** Why it was skipped or failed. */
  reason?: string;
  wallMs: number;
  stdout: string[];
  /** Payloads the script printed as `BENCH_JSON <json>` lines, for scripts that speak the convention. */
  json: Json[];
}

export interface RoutingLine {
  label: string;
  nsPerOp: number;
}

/**
 * The routing and cluster benchmarks belong to their own scripts; the suite runs them as child processes
 * (ts-node, transpile-only) so they keep their own interface, and captures what they print. A script that
 * wants its figures in latest.json prints `BENCH_JSON {…}` lines; `RESPLINE_BENCH_JSON=1` tells it so.
 */
export async function runExternal(
  relativePath: string,
  args: string[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<ExternalRun> {
  const script = join(REPO_ROOT, relativePath);
  const started = Date.now();
  if (!existsSync(script)) {
    return {
      script: relativePath,
      status: 'skipped',
      reason: `${relativePath} does not exist yet`,
      wallMs: 0,
      stdout: [],
      json: [],
    };
  }
  const child = track(
    spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, RESPLINE_BENCH_JSON: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)),
  );
  clearTimeout(timer);

  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const json: Json[] = [];
  const text: string[] = [];
  for (const line of lines) {
    if (line.startsWith('BENCH_JSON ')) {
      try {
        json.push(JSON.parse(line.slice('BENCH_JSON '.length)) as Json);
      } catch {
        log(`${relativePath}: unreadable BENCH_JSON line ignored`);
      }
    } else {
      text.push(line);
    }
  }
  const wallMs = Date.now() - started;
  if (timedOut) {
    const reason = `stopped after ${Math.round(timeoutMs / 1000)} s; lines printed before are kept`;
    return { script: relativePath, status: 'timed-out', reason, wallMs, stdout: text, json };
  }
  if (code !== 0) {
    const reason = `exit code ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`;
    return { script: relativePath, status: 'failed', reason, wallMs, stdout: text, json };
  }
  return { script: relativePath, status: 'ok', wallMs, stdout: text, json };
}

/** bench/routing.ts prints `<label padded>  <ns> ns/op` lines. */
export function parseRoutingLines(stdout: readonly string[]): RoutingLine[] {
  const parsed: RoutingLine[] = [];
  for (const line of stdout) {
    const match = /^(.+?)\s+([\d.]+) ns\/op\s*$/.exec(line);
    if (match) parsed.push({ label: match[1].trim(), nsPerOp: Number(match[2]) });
  }
  return parsed;
}
