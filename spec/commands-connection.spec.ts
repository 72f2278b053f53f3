/** The connection commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { connection } from '../lib/commands/groups';
import { InvalidArgumentError } from '../lib/errors';
import { expectSameAndRight, hasNoPrototype } from './support/protocol-trio';
import { RawClient } from './support/raw-client';
import { useServerTrio } from './support/server-trio';

const trio = useServerTrio();
const b = (text: string): Buffer => Buffer.from(text);
const bare = <T extends object>(value: T): T => Object.assign(Object.create(null) as T, value);
const refused = (error: Error): string =>
  error instanceof InvalidArgumentError ? 'refused' : `not refused: ${error.message}`;

describe('connection commands under every protocol', () => {
  test('PING, ECHO, CLIENT ID, INFO, LIST, names, redirect, tracking info', async () => {
    const results = await trio.each(async (c) => {
      const id = await c.clientId();
      const info = await c.clientInfo();
      const list = await c.clientList('ID', id);
      return {
        ping: await c.ping(),
        pingMessage: await c.ping('hello there'),
        pingBuffer: await c.pingBuffer(),
        echo: await c.echo('echo me'),
        echoBuffer: await c.echoBuffer(b('\u00e9')),
        idIsInteger: Number.isInteger(id),
        info: info.startsWith(`id=${id} addr=`),
        list: list.startsWith(`id=${id} addr=`) && list.split('\n').filter(Boolean).length === 1,
        nameBefore: await c.clientGetname(),
        setname: await c.clientSetname('trio-client'),
        name: await c.clientGetname(),
        nameBuffer: await c.clientGetnameBuffer(),
        clearName: await c.clientSetname(''),
        nameAfter: await c.clientGetname(),
        getredir: await c.clientGetredir(),
        trackinginfo: await c.clientTrackinginfo(),
        trackinginfoBuffer: await c.clientTrackinginfoBuffer(),
        helpFirst: (await c.clientHelp())[0],
      };
    });
    expectSameAndRight(results, {
      ping: 'PONG',
      pingMessage: 'hello there',
      pingBuffer: b('PONG'),
      echo: 'echo me',
      echoBuffer: b('\u00e9'),
      idIsInteger: true,
      info: true,
      list: true,
      nameBefore: null,
      setname: 'OK',
      name: 'trio-client',
      nameBuffer: b('trio-client'),
      clearName: 'OK',
      nameAfter: null,
      getredir: -1,
      trackinginfo: bare({ flags: ['off'], redirect: -1, prefixes: [] }),
      trackinginfoBuffer: bare({ flags: ['off'], redirect: -1, prefixes: [] }),
      helpFirst: 'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    });
    expect(hasNoPrototype(results[0].trackinginfo)).toBe(true);
  });

  test('CLIENT KILL, UNBLOCK, PAUSE, UNPAUSE, NO-EVICT, CACHING', async () => {
    const port = trio.redis().port;
    const results = await trio.each(async (c) => {
      const victim = await RawClient.connect(port);
      const victimId = await victim.command('CLIENT', 'ID');
      const killed = await c.clientKill('ID', Number(victimId), 'SKIPME', 'yes');
      await victim.closed;
      return {
        killed,
        killNone: await c.clientKill('ID', 999_999),
        killOldForm: await c.clientKill('10.255.255.1:1').catch((error: Error) => error.message),
        unblock: await c.clientUnblock(999_999),
        pause: await c.clientPause(1, 'WRITE'),
        unpause: await c.clientUnpause(),
        noEvictOn: await c.clientNoEvict('on'),
        noEvictOff: await c.clientNoEvict('off'),
        caching: await c.clientCaching('yes').catch((error: Error) => error.message.slice(0, 40)),
      };
    });
    expectSameAndRight(results, {
      killed: 1,
      killNone: 0,
      killOldForm: 'ERR No such client',
      unblock: 0,
      pause: 'OK',
      unpause: 'OK',
      noEvictOn: 'OK',
      noEvictOff: 'OK',
      caching: 'ERR CLIENT CACHING can be called only wh',
    });
  });

  test('state-changing commands are refused on the shared connection', async () => {
    const results = await trio.each(async (c) => ({
      hello: await c.hello(3).catch(refused),
      auth: await c.auth('pw').catch(refused),
      select: await c.select(1).catch(refused),
      reset: await c.reset().catch(refused),
      tracking: await c.clientTracking('on').catch(refused),
      reply: await c.clientReply('OFF').catch(refused),
      stillServing: await c.ping(),
    }));
    expectSameAndRight(results, {
      hello: 'refused',
      auth: 'refused',
      select: 'refused',
      reset: 'refused',
      tracking: 'refused',
      reply: 'refused',
      stillServing: 'PONG',
    });
  });

  test("HELLO's transform gives one object for the server's RESP2 and RESP3 replies", async () => {
    const raw = await RawClient.connect(trio.redis().port);
    const buffers = await RawClient.connect(trio.redis().port, { buffers: true });
    try {
      const transform = connection.HELLO.transform;
      if (transform === null) throw new Error('HELLO has a transform');
      const [two, three, threeBuffers] = [
        transform(await raw.command('HELLO', 2), ['HELLO', 2]),
        transform(await raw.command('HELLO', 3), ['HELLO', 3]),
        transform(await buffers.command('HELLO', 3), ['HELLO', 3]),
      ];
      const id = Number(await raw.command('CLIENT', 'ID'));
      const version = /redis_version:(\S+)/.exec(String(await raw.command('INFO', 'server')))?.[1];
      const expected = (proto: number): unknown =>
        bare({ server: 'redis', version, proto, id, mode: 'standalone', role: 'master', modules: [] });
      expect(two).toEqual(expected(2));
      expect(three).toEqual(expected(3));
      expect(threeBuffers).toEqual({
        ...(expected(3) as object),
        id: Number(await buffers.command('CLIENT', 'ID')),
      });
      expect(hasNoPrototype(two) && hasNoPrototype(three)).toBe(true);
    } finally {
      raw.destroy();
      buffers.destroy();
    }
  });
});
