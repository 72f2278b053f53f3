/**
 * ServerNode.missedWrites, which health() and stale-read ranking report: the keys in the hint log plus
 * those a running targeted repair has not copied yet. A pure count, so no server: the staging on real
 * servers (a key missed again while its repair waits on the rate limit) depends on timing that a loaded
 * machine does not keep, and the count is what is under test.
 */
import { Client } from '../lib/client';
import { keyId } from '../lib/cluster/repair-keys';
import { ServerNode, type HealthPolicy } from '../lib/cluster/server-node';

function nodeUnderTest(): ServerNode {
  const health: HealthPolicy = { downAfter: 3, markDown: () => undefined, markUp: () => undefined };
  const url = 'redis://127.0.0.1:1';
  return new ServerNode({ replica: 0, shard: 0, url, safeUrl: url }, new Client(url), health, 10, true);
}

const idsOf = (...keys: string[]): Set<string> => new Set(keys.map(keyId));

describe('missedWrites', () => {
  test('a key pending in a repair and missed again meanwhile counts once', () => {
    const node = nodeUnderTest();
    node.hints.add(['k1', 'k2']);
    const pending = node.hints.take().keys;
    node.setRepairPending(pending);
    expect(node.missedWrites).toBe(2);
    // k1 missed again while the repair has not copied it: still 2 keys; k3 is new.
    node.hints.add(['k1']);
    expect(node.missedWrites).toBe(2);
    node.hints.add(['k3']);
    expect(node.missedWrites).toBe(3);
    // The repair copies k1 and k2; k1 and k3 are still owed.
    pending.delete(keyId('k1'));
    pending.delete(keyId('k2'));
    node.setRepairPending(pending);
    expect(node.missedWrites).toBe(2);
    node.setRepairPending(null);
    expect(node.missedWrites).toBe(2);
  });

  test('counts the overlap the same whichever set is the larger', () => {
    const node = nodeUnderTest();
    node.setRepairPending(idsOf('a', 'b', 'c', 'd', 'e'));
    node.hints.add(['a', 'x']);
    expect(node.missedWrites).toBe(6);
    node.hints.add(['b', 'c', 'y', 'z']);
    // Hints a b c x y z (6) against pending a b c d e (5): the union is 8.
    expect(node.missedWrites).toBe(8);
  });

  test('-1 once the log overflows, whatever a repair still holds', () => {
    const node = nodeUnderTest();
    node.setRepairPending(idsOf('a'));
    node.hints.add(Array.from({ length: 11 }, (_, i) => `key${i}`));
    expect(node.hints.overflowed).toBe(true);
    expect(node.missedWrites).toBe(-1);
  });
});
