import type { ServerHealth, ServerState } from '../../lib';
import { formatMs, table, type Style } from '../terminal';
import { serverLabel } from '../topology';
import type { DemoContext } from './context';

export interface HealthTableOptions {
  /** A snapshot taken earlier (at an event) instead of health() now. */
  readonly health?: readonly ServerHealth[];
  /** Adds each server's run_id (its first 8 characters) and missed writes. */
  readonly repair?: boolean;
}

/** health() for the shard of the server in question (marked with <-), and a line for the other servers. */
export function printHealth(
  ctx: DemoContext,
  replica: number,
  shard: number,
  options: HealthTableOptions = {},
): void {
  const { terminal, cluster } = ctx;
  const style = terminal.style;
  const health = options.health ?? cluster.health();
  const header = ['server', 'state', 'latency', 'errors', 'in flight'];
  if (options.repair) header.push('missed writes', 'run_id');
  const rows = health
    .filter((server) => server.shard === shard)
    .map((server) => {
      const row = [
        serverLabel(server.replica, server.shard),
        paintState(server.state, style),
        formatLatency(server.latencyMs),
        String(server.errors),
        String(server.inFlight),
      ];
      if (options.repair) row.push(formatMissed(server.missedWrites), `${(server.runId ?? '-').slice(0, 8)}`);
      row[row.length - 1] += server.replica === replica ? ' <-' : '';
      return row;
    });
  for (const line of table(header, rows, style)) terminal.line(line);
  const others = health.filter((server) => server.shard !== shard);
  const othersUp = others.filter((server) => server.state === 'up').length;
  terminal.aside(
    style.dim(`(the other ${others.length} servers: ${othersUp} up, ${others.length - othersUp} not)`),
  );
}

/** 'up' as is; every state that keeps reads away in capitals, so it stands out. */
function paintState(state: ServerState, style: Style): string {
  if (state === 'up') return style.green('up');
  if (state === 'down') return style.red('DOWN');
  return style.yellow(state.toUpperCase());
}

function formatMissed(missed: number): string {
  return missed < 0 ? 'all (full resync)' : String(missed);
}

/** health()'s latency; the estimate of a failing server grows without bound, so past a minute it says so. */
function formatLatency(ms: number | null): string {
  if (ms === null) return '-';
  return ms > 60_000 ? '> 1 min' : formatMs(ms);
}
