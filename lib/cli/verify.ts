import type { Client } from '../client';
import { isRepairKey } from '../cluster/repair-keys';
import { CommandFlags } from '../connection/pending-command';
import type { RespValue } from '../resp/types';
import {
  readExists,
  readSource,
  readStates,
  writeTarget,
  type KeyState,
  type SourceValue,
  type TargetWrite,
} from './replica-scripts';

/**
 * `respline verify`: compares the replicas of each shard key by key, streaming.
 *
 * Per shard, each replica is SCANned in turn, one page at a time, and every page's keys are looked up
 * on all replicas (one script per replica and page, see replica-scripts.ts). A key is judged by the
 * first replica, in replica order, that holds it: on replica j's pass, keys that an earlier replica
 * holds are skipped (an EXISTS per key there first), since that replica's pass judged them already.
 * So every key is judged once, and nothing is held but one page and the drift found, whose list is
 * capped (`maxListed`). A sorted merge would need the keys in order, which SCAN does not give.
 *
 * A key is judged against its authority: the value most replicas hold (absence counts as a value), a
 * tie going to the lowest-numbered replica, or `source` when given. Replicas that differ from it
 * have drift: 'missing' (absent there), 'extra' (present where the authority has none), 'value', or
 * 'ttl' (same value, PTTL more than `ttlToleranceMs` apart, or an expiry on one side only).
 *
 * With `repair`, each page's drift is repaired before the next page: the authority's value is read
 * with DUMP and PTTL, and restored on the drifted replica with RESTORE … REPLACE (or the key deleted)
 * by a script that first checks the key still has the digest this run read there, so a write that
 * landed meanwhile is not overwritten. Each repaired key is then read again on both sides; one that
 * still differs (a live write raced the repair) counts as unrepaired, for the next run.
 */

export type DriftKind = 'missing' | 'extra' | 'value' | 'ttl';

export const DRIFT_KINDS: readonly DriftKind[] = ['missing', 'extra', 'value', 'ttl'];

export interface Drift {
  shard: number;
  /** The replica whose copy differs. */
  replica: number;
  key: Buffer;
  kind: DriftKind;
  /** The replica whose copy was judged right. */
  authority: number;
  /** PTTLs, for 'ttl' drift: on the drifted replica and on the authority (-1: no expiry). */
  pttl?: { replica: number; authority: number };
  /** With `repair`: whether the copy now matches the authority's. */
  repaired?: boolean;
}

export interface ShardReport {
  shard: number;
  /** Keys each replica holds (its own SCAN pass; repair bookkeeping keys excluded). */
  keys: number[];
  /** Drifted copies, by kind. */
  drift: Record<DriftKind, number>;
  repaired: number;
}

export interface VerifyReport {
  replicas: number;
  shards: ShardReport[];
  /** The first `maxListed` drifted copies found. */
  listed: Drift[];
  /** All drifted copies found. */
  driftTotal: number;
  repaired: number;
}

export interface VerifyOptions {
  /** Clients by [replica][shard]. */
  clients: Client[][];
  repair: boolean;
  /** SCAN COUNT and the page of keys looked up at once. */
  batch: number;
  ttlToleranceMs: number;
  maxListed: number;
  /** A replica to trust over the majority. */
  source?: number;
  /** Called with each drifted copy as it is found (and repaired, with `repair`). */
  onDrift?: (drift: Drift) => void;
}

export async function verifyReplicas(options: VerifyOptions): Promise<VerifyReport> {
  const { clients } = options;
  const report: VerifyReport = {
    replicas: clients.length,
    shards: [],
    listed: [],
    driftTotal: 0,
    repaired: 0,
  };
  const shardCount = clients[0].length;
  for (let shard = 0; shard < shardCount; shard++) {
    const replicas = clients.map((row) => row[shard]);
    const shardReport: ShardReport = {
      shard,
      keys: replicas.map(() => 0),
      drift: { missing: 0, extra: 0, value: 0, ttl: 0 },
      repaired: 0,
    };
    const record = (drift: Drift): void => {
      shardReport.drift[drift.kind]++;
      if (drift.repaired === true) shardReport.repaired++;
      report.driftTotal++;
      if (report.listed.length < options.maxListed) report.listed.push(drift);
      options.onDrift?.(drift);
    };
    for (let pass = 0; pass < replicas.length; pass++) {
      for await (const page of scanPages(replicas[pass], options.batch)) {
        shardReport.keys[pass] += page.length;
        const judged = await keysToJudge(replicas, pass, page);
        if (judged.length === 0) continue;
        const states = await Promise.all(replicas.map((client) => readStates(client, judged)));
        const drift = judged.flatMap((key, k) =>
          judge(
            shard,
            key,
            states.map((replicaStates) => replicaStates[k]),
            options,
          ),
        );
        if (options.repair && drift.length > 0) await repair(replicas, drift, states, judged, options);
        drift.forEach(record);
      }
    }
    report.shards.push(shardReport);
    report.repaired += shardReport.repaired;
  }
  return report;
}

/** One SCAN page at a time, each key once within its page, repair bookkeeping left out. */
async function* scanPages(client: Client, count: number): AsyncGenerator<Buffer[]> {
  let cursor = '0';
  do {
    const reply = await client.sendCommand(['SCAN', cursor, 'COUNT', count], CommandFlags.Buffers);
    const [next, keys] = scanReply(reply);
    cursor = next;
    const seen = new Set<string>();
    const page: Buffer[] = [];
    for (const key of keys) {
      const id = key.toString('latin1');
      if (seen.has(id) || isRepairKey(key)) continue;
      seen.add(id);
      page.push(key);
    }
    if (page.length > 0) yield page;
  } while (cursor !== '0');
}

/** The keys of replica `pass`'s page that no earlier replica holds (those were judged on its pass). */
async function keysToJudge(replicas: readonly Client[], pass: number, page: Buffer[]): Promise<Buffer[]> {
  if (pass === 0) return page;
  const earlier = await Promise.all(replicas.slice(0, pass).map((client) => readExists(client, page)));
  return page.filter((_, k) => earlier.every((exists) => !exists[k]));
}

/** The drifted copies of one key, given its state on every replica. */
function judge(shard: number, key: Buffer, states: KeyState[], options: VerifyOptions): Drift[] {
  const authority = authorityOf(states, options.source);
  const expected = states[authority];
  const drift: Drift[] = [];
  states.forEach((state, replica) => {
    if (replica === authority) return;
    const base = { shard, replica, key, authority };
    if (state.digest !== expected.digest) {
      const kind = expected.digest === '' ? 'extra' : state.digest === '' ? 'missing' : 'value';
      drift.push({ ...base, kind });
    } else if (expected.digest !== '' && !ttlsAgree(state.pttl, expected.pttl, options.ttlToleranceMs)) {
      drift.push({ ...base, kind: 'ttl', pttl: { replica: state.pttl, authority: expected.pttl } });
    }
  });
  return drift;
}

/** The replica whose copy is judged right: `source`, else the majority's lowest-numbered replica. */
function authorityOf(states: KeyState[], source: number | undefined): number {
  if (source !== undefined) return source;
  let best = 0;
  let bestVotes = 0;
  states.forEach((state, replica) => {
    const votes = states.filter((other) => other.digest === state.digest).length;
    if (votes > bestVotes) {
      best = replica;
      bestVotes = votes;
    }
  });
  return best;
}

function ttlsAgree(a: number, b: number, tolerance: number): boolean {
  if (a < 0 || b < 0) return a === b;
  return Math.abs(a - b) <= tolerance;
}

/** Copies the authority's value over each drifted copy of this page, then checks each one again. */
async function repair(
  replicas: readonly Client[],
  drift: Drift[],
  states: KeyState[][],
  page: Buffer[],
  options: VerifyOptions,
): Promise<void> {
  const index = new Map(page.map((key, k) => [key.toString('latin1'), k]));
  const slot = (item: Drift): number => index.get(item.key.toString('latin1')) ?? -1;
  const sources = new Map<number, Map<number, SourceValue | null>>();
  for (const [authority, items] of groupBy(drift, (item) => item.authority)) {
    const keys = unique(items.map(slot));
    const values = await readSource(
      replicas[authority],
      keys.map((k) => page[k]),
    );
    sources.set(authority, new Map(keys.map((k, n) => [k, values[n]])));
  }
  for (const [replica, items] of groupBy(drift, (item) => item.replica)) {
    const writes: TargetWrite[] = [];
    for (const item of items) {
      const k = slot(item);
      const source = sources.get(item.authority)?.get(k) ?? null;
      // The authority's value changed since it was judged (a live write): leave it to the next run.
      if ((source?.digest ?? '') !== states[item.authority][k].digest) continue;
      writes.push({ key: item.key, expected: states[replica][k].digest, source });
    }
    if (writes.length > 0) await writeTarget(replicas[replica], writes);
  }
  // Read every copy involved again: a key is repaired when its copy now matches the authority's.
  const keys = unique(drift.map(slot)).map((k) => page[k]);
  const after = await Promise.all(replicas.map((client) => readStates(client, keys)));
  const position = new Map(keys.map((key, n) => [key.toString('latin1'), n]));
  for (const item of drift) {
    const n = position.get(item.key.toString('latin1')) ?? -1;
    const copy = after[item.replica][n];
    const expected = after[item.authority][n];
    item.repaired =
      copy.digest === expected.digest &&
      (expected.digest === '' || ttlsAgree(copy.pttl, expected.pttl, options.ttlToleranceMs));
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

function unique(values: readonly number[]): number[] {
  return [...new Set(values)];
}

function scanReply(reply: RespValue): [string, Buffer[]] {
  if (Array.isArray(reply) && reply.length === 2 && Buffer.isBuffer(reply[0]) && Array.isArray(reply[1])) {
    const keys: Buffer[] = [];
    for (const key of reply[1]) {
      if (!Buffer.isBuffer(key)) break;
      keys.push(key);
    }
    if (keys.length === reply[1].length) return [reply[0].toString(), keys];
  }
  throw new Error('verify: unexpected reply to SCAN');
}
