/**
 * The `--servers` topology syntax shared by the demo and `respline verify`: replicas separated by `;`
 * and, inside a replica, its shards separated by `,`, in shard order:
 *
 *   redis://r0-s0:6379,redis://r0-s1:6379;redis://r1-s0:6379,redis://r1-s1:6379
 *
 * Whitespace (spaces, newlines) around entries is ignored, and a trailing `;` or `,` is allowed, so a
 * YAML folded string can list one replica per line.
 */

export const SERVERS_FORMAT_HINT =
  'expected replicas separated by ";" and their shards by ",", e.g. ' +
  '"redis://a:6379,redis://b:6379;redis://c:6379,redis://d:6379" (2 replicas x 2 shards)';

export class ServersSpecError extends Error {
  override readonly name = 'ServersSpecError';
}

export interface ServersSpecRules {
  /** Fewest replicas the caller can work with (default 1). */
  minReplicas?: number;
  /** Why it needs that many, for the error message, e.g. 'the demo needs at least 2 to show failover'. */
  minReplicasReason?: string;
}

/** Parses the spec into `replicas[r][s]` URLs; throws ServersSpecError saying what is wrong and where. */
export function parseServersSpec(
  spec: string,
  source = '--servers',
  rules: ServersSpecRules = {},
): string[][] {
  const minReplicas = rules.minReplicas ?? 1;
  const fail = (problem: string): never => {
    throw new ServersSpecError(`${source}: ${problem}`);
  };
  if (spec.trim() === '') fail(`is empty; ${SERVERS_FORMAT_HINT}`);
  const replicas = splitList(spec, ';').map((replica, r) => {
    if (replica.trim() === '') fail(`replica ${r} is empty (two ";" in a row?); ${SERVERS_FORMAT_HINT}`);
    return splitList(replica, ',').map((entry, s) => {
      if (entry === '') fail(`replica ${r}, shard ${s} is empty (two "," in a row?)`);
      return checkUrl(entry, `replica ${r}, shard ${s}`, fail);
    });
  });
  if (replicas.length < minReplicas) {
    const reason = rules.minReplicasReason ?? `at least ${minReplicas} are needed`;
    fail(`lists ${replicas.length} replica; ${reason} (${SERVERS_FORMAT_HINT})`);
  }
  const shards = replicas[0].length;
  replicas.forEach((replica, r) => {
    if (replica.length !== shards) {
      fail(
        `replica 0 has ${shards} shard${shards === 1 ? '' : 's'} but replica ${r} has ${replica.length}; ` +
          'every replica needs the same number of shards, in the same order',
      );
    }
  });
  const seen = new Map<string, string>();
  replicas.forEach((replica, r) =>
    replica.forEach((url, s) => {
      const { hostname, port } = new URL(url);
      const identity = `${hostname.toLowerCase()}:${port || '6379'}`;
      const first = seen.get(identity);
      if (first !== undefined) {
        fail(
          `${first} and replica ${r}, shard ${s} are the same server (${identity}); list each server once`,
        );
      }
      seen.set(identity, `replica ${r}, shard ${s}`);
    }),
  );
  return replicas;
}

/** Splits on `separator`, trims, and drops one empty entry after a trailing separator. */
function splitList(text: string, separator: string): string[] {
  const parts = text.split(separator).map((part) => part.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

function checkUrl(entry: string, where: string, fail: (problem: string) => never): string {
  if (/\s/.test(entry)) fail(`${where}: "${entry}" contains whitespace (missing "," or ";"?)`);
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return fail(`${where}: "${entry}" is not a URL; write it as redis://host:port`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    fail(`${where}: "${entry}" must start with redis:// or rediss://`);
  }
  if (url.hostname === '') fail(`${where}: "${entry}" has no host`);
  return entry;
}
