/** The pubsub commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { InvalidArgumentError } from '../lib/errors';
import { expectSameAndRight, hasNoPrototype } from './support/protocol-trio';
import { RawClient } from './support/raw-client';
import { useServerTrio } from './support/server-trio';

const trio = useServerTrio();
const b = (text: string): Buffer => Buffer.from(text);
const bare = <T extends object>(value: T): T => Object.assign(Object.create(null) as T, value);
const refused = (error: Error): string =>
  error instanceof InvalidArgumentError ? 'refused' : `not refused: ${error.message}`;

describe('pubsub commands under every protocol', () => {
  let subscriber: RawClient;

  beforeAll(async () => {
    // A bare RESP3 connection subscribed to a channel, a pattern and a shard channel: the subscribe
    // family is refused on the clients under test, and confirmations come as pushes here.
    subscriber = await RawClient.connect(trio.redis().port);
    await subscriber.command('HELLO', 3);
    subscriber.send('SUBSCRIBE', 'ps:news', 'ps:__proto__');
    subscriber.send('PSUBSCRIBE', 'ps:n*');
    subscriber.send('SSUBSCRIBE', 'ps:{shard}');
    // PING's reply comes after the three confirmations, so every subscription is in place.
    await subscriber.command('PING');
  });

  afterAll(() => subscriber.destroy());

  test('PUBLISH, SPUBLISH and the PUBSUB introspection subcommands', async () => {
    const results = await trio.each(async (c) => ({
      publish: await c.publish('ps:news', 'hello'),
      publishNobody: await c.publish('ps:other', 'hello'),
      spublish: await c.spublish('ps:{shard}', 'hello'),
      channels: [...(await c.pubsubChannels('ps:*'))].sort(),
      channelsBuffer: await c.pubsubChannelsBuffer('ps:new*'),
      numsub: await c.pubsubNumsub('ps:news', 'ps:none', 'ps:__proto__'),
      numsubNone: await c.pubsubNumsub(),
      viaContainer: await c.pubsub('NUMSUB', 'ps:news'),
      numpat: await c.pubsubNumpat(),
      shardchannels: await c.pubsubShardchannels(),
      shardnumsub: await c.pubsubShardnumsub('ps:{shard}', 'ps:{none}'),
      helpFirst: (await c.pubsubHelp())[0],
    }));
    expectSameAndRight(results, {
      publish: 2,
      publishNobody: 0,
      spublish: 1,
      channels: ['ps:__proto__', 'ps:news'],
      channelsBuffer: [b('ps:news')],
      numsub: bare({ 'ps:news': 1, 'ps:none': 0, 'ps:__proto__': 1 }),
      numsubNone: bare({}),
      viaContainer: bare({ 'ps:news': 1 }),
      numpat: 1,
      shardchannels: ['ps:{shard}'],
      shardnumsub: bare({ 'ps:{shard}': 1, 'ps:{none}': 0 }),
      helpFirst: 'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    });
    // A channel named __proto__ is data, not the object's prototype.
    expect(hasNoPrototype(results[0].numsub)).toBe(true);
    expect(Object.keys(results[0].numsub)).toEqual(['ps:news', 'ps:none', 'ps:__proto__']);
  });

  // The Client's own subscribe() methods take a listener and use a connection of their own (pubsub.spec.ts).
  test('the subscribe family is refused on the shared connection and in a pipeline', async () => {
    const results = await trio.each(async (c) => ({
      subscribe: await c.call('SUBSCRIBE', 'ps:x').catch(refused),
      psubscribe: await c.call('PSUBSCRIBE', 'ps:*').catch(refused),
      ssubscribe: await c.call('SSUBSCRIBE', 'ps:{x}').catch(refused),
      unsubscribe: await c.call('UNSUBSCRIBE').catch(refused),
      punsubscribe: await c.call('PUNSUBSCRIBE').catch(refused),
      sunsubscribe: await c
        .pipeline()
        .sunsubscribe()
        .exec()
        .then(([outcome]) => refused(outcome as Error)),
      stillServing: await c.publish('ps:news', 'after'),
    }));
    expectSameAndRight(results, {
      subscribe: 'refused',
      psubscribe: 'refused',
      ssubscribe: 'refused',
      unsubscribe: 'refused',
      punsubscribe: 'refused',
      sunsubscribe: 'refused',
      stillServing: 2,
    });
  });
});
