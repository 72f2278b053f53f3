/** Plain-text output for the demo: headings, marks, bar charts and tables; colors only on a terminal. */

type Paint = (text: string) => string;

export interface Style {
  bold: Paint;
  dim: Paint;
  green: Paint;
  red: Paint;
  yellow: Paint;
  cyan: Paint;
}

const plain: Paint = (text) => text;

/** Colors when writing to a terminal and NO_COLOR is unset or empty (https://no-color.org). */
export function colorsWanted(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

function makeStyle(colors: boolean): Style {
  const sgr =
    (open: number, close: number): Paint =>
    (text) =>
      colors ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return colors
    ? {
        bold: sgr(1, 22),
        dim: sgr(2, 22),
        green: sgr(32, 39),
        red: sgr(31, 39),
        yellow: sgr(33, 39),
        cyan: sgr(36, 39),
      }
    : { bold: plain, dim: plain, green: plain, red: plain, yellow: plain, cyan: plain };
}

/** Text is wrapped to the terminal's width, or this many columns, whichever is less. */
const MAX_WIDTH = 100;

export class Terminal {
  readonly style: Style;
  /** A terminal that can redraw a line in place (progress bars); false for pipes and files. */
  readonly interactive: boolean;
  private readonly width: number;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    env: NodeJS.ProcessEnv,
  ) {
    this.interactive = stream.isTTY === true;
    this.style = makeStyle(colorsWanted(stream, env));
    const columns = stream.isTTY === true && stream.columns > 0 ? stream.columns : MAX_WIDTH;
    this.width = Math.max(60, Math.min(MAX_WIDTH, columns));
  }

  line(text = ''): void {
    this.stream.write(`${text}\n`);
  }

  /** Writes without a newline, for redrawing a line with '\r'. */
  raw(text: string): void {
    this.stream.write(text);
  }

  title(text: string): void {
    this.line(this.style.bold(text));
    this.line(this.style.bold('='.repeat(text.length)));
  }

  heading(step: number, total: number, text: string): void {
    this.line();
    this.line(this.style.bold(this.style.cyan(`Step ${step} of ${total}: ${text}`)));
  }

  /** Indented explanation, wrapped. */
  say(text: string): void {
    this.wrapped('  ', '  ', text);
  }

  /** A note under the line before it, indented one more step. */
  aside(text: string): void {
    this.wrapped('    ', '    ', text);
  }

  ok(text: string): void {
    this.wrapped(`  ${this.style.green('✓')} `, '    ', text);
  }

  warn(text: string): void {
    this.wrapped(`  ${this.style.yellow('!')} `, '    ', text);
  }

  fail(text: string): void {
    this.wrapped(`  ${this.style.red('✗')} `, '    ', text);
  }

  private wrapped(first: string, rest: string, text: string): void {
    for (const line of wrap(text, this.width - visibleLength(rest))) {
      this.line(`${first}${line}`);
      first = rest;
    }
  }
}

/** Splits `text` on spaces into lines of at most `width` visible characters (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && visibleLength(current) + 1 + visibleLength(word) > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines;
}

export interface Bar {
  label: string;
  value: number;
  /** Shown after the number, dimmed. */
  note?: string;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** Horizontal bars scaled to the largest value, `width` cells long at most, with the value after each. */
export function barChart(bars: readonly Bar[], style: Style, width = 36, format = formatCount): string[] {
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const labelWidth = Math.max(...bars.map((bar) => bar.label.length));
  const values = bars.map((bar) => format(bar.value));
  const valueWidth = Math.max(...values.map((value) => value.length));
  return bars.map((bar, i) => {
    const eighths = Math.round((bar.value / max) * width * 8);
    const cells = '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
    const note = bar.note === undefined ? '' : `  ${style.dim(bar.note)}`;
    return `    ${bar.label.padEnd(labelWidth)}  ${style.cyan(cells.padEnd(width))}  ${values[i].padStart(valueWidth)}${note}`;
  });
}

/** Columns padded to their widest cell, left-aligned; a rule under the header. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  style: Style,
): string[] {
  const widths = header.map((cell, column) =>
    Math.max(visibleLength(cell), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const render = (row: readonly string[]): string =>
    `    ${row.map((cell, column) => cell + ' '.repeat(widths[column] - visibleLength(cell))).join('  ')}`.trimEnd();
  return [
    style.dim(render(header)),
    style.dim(`    ${widths.map((width) => '-'.repeat(width)).join('  ')}`),
    ...rows.map(render),
  ];
}

/** Length without ANSI color codes. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(0)} s`;
  if (ms >= 1_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
