import { eachFlag, UsageError } from '../lib/cli/flags';
import { parseServersSpec, SERVERS_ENV } from './servers-spec';

export interface DemoOptions {
  /** Keys written in step 1. */
  keys: number;
  /** GETs in the pipelined half of step 5; the sequential half does a tenth of them. */
  ops: number;
  /** An existing topology to use instead of starting servers, and where it came from. */
  servers: { replicas: string[][]; source: string } | undefined;
  /** Start EmbeddedServers even when redis-server is on PATH. */
  embedded: boolean;
  /** Run the Redis Cluster demo (RedisCluster over a real cluster) instead of the Cluster one. */
  redisCluster: boolean;
  /** With --redis-cluster: nodes of an existing Redis Cluster to use instead of starting 6 nodes. */
  seeds: string[] | undefined;
  help: boolean;
}

export const DEFAULT_KEYS = 3_000;
export const DEFAULT_OPS = 20_000;
const MAX_COUNT = 1_000_000;

export const USAGE = `Usage: npm run demo -- [options]

Starts 3 replicas x 3 shards of redis-server on free ports (or 9 in-process EmbeddedServers when
redis-server is not installed), then shows what respline's Cluster does with them.

Options:
  --keys N          keys to write in step 1 (default ${DEFAULT_KEYS})
  --ops N           GETs in the pipelined run of step 5 (default ${DEFAULT_OPS}); the sequential run does N/10
  --servers SPEC    use these servers instead of starting any; SPEC lists replicas separated by ";"
                    and, in each, its shards separated by ",", in order, e.g. 2 replicas x 2 shards:
                      redis://a:6379,redis://b:6379;redis://c:6379,redis://d:6379
                    The demo writes keys demo:* there, pauses one server with CLIENT PAUSE, and
                    removes its keys at the end.
  --embedded        use in-process EmbeddedServers even if redis-server is installed
  --redis-cluster   instead: start a 6-node Redis Cluster (3 masters, 3 replicas; needs redis-server
                    and redis-cli) and show RedisCluster's routing, a reshard and a failover under load
  --seeds URLS      with --redis-cluster: use this running cluster instead, given by some of its nodes
                    separated by ",", e.g. redis://node-1:6379,redis://node-2:6379 (routing and a
                    manual failover; the reshard also when redis-cli is installed)
  -h, --help        show this help

Environment:
  ${SERVERS_ENV}   same as --servers (used by docker-compose.yml); --servers wins
  NO_COLOR                no colors (colors are also off when the output is not a terminal)`;

export { UsageError };

/** Reads the command line and the environment; throws UsageError (or ServersSpecError) on bad input. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): DemoOptions {
  const options: DemoOptions = {
    keys: DEFAULT_KEYS,
    ops: DEFAULT_OPS,
    servers: undefined,
    embedded: false,
    redisCluster: false,
    seeds: undefined,
    help: false,
  };
  let serversArg: string | undefined;
  eachFlag(argv, (flag, value, arg) => {
    switch (flag) {
      case '--keys':
        options.keys = count(flag, value());
        break;
      case '--ops':
        options.ops = count(flag, value());
        break;
      case '--servers':
        serversArg = value();
        break;
      case '--embedded':
        options.embedded = true;
        break;
      case '--redis-cluster':
        options.redisCluster = true;
        break;
      case '--seeds':
        options.seeds = parseSeeds(value());
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${arg} (try --help)`);
    }
  });
  const fromEnv = env[SERVERS_ENV];
  if (serversArg !== undefined) {
    options.servers = { replicas: parseServersSpec(serversArg, '--servers'), source: '--servers' };
  } else if (!options.redisCluster && fromEnv !== undefined && fromEnv.trim() !== '') {
    // The variable describes the other demo's servers: --redis-cluster leaves it alone.
    options.servers = { replicas: parseServersSpec(fromEnv, SERVERS_ENV), source: SERVERS_ENV };
  }
  if (options.servers !== undefined && options.embedded) {
    throw new UsageError(`--embedded and ${options.servers.source} exclude each other: pick one topology`);
  }
  if (options.seeds !== undefined && !options.redisCluster) {
    throw new UsageError('--seeds goes with --redis-cluster');
  }
  if (options.redisCluster && (options.servers !== undefined || options.embedded)) {
    const other = options.embedded ? '--embedded' : options.servers?.source;
    throw new UsageError(`--redis-cluster and ${other} exclude each other: pick one topology`);
  }
  return options;
}

/** Seeds: redis:// URLs separated by ","; blanks around entries are ignored. */
function parseSeeds(text: string): string[] {
  const seeds = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (seeds.length === 0) throw new UsageError('--seeds needs at least one redis:// URL');
  for (const seed of seeds) {
    let url: URL;
    try {
      url = new URL(seed);
    } catch {
      throw new UsageError(`--seeds: "${seed}" is not a URL (expected redis://host:port)`);
    }
    if (url.protocol !== 'redis:' || url.hostname === '' || url.port === '') {
      throw new UsageError(`--seeds: "${seed}" is not redis://host:port`);
    }
  }
  return seeds;
}

function count(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1 || value > MAX_COUNT) {
    throw new UsageError(
      `${flag} must be a whole number from 1 to ${MAX_COUNT.toLocaleString('en-US')}, not "${text}"`,
    );
  }
  return value;
}
