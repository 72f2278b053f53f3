/** Pub/sub on the Client's subscriber connection, against real redis-servers, under protocol 2 and 3. */
import { Client } from '../lib/client';
import { parseMonitorLine, type MonitorEvent } from '../lib/client/monitor';
import { InvalidArgumentError } from '../lib/errors';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';

const WAIT_MS = 10_000;
const FAST_RECONNECT = { minDelay: 10, maxDelay: 100 };

let server: RedisProcess;
let restartable: RedisProcess;
const clients: Client[] = [];

beforeAll(async () => {
  [server, restartable] = await Promise.all([startRedis(), startRedis()]);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(() => stopAll());

function newClient(protocol: 2 | 3, url = server.url): Client {
  const client = new Client(url, { protocol, reconnect: FAST_RECONNECT, commandTimeout: WAIT_MS });
  clients.push(client);
  return client;
}

/** Resolves when `check` holds, polled; rejects with `what` after WAIT_MS, so nothing hangs. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function once(client: Client, event: 'resubscribed'): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), WAIT_MS);
    client.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The server's pubsub clients, by CLIENT LIST on the server's side. */
async function pubsubClients(client: Client): Promise<number> {
  const list = String(await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  return list.split('\n').filter((line) => line.trim().length > 0).length;
}

let unique = 0;
const name = (label: string): string => `ps:${label}:${process.pid}:${++unique}`;

describe.each([2, 3] as const)('pub/sub under protocol %i', (protocol) => {
  test('10,000 messages arrive in the exact order they were published', async () => {
    const client = newClient(protocol);
    const channel = name('order');
    const received: string[] = [];
    await client.subscribe(channel, (message, from) => {
      if (from === channel) received.push(message);
    });
    const sent = Array.from({ length: 10_000 }, (_, i) => `m${i}-${protocol}`);
    const counts = await Promise.all(sent.map((message) => client.publish(channel, message)));
    expect(counts.every((count) => count === 1)).toBe(true);
    await until('10,000 messages', () => received.length >= sent.length);
    expect(received).toEqual(sent);
  });

  test('subscribe resolves once confirmed: a publish right after reaches it', async () => {
    const client = newClient(protocol);
    const [first, second] = [name('confirm'), name('confirm')];
    const got: [string, string][] = [];
    const sub = await client.subscribe([first, second], (message, channel) => got.push([message, channel]));
    expect(sub.channels).toEqual([first, second]);
    expect(await client.publish(second, 'right after')).toBe(1);
    expect(await client.publish(first, 'and again')).toBe(1);
    await until('two messages', () => got.length === 2);
    expect(got).toEqual([
      ['right after', second],
      ['and again', first],
    ]);
  });

  test("psubscribe delivers (message, channel, pattern); ssubscribe gets spublish's messages", async () => {
    const client = newClient(protocol);
    const prefix = name('pattern');
    const shard = `{${name('shard')}}`;
    const patterned: string[][] = [];
    const sharded: string[][] = [];
    await client.psubscribe(`${prefix}:*`, (message, channel, pattern) =>
      patterned.push([message, channel, pattern]),
    );
    await client.ssubscribe(shard, (message, channel) => sharded.push([message, channel]));
    expect(await client.publish(`${prefix}:a`, 'one')).toBe(1);
    expect(await client.spublish(shard, 'two')).toBe(1);
    await until('both messages', () => patterned.length === 1 && sharded.length === 1);
    expect(patterned).toEqual([['one', `${prefix}:a`, `${prefix}:*`]]);
    expect(sharded).toEqual([['two', shard]]);
  });

  test('unsubscribe stops deliveries; the subscriber connection closes with the last subscription', async () => {
    const client = newClient(protocol);
    const observer = newClient(protocol);
    const channel = name('unsub');
    const pattern = `${name('unsub-pattern')}*`;
    const first: string[] = [];
    const second: string[] = [];
    const before = await pubsubClients(observer);
    const a = await client.subscribe(channel, (message) => first.push(message));
    const b = await client.subscribe(channel, (message) => second.push(message));
    await client.psubscribe(pattern, () => undefined);
    expect(await pubsubClients(observer)).toBe(before + 1);

    await a.unsubscribe();
    expect(await client.publish(channel, 'to b only')).toBe(1);
    await until('b got it', () => second.length === 1);
    await b.unsubscribe();
    expect(await client.publish(channel, 'to nobody')).toBe(0);
    // The pattern subscription still holds the connection open.
    expect(await pubsubClients(observer)).toBe(before + 1);
    await client.punsubscribe(pattern);
    await until('the subscriber connection to close', async () => (await pubsubClients(observer)) === before);
    expect(first).toEqual([]);
    expect(second).toEqual(['to b only']);
    // Later subscriptions open a new one.
    await client.subscribe(channel, (message) => first.push(message));
    expect(await client.publish(channel, 'back')).toBe(1);
    await until('the message after resubscribing', () => first.length === 1);
    expect(first).toEqual(['back']);
  });

  test('Buffers carry every byte value, channel included', async () => {
    const client = newClient(protocol);
    const channel = name('bytes');
    const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const got: [Buffer, Buffer][] = [];
    const texts: string[] = [];
    await client.subscribe(channel, (message, from) => got.push([message, from]), { buffers: true });
    await client.subscribe(channel, (message) => texts.push(message));
    expect(await client.publish(channel, payload)).toBe(1);
    await until('the binary message', () => got.length === 1 && texts.length === 1);
    expect(Buffer.isBuffer(got[0]![0])).toBe(true);
    expect(got[0]![0].equals(payload)).toBe(true);
    expect(got[0]![1]).toEqual(Buffer.from(channel));
    expect(texts).toEqual([payload.toString()]);
  });

  test('CLIENT KILL TYPE pubsub: everything is subscribed again, then messages flow', async () => {
    const client = newClient(protocol);
    const channel = name('kill');
    const prefix = name('kill-pattern');
    const shard = name('kill-shard');
    const got: string[] = [];
    await client.subscribe(channel, (message) => got.push(`channel:${message}`));
    await client.psubscribe(`${prefix}*`, (message) => got.push(`pattern:${message}`));
    await client.ssubscribe(shard, (message) => got.push(`shard:${message}`));
    const resubscribed = once(client, 'resubscribed');
    const killed = await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(killed).toBeGreaterThanOrEqual(1);
    await resubscribed;
    expect(await client.publish(channel, 'a')).toBe(1);
    expect(await client.publish(`${prefix}x`, 'b')).toBe(1);
    expect(await client.spublish(shard, 'c')).toBe(1);
    await until('three messages', () => got.length === 3);
    expect(got).toEqual(['channel:a', 'pattern:b', 'shard:c']);
  });

  test('a server restart on the same port: resubscribed, then messages flow', async () => {
    const client = newClient(protocol, restartable.url);
    const channel = name('restart');
    const got: string[] = [];
    await client.subscribe(channel, (message) => got.push(message));
    const resubscribed = once(client, 'resubscribed');
    await restartable.kill();
    await restartable.restart();
    await resubscribed;
    expect(await client.publish(channel, 'after restart')).toBe(1);
    await until('the message', () => got.length === 1);
    expect(got).toEqual(['after restart']);
  });

  test("the subscriber's heartbeat PINGs a subscribed connection and takes its answer", async () => {
    const client = new Client(server.url, { protocol, heartbeatInterval: 20, reconnect: FAST_RECONNECT });
    clients.push(client);
    const observer = newClient(protocol);
    const channel = name('heartbeat');
    const got: string[] = [];
    let resubscriptions = 0;
    client.on('resubscribed', () => resubscriptions++);
    await client.subscribe(channel, (message) => got.push(message));
    const lastCommand = async (): Promise<string> => {
      const list = String(await observer.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
      const line = list.split('\n').find((entry) => entry.includes(' sub=1 ')) ?? '';
      return /\bcmd=(\S+)/.exec(line)?.[1] ?? '';
    };
    // A PING the connection could not match to its FIFO would poison it, and a missed one would
    // replace it: either way 'resubscribed' would fire.
    await until(
      'a heartbeat PING on the subscriber connection',
      async () => (await lastCommand()) === 'ping',
    );
    await until('five more heartbeat intervals', async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return true;
    });
    expect(resubscriptions).toBe(0);
    expect(await client.publish(channel, 'still here')).toBe(1);
    await until('the message', () => got.length === 1);
    expect(got).toEqual(['still here']);
  });

  test('monitor sees a command, and stop() ends it', async () => {
    const client = newClient(protocol);
    const key = name('monitored');
    const seen: MonitorEvent[] = [];
    const monitor = await client.monitor((event) => {
      if (event.args[1] === key) seen.push(event);
    });
    await client.set(key, 'v "quoted"\né');
    await until('the monitored SET', () => seen.length === 1);
    expect(seen[0]!.args).toEqual(['SET', key, 'v "quoted"\né']);
    expect(seen[0]!.db).toBe(0);
    await monitor.stop();
    await client.set(key, 'unseen');
    expect(await client.get(key)).toBe('unseen');
    expect(seen.length).toBe(1);
  });
});

describe("pubsub: 'shared' (RESP3 pushes on the shared connection)", () => {
  function sharedClient(): Client {
    const client = new Client(server.url, {
      protocol: 3,
      pubsub: 'shared',
      reconnect: FAST_RECONNECT,
      commandTimeout: WAIT_MS,
    });
    clients.push(client);
    return client;
  }

  test('messages and replies share one connection, each where it belongs', async () => {
    const client = sharedClient();
    const observer = newClient(3);
    const channel = name('shared');
    const key = name('shared-key');
    const got: string[][] = [];
    const before = await pubsubClients(observer);
    await client.subscribe(channel, (message, from) => got.push([message, from]));
    await client.psubscribe(`${channel}*`, (message, from, pattern) => got.push([message, from, pattern]));
    // No second connection: the shared one is now the pubsub client.
    expect(await pubsubClients(observer)).toBe(before + 1);
    expect(client.stats().pool.open).toBe(0);
    const [set, count, value] = await Promise.all([
      client.set(key, 'v'),
      client.publish(channel, 'hello'),
      client.get(key),
    ]);
    expect([set, count, value]).toEqual(['OK', 2, 'v']);
    expect(await client.lrange(name('empty'), 0, -1)).toEqual([]);
    await until('both deliveries', () => got.length === 2);
    expect(got).toEqual([
      ['hello', channel],
      ['hello', channel, `${channel}*`],
    ]);
    await client.unsubscribe();
    await client.punsubscribe();
    expect(await client.publish(channel, 'gone')).toBe(0);
    // Unsubscribing everything leaves the shared connection open for commands.
    expect(await client.get(key)).toBe('v');
  });

  test('after CLIENT KILL TYPE pubsub the shared connection resubscribes', async () => {
    const client = sharedClient();
    const channel = name('shared-kill');
    const got: string[] = [];
    await client.subscribe(channel, (message) => got.push(message));
    const resubscribed = once(client, 'resubscribed');
    await newClient(3).call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await resubscribed;
    expect(await client.publish(channel, 'again')).toBe(1);
    await until('the message', () => got.length === 1);
    expect(got).toEqual(['again']);
  });

  test('refused where it cannot work: protocol 2, and Buffers', async () => {
    expect(() => new Client(server.url, { protocol: 2, pubsub: 'shared' })).toThrow(InvalidArgumentError);
    const client = sharedClient();
    await expect(client.subscribe('x', () => undefined, { buffers: true })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

test("MONITOR lines are parsed with Redis's escapes undone", () => {
  expect(parseMonitorLine('1700000000.123456 [3 lua] "SET" "a\\"b" "\\x00\\xc3\\xa9\\n\\t\\\\"')).toEqual({
    time: 1700000000.123456,
    db: 3,
    source: 'lua',
    args: ['SET', 'a"b', '\x00é\n\t\\'],
    raw: '1700000000.123456 [3 lua] "SET" "a\\"b" "\\x00\\xc3\\xa9\\n\\t\\\\"',
  });
  expect(parseMonitorLine('OK').args).toEqual([]);
});

describe('bad input', () => {
  test('channels and listeners are checked before anything is sent', async () => {
    const client = newClient(3);
    const refusals = await Promise.all([
      client.subscribe([], () => undefined).catch((error: Error) => error),
      client.subscribe(['ok', ''], () => undefined).catch((error: Error) => error),
      // @ts-expect-error a listener is required
      client.psubscribe('p*').catch((error: Error) => error),
      // @ts-expect-error a listener is required
      client.monitor().catch((error: Error) => error),
    ]);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(InvalidArgumentError);
    expect(client.status).toBe('idle');
  });

  test('a listener that throws is reported and does not stop the others', async () => {
    const client = newClient(2);
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    const channel = name('throws');
    const got: string[] = [];
    await client.subscribe(channel, () => {
      throw new Error('listener bug');
    });
    await client.subscribe(channel, (message) => got.push(message));
    await client.publish(channel, 'one');
    await client.publish(channel, 'two');
    await until('both messages', () => got.length === 2);
    expect(got).toEqual(['one', 'two']);
    expect(errors.map((error) => error.message)).toEqual(['listener bug', 'listener bug']);
  });

  test('quit() closes the subscriber connection and later subscribes reject', async () => {
    const client = newClient(3);
    const observer = newClient(3);
    const before = await pubsubClients(observer);
    await client.subscribe(name('quit'), () => undefined);
    expect(await pubsubClients(observer)).toBe(before + 1);
    await client.quit();
    await until('the subscriber connection to close', async () => (await pubsubClients(observer)) === before);
    await expect(client.subscribe('x', () => undefined)).rejects.toThrow(/closed/);
  });
});
