import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// jest runs without --expose-gc; this turns it on for the process and fetches the function.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Heap plus Buffer memory still reachable after a full collection. */
export function retainedBytes(): number {
  collectGarbage();
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}
