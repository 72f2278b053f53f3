import { formatCount, formatMs, type Terminal } from './terminal';

const WIDTH = 30;
/** Redraws at most this often on a terminal. */
const REDRAW_MS = 50;
/** Without a terminal, one line per quarter. */
const MILESTONES = [0.25, 0.5, 0.75];

/**
 * A progress bar redrawn in place on a terminal; in a pipe or a log (docker-compose, CI), a line at
 * 25%, 50% and 75% instead, and the final line in both cases.
 */
export class ProgressBar {
  private readonly startedAt = performance.now();
  private lastDraw = 0;
  private milestone = 0;

  constructor(
    private readonly terminal: Terminal,
    private readonly total: number,
    private readonly unit: string,
  ) {}

  update(done: number): void {
    if (this.terminal.interactive) {
      const now = performance.now();
      if (now - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = now;
      this.terminal.raw(`\r${this.render(done)}`);
    } else if (this.milestone < MILESTONES.length && done >= this.total * MILESTONES[this.milestone]) {
      while (this.milestone < MILESTONES.length && done >= this.total * MILESTONES[this.milestone]) {
        this.milestone++;
      }
      this.terminal.line(this.render(done));
    }
  }

  /** Draws the final state and ends the line; returns the elapsed ms. */
  finish(done: number): number {
    const elapsed = performance.now() - this.startedAt;
    const line = `${this.render(done)}  ${formatMs(elapsed)}`;
    if (this.terminal.interactive) this.terminal.raw(`\r${line}\n`);
    else this.terminal.line(line);
    return elapsed;
  }

  private render(done: number): string {
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const filled = Math.round(fraction * WIDTH);
    const bar = '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const style = this.terminal.style;
    return `  [${style.green(bar)}] ${percent}  ${formatCount(done)}/${formatCount(this.total)} ${this.unit}`;
  }
}
