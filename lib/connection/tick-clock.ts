let reading = 0;
let valid = false;

function forget(): void {
  valid = false;
}

/**
 * Date.now(), read at most once per tick for the whole process: a burst of commands issued in one
 * synchronous run, on however many connections, pays for one clock call and one nextTick. Deadlines
 * are in ms, so a reading as old as the current tick is exact enough.
 */
export function tickNow(): number {
  if (!valid) {
    reading = Date.now();
    valid = true;
    process.nextTick(forget);
  }
  return reading;
}
