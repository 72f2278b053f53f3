/**
 * isolated(): a leased connection of the caller's own, against real redis-server: WATCH conflicts,
 * state reset before reuse, closing after a throw, and the handshake (AUTH, db, name, protocol).
 * The pool's bound, idle timeout and closing are in pool.spec.ts.
 */
import { Client } from '../lib/client';
import type { IsolatedConnection } from '../lib/client/isolated-connection';
import type { ClientOptions } from '../lib/connection/options';
import { ConnectionClosedError, InvalidArgumentError, WatchError } from '../lib/errors';
import type { RespValue } from '../lib/resp/types';
import { startRedis, type RedisProcess } from './support/redis-harness';
import { cleanupAfterEachTest } from './support/tracked-clients';
import { sleep } from './support/wait';

const PASSWORD = 'iso-secret-3141';
let redis: RedisProcess;
let guarded: RedisProcess;
const track = cleanupAfterEachTest();

beforeAll(async () => {
  [redis, guarded] = await Promise.all([startRedis(), startRedis({ password: PASSWORD })]);
});

function client(options: ClientOptions = {}): Client {
  return track(new Client(redis.url, options));
}

/** CLIENT INFO of the connection, as `field=value` pairs. */
async function clientInfo(conn: IsolatedConnection): Promise<Record<string, string>> {
  const info = String(await conn.call('CLIENT', 'INFO'));
  return Object.fromEntries(
    info
      .trim()
      .split(' ')
      .map((pair) => pair.split('=', 2) as [string, string]),
  );
}

/** Polls `check` until it holds; fails the test after 5 s with `what`. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`${what} did not happen`);
}

async function clientIds(server: RedisProcess): Promise<string[]> {
  const list = String(await server.command('CLIENT', 'LIST'));
  return [...list.matchAll(/^id=(\d+) /gm)].map((match) => match[1]);
}

describe('WATCH and transactions on an isolated connection', () => {
  test.each([undefined, 2, 3] as const)(
    'a watched key changed by another client makes exec() reject with WatchError (protocol %s)',
    async (protocol) => {
      const c = client(protocol === undefined ? {} : { protocol });
      const other = client();
      const key = `watch:balance:${protocol ?? 'unset'}`;
      await c.set(key, '100');
      const attempt = c.isolated(async (conn) => {
        await conn.watch(key);
        const balance = Number(await conn.get(key));
        await other.set(key, '555');
        return conn
          .multi()
          .set(key, balance - 10)
          .exec();
      });
      await expect(attempt).rejects.toBeInstanceOf(WatchError);
      expect(await c.get(key)).toBe('555');
    },
  );

  test('an unchanged watched key lets the transaction run, and isolated() resolves with fn’s value', async () => {
    const c = client();
    await c.set('watch:ok', '100');
    const result = await c.isolated(async (conn) => {
      await conn.watch('watch:ok');
      const balance = Number(await conn.get('watch:ok'));
      return conn
        .multi()
        .set('watch:ok', balance - 10)
        .incr('watch:ok:n')
        .exec();
    });
    expect(result).toEqual(['OK', 1]);
    expect(await c.get('watch:ok')).toBe('90');
  });

  test('SELECT is allowed inside, also queued in its transaction', async () => {
    const c = client({ db: 1 });
    const results = await c.isolated(async (conn) => {
      expect(await conn.select(5)).toBe('OK');
      await conn.set('sel:k', 'in5');
      return conn.multi().select(6).set('sel:k', 'in6').exec();
    });
    expect(results).toEqual(['OK', 'OK']);
    expect(await c.get('sel:k')).toBeNull();
    const peek = client({ db: 5 });
    expect(await peek.get('sel:k')).toBe('in5');
    expect(await client({ db: 6 }).get('sel:k')).toBe('in6');
  });

  test('WATCH and MULTI stay refused inside its multi()', async () => {
    const c = client();
    await c.isolated(async (conn) => {
      await expect(conn.multi().watch('k').exec()).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(conn.multi().call('MULTI').exec()).rejects.toBeInstanceOf(InvalidArgumentError);
      await conn.call('MULTI');
      await expect(conn.multi().set('k', 'v').exec()).rejects.toThrow(
        /MULTI sent with call\(\) is still open/,
      );
      await conn.discard();
    });
  });

  test('no heartbeat PING falls into a MULTI held open across an idle spell', async () => {
    const c = client({ heartbeatInterval: 20 });
    const replies = await c.isolated(async (conn) => {
      await conn.call('MULTI');
      // Idle for several heartbeat periods: the shared connection would PING meanwhile.
      await sleep(150);
      await conn.call('SET', 'idle:multi', 'queued');
      return conn.call('EXEC');
    });
    expect(replies).toEqual(['OK']);
    expect(await c.get('idle:multi')).toBe('queued');
  });

  test('session commands stay refused even on an isolated connection', async () => {
    const c = client();
    await c.isolated(async (conn) => {
      await expect(conn.call('AUTH', 'x')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(conn.call('SUBSCRIBE', 'ch')).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(conn.hello(3)).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });
});

describe('giving the connection back', () => {
  test('SELECT and WATCH are undone before the next lease gets the same connection', async () => {
    const c = client({ db: 2, pool: { max: 1 } });
    const other = client({ db: 3 });
    await other.set('reset:watched', 'before');
    const firstInfo = await c.isolated(async (conn) => {
      await conn.select(3);
      await conn.watch('reset:watched');
      return clientInfo(conn);
    });
    expect(firstInfo.db).toBe('3');
    await c.isolated(async (conn) => {
      const info = await clientInfo(conn);
      expect(info.id).toBe(firstInfo.id);
      expect(info.db).toBe('2');
      expect(info.flags).not.toContain('x');
      // Had the watch survived, this change would make the EXEC below return nil.
      await other.set('reset:watched', 'after');
      expect(await conn.multi().set('reset:mine', 'v').exec()).toEqual(['OK']);
    });
    expect(await c.get('reset:mine')).toBe('v');
  });

  test('a WATCH whose transaction was refused before sending does not reach the next lease', async () => {
    const c = client({ pool: { max: 1 } });
    const other = client();
    await c.isolated(async (conn) => {
      await conn.watch('leak:wk');
      // NaN cannot be encoded: the transaction is refused whole and EXEC never goes out.
      await expect(conn.multi().set('leak:wk', NaN).exec()).rejects.toBeInstanceOf(InvalidArgumentError);
    });
    await other.set('leak:wk', 'changed');
    // Same connection (max 1): had the WATCH survived, this EXEC would fail with WatchError.
    const replies = await c.isolated((conn) => conn.multi().set('leak:x', 'after').exec());
    expect(replies).toEqual(['OK']);
  });

  test('a MULTI left open with call() is discarded', async () => {
    const c = client({ pool: { max: 1 } });
    await c.del('open:k');
    const id = await c.isolated(async (conn) => {
      const info = await clientInfo(conn);
      await conn.call('MULTI');
      expect(await conn.set('open:k', 'queued')).toBe('QUEUED');
      return info.id;
    });
    await c.isolated(async (conn) => {
      expect((await clientInfo(conn)).id).toBe(id);
      expect(await conn.get('open:k')).toBeNull();
    });
    expect(await c.get('open:k')).toBeNull();
  });

  test('a throwing fn closes its connection and the error comes back as is', async () => {
    const c = client({ pool: { max: 1 } });
    const boom = new Error('boom');
    let firstId = '';
    await expect(
      c.isolated(async (conn) => {
        firstId = (await clientInfo(conn)).id;
        await conn.select(4);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const secondInfo = await c.isolated((conn) => clientInfo(conn));
    expect(secondInfo.id).not.toBe(firstId);
    expect(secondInfo.db).toBe('0');
    await until(async () => !(await clientIds(redis)).includes(firstId), 'the abandoned connection to close');
  });

  test('the connection cannot be used once fn returned', async () => {
    const c = client();
    let kept: IsolatedConnection | undefined;
    await c.isolated((conn) => {
      kept = conn;
    });
    await expect((kept as IsolatedConnection).ping()).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect((kept as IsolatedConnection).multi().ping().exec()).rejects.toBeInstanceOf(
      ConnectionClosedError,
    );
  });

  test('a connection the server closed is not lent again', async () => {
    const c = client({ pool: { max: 1 } });
    const id = await c.isolated(async (conn) => (await clientInfo(conn)).id);
    await redis.command('CLIENT', 'KILL', 'ID', id);
    await until(() => Promise.resolve(c.stats().pool.open === 0), 'the pool to notice');
    const next = await c.isolated(async (conn) => (await clientInfo(conn)).id);
    expect(next).not.toBe(id);
  });
});

describe('the handshake of leased connections', () => {
  test.each([undefined, 2, 3] as const)(
    'password, name and db carry over (protocol %s)',
    async (protocol) => {
      const c = track(
        new Client(guarded.url.replace(`:${PASSWORD}@`, '@'), {
          password: PASSWORD,
          name: `iso-${protocol ?? 'unset'}`,
          db: 4,
          ...(protocol === undefined ? {} : { protocol }),
        }),
      );
      const key = `hs:${protocol ?? 'unset'}`;
      const [info, fields] = await c.isolated(async (conn) => {
        await conn.hset(key, 'f', 'v');
        return [await clientInfo(conn), await conn.hgetall(key)] as const;
      });
      expect(info.name).toBe(`iso-${protocol ?? 'unset'}`);
      expect(info.db).toBe('4');
      expect(info.resp).toBe(String(protocol ?? 2));
      expect(fields).toEqual(Object.assign(Object.create(null) as Record<string, RespValue>, { f: 'v' }));
      expect(await c.hget(key, 'f')).toBe('v');
    },
  );
});
