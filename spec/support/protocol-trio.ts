import { Client } from '../../lib/client';
import { startRedis, stopAll } from './redis-harness';

/**
 * One redis-server for a spec file and three clients on it: `protocol: 2`, `protocol: 3` and unset.
 * Each uses a database of its own, so the same keys can be used by all three and their replies
 * compared as they are, key names included.
 */

export const PROTOCOLS = [
  { label: 'protocol 2', options: { protocol: 2, db: 1 } },
  { label: 'protocol 3', options: { protocol: 3, db: 2 } },
  { label: 'protocol unset', options: { db: 3 } },
] as const;

export interface ProtocolTrio {
  /** Runs `steps` on each client in turn and returns the three results, in PROTOCOLS order. */
  each<T>(steps: (client: Client) => Promise<T>): Promise<T[]>;
}

/** Registers beforeAll/afterAll hooks that start the server and clients and stop them. */
export function useProtocolTrio(): ProtocolTrio {
  let clients: Client[] = [];
  beforeAll(async () => {
    const redis = await startRedis();
    clients = PROTOCOLS.map(({ options }) => new Client(redis.url, options));
    await Promise.all(clients.map((client) => client.connect()));
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await stopAll();
  });
  return {
    async each<T>(steps: (client: Client) => Promise<T>): Promise<T[]> {
      const results: T[] = [];
      for (const client of clients) results.push(await steps(client));
      return results;
    },
  };
}

/**
 * Every protocol's result is `expected`, and the three are the same values down to their types
 * (a prototype-less object stays one, a property absent is not undefined).
 */
export function expectSameAndRight<T>(results: T[], expected: T): void {
  expect(results).toHaveLength(PROTOCOLS.length);
  results.forEach((result, index) => {
    // The label shows in a failure's diff, so it says which protocol went wrong.
    expect({ protocol: PROTOCOLS[index].label, result }).toEqual({
      protocol: PROTOCOLS[index].label,
      result: expected,
    });
  });
  for (const result of results.slice(1)) expect(result).toStrictEqual(results[0]);
}

/** Whether a value is a plain object without a prototype, as field/value replies must be. */
export function hasNoPrototype(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null;
}

/** A prototype-less object with these entries, as field/value replies come. */
export function fieldMapOf<V>(entries: [string, V][]): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const [field, value] of entries) out[field] = value;
  return out;
}
