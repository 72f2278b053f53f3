/**
 * The benchmark suite of issue 4: `npm run bench` (full, several minutes) or `npm run bench -- --quick`
 * (under a minute). See bench/suite/config.ts for the options.
 *
 * This coordinator only plans, starts processes and writes reports. Measuring happens in worker processes,
 * one per client, so a client's start-up, JIT and garbage never touch another's figures. It imports nothing
 * from lib/: the workers load the library, transpiled, so this file type-checks fast under ts-node.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as prettier from 'prettier';
import { buildWorkers, REPO_ROOT } from './suite/build';
import { renderDepthChart } from './suite/chart';
import { parseArgs, USAGE, wantsHelp } from './suite/config';
import { parseRoutingLines, runExternal } from './suite/external';
import { loadAverage, machineInfo } from './suite/machine';
import { planGroups } from './suite/plan';
import { installCleanup } from './suite/processes';
import { Progress } from './suite/progress';
import { startRedisServer, preload, type RedisServer } from './suite/redis-server';
import { buildTables, renderMarkdown, renderText } from './suite/report';
import { settingsOf, type SuiteResults } from './suite/results';
import { countSteps, runCells, runDecoder, runMemory, type RunContext } from './suite/runner';

const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

async function main(argv: string[]): Promise<void> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return;
  }
  const config = parseArgs(argv);
  if (config.renderOnly) {
    const saved = JSON.parse(readFileSync(join(RESULTS_DIR, 'latest.json'), 'utf8')) as SuiteResults;
    await writeReports(saved, 'latest');
    return;
  }
  const started = Date.now();
  const groups = planGroups(config);
  const externals = (config.scenarios.has('routing') ? 1 : 0) + (config.scenarios.has('cluster') ? 1 : 0);
  const progress = new Progress(countSteps(config, groups) + externals + 1);
  installCleanup((signal) => {
    progress.finish();
    process.stderr.write(`${signal}: stopping redis-server and the workers\n`);
  });
  if (config.quick && !argv.some((arg) => arg.startsWith('--only'))) {
    progress.log(
      '--quick: fewer depths, 1 repeat, 0.5 s windows; routing skipped (bench/routing.ts takes ~2 min)',
    );
  }

  progress.step('transpiling lib/ and bench/suite/ for the workers');
  const workerEntry = buildWorkers();
  const machine = machineInfo();
  if (machine.loadAverage[0] > machine.cores / 2) {
    progress.log(
      `note: load average ${machine.loadAverage[0]} on ${machine.cores} cores: other work is running, figures will be noisy`,
    );
  }

  let server: RedisServer | null = null;
  const results: SuiteResults = {
    machine,
    settings: settingsOf(config, argv),
    wallMs: 0,
    cells: [],
    memory: [],
    decoder: [],
    routing: null,
    cluster: null,
  };
  try {
    if (groups.length > 0 || config.scenarios.has('memory')) {
      server = await startRedisServer();
      await preload(server.port, config.keyCount, config.valueSize);
      progress.log(
        `redis-server ${machine.redisServer} pid ${server.pid} on 127.0.0.1:${server.port}, ${config.keyCount} keys preloaded`,
      );
    }
    const context: RunContext = { config, workerEntry, url: server?.url ?? '', progress };
    if (groups.length > 0) results.cells = await runCells(context, groups);
    if (config.scenarios.has('memory')) results.memory = await runMemory(context);
    // The remaining scenarios need no server of ours: free its memory and CPU before they run.
    await server?.stop();
    server = null;
    if (config.scenarios.has('decoder')) results.decoder = await runDecoder(context);
    if (config.scenarios.has('routing')) {
      progress.step('routing cost (bench/routing.ts, about 2 minutes)');
      const run = await runExternal('bench/routing.ts', [], config.externalTimeoutMs, (line) =>
        progress.log(line),
      );
      results.routing = { ...run, lines: parseRoutingLines(run.stdout) };
    }
    if (config.scenarios.has('cluster')) {
      progress.step('cluster 3×3 vs one server (bench/cluster-throughput.ts)');
      const args = config.quick ? ['--quick'] : [];
      results.cluster = await runExternal(
        'bench/cluster-throughput.ts',
        args,
        config.externalTimeoutMs,
        (line) => progress.log(line),
      );
      if (results.cluster.status === 'skipped')
        progress.log(`cluster scenario skipped: ${results.cluster.reason}`);
    }
  } finally {
    await server?.stop();
    progress.finish();
  }
  results.wallMs = Date.now() - started;
  results.machine.loadAverageEnd = loadAverage();
  // A run of some scenarios only, or with the cheap driver, must not pass for the suite's latest figures.
  const partial = argv.some((arg) => arg.startsWith('--only') || arg === '--driver=loops');
  await writeReports(results, partial ? 'partial' : 'latest');
}

/** Writes `<base>.json`, `<base>.md` and `<base>-ops-by-depth.svg` (`ops-by-depth.svg` for latest). */
async function writeReports(results: SuiteResults, base: 'latest' | 'partial'): Promise<void> {
  const tables = buildTables(results);
  const { machine } = results;
  const machineLine = `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB · ${machine.os} · node ${machine.node} · redis-server ${machine.redisServer} · ${machine.date} · commit ${machine.commit} · load average ${machine.loadAverage[0]} at start, ${machine.loadAverageEnd[0]} at end`;
  console.log(`\n${machineLine}\n\n${renderText(tables)}\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const args = results.settings.args ?? (results.settings.mode === 'quick' ? ['--quick'] : []);
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  const markdown = renderMarkdown(tables, [
    `Measured on ${machineLine}.`,
    '',
    `Reproduce with \`${command}\` (${results.settings.mode} mode; wall time ${Math.round(results.wallMs / 1000)} s). Each client runs in its own process against a private redis-server on loopback; clients take turns, cell by cell.`,
  ]);
  // Formatted with the repository's prettier settings so `npm run lint` accepts the committed results.
  const json = join(RESULTS_DIR, `${base}.json`);
  const md = join(RESULTS_DIR, `${base}.md`);
  const files: [string, string][] = [
    [json, await formatted(json, JSON.stringify(results))],
    [md, await formatted(md, markdown)],
  ];
  const svgPath = join(RESULTS_DIR, base === 'latest' ? 'ops-by-depth.svg' : `${base}-ops-by-depth.svg`);
  const svg = renderDepthChart(results);
  if (svg !== null) files.push([svgPath, `${svg}\n`]);
  // A chart left from an earlier run would no longer match the tables beside it.
  else rmSync(svgPath, { force: true });
  for (const [path, text] of files) writeFileSync(path, text);
  console.log(
    `wrote ${files.map(([path]) => relative(REPO_ROOT, path)).join(', ')} in ${Math.round(results.wallMs / 1000)} s`,
  );
}

async function formatted(path: string, text: string): Promise<string> {
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});
