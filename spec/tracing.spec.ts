import diagnostics from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { Client } from '../lib/client';
import { TRACING_CHANNELS } from '../lib/connection/tracing';
import { HandshakeError, InvalidArgumentError, ReplyError } from '../lib/errors';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { eventually } from './support/wait';

const track = cleanupAfterEachTest();

type EventName = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';

interface Seen {
  event: EventName;
  /** The context object itself, to check one object travels through every event. */
  context: object;
  /** Its fields as they were when the event fired. */
  fields: Record<string, unknown>;
}

/** Subscribes to every event of one TracingChannel until `stop()`. */
function record(name: string): { seen: Seen[]; stop: () => void } {
  const channel = diagnostics.tracingChannel<unknown, object>(name);
  const seen: Seen[] = [];
  const handler = (event: EventName) => (context: object) => {
    seen.push({ event, context, fields: { ...context } });
  };
  const handlers = {
    start: handler('start'),
    end: handler('end'),
    asyncStart: handler('asyncStart'),
    asyncEnd: handler('asyncEnd'),
    error: handler('error'),
  };
  channel.subscribe(handlers);
  return { seen, stop: () => channel.unsubscribe(handlers) };
}

const recorders: { stop: () => void }[] = [];
function recording(name: string): Seen[] {
  const recorder = record(name);
  recorders.push(recorder);
  return recorder.seen;
}

/** Subscribes to one event of one TracingChannel only, as a tool wanting only outcomes would. */
function recordingOnly(name: string, event: EventName): object[] {
  const channel = diagnostics.tracingChannel<unknown, object>(name)[event];
  const seen: object[] = [];
  const handler = (context: unknown): void => {
    seen.push({ ...(context as object) });
  };
  channel.subscribe(handler);
  recorders.push({ stop: () => channel.unsubscribe(handler) });
  return seen;
}

afterEach(() => {
  for (const recorder of recorders.splice(0)) recorder.stop();
});

let redis: RedisProcess;
let unique = 0;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await stopAll();
});

function fresh(what: string): string {
  unique++;
  return `trace:${what}:${process.pid}:${unique}`;
}

async function connected(
  url: string,
  options: ConstructorParameters<typeof Client>[1] = {},
): Promise<Client> {
  const client = track(new Client(url, { heartbeatInterval: 0, ...options }));
  await client.connect();
  return client;
}

describe('respline:command', () => {
  test('GET publishes start, end, asyncStart, asyncEnd on one context: name, server, db, no arguments, no reply', async () => {
    const client = await connected(`${redis.url}/3`);
    const key = fresh('get');
    await client.set(key, 'secret-value');
    const seen = recording(TRACING_CHANNELS.command);

    expect(await client.get(key)).toBe('secret-value');

    expect(seen.map((entry) => entry.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(new Set(seen.map((entry) => entry.context)).size).toBe(1);
    const expected = {
      command: 'GET',
      args: [],
      serverAddress: '127.0.0.1',
      serverPort: redis.port,
      database: 3,
    };
    for (const entry of seen) expect(entry.fields).toEqual(expected);
  });

  test('an error reply publishes error before asyncStart and asyncEnd', async () => {
    const client = await connected(redis.url);
    const key = fresh('error');
    await client.set(key, 'not a number');
    const seen = recording(TRACING_CHANNELS.command);

    await expect(client.incr(key)).rejects.toBeInstanceOf(ReplyError);

    expect(seen.map((entry) => entry.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(seen[0].fields).not.toHaveProperty('error');
    const failed = seen[2].fields.error;
    expect(failed).toBeInstanceOf(ReplyError);
    expect(failed).toMatchObject({ command: 'INCR' });
    expect(seen[4].fields).toMatchObject({ command: 'INCR', args: [] });
  });

  test('a subscriber to asyncEnd alone, or to error alone, still gets each command', async () => {
    const client = await connected(redis.url);
    const key = fresh('only');
    await client.set(key, 'not a number');
    const ends = recordingOnly(TRACING_CHANNELS.command, 'asyncEnd');
    const errors = recordingOnly(TRACING_CHANNELS.command, 'error');

    expect(await client.get(key)).toBe('not a number');
    await expect(client.incr(key)).rejects.toBeInstanceOf(ReplyError);

    expect(ends).toEqual([
      expect.objectContaining({ command: 'GET', serverPort: redis.port }),
      expect.objectContaining({ command: 'INCR', error: expect.any(ReplyError) as unknown }),
    ]);
    expect(errors).toEqual([
      expect.objectContaining({ command: 'INCR', error: expect.any(ReplyError) as unknown }),
    ]);
  });

  test("tracing: { args: 'keys' } publishes the keys only, found by the command table", async () => {
    const client = await connected(redis.url, { tracing: { args: 'keys' } });
    const [a, b, destination] = [fresh('a'), fresh('b'), fresh('dest')];
    const seen = recording(TRACING_CHANNELS.command);

    await client.set(a, 'value-a', { ex: 100 });
    await client.mset({ [a]: '1', [b]: '2' });
    await client.call('ZUNIONSTORE', destination, 2, `${a}:z`, `${b}:z`);
    await client.ping();

    const starts = seen.filter((entry) => entry.event === 'start').map((entry) => entry.fields);
    expect(starts.map(({ command, args }) => ({ command, args }))).toEqual([
      { command: 'SET', args: [a] },
      { command: 'MSET', args: [a, b] },
      { command: 'ZUNIONSTORE', args: [destination, `${a}:z`, `${b}:z`] },
      { command: 'PING', args: [] },
    ]);
  });

  test('the default publishes nothing for a pipeline member: the pipeline is one batch', async () => {
    const client = await connected(redis.url);
    const seen = recording(TRACING_CHANNELS.command);
    await client.pipeline().ping().ping().exec();
    expect(seen).toEqual([]);
  });

  test('rejects a tracing.args it does not know', () => {
    expect(() => new Client(redis.url, { tracing: { args: 'all' as unknown as 'keys' } })).toThrow(
      /tracing\.args/,
    );
  });
});

describe('respline:batch', () => {
  test('a pipeline publishes one batch with its size and command names', async () => {
    const client = await connected(redis.url);
    const [key, counter] = [fresh('p'), fresh('n')];
    const seen = recording(TRACING_CHANNELS.batch);

    expect(await client.pipeline().set(key, 'v').get(key).incr(counter).exec()).toEqual(['OK', 'v', 1]);

    expect(seen.map((entry) => entry.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(new Set(seen.map((entry) => entry.context)).size).toBe(1);
    for (const entry of seen) {
      expect(entry.fields).toEqual({
        batchMode: 'pipeline',
        batchSize: 3,
        commands: ['SET', 'GET', 'INCR'],
        serverAddress: '127.0.0.1',
        serverPort: redis.port,
        database: 0,
      });
    }
  });

  test('a subscriber to asyncEnd alone still gets each pipeline and transaction', async () => {
    const client = await connected(redis.url);
    const key = fresh('only-batch');
    const ends = recordingOnly(TRACING_CHANNELS.batch, 'asyncEnd');

    expect(await client.pipeline().set(key, 'v').get(key).exec()).toEqual(['OK', 'v']);
    expect(await client.multi().get(key).exec()).toEqual(['v']);

    expect(ends).toEqual([
      expect.objectContaining({ batchMode: 'pipeline', batchSize: 2, commands: ['SET', 'GET'] }),
      expect.objectContaining({ batchMode: 'multi', batchSize: 1, commands: ['GET'] }),
    ]);
  });

  test('a transaction publishes batchMode multi', async () => {
    const client = await connected(redis.url);
    const key = fresh('m');
    const seen = recording(TRACING_CHANNELS.batch);
    expect(await client.multi().set(key, 'v').get(key).exec()).toEqual(['OK', 'v']);
    expect(seen.map((entry) => entry.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(seen[0].fields).toMatchObject({ batchMode: 'multi', batchSize: 2, commands: ['SET', 'GET'] });
  });
});

describe('respline:connect', () => {
  test('a connect and a reconnect each publish one attempt', async () => {
    const seen = recording(TRACING_CHANNELS.connect);
    const client = track(new Client(redis.url, { heartbeatInterval: 0, name: fresh('conn') }));
    await client.connect();
    const name = String(await client.call('CLIENT', 'GETNAME'));
    const first = seen.length;

    let ready = 0;
    client.on('ready', () => ready++);
    await redis.command('CLIENT', 'KILL', 'ID', String(await client.call('CLIENT', 'ID')));
    await eventually(() => ready === 1, 'the reconnect');
    expect(await client.call('CLIENT', 'GETNAME')).toBe(name);

    expect(first).toBe(4);
    expect(seen.map((entry) => `${entry.event}:${String(entry.fields.attempt)}`)).toEqual([
      'start:0',
      'end:0',
      'asyncStart:0',
      'asyncEnd:0',
      'start:1',
      'end:1',
      'asyncStart:1',
      'asyncEnd:1',
    ]);
    expect(seen[0].fields).toEqual({
      serverAddress: '127.0.0.1',
      serverPort: redis.port,
      database: 0,
      attempt: 0,
    });
    expect(seen[0].context).not.toBe(seen[4].context);
  });

  test('a subscriber to asyncEnd alone still gets each attempt', async () => {
    const ends = recordingOnly(TRACING_CHANNELS.connect, 'asyncEnd');
    await connected(redis.url);
    expect(ends).toEqual([expect.objectContaining({ serverPort: redis.port, attempt: 0 })]);
  });

  test('a failed attempt publishes its error', async () => {
    const guarded = await startRedis({ password: 'trace-right-password' });
    const seen = recording(TRACING_CHANNELS.connect);
    const client = track(
      new Client(`redis://127.0.0.1:${guarded.port}`, {
        password: 'trace-wrong-password',
        reconnect: false,
        heartbeatInterval: 0,
      }),
    );
    await expect(client.connect()).rejects.toBeInstanceOf(HandshakeError);
    expect(seen.map((entry) => entry.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(seen[2].fields.error).toBeInstanceOf(HandshakeError);
  });
});

describe('no password is ever published', () => {
  test('with requirepass: connects, reconnects, commands, batches, AUTH by hand and a refused login', async () => {
    const password = `pw-${process.pid}-${Date.now()}-s3cr3t`;
    const guarded = await startRedis({ password });
    const channels = Object.values(TRACING_CHANNELS).map((name) => record(name));
    recorders.push(...channels);
    // The password in the URL, and in options for a second client with keys traced.
    const client = track(new Client(guarded.url, { heartbeatInterval: 0, tracing: { args: 'keys' } }));
    await client.connect();
    const other = track(
      new Client(`redis://default@127.0.0.1:${guarded.port}/2`, {
        password,
        protocol: 3,
        heartbeatInterval: 0,
        tracing: { args: 'keys' },
      }),
    );
    await other.connect();
    const key = fresh('pw');
    await client.set(key, 'v');
    await client.get(key);
    // AUTH and HELLO by hand are refused before anything is sent or published.
    await expect(client.call('AUTH', password)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(other.call('HELLO', 3, 'AUTH', 'default', password)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await client
      .call('MIGRATE', '127.0.0.1', guarded.port, '', 0, 1000, 'COPY', 'AUTH', password, 'KEYS', key)
      .catch(() => undefined);
    await client.pipeline().call('AUTH', password).get(key).exec();
    await client.multi().get(key).exec();
    let ready = 0;
    client.on('ready', () => ready++);
    await guarded.command('CLIENT', 'KILL', 'ID', String(await client.call('CLIENT', 'ID')));
    await eventually(() => ready === 1, 'the reconnect');
    const refused = track(
      new Client(`redis://default:${password}x@127.0.0.1:${guarded.port}`, {
        reconnect: false,
        heartbeatInterval: 0,
      }),
    );
    await expect(refused.connect()).rejects.toBeInstanceOf(HandshakeError);

    const published = channels.flatMap((channel) => channel.seen);
    expect(published.length).toBeGreaterThan(40);
    const kinds = new Set(published.map((entry) => entry.event));
    expect([...kinds].sort()).toEqual(['asyncEnd', 'asyncStart', 'end', 'error', 'start']);
    for (const entry of published) {
      const text = [
        inspect(entry.fields, { depth: 20, showHidden: true, getters: true }),
        JSON.stringify(entry.fields, (_, value: unknown) =>
          value instanceof Error
            ? { name: value.name, message: value.message, stack: value.stack, cause: value.cause }
            : value,
        ),
      ].join('\n');
      expect(text).not.toContain(password);
    }
  });
});
