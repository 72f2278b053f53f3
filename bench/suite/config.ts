import type { ClientName, DepthHolder, Workload } from './protocol';

export const SCENARIOS = [
  'headline',
  'peers',
  'pipeline',
  'memory',
  'decoder',
  'routing',
  'cluster',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Config {
  quick: boolean;
  repeats: number;
  warmupMs: number;
  durationMs: number;
  /** Bound on ops per measured window, on top of the time bound. */
  maxOps: number;
  /** In-flight depths for respline against its peers, per workload. */
  depths: Record<Workload, number[]>;
  peers: ClientName[];
  /** Clients of the explicit-pipeline scenario; ioredis's pipeline() is the same with auto-pipelining on. */
  pipelineClients: ClientName[];
  /** Depths at which the driver alone (no client) is measured. */
  driverDepths: number[];
  memoryClients: ClientName[];
  memoryPending: number;
  keyCount: number;
  valueSize: number;
  decoderFrames: number;
  decoderChunkBytes: number;
  decoderMs: number;
  scenarios: Set<Scenario>;
  /** What holds the in-flight depth; p-queue unless --driver=loops. */
  holder: DepthHolder;
  /** Measure nothing: render the terminal table, latest.md and the chart again from latest.json. */
  renderOnly: boolean;
  /** Write a V8 CPU profile per worker into bench/results/. */
  cpuProf: boolean;
  /** Time allowed to bench/routing.ts and bench/cluster-throughput.ts. */
  externalTimeoutMs: number;
}

export const USAGE = `usage: ts-node bench/run.ts [--quick] [--repeats=N] [--duration=MS] [--warmup=MS]
                        [--only=${SCENARIOS.join(',')}] [--driver=p-queue|loops] [--cpu-prof] [--render]

  --quick       about 40 s: 1 repeat, 0.5 s windows, fewer depths; skips routing (it takes ~2 min)
  --repeats=N   interleaved repeats per cell (default 3; 1 with --quick)
  --duration=MS measured window per cell (default 2000; 500 with --quick)
  --warmup=MS   unmeasured warm-up before each window (default 500; 200 with --quick)
  --only=LIST   run only these scenarios, comma-separated
  --driver=D    what holds the in-flight depth: p-queue (default) or loops (N plain async loops,
                much cheaper: shows how much of a figure is the driver's)
  --cpu-prof    write a .cpuprofile per worker into bench/results/
  --render      measure nothing; rebuild the table, latest.md and the chart from latest.json`;

const ALL_PEERS: ClientName[] = ['respline', 'ioredis', 'ioredis-auto', 'node-redis', 'glide'];

export function parseArgs(argv: readonly string[]): Config {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unexpected argument "${arg}"\n${USAGE}`);
    flags.set(match[1], match[2] ?? '');
  }
  const known = new Set([
    'quick',
    'repeats',
    'duration',
    'warmup',
    'only',
    'driver',
    'cpu-prof',
    'render',
    'help',
  ]);
  for (const name of flags.keys())
    if (!known.has(name)) throw new Error(`unknown option --${name}\n${USAGE}`);

  const quick = flags.has('quick');
  const scenarios = new Set<Scenario>(
    flags.has('only')
      ? parseScenarios(flags.get('only') ?? '')
      : SCENARIOS.filter((s) => !(quick && s === 'routing')),
  );
  return {
    quick,
    repeats: intFlag(flags, 'repeats', quick ? 1 : 3),
    warmupMs: intFlag(flags, 'warmup', quick ? 200 : 500),
    durationMs: intFlag(flags, 'duration', quick ? 500 : 2000),
    maxOps: quick ? 5_000_000 : 20_000_000,
    // Quick mode keeps what the goals are judged on: 1, 128 and 1024 for GET, 128 for the rest.
    depths: quick
      ? { get: [1, 128, 1024], set: [128], mixed: [128] }
      : { get: [1, 16, 128, 1024], set: [1, 16, 128, 1024], mixed: [1, 16, 128, 1024] },
    peers: ALL_PEERS,
    pipelineClients: quick ? ALL_PEERS.filter((client) => client !== 'ioredis-auto') : ALL_PEERS,
    driverDepths: quick ? [128, 1024] : [1, 16, 128, 1024],
    memoryClients: quick ? ['respline', 'ioredis'] : ['respline', 'ioredis', 'node-redis'],
    memoryPending: 100_000,
    keyCount: 10_000,
    valueSize: 100,
    decoderFrames: 100_000,
    decoderChunkBytes: 64 * 1024,
    decoderMs: quick ? 400 : 1500,
    scenarios,
    cpuProf: flags.has('cpu-prof'),
    holder: parseHolder(flags.get('driver') ?? 'p-queue'),
    renderOnly: flags.has('render'),
    // Quick mode must end within a minute: the cluster script gets what is left of it.
    externalTimeoutMs: quick ? 20_000 : 300_000,
  };
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

function parseHolder(value: string): DepthHolder {
  if (value === 'p-queue' || value === 'loops') return value;
  throw new Error(`--driver must be p-queue or loops\n${USAGE}`);
}

function parseScenarios(list: string): Scenario[] {
  const names = list.split(',').filter((name) => name !== '');
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`unknown scenario "${name}"\n${USAGE}`);
  }
  return names as Scenario[];
}

function intFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer\n${USAGE}`);
  return value;
}
