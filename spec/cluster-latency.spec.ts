import { Client } from '../lib/client';
import { ServerNode, type HealthPolicy } from '../lib/cluster/server-node';
import { ConnectionError } from '../lib/errors';

/** A node whose failures are fed by hand: no server and no socket, so no clock is involved. */
function nodeUnderTest(): ServerNode {
  const health: HealthPolicy = { downAfter: 3, markDown: () => undefined, markUp: () => undefined };
  const url = 'redis://127.0.0.1:1';
  return new ServerNode({ replica: 0, shard: 0, url, safeUrl: url }, new Client(url), health);
}

const lost = new ConnectionError('lost', true);

describe('a server latency estimate under failures', () => {
  test('quick failures never make a server look faster, nor slower than it was observed', () => {
    const node = nodeUnderTest();
    node.failed(lost, 50);
    const observed = node.latencyMs;
    expect(observed).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) node.failed(lost);
    expect(node.latencyMs).toBe(observed);
  });

  test('a run of timeouts moves the estimate toward the time waited, never past it', () => {
    const node = nodeUnderTest();
    node.failed(lost, 5);
    for (let i = 0; i < 200; i++) node.failed(lost, 400);
    // Failures must not compound the estimate, or 'fastest' would shun the server long after it recovers.
    expect(node.latencyMs).toBeLessThanOrEqual(400);
    expect(node.latencyMs).toBeGreaterThan(350);
    expect(node.errors).toBe(201);
  });
});
