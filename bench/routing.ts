/**
 * Cost of routing one key: ns per shardOf call, and how much of it is xxhash-addon's own call.
 *
 *   npx ts-node bench/routing.ts [substring]   # only the cases whose label contains it
 *
 * Each case cycles through 1024 prebuilt keys so no single input is special; every result feeds a
 * checksum so the work cannot be optimised away. Reports the median of several rounds.
 *
 * Allocation-heavy cases (xxhash-addon returns a fresh Buffer per call) are sensitive to heap state,
 * so running one case per process gives steadier figures than one run of all.
 */
import { XXHash64 } from 'xxhash-addon';
import { jumpConsistentHashHalves } from '../lib/cluster/jump-hash';
import { routingDigest } from '../lib/cluster/key-hash';
import { shardOf } from '../lib/cluster/routing';

const KEY_COUNT = 1024;
const OPS_PER_ROUND = 2_000_000;
const ROUNDS = 7;
const SHARDS = 3;

const plainKeys = Array.from({ length: KEY_COUNT }, (_, i) => `user:${12_345 + i}`);
const taggedKeys = Array.from({ length: KEY_COUNT }, (_, i) => `{user:${12_345 + i}}:profile`);
const bufferKeys = plainKeys.map((key) => Buffer.from(key));
const digests = plainKeys.map((key) => routingDigest(key));

let checksum = 0;

const only = process.argv[2];

function measure(label: string, op: (i: number) => number): void {
  if (only !== undefined && !label.includes(only)) return;
  for (let i = 0; i < OPS_PER_ROUND; i++) checksum += op(i & (KEY_COUNT - 1)); // warm-up, lets the JIT settle
  const perOp: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < OPS_PER_ROUND; i++) checksum += op(i & (KEY_COUNT - 1));
    perOp.push(Number(process.hrtime.bigint() - start) / OPS_PER_ROUND);
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(ROUNDS / 2)];
  console.log(`${label.padEnd(58)} ${median.toFixed(1).padStart(7)} ns/op`);
}

console.log(`node ${process.version}, ${OPS_PER_ROUND} ops x ${ROUNDS} rounds, median; shards = ${SHARDS}`);
measure("shardOf('user:12345') string", (i) => shardOf(plainKeys[i], SHARDS));
measure("shardOf('{user:12345}:profile') string, hash tag", (i) => shardOf(taggedKeys[i], SHARDS));
measure("shardOf(Buffer 'user:12345')", (i) => shardOf(bufferKeys[i], SHARDS));
measure('XXHash64.hash(prebuilt Buffer) alone', (i) => XXHash64.hash(bufferKeys[i])[7]);
measure("Buffer.from('user:12345') alone", (i) => Buffer.from(plainKeys[i])[0]);
measure('jumpConsistentHashHalves(digest halves) alone', (i) =>
  jumpConsistentHashHalves(digests[i].readUInt32BE(0), digests[i].readUInt32BE(4), SHARDS),
);
measure('jumpConsistentHashHalves alone, 1000 shards', (i) =>
  jumpConsistentHashHalves(digests[i].readUInt32BE(0), digests[i].readUInt32BE(4), 1000),
);
console.log(`checksum ${checksum}`);
