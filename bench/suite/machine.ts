import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { REPO_ROOT } from './build';
import { redisServerVersion } from './redis-server';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redisServer: string;
  date: string;
  /** Load averages when the run started: a busy machine explains noisy figures. */
  loadAverage: number[];
  /** Load averages when the run ended. */
  loadAverageEnd: number[];
  commit: string;
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    redisServer: redisServerVersion(),
    date: new Date().toISOString(),
    loadAverage: loadAverage(),
    loadAverageEnd: [],
    commit: gitCommit(),
  };
}

/** Read-only git query; the suite never changes repository state. */
function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function loadAverage(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100);
}
