import * as echarts from 'echarts';
import type { ClientName } from './protocol';
import { holderName, type SuiteResults } from './results';

const NAMES: Partial<Record<ClientName, string>> = {
  respline: 'respline',
  ioredis: 'ioredis 6, auto-pipelining off',
  'ioredis-auto': 'ioredis 6, auto-pipelining on',
  'node-redis': 'node-redis 6',
  glide: 'valkey-glide 2 (Rust core threads in-process)',
};

/**
 * ops/s against in-flight depth, one line per client, GET. Drawn by ECharts' server-side SVG renderer,
 * which needs no DOM and no native canvas. The depths (1, 16, 128, 1024) are evenly spaced categories, a
 * rough log scale. Only respline's points carry labels: the peers' would collide at low depths, and the
 * Markdown table has every figure. The legend is vertical because server-side text widths are estimates.
 */
export function renderDepthChart(results: SuiteResults): string | null {
  const getCells = results.cells.filter(
    (c) => c.driver === 'queue' && c.workload === 'get' && c.runs.length > 0,
  );
  const depths = [...new Set(getCells.map((c) => c.depth))].sort((a, b) => a - b);
  const series = (Object.keys(NAMES) as ClientName[]).flatMap((client) => {
    const data = depths.map((depth) => {
      const cell = getCells.find((c) => c.client === client && c.depth === depth);
      return cell ? Math.round(cell.opsPerSec.median) : null;
    });
    if (data.every((value) => value === null)) return [];
    const ours = client === 'respline';
    return [
      {
        name: NAMES[client],
        type: 'line' as const,
        data,
        symbolSize: ours ? 9 : 6,
        lineStyle: { width: ours ? 4 : 2 },
        label: {
          show: ours,
          position: 'top' as const,
          formatter: (p: { value: unknown }) => compact(Number(p.value)),
        },
      },
    ];
  });
  if (series.length === 0) return null;

  const { machine, settings } = results;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 900, height: 540 });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      title: {
        text: 'GET ops/s by commands in flight (100-byte values, one redis-server on loopback)',
        subtext: `median of ${settings.repeats} run(s) · ${machine.cpuModel}, ${machine.cores} cores · node ${machine.node} · redis ${machine.redisServer} · ${machine.date.slice(0, 10)}`,
        left: 'center',
        textStyle: { fontSize: 15 },
      },
      legend: { orient: 'vertical', left: 100, top: 75, backgroundColor: 'rgba(255,255,255,0.85)' },
      grid: { left: 80, right: 40, top: 70, bottom: 60 },
      xAxis: {
        type: 'category',
        data: depths.map(String),
        name: `commands in flight (held by ${holderName(results)})`,
        nameLocation: 'middle',
        nameGap: 30,
      },
      yAxis: { type: 'value', name: 'ops/s', axisLabel: { formatter: (value: number) => compact(value) } },
      series,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function compact(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${Math.round(value / 1e3)}k`;
  return String(value);
}
