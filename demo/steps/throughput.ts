import PQueue from 'p-queue';

import { barChart, formatCount, formatMs } from '../terminal';
import { DemoFailure, keyName, TOTAL_STEPS, type DemoContext } from './context';

/** GETs in flight at once in the pipelined run. */
const IN_FLIGHT = 128;

interface Run {
  ops: number;
  ms: number;
  failed: number;
}

/** The last step: awaited GETs one by one, against many GETs in flight on the same connections. */
export async function compareThroughput(ctx: DemoContext): Promise<void> {
  const { terminal, cluster, options } = ctx;
  const sequentialOps = Math.max(100, Math.round(options.ops / 10));
  terminal.heading(TOTAL_STEPS, TOTAL_STEPS, 'Sequential against pipelined');
  terminal.say(
    `First ${formatCount(sequentialOps)} GETs one after another (await each: one round trip per GET), ` +
      `then ${formatCount(options.ops)} GETs with ${IN_FLIGHT} in flight (a p-queue): the client writes ` +
      'the commands of one tick together and matches the replies in order, on the same connections. ' +
      'Same cluster, same keys.',
  );

  let startedAt = performance.now();
  let failed = 0;
  for (let i = 0; i < sequentialOps; i++) {
    await cluster.get(keyName(i % options.keys)).catch(() => failed++);
  }
  const sequential: Run = { ops: sequentialOps, ms: performance.now() - startedAt, failed };

  const queue = new PQueue({ concurrency: IN_FLIGHT });
  failed = 0;
  startedAt = performance.now();
  for (let i = 0; i < options.ops; i++) {
    void queue.add(() => cluster.get(keyName(i % options.keys))).catch(() => failed++);
  }
  await queue.onIdle();
  const pipelined: Run = { ops: options.ops, ms: performance.now() - startedAt, failed };

  for (const [name, run] of [
    ['sequential', sequential],
    ['pipelined', pipelined],
  ] as const) {
    if (run.failed > 0) throw new DemoFailure(`${run.failed} of ${run.ops} ${name} GETs failed`);
  }
  const rate = (run: Run): number => run.ops / (run.ms / 1000);
  const chart = barChart(
    [
      {
        label: 'one at a time',
        value: rate(sequential),
        note: `${formatCount(sequential.ops)} GETs in ${formatMs(sequential.ms)}`,
      },
      {
        label: `${IN_FLIGHT} in flight`,
        value: rate(pipelined),
        note: `${formatCount(pipelined.ops)} GETs in ${formatMs(pipelined.ms)}`,
      },
    ],
    terminal.style,
    36,
    (value) => `${formatCount(value)} ops/s`,
  );
  for (const line of chart) terminal.line(line);
  const ratio = rate(pipelined) / rate(sequential);
  terminal.ok(`Pipelining was ${ratio.toFixed(1)}x faster on this machine.`);
  if (ctx.topology.kind === 'embedded') {
    terminal.aside('(EmbeddedServers run in this process, so these numbers say little about a real Redis.)');
  }
}
