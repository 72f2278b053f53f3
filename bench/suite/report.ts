import { clusterRecords } from './cluster-records';
import type { Json } from './external';
import { mebibytes, micros, rate, ratio, withSpread } from './format';
import { judgeGoals } from './goals';
import { cellKey } from './plan';
import type { ClientName, Workload } from './protocol';
import { holderName, type CellResult, type SuiteResults } from './results';
import { spread } from './stats';

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  notes: string[];
}

const PEERS: ClientName[] = ['ioredis', 'ioredis-auto', 'node-redis', 'glide'];

const CLIENT_LABELS: Record<ClientName, string> = {
  respline: 'respline',
  ioredis: 'ioredis 6, auto-pipelining off',
  'ioredis-auto': 'ioredis 6, auto-pipelining on',
  'node-redis': 'node-redis 6',
  glide: 'valkey-glide 2 (Rust core threads in-process)',
  noop: 'driver alone (no client, no I/O)',
};

const WORKLOAD_LABELS: Record<Workload, string> = { get: 'GET', set: 'SET', mixed: 'Mixed 80/20 GET/SET' };

/** Every table of the report, in order; the terminal and the Markdown file render the same list. */
export function buildTables(results: SuiteResults): Table[] {
  const tables: Table[] = [];
  const holder = holderName(results);
  const label = (client: ClientName): string =>
    client === 'noop' ? `${holder} alone (no client, no I/O)` : CLIENT_LABELS[client];
  const find = (key: string, client: ClientName): CellResult | undefined =>
    results.cells.find((c) => c.key === key && c.client === client);
  const runsNote = `Median of ${results.settings.repeats} interleaved run(s), (min–max) when more than one; ${results.settings.durationMs} ms windows after ${results.settings.warmupMs} ms warm-up.`;

  // 1. The headline: respline pipelined against itself awaiting each reply.
  const sequential = find(cellKey('await-loop', 'get', 1), 'respline');
  const headline: [string, string][] = [
    ['sequential: `await` each GET', cellKey('await-loop', 'get', 1)],
    [`${holder}, 1 in flight`, cellKey('queue', 'get', 1)],
    [`${holder}, 128 in flight`, cellKey('queue', 'get', 128)],
    [`${holder}, 1024 in flight`, cellKey('queue', 'get', 1024)],
    ['explicit `pipeline()` of 100 GETs', cellKey('pipeline100', 'get', 100)],
  ];
  const headlineRows = headline.flatMap(([label, key]) => {
    const c = find(key, 'respline');
    if (!c || c.runs.length === 0) return [];
    const speedup =
      sequential && sequential.runs.length > 0 ? c.opsPerSec.median / sequential.opsPerSec.median : NaN;
    return [[label, withSpread(c.opsPerSec, rate), micros(c.cpuUsPerOp.median), ratio(speedup)]];
  });
  if (headlineRows.length > 0) {
    tables.push({
      title: 'respline: pipelined vs sequential (GET, 100-byte values)',
      headers: ['mode', 'ops/s', 'client CPU µs/op', '× sequential'],
      rows: headlineRows,
      notes: [runsNote],
    });
  }

  // 2. respline against its peers, one pair of tables per workload.
  for (const workload of ['get', 'set', 'mixed'] as const) {
    const depths = [
      ...new Set(
        results.cells
          .filter((c) => c.driver === 'queue' && c.workload === workload && c.client !== 'noop')
          .map((c) => c.depth),
      ),
    ].sort((a, b) => a - b);
    // The driver-alone row (GET only) sits under the clients so its cost can be read against theirs.
    const clients = (['respline', ...PEERS, 'noop'] as ClientName[]).filter((client) =>
      depths.some((depth) => find(cellKey('queue', workload, depth), client)),
    );
    if (depths.length === 0 || clients.filter((client) => client !== 'noop').length < 2) continue;
    const headers = ['client', ...depths.map((d) => `${d} in flight`)];
    const rows = clients.map((client) => [
      label(client),
      ...depths.map((depth) => {
        const c = find(cellKey('queue', workload, depth), client);
        return c ? withSpread(c.opsPerSec, rate) + (c.errors > 0 ? ` ⚠${c.errors} errors` : '') : '—';
      }),
    ]);
    rows.push([
      '**respline ÷ best peer**',
      ...depths.map((depth) => {
        const key = cellKey('queue', workload, depth);
        const ours = find(key, 'respline');
        const best = Math.max(
          ...PEERS.map((client) => find(key, client)?.opsPerSec.median ?? NaN).filter(Number.isFinite),
        );
        return ours && Number.isFinite(best) ? ratio(ours.opsPerSec.median / best) : '—';
      }),
    ]);
    const notes = [runsNote];
    if (clients.includes('noop')) {
      notes.push(
        `${holder} alone: the same driver with commands that resolve at once, no client and no I/O; its CPU per op is part of every client figure at that depth.`,
      );
    }
    const startup = results.cells.flatMap((c) => c.startupMs);
    if (workload === 'get' && startup.length > 0) {
      const s = spread(startup);
      notes.push(
        `A fresh worker process per run; its start-up and connect (median ${s.median.toFixed(0)} ms, ${s.min.toFixed(0)}–${s.max.toFixed(0)} ms) happen before the window and are not measured.`,
      );
    }
    tables.push({ title: `${WORKLOAD_LABELS[workload]}: ops/s by commands in flight`, headers, rows, notes });
    tables.push({
      title: `${WORKLOAD_LABELS[workload]}: client CPU µs/op · peak RSS`,
      headers,
      rows: clients.map((client) => [
        label(client),
        ...depths.map((depth) => {
          const c = find(cellKey('queue', workload, depth), client);
          return c && c.runs.length > 0
            ? `${micros(c.cpuUsPerOp.median)} · ${mebibytes(c.peakRssBytes.median)}`
            : '—';
        }),
      ]),
      notes: ['CPU is user + system time of the client process over the window, divided by ops.'],
    });
  }

  // 3. The explicit 100-command pipeline.
  const pipelined = (['respline', ...PEERS] as ClientName[])
    .map((client) => find(cellKey('pipeline100', 'get', 100), client))
    .filter((c): c is CellResult => c !== undefined && c.runs.length > 0);
  if (pipelined.length > 1) {
    const ours = pipelined.find((c) => c.client === 'respline');
    tables.push({
      title: 'Explicit pipeline of 100 GETs, one pipeline at a time',
      headers: ['client', 'commands/s', 'client CPU µs/op', 'peak RSS', 'respline ÷ this'],
      rows: pipelined.map((c) => [
        label(c.client),
        withSpread(c.opsPerSec, rate),
        micros(c.cpuUsPerOp.median),
        mebibytes(c.peakRssBytes.median),
        ours ? ratio(ours.opsPerSec.median / c.opsPerSec.median) : '—',
      ]),
      notes: [
        'respline and ioredis: `pipeline().get(k)….exec()`; node-redis: `multi().get(k)….execAsPipeline()`, which sends the commands without MULTI/EXEC.',
      ],
    });
  }

  // 4. Memory with 100k commands in flight.
  const memory = results.memory.filter((m) => m.runs.length > 0);
  if (memory.length > 0) {
    tables.push({
      title: `Memory: ${memory[0].pending.toLocaleString('en-US')} GETs issued at once, then awaited`,
      headers: [
        'client',
        'peak RSS',
        'RSS before',
        'RSS once issued',
        'heap+external per pending',
        'RSS per pending',
        'time to drain',
      ],
      rows: memory.map((m) => [
        label(m.client),
        withSpread(m.peakRssBytes, mebibytes),
        mebibytes(m.baselineRssBytes.median),
        mebibytes(m.issuedRssBytes.median),
        `${m.bytesPerPending.median.toFixed(0)} B`,
        `${m.rssBytesPerPending.median.toFixed(0)} B`,
        `${m.drainMs.median.toFixed(0)} ms`,
      ]),
      notes: [
        'Fresh process per run. Per-pending figures are the growth across the synchronous issuing loop (the 8-byte promise array slot included), before any reply can arrive. Peak RSS is the process maxRSS, replies included.',
      ],
    });
  }

  // 5. The decoder alone.
  if (results.decoder.length > 0) {
    tables.push({
      title: `Decoder alone: $${results.settings.valueSize} bulk replies from memory, 64 KiB chunks`,
      headers: ['decoder', 'replies/s'],
      rows: results.decoder.map((d) => [
        d.impl === 'respline' ? 'respline RespDecoder' : 'redis-parser 3',
        d.skipped ??
          (d.failures.length > 0 && d.runs.length === 0
            ? `failed: ${d.failures[0]}`
            : withSpread(d.repliesPerSec, rate)),
      ]),
      notes: [],
    });
  }

  // 6. Routing cost, as printed by bench/routing.ts.
  const routing = results.routing;
  if (routing) {
    tables.push({
      title: 'Routing cost per key (bench/routing.ts)',
      headers: ['case', 'ns/op'],
      rows: routing.lines.map((line) => [line.label, line.nsPerOp.toFixed(1)]),
      notes: routing.status === 'ok' ? [] : [`${routing.status}: ${routing.reason ?? ''}`],
    });
  }

  // 7. Cluster against a single server, as reported by bench/cluster-throughput.ts.
  const cluster = results.cluster;
  if (cluster) tables.push(clusterTable(cluster.status, cluster.reason, cluster.json, cluster.stdout));

  // 8. The goals.
  const goals = judgeGoals(results);
  if (goals.length > 0) {
    tables.push({
      title: 'Goals of issue 4 on this run',
      headers: ['goal', 'target', 'measured', 'met'],
      rows: goals.map((g) => [g.goal, g.target, g.measured, g.met === null ? '—' : g.met ? 'yes' : '**no**']),
      notes: [],
    });
  }
  return tables;
}

/**
 * The cluster script's output is its own: records it printed as `BENCH_JSON [{…}, …]` become a table,
 * anything else is shown as printed.
 */
function clusterTable(status: string, reason: string | undefined, json: Json[], stdout: string[]): Table {
  const title = 'Cluster 3 replicas × 3 shards vs one server (bench/cluster-throughput.ts)';
  const notes = status === 'ok' ? [] : [`${status}: ${reason ?? ''}`];
  const known = clusterRecords(json);
  if (known.length > 0) {
    return {
      title,
      headers: [
        'command',
        'in flight',
        'driver',
        'one Client, one server',
        'Cluster 3×3',
        'cluster ÷ client',
      ],
      rows: known.map((r) => [
        r.op,
        String(r.inFlight),
        r.driver ?? '—',
        rate(r.clientOpsPerSec),
        rate(r.clusterOpsPerSec),
        ratio(r.ratio),
      ]),
      notes: [
        ...notes,
        "writeAck 'one', readFrom 'ordered', ops/s; a SET goes to 3 replicas. Measured by bench/cluster-throughput.ts on servers of its own.",
      ],
    };
  }
  const records = json.flatMap((item) => (Array.isArray(item) ? item : [item])).filter(isFlatRecord);
  if (records.length > 0) {
    const headers = [...new Set(records.flatMap((record) => Object.keys(record)))];
    return { title, headers, rows: records.map((r) => headers.map((h) => String(r[h] ?? '—'))), notes };
  }
  return { title, headers: ['output'], rows: stdout.map((line) => [line]), notes };
}

function isFlatRecord(value: Json): value is Record<string, string | number | boolean | null> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => v === null || typeof v !== 'object')
  );
}

export function renderText(tables: readonly Table[]): string {
  return tables
    .map((table) => {
      const plain = (cell: string): string => cell.replace(/\*\*|`/g, '');
      const rows = [table.headers, ...table.rows].map((row) => row.map(plain));
      const widths = table.headers.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
      const line = (row: string[]): string =>
        row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
      const rule = widths.map((w) => '─'.repeat(w)).join('  ');
      // A table with no rows (a skipped scenario) shows its title and the reason only.
      const body = table.rows.length === 0 ? [] : [rule, line(rows[0]), rule, ...rows.slice(1).map(line)];
      return [table.title, ...body, ...table.notes.map((n) => `  ${plain(n)}`)].join('\n');
    })
    .join('\n\n');
}

export function renderMarkdown(tables: readonly Table[], preamble: string[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const sections = tables.map((table) => {
    const align = table.headers.map((_, i) => (i === 0 ? '---' : '---:'));
    const grid = [table.headers, align, ...table.rows].map((row) => `| ${row.map(escape).join(' | ')} |`);
    // Blank lines between blocks, so each note is its own paragraph.
    const blocks = [table.rows.length === 0 ? '' : grid.join('\n'), ...table.notes].filter(
      (block) => block !== '',
    );
    return [`### ${table.title}`, ...blocks].join('\n\n');
  });
  return [...preamble, '', ...sections.flatMap((section) => [section, ''])].join('\n');
}
