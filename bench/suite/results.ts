import type { Config } from './config';
import type { ExternalRun, RoutingLine } from './external';
import type { MachineInfo } from './machine';
import type {
  CellMeasure,
  ClientName,
  DecoderImpl,
  DecoderMeasure,
  DepthHolder,
  Driver,
  MemoryMeasure,
  Workload,
} from './protocol';
import { spread, type Spread } from './stats';

export interface CellResult {
  key: string;
  driver: Driver;
  workload: Workload;
  depth: number;
  client: ClientName;
  runs: CellMeasure[];
  failures: string[];
  /** Fork to connected, per run: paid before the window opens, recorded to show it is not measured. */
  startupMs: number[];
  opsPerSec: Spread;
  cpuUsPerOp: Spread;
  peakRssBytes: Spread;
  errors: number;
}

export interface MemoryResult {
  client: ClientName;
  pending: number;
  runs: MemoryMeasure[];
  failures: string[];
  peakRssBytes: Spread;
  baselineRssBytes: Spread;
  issuedRssBytes: Spread;
  bytesPerPending: Spread;
  rssBytesPerPending: Spread;
  drainMs: Spread;
}

export interface DecoderResult {
  impl: DecoderImpl;
  runs: DecoderMeasure[];
  failures: string[];
  skipped?: string;
  repliesPerSec: Spread;
}

export interface SuiteResults {
  machine: MachineInfo;
  settings: {
    mode: 'quick' | 'full';
    /** The command-line arguments of the run, to reproduce it. */
    args?: string[];
    /** What held the in-flight depth. Older result files lack it: p-queue. */
    holder?: DepthHolder;
    repeats: number;
    warmupMs: number;
    durationMs: number;
    keyCount: number;
    valueSize: number;
    scenarios: string[];
  };
  wallMs: number;
  cells: CellResult[];
  memory: MemoryResult[];
  decoder: DecoderResult[];
  routing: (ExternalRun & { lines: RoutingLine[] }) | null;
  cluster: ExternalRun | null;
}

export function settingsOf(config: Config, args: string[]): SuiteResults['settings'] {
  return {
    mode: config.quick ? 'quick' : 'full',
    args,
    holder: config.holder,
    repeats: config.repeats,
    warmupMs: config.warmupMs,
    durationMs: config.durationMs,
    keyCount: config.keyCount,
    valueSize: config.valueSize,
    scenarios: [...config.scenarios],
  };
}

export function summariseCell(
  base: Omit<CellResult, 'opsPerSec' | 'cpuUsPerOp' | 'peakRssBytes' | 'errors'>,
): CellResult {
  return {
    ...base,
    opsPerSec: spread(base.runs.map((run) => run.opsPerSec)),
    cpuUsPerOp: spread(base.runs.map((run) => run.cpuUsPerOp)),
    peakRssBytes: spread(base.runs.map((run) => run.peakRssBytes)),
    errors: base.runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

export function summariseMemory(
  client: ClientName,
  pending: number,
  runs: MemoryMeasure[],
  failures: string[],
): MemoryResult {
  return {
    client,
    pending,
    runs,
    failures,
    peakRssBytes: spread(runs.map((run) => run.peakRssBytes)),
    baselineRssBytes: spread(runs.map((run) => run.baselineRssBytes)),
    issuedRssBytes: spread(runs.map((run) => run.issuedRssBytes)),
    bytesPerPending: spread(runs.map((run) => run.bytesPerPending)),
    rssBytesPerPending: spread(runs.map((run) => run.rssBytesPerPending)),
    drainMs: spread(runs.map((run) => run.drainMs)),
  };
}

export function summariseDecoder(
  impl: DecoderImpl,
  runs: DecoderMeasure[],
  failures: string[],
): DecoderResult {
  const skipped = runs.find((run) => run.skipped !== undefined)?.skipped;
  const measured = runs.filter((run) => run.skipped === undefined);
  return {
    impl,
    runs: measured,
    failures,
    skipped,
    repliesPerSec: spread(measured.map((run) => run.repliesPerSec)),
  };
}

/** What held the in-flight depth, as the tables name it. */
export function holderName(results: SuiteResults): string {
  return results.settings.holder === 'loops' ? 'async loops' : 'p-queue';
}
