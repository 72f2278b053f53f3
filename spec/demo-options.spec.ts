/** The demo's command line and its --servers / RESPLINE_DEMO_SERVERS format, with their error messages. */
import { DEFAULT_KEYS, DEFAULT_OPS, parseOptions, UsageError } from '../demo/options';
import { parseServersSpec, ServersSpecError, SERVERS_ENV } from '../demo/servers-spec';

function specError(spec: string, source?: string): string {
  try {
    parseServersSpec(spec, source);
  } catch (error) {
    expect(error).toBeInstanceOf(ServersSpecError);
    return (error as Error).message;
  }
  throw new Error(`"${spec}" was accepted`);
}

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseOptions(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('the --servers format', () => {
  it('reads replicas separated by ";" and shards by ","', () => {
    expect(parseServersSpec('redis://a:1,redis://b:2;redis://c:3,redis://d:4')).toEqual([
      ['redis://a:1', 'redis://b:2'],
      ['redis://c:3', 'redis://d:4'],
    ]);
  });

  it('ignores whitespace and newlines around entries, and a trailing separator', () => {
    const folded = `
      redis://r0-s0:6379, redis://r0-s1:6379;
      redis://r1-s0:6379 , redis://r1-s1:6379;

      redis://r2-s0:6379,redis://r2-s1:6379;
    `;
    expect(parseServersSpec(folded)).toEqual([
      ['redis://r0-s0:6379', 'redis://r0-s1:6379'],
      ['redis://r1-s0:6379', 'redis://r1-s1:6379'],
      ['redis://r2-s0:6379', 'redis://r2-s1:6379'],
    ]);
  });

  it('accepts rediss:// and credentials', () => {
    expect(parseServersSpec('rediss://u:p@a:1;redis://:secret@b:2')).toEqual([
      ['rediss://u:p@a:1'],
      ['redis://:secret@b:2'],
    ]);
  });

  it('names what is wrong, and where', () => {
    expect(specError('')).toMatch(
      /^--servers: is empty; expected replicas separated by ";" and their shards by ","/,
    );
    expect(specError('  ', SERVERS_ENV)).toMatch(/^RESPLINE_DEMO_SERVERS: is empty/);
    expect(specError('redis://a:1,redis://b:1')).toMatch(
      /^--servers: lists 1 replica; the demo needs at least 2 to show failover/,
    );
    expect(specError('redis://a:1;;redis://b:1')).toMatch(
      /^--servers: replica 1 is empty \(two ";" in a row\?\)/,
    );
    expect(specError('redis://a:1,,redis://b:1;redis://c:1')).toBe(
      '--servers: replica 0, shard 1 is empty (two "," in a row?)',
    );
    expect(specError('redis://a:1,redis://b:1;redis://c:1')).toBe(
      '--servers: replica 0 has 2 shards but replica 1 has 1; every replica needs the same number of shards, in the same order',
    );
    expect(specError('redis://a:1;http://b:1')).toBe(
      '--servers: replica 1, shard 0: "http://b:1" must start with redis:// or rediss://',
    );
    expect(specError('redis://a:1;b:1')).toBe(
      '--servers: replica 1, shard 0: "b:1" must start with redis:// or rediss://',
    );
    expect(specError('redis://a:1;localhost')).toBe(
      '--servers: replica 1, shard 0: "localhost" is not a URL; write it as redis://host:port',
    );
    expect(specError('redis://a:1;redis://b:1 redis://c:1')).toBe(
      '--servers: replica 1, shard 0: "redis://b:1 redis://c:1" contains whitespace (missing "," or ";"?)',
    );
    expect(specError('redis://a:1;redis://b:99999')).toBe(
      '--servers: replica 1, shard 0: "redis://b:99999" is not a URL; write it as redis://host:port',
    );
    expect(specError('redis://a:1,redis://b:1;redis://c:1,redis://A:1')).toBe(
      '--servers: replica 0, shard 0 and replica 1, shard 1 are the same server (a:1); list each server once',
    );
    expect(specError('redis://a,redis://b;redis://c,redis://a:6379')).toMatch(
      /are the same server \(a:6379\)/,
    );
  });
});

describe('the demo command line', () => {
  it('has defaults', () => {
    expect(parseOptions([], {})).toEqual({
      keys: DEFAULT_KEYS,
      ops: DEFAULT_OPS,
      servers: undefined,
      embedded: false,
      redisCluster: false,
      seeds: undefined,
      help: false,
    });
  });

  it('reads --keys, --ops, --embedded and --help, with "=" or a separate value', () => {
    expect(parseOptions(['--keys', '300', '--ops=2000', '--embedded', '-h'], {})).toEqual({
      keys: 300,
      ops: 2000,
      servers: undefined,
      embedded: true,
      redisCluster: false,
      seeds: undefined,
      help: true,
    });
  });

  it('reads --redis-cluster and its --seeds, trimmed, with "=" or a separate value', () => {
    expect(parseOptions(['--redis-cluster'], {})).toMatchObject({ redisCluster: true, seeds: undefined });
    expect(
      parseOptions(['--redis-cluster', '--seeds', ' redis://node-1:6379 ,redis://node-2:7000,'], {}).seeds,
    ).toEqual(['redis://node-1:6379', 'redis://node-2:7000']);
    expect(parseOptions(['--seeds=redis://a:1', '--redis-cluster'], {}).seeds).toEqual(['redis://a:1']);
    // RESPLINE_DEMO_SERVERS describes the other demo's servers: --redis-cluster does not read it.
    expect(parseOptions(['--redis-cluster'], { [SERVERS_ENV]: 'redis://e:1;redis://f:1' }).servers).toBe(
      undefined,
    );
  });

  it('refuses bad --redis-cluster and --seeds combinations with a message that says why', () => {
    expect(usageError(['--seeds', 'redis://a:1'])).toBe('--seeds goes with --redis-cluster');
    expect(usageError(['--redis-cluster', '--seeds'])).toBe('--seeds needs a value');
    expect(usageError(['--redis-cluster', '--seeds', ' , '])).toBe('--seeds needs at least one redis:// URL');
    expect(usageError(['--redis-cluster', '--seeds', 'node-1:6379'])).toBe(
      '--seeds: "node-1:6379" is not redis://host:port',
    );
    expect(usageError(['--redis-cluster', '--seeds', 'redis://a'])).toBe(
      '--seeds: "redis://a" is not redis://host:port',
    );
    expect(usageError(['--redis-cluster', '--seeds', 'not a url'])).toBe(
      '--seeds: "not a url" is not a URL (expected redis://host:port)',
    );
    expect(usageError(['--redis-cluster', '--embedded'])).toBe(
      '--redis-cluster and --embedded exclude each other: pick one topology',
    );
    expect(usageError(['--redis-cluster', '--servers', 'redis://a:1;redis://b:1'])).toBe(
      '--redis-cluster and --servers exclude each other: pick one topology',
    );
  });

  it('takes the servers from --servers, else from RESPLINE_DEMO_SERVERS', () => {
    const env = { [SERVERS_ENV]: 'redis://e:1;redis://f:1' };
    expect(parseOptions([], env).servers).toEqual({
      replicas: [['redis://e:1'], ['redis://f:1']],
      source: SERVERS_ENV,
    });
    expect(parseOptions(['--servers', 'redis://a:1;redis://b:1'], env).servers).toEqual({
      replicas: [['redis://a:1'], ['redis://b:1']],
      source: '--servers',
    });
    expect(parseOptions([], { [SERVERS_ENV]: '  ' }).servers).toBeUndefined();
    expect(() => parseOptions([], { [SERVERS_ENV]: 'redis://a:1' })).toThrow(
      /^RESPLINE_DEMO_SERVERS: lists 1 replica/,
    );
  });

  it('refuses bad options with a message that says why', () => {
    expect(usageError(['--keys', '0'])).toBe('--keys must be a whole number from 1 to 1,000,000, not "0"');
    expect(usageError(['--ops=1e3'])).toBe('--ops must be a whole number from 1 to 1,000,000, not "1e3"');
    expect(usageError(['--keys'])).toBe('--keys needs a value');
    expect(usageError(['--servers', '--embedded'])).toBe('--servers needs a value');
    expect(usageError(['--fast'])).toBe('unknown option --fast (try --help)');
    expect(usageError(['--embedded'], { [SERVERS_ENV]: 'redis://a:1;redis://b:1' })).toBe(
      '--embedded and RESPLINE_DEMO_SERVERS exclude each other: pick one topology',
    );
  });
});
