/**
 * One status line on stderr, rewritten in place on a terminal; one line per step when stderr is a pipe or
 * a file, so a CI log stays readable. Other output goes through `log` so it never lands mid-line.
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly startedAt = Date.now();
  private line = '';
  private done = 0;

  constructor(private total: number) {}

  addToTotal(steps: number): void {
    this.total += steps;
  }

  step(label: string): void {
    this.done++;
    const elapsed = ((Date.now() - this.startedAt) / 1000).toFixed(0);
    this.show(`[${this.done}/${this.total} ${elapsed}s] ${label}`);
  }

  log(message: string): void {
    this.clear();
    process.stderr.write(`${message}\n`);
    if (this.tty && this.line !== '') process.stderr.write(this.line);
  }

  clear(): void {
    if (this.tty && this.line !== '') process.stderr.write('\r\x1b[K');
  }

  finish(): void {
    this.clear();
    this.line = '';
  }

  private show(line: string): void {
    if (this.tty) {
      const width = process.stderr.columns ?? 100;
      this.line = line.length >= width ? line.slice(0, width - 1) : line;
      process.stderr.write(`\r\x1b[K${this.line}`);
    } else {
      process.stderr.write(`${line}\n`);
    }
  }
}
