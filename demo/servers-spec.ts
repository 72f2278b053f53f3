/**
 * The demo's `--servers` / RESPLINE_DEMO_SERVERS: the topology syntax of lib/cli/servers-spec.ts
 * (shared with `respline verify`), with the demo's own minimum of replicas.
 */
import { parseServersSpec as parseTopology } from '../lib/cli/servers-spec';

export { SERVERS_FORMAT_HINT, ServersSpecError } from '../lib/cli/servers-spec';

export const SERVERS_ENV = 'RESPLINE_DEMO_SERVERS';

/** The demo shows failover and quorum writes: it needs a second replica to fail over to. */
export const MIN_REPLICAS = 2;

/** Parses the spec into `replicas[r][s]` URLs; throws ServersSpecError saying what is wrong and where. */
export function parseServersSpec(spec: string, source = '--servers'): string[][] {
  return parseTopology(spec, source, {
    minReplicas: MIN_REPLICAS,
    minReplicasReason: `the demo needs at least ${MIN_REPLICAS} to show failover`,
  });
}
