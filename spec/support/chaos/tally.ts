/** Counters and invariant violations of a chaos run, and the summary printed at its end. */

/** Every invariant the chaos test checks; each must end at 0. */
export const INVARIANTS = [
  /** A reply that is not the caller's: a value for another key, a counter never written, a wrong type. */
  'wrongReply',
  /** An operation still unsettled past its deadline plus the fixed bound. */
  'unsettled',
  /** A rejection that is not one of respline's typed errors, or an error reply nothing explains. */
  'untypedError',
  /**
   * A read older than the key when the read was sent: a value older than the last acknowledged write
   * (and not of a write issued after it), or null for a key whose acknowledged write no DEL followed.
   */
  'staleRead',
  /** An acknowledged write held by fewer replicas than must hold it (see checkDurability). */
  'lostWrite',
  /** A replica holding an INCR count above the INCRs ever sent: a write applied twice. */
  'duplicatedWrite',
  /** A replica holding a value that no write produced. */
  'corruptValue',
  /** Once every fault is healed and every caller settled: a server still down, or a Client holding commands. */
  'notRecovered',
  /** Heap after the run, past GC, beyond heap before plus the allowance. */
  'memory',
  /** With repair: a server not repaired (state 'up' in health()) once the faults were healed. */
  'notRepaired',
  'unhandledRejection',
  'uncaughtException',
] as const;

export type Invariant = (typeof INVARIANTS)[number];

interface OpCount {
  ok: number;
  failed: number;
  maxMs: number;
}

const EXAMPLES_KEPT = 24;
const EXAMPLES_PER_INVARIANT = 6;
const TOLERATED_EXAMPLES_KEPT = 3;

export class Tally {
  readonly ops = new Map<string, OpCount>();
  readonly errors = new Map<string, number>();
  readonly faults = new Map<string, number>();
  readonly events = new Map<string, number>();
  readonly notes = new Map<string, number | string>();
  readonly violations = new Map<Invariant, number>(INVARIANTS.map((name) => [name, 0]));
  /** The first few violations, described, for the report. */
  readonly examples: string[] = [];
  /**
   * Violations counted but not failed, by invariant and why: stale reads without replica repair, or
   * ones the cluster itself reported (a shard with no in-sync replica left to read).
   */
  readonly tolerated = new Map<string, number>();
  private readonly toleratedExamples: string[] = [];

  op(kind: string, ok: boolean, ms: number): void {
    let count = this.ops.get(kind);
    if (count === undefined) {
      count = { ok: 0, failed: 0, maxMs: 0 };
      this.ops.set(kind, count);
    }
    if (ok) count.ok++;
    else count.failed++;
    if (ms > count.maxMs) count.maxMs = ms;
  }

  error(error: unknown): void {
    const name = error instanceof Error ? error.constructor.name : typeof error;
    bump(this.errors, name);
  }

  fault(kind: string): void {
    bump(this.faults, kind);
  }

  event(name: string): void {
    bump(this.events, name);
  }

  violation(invariant: Invariant, detail: string): void {
    const count = (this.violations.get(invariant) ?? 0) + 1;
    this.violations.set(invariant, count);
    // A few of each kind, so one kind's flood does not hide another.
    if (count <= EXAMPLES_PER_INVARIANT && this.examples.length < EXAMPLES_KEPT)
      this.examples.push(`${invariant}: ${detail}`);
  }

  tolerate(invariant: Invariant, why: string, detail: string): void {
    const name = `${invariant} (${why})`;
    bump(this.tolerated, name);
    if (this.toleratedExamples.length < TOLERATED_EXAMPLES_KEPT)
      this.toleratedExamples.push(`${name}: ${detail}`);
  }

  violationCount(): number {
    let total = 0;
    for (const count of this.violations.values()) total += count;
    return total;
  }

  summary(header: string): string {
    const ops = [...this.ops.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([kind, { ok, failed, maxMs }]) =>
          `${kind} ${ok} ok / ${failed} failed (slowest ${Math.round(maxMs)} ms)`,
      );
    const totalOps = [...this.ops.values()].reduce((sum, { ok, failed }) => sum + ok + failed, 0);
    const lines = [
      header,
      `  ops (${totalOps}): ${ops.join(', ')}`,
      `  faults: ${list(this.faults)}`,
      `  errors by type: ${list(this.errors) || 'none'}`,
      `  cluster events: ${list(this.events) || 'none'}`,
      ...[...this.notes.entries()].map(([name, value]) => `  ${name}: ${value}`),
      `  invariant violations (${this.violationCount()}): ${[...this.violations.entries()].map(([name, count]) => `${name} ${count}`).join(', ')}`,
      ...this.examples.map((example) => `    ${example}`),
    ];
    if (this.tolerated.size > 0) {
      lines.push(
        `  tolerated, not failed: ${list(this.tolerated)}`,
        ...this.toleratedExamples.map((example) => `    ${example}`),
      );
    }
    return lines.join('\n');
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function list(map: Map<string, number>): string {
  return [...map.entries()]
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}
