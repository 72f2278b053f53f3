/**
 * CommandFlags.SocketBound, against a real redis-server: a command meant for the socket open when it
 * was sent fails, unsent, if that socket is lost before it is written, where any other command waits
 * for the next socket. Cluster repair relies on it (a server checked on one socket may be a restarted,
 * empty process on the next). Connection.reconnect() drops the socket synchronously, so the commands
 * sent just before it are still queued, unwritten: no timing is involved.
 */
import { Connection } from '../lib/connection/connection';
import { resolveOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import { ConnectionError } from '../lib/errors';
import { execTransaction } from '../lib/client/exec-transaction';
import { quietListener as quiet } from './support/quiet-listener';
import { startRedis, stopAll, type RedisProcess } from './support/redis-harness';
import { eventually } from './support/wait';

let redis: RedisProcess;
const connections: Connection[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => {
  for (const connection of connections.splice(0)) connection.disconnect();
});
afterAll(async () => {
  await stopAll();
});

async function readyConnection(): Promise<Connection> {
  const connection = new Connection(
    resolveOptions(redis.url, { reconnect: { minDelay: 10, maxDelay: 50 } }),
    quiet,
  );
  connections.push(connection);
  await connection.connect();
  return connection;
}

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => value,
    (error: unknown) => error,
  );
}

describe('CommandFlags.SocketBound', () => {
  it('fails unsent when its socket is lost before it is written; the others go out on the next socket', async () => {
    const connection = await readyConnection();
    const key = `bound:${process.pid}:${Date.now()}`;
    const bound = outcome(connection.send(['INCR', key], CommandFlags.SocketBound));
    const boundRead = outcome(
      connection.send(['GET', key], CommandFlags.SocketBound | CommandFlags.ReadOnly),
    );
    const free = outcome(connection.send(['INCRBY', key, 10], CommandFlags.None));
    connection.reconnect(new Error('socket replaced by the test'));

    const [boundOutcome, boundReadOutcome, freeOutcome] = await Promise.all([bound, boundRead, free]);
    for (const failed of [boundOutcome, boundReadOutcome]) {
      expect(failed).toBeInstanceOf(ConnectionError);
      expect((failed as ConnectionError).sent).toBe(false);
      expect((failed as ConnectionError).message).toMatch(
        /lost before (INCR|GET) was sent; it was meant for that connection only/,
      );
    }
    // Only the unbound INCRBY ran, on the next socket: the bound INCR never reached the server.
    expect(freeOutcome).toBe(10);
    expect(await connection.send(['GET', key], CommandFlags.None)).toBe('10');
  });

  it('a transaction sent socket-bound fails whole and unsent when its socket is lost before it is written', async () => {
    const connection = await readyConnection();
    const key = `bound-tx:${process.pid}:${Date.now()}`;
    const bound = outcome(
      execTransaction(
        connection,
        [
          { args: ['INCR', key], flags: CommandFlags.None },
          { args: ['INCR', key], flags: CommandFlags.None },
        ],
        undefined,
        CommandFlags.SocketBound,
      ),
    );
    const free = outcome(
      execTransaction(connection, [{ args: ['INCRBY', key, 10], flags: CommandFlags.None }]),
    );
    connection.reconnect(new Error('socket replaced by the test'));

    const [boundOutcome, freeOutcome] = await Promise.all([bound, free]);
    expect(boundOutcome).toBeInstanceOf(ConnectionError);
    expect((boundOutcome as ConnectionError).sent).toBe(false);
    expect((boundOutcome as ConnectionError).message).toMatch(
      /lost before MULTI was sent; it was meant for that connection only/,
    );
    // Only the unbound transaction ran, on the next socket: neither bound INCR reached the server.
    expect(freeOutcome).toEqual([10]);
    expect(await connection.send(['GET', key], CommandFlags.None)).toBe('10');
  });

  it('a read written before its socket is lost fails as sent, not resent on the next socket as a free read is', async () => {
    const connection = await readyConnection();
    redis.pause(); // written, never answered
    try {
      const bound = outcome(
        connection.send(['GET', 'bound-read'], CommandFlags.SocketBound | CommandFlags.ReadOnly),
      );
      const free = outcome(connection.send(['GET', 'free-read'], CommandFlags.ReadOnly));
      await eventually(() => connection.stats().inFlight === 2, 'both reads written');
      connection.reconnect(new Error('socket replaced by the test'));
      const boundOutcome = await bound;
      expect(boundOutcome).toBeInstanceOf(ConnectionError);
      expect((boundOutcome as ConnectionError).sent).toBe(true);
      expect((boundOutcome as ConnectionError).message).toMatch(/lost after GET was sent/);
      redis.resume();
      expect(await free).toBeNull(); // resent on the next socket, answered there
    } finally {
      redis.resume();
    }
  });

  it('is written as usual while its socket lives', async () => {
    const connection = await readyConnection();
    const key = `bound-live:${process.pid}:${Date.now()}`;
    const replies = await Promise.all([
      connection.send(['SET', key, 'a'], CommandFlags.SocketBound),
      connection.send(['APPEND', key, 'b'], CommandFlags.SocketBound),
      connection.send(['GET', key], CommandFlags.SocketBound),
    ]);
    expect(replies).toEqual(['OK', 2, 'ab']);
  });
});
