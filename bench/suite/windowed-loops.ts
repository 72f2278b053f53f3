/** Completions per second in a timed window, and the client process's own CPU per completion. */
export interface WindowResult {
  opsPerSec: number;
  cpuMicrosPerOp: number;
}

/**
 * Keeps `depth` commands in flight with plain async loops (each awaits its command and issues the
 * next), the cheapest driver, so the figures show the client's own cost. After `warmupMs`, completions
 * in a window of `windowMs` are counted; the loops then drain, so no command outlives the cell.
 */
export async function measureWindow(
  op: (i: number) => Promise<unknown>,
  depth: number,
  warmupMs: number,
  windowMs: number,
): Promise<WindowResult> {
  let next = 0;
  let counting = false;
  let completed = 0;
  const stopAt = performance.now() + warmupMs + windowMs;
  const loop = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      await op(next++);
      if (counting) completed++;
    }
  };
  const loops = Array.from({ length: depth }, loop);
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  counting = true;
  const windowStart = performance.now();
  const cpuStart = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  counting = false;
  const cpu = process.cpuUsage(cpuStart);
  const elapsed = performance.now() - windowStart;
  const counted = completed;
  await Promise.all(loops);
  // CPU per command is the library's own cost, less sensitive to the server's share of the cores.
  return { opsPerSec: (counted / elapsed) * 1000, cpuMicrosPerOp: (cpu.user + cpu.system) / counted };
}
