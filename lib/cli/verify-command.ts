import { Client } from '../client';
import { eachFlag, UsageError } from './flags';
import { parseServersSpec } from './servers-spec';
import { DRIFT_KINDS, verifyReplicas, type Drift, type DriftKind, type VerifyReport } from './verify';

export const VERIFY_USAGE = `Usage: respline verify --servers SPEC [options]

Compares the replicas of every shard of a respline Cluster, key by key (values by a type-aware
digest, and TTLs), streaming: it holds one SCAN page at a time, never the keyspace. Keys under
__respline:repair: (repair bookkeeping) are skipped. A key is judged by the value most replicas hold
(a key's absence counts as a value); a tie goes to the lowest-numbered replica, unless --source.

Options:
  --servers SPEC        the Cluster's servers, as the demo takes them: replicas separated by ";" and,
                        in each, its shards separated by ",", in order, e.g. 2 replicas x 2 shards:
                          redis://a:6379,redis://b:6379;redis://c:6379,redis://d:6379
  --repair              copy the judged value over each drifted copy (DUMP, PTTL, RESTORE … REPLACE,
                        or DEL), unless the key changed meanwhile; then check it again
  --source N            trust replica N over the majority (e.g. the others restarted empty)
  --json                print one JSON report instead of text
  --ttl-tolerance MS    TTLs further apart than this are drift (default 1000)
  --batch N             SCAN COUNT and keys looked up per script call (default 500)
  --max-listed N        drifted keys listed in the report (default 100; all are counted)
  -h, --help            show this help

Exit status: 0 in sync (or every drifted copy repaired), 1 drift found and not repaired,
2 bad usage, 3 a server could not be read (nothing is concluded).`;

export { UsageError };

export interface VerifyArgs {
  replicas: string[][];
  repair: boolean;
  json: boolean;
  source: number | undefined;
  ttlToleranceMs: number;
  batch: number;
  maxListed: number;
  help: boolean;
}

/** Reads verify's arguments; throws UsageError or ServersSpecError on bad input. */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
  const args: VerifyArgs = {
    replicas: [],
    repair: false,
    json: false,
    source: undefined,
    ttlToleranceMs: 1000,
    batch: 500,
    maxListed: 100,
    help: false,
  };
  let servers: string | undefined;
  eachFlag(argv, (flag, value, arg) => {
    switch (flag) {
      case '--servers':
        servers = value();
        break;
      case '--repair':
        args.repair = true;
        break;
      case '--json':
        args.json = true;
        break;
      case '--source':
        args.source = integer(flag, value(), 0);
        break;
      case '--ttl-tolerance':
        args.ttlToleranceMs = integer(flag, value(), 0);
        break;
      case '--batch':
        args.batch = integer(flag, value(), 1);
        break;
      case '--max-listed':
        args.maxListed = integer(flag, value(), 0);
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  });
  if (args.help) return args;
  if (servers === undefined) throw new UsageError('--servers is required');
  args.replicas = parseServersSpec(servers, '--servers', {
    minReplicas: 2,
    minReplicasReason: 'verify compares replicas, so it needs at least 2',
  });
  if (args.source !== undefined && args.source >= args.replicas.length) {
    throw new UsageError(`--source ${args.source}: there are only replicas 0 to ${args.replicas.length - 1}`);
  }
  return args;
}

function integer(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${flag} takes an integer of at least ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export interface Output {
  write(text: string): unknown;
}

/** Runs verify against the servers; returns the exit status (0 in sync or repaired, 1 drift). */
export async function runVerify(args: VerifyArgs, out: Output): Promise<number> {
  const clients = args.replicas.map((row) =>
    row.map((url) => new Client(url, { reconnect: false, connectTimeout: 5_000, commandTimeout: 60_000 })),
  );
  try {
    await Promise.all(clients.flat().map((client) => client.connect()));
    const shards = clients[0].length;
    if (!args.json)
      out.write(`verify: ${clients.length} replicas x ${shards} shard${shards === 1 ? '' : 's'}\n`);
    let listed = 0;
    const report = await verifyReplicas({
      clients,
      repair: args.repair,
      batch: args.batch,
      ttlToleranceMs: args.ttlToleranceMs,
      maxListed: args.maxListed,
      source: args.source,
      onDrift: (drift) => {
        // Listed as found, so a long run shows its drift early.
        if (!args.json && listed++ < args.maxListed) out.write(`${driftLine(drift, args.repair)}\n`);
      },
    });
    const status = exitStatus(report);
    out.write(
      args.json ? `${JSON.stringify(jsonReport(report, status))}\n` : textSummary(report, args.repair),
    );
    return status;
  } finally {
    for (const client of clients.flat()) client.disconnect();
  }
}

function exitStatus(report: VerifyReport): number {
  return report.driftTotal === report.repaired ? 0 : 1;
}

function driftLine(drift: Drift, repairing: boolean): string {
  const where = `shard ${drift.shard}, replica ${drift.replica}`;
  const key = showKey(drift.key);
  let line: string;
  switch (drift.kind) {
    case 'missing':
      line = `missing  ${where}: ${key} (replica ${drift.authority} holds it)`;
      break;
    case 'extra':
      line = `extra    ${where}: ${key} (replica ${drift.authority} has none)`;
      break;
    case 'value':
      line = `value    ${where}: ${key} (differs from replica ${drift.authority})`;
      break;
    case 'ttl': {
      const pttl = drift.pttl ?? { replica: -1, authority: -1 };
      line = `ttl      ${where}: ${key} (${showTtl(pttl.replica)}, ${showTtl(pttl.authority)} on replica ${drift.authority})`;
      break;
    }
  }
  if (!repairing) return line;
  return `${line}: ${drift.repaired === true ? 'repaired' : 'NOT repaired (changed meanwhile; run again)'}`;
}

function textSummary(report: VerifyReport, repairing: boolean): string {
  const lines: string[] = [];
  if (report.driftTotal > report.listed.length) {
    lines.push(`… ${report.driftTotal - report.listed.length} more drifted copies not listed (--max-listed)`);
  }
  for (const shard of report.shards) {
    const keys = shard.keys.map((count, replica) => `${count} on replica ${replica}`).join(', ');
    const drifted = DRIFT_KINDS.reduce((sum, kind) => sum + shard.drift[kind], 0);
    lines.push(
      `shard ${shard.shard}: keys seen ${keys}; ${drifted === 0 ? 'in sync' : `drift ${kinds(shard.drift)}`}`,
    );
  }
  if (report.driftTotal === 0) {
    lines.push('in sync');
  } else {
    const shards = report.shards.filter((shard) => DRIFT_KINDS.some((kind) => shard.drift[kind] > 0)).length;
    lines.push(
      `drift: ${report.driftTotal} cop${report.driftTotal === 1 ? 'y' : 'ies'} on ${shards} of ${report.shards.length} shards`,
    );
    if (repairing) lines.push(`repaired: ${report.repaired} of ${report.driftTotal}`);
  }
  return `${lines.join('\n')}\n`;
}

function kinds(counts: Record<DriftKind, number>): string {
  return DRIFT_KINDS.filter((kind) => counts[kind] > 0)
    .map((kind) => `${counts[kind]} ${kind}`)
    .join(', ');
}

function showTtl(pttl: number): string {
  return pttl < 0 ? 'no expiry' : `pttl ${pttl} ms`;
}

/** A key as JSON text when it is valid UTF-8, else as hex. */
function showKey(key: Buffer): string {
  const text = utf8(key);
  return text === undefined ? `0x${key.toString('hex')}` : JSON.stringify(text);
}

function utf8(key: Buffer): string | undefined {
  const text = key.toString('utf8');
  return Buffer.from(text, 'utf8').equals(key) ? text : undefined;
}

function jsonReport(report: VerifyReport, status: number): object {
  return {
    inSync: report.driftTotal === 0,
    exitStatus: status,
    replicas: report.replicas,
    shards: report.shards,
    driftTotal: report.driftTotal,
    repaired: report.repaired,
    drift: report.listed.map((drift) => ({
      shard: drift.shard,
      replica: drift.replica,
      kind: drift.kind,
      key: utf8(drift.key) ?? null,
      keyHex: drift.key.toString('hex'),
      authority: drift.authority,
      ...(drift.pttl === undefined ? {} : { pttl: drift.pttl }),
      ...(drift.repaired === undefined ? {} : { repaired: drift.repaired }),
    })),
  };
}
