/** RedisCluster's pure parts, fed exact inputs: redirect replies, CLUSTER SHARDS / SLOTS, options. */
import { InvalidArgumentError, ReplyError } from '../lib/errors';
import { resolveRedisClusterOptions } from '../lib/redis-cluster/options';
import { redirectOf } from '../lib/redis-cluster/redirect';
import { viewsFromShards, viewsFromSlots } from '../lib/redis-cluster/topology';

describe('redirectOf', () => {
  it('reads MOVED and ASK targets, IPv6 and same-host forms included', () => {
    expect(redirectOf(new ReplyError('MOVED 3999 127.0.0.1:6381'))).toEqual({
      kind: 'MOVED',
      slot: 3999,
      target: { host: '127.0.0.1', port: 6381 },
    });
    expect(redirectOf(new ReplyError('ASK 12 [::1]:7000'))).toEqual({
      kind: 'ASK',
      slot: 12,
      target: { host: '::1', port: 7000 },
    });
    expect(redirectOf(new ReplyError('MOVED 5 :7001'))).toEqual({
      kind: 'MOVED',
      slot: 5,
      target: { host: '', port: 7001 },
    });
  });

  it('retries TRYAGAIN and CLUSTERDOWN, and finds a redirect inside EXECABORT', () => {
    expect(redirectOf(new ReplyError('TRYAGAIN Multiple keys request during rehashing of slot'))).toEqual({
      kind: 'RETRY',
    });
    expect(redirectOf(new ReplyError('CLUSTERDOWN The cluster is down'))).toEqual({ kind: 'RETRY' });
    expect(
      redirectOf(
        new ReplyError(
          'EXECABORT Transaction discarded because of previous errors. (SET, command 1 of the transaction: MOVED 7 10.0.0.2:7002)',
        ),
      ),
    ).toEqual({ kind: 'MOVED', slot: 7, target: { host: '10.0.0.2', port: 7002 } });
  });

  it('leaves other errors and malformed redirects to the caller', () => {
    expect(redirectOf(new ReplyError('WRONGTYPE Operation against a key'))).toBeNull();
    expect(redirectOf(new ReplyError('MOVED nonsense'))).toBeNull();
    expect(redirectOf(new ReplyError('MOVED 1 host-without-port'))).toBeNull();
    expect(redirectOf(new Error('MOVED 1 127.0.0.1:1'))).toBeNull();
  });
});

describe('slot map parsing', () => {
  const node = (port: number, role: string, health = 'online', endpoint = '127.0.0.1') => ({
    id: `id${port}`,
    port,
    ip: '127.0.0.1',
    endpoint,
    role,
    'replication-offset': 0,
    health,
  });

  it('takes masters, replicas and readers from CLUSTER SHARDS', () => {
    const views = viewsFromShards(
      [
        {
          slots: [
            [0, 99],
            [200, 299],
          ],
          nodes: [node(7000, 'master'), node(7003, 'replica'), node(7004, 'replica', 'loading')],
        },
        { slots: [], nodes: [node(7005, 'master')] },
        {
          slots: [[100, 199]],
          nodes: [node(7001, 'master', 'online', '?'), node(7002, 'replica', 'failed')],
        },
      ],
      'seed-host',
    );
    expect(views).toEqual([
      {
        ranges: [
          [0, 99],
          [200, 299],
        ],
        master: { host: '127.0.0.1', port: 7000 },
        replicas: [
          { host: '127.0.0.1', port: 7003 },
          { host: '127.0.0.1', port: 7004 },
        ],
        readers: [{ host: '127.0.0.1', port: 7003 }],
      },
      { ranges: [[100, 199]], master: { host: '127.0.0.1', port: 7001 }, replicas: [], readers: [] },
    ]);
  });

  it('takes one view per range from CLUSTER SLOTS, the seed host standing in for an unknown one', () => {
    const views = viewsFromSlots(
      [
        {
          start: 0,
          end: 16383,
          master: { host: null, port: 7000, id: 'a', metadata: Object.create(null) },
          replicas: [{ host: '10.0.0.9', port: 7001, id: 'b', metadata: Object.create(null) }],
        },
      ],
      'seed-host',
    );
    expect(views).toEqual([
      {
        ranges: [[0, 16383]],
        master: { host: 'seed-host', port: 7000 },
        replicas: [{ host: '10.0.0.9', port: 7001 }],
        readers: [{ host: '10.0.0.9', port: 7001 }],
      },
    ]);
  });
});

describe('options', () => {
  it('refuses bad options with InvalidArgumentError', () => {
    const bad: unknown[] = [
      null,
      {},
      { seeds: [] },
      { seeds: [1] },
      { seeds: ['redis://127.0.0.1:7000/2'] },
      { seeds: ['redis://127.0.0.1:7000'], readFrom: 'nearest' },
      { seeds: ['redis://127.0.0.1:7000'], client: { db: 1 } },
      { seeds: ['redis://127.0.0.1:7000'], maxRedirects: 0 },
      { seeds: ['redis://127.0.0.1:7000'], refreshInterval: -1 },
    ];
    for (const options of bad) {
      expect(() => resolveRedisClusterOptions(options as never)).toThrow(InvalidArgumentError);
    }
  });

  it("takes the first seed's credentials, and READONLY only when reading from replicas", () => {
    const resolved = resolveRedisClusterOptions({
      seeds: ['rediss://u:p@10.0.0.1:7000'],
      readFrom: 'replica',
    });
    expect(resolved.client).toMatchObject({ username: 'u', password: 'p', readOnly: true });
    expect(resolved.tls).toBe(true);
    expect(resolveRedisClusterOptions({ seeds: ['redis://10.0.0.1:7000'] }).client.readOnly).toBeUndefined();
  });
});
