import { randomUUID } from 'node:crypto';

import { ReplyError } from '../errors';
import { commandArity, unknownCommand } from './command-arity';
import { loadIoredisMock, type MockRedis, type MockRedisConstructor } from './optional-peer';
import { errorReply, status, type ServerReply } from './reply-encoder';

/**
 * Runs keyspace commands on ioredis-mock and turns its JavaScript results into RESP replies.
 *
 * ioredis-mock shares data between instances whose `host:port/db` match, whatever `data` option is
 * passed, so each backend gets a random host name as its identity and one mock instance per database.
 * Connection-level commands (AUTH, SELECT, MULTI, subscriptions…) are not run here: on a mock
 * instance shared by every connection they would leak state between connections.
 */

type MockMethod = (...args: unknown[]) => unknown;

/** Commands the backend refuses; EmbeddedConnection implements the ones it supports. */
const NOT_PASSED_THROUGH = new Set([
  'auth',
  'hello',
  'select',
  'client',
  'quit',
  'reset',
  'multi',
  'exec',
  'discard',
  'watch',
  'unwatch',
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'monitor',
  'info',
  'command',
  'replconf',
  'failover',
  'replicaof',
  'slaveof',
  'sync',
  'psync',
  'shutdown',
  'cluster',
]);

/** Commands whose string result is a simple string (`+OK`, `+string`), not a bulk string. */
const STATUS_COMMANDS = new Set([
  'set',
  'setex',
  'psetex',
  'mset',
  'flushdb',
  'rename',
  'lset',
  'ltrim',
  'hmset',
  'type',
  'save',
  'bgsave',
  'bgrewriteaof',
  'readonly',
  'readwrite',
  'asking',
  'config',
]);

/** String commands: ioredis-mock runs them on lists and hashes too instead of answering WRONGTYPE. */
const STRING_COMMANDS = new Set([
  'get',
  'getset',
  'getdel',
  'getex',
  'getrange',
  'substr',
  'setrange',
  'append',
  'strlen',
  'incr',
  'decr',
  'incrby',
  'decrby',
  'incrbyfloat',
  'getbit',
  'setbit',
  'bitcount',
]);

/** ioredis-mock stores "NaN" instead of refusing a non-integer value or increment. */
const INTEGER_COMMANDS = new Set(['incr', 'decr', 'incrby', 'decrby']);
/** ioredis-mock accepts any text as their time argument. */
const EXPIRE_COMMANDS = new Set(['expire', 'pexpire', 'expireat', 'pexpireat']);

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_AN_INTEGER = 'ERR value is not an integer or out of range';
const INT64 = /^-?(?:0|[1-9]\d{0,18})$/;

export class MockBackend {
  private readonly identity = `respline-embedded-${randomUUID()}`;
  private readonly databases = new Map<number, MockRedis>();
  /** Loaded here, not at import: a missing ioredis-mock fails the EmbeddedServer's constructor, by name. */
  private readonly createMock: MockRedisConstructor = loadIoredisMock();

  /** True when a command of this name can be passed to `execute`. */
  supports(name: string): boolean {
    if (NOT_PASSED_THROUGH.has(name) || commandArity(name) === undefined) return false;
    return typeof this.method(this.database(0), name) === 'function';
  }

  /**
   * Runs one command on database `db`. `name` is lower-case; `sentName` is the name as the client spelt
   * it, for error messages. Never rejects: failures become error replies.
   */
  async execute(db: number, name: string, args: readonly Buffer[], sentName = name): Promise<ServerReply> {
    if (!this.supports(name)) return unknownCommand(sentName, args);
    const mock = this.database(db);
    try {
      const refusal = await this.checkSemantics(mock, name, args);
      if (refusal !== undefined) return refusal;
      const method = this.method(mock, `${name}Buffer`) ?? this.method(mock, name);
      if (method === undefined) return unknownCommand(sentName, args);
      const result = await method.apply(mock, args.map(toMockArgument));
      return toReply(result, isStatusResult(name, args));
    } catch (error) {
      return mockErrorReply(error, sentName, args);
    }
  }

  /** FLUSHALL: ioredis-mock's own flushall only clears the database it is called on. */
  async flushAll(): Promise<void> {
    for (const mock of this.databases.values()) await mock.flushdb();
  }

  private database(db: number): MockRedis {
    let mock = this.databases.get(db);
    if (mock === undefined) {
      mock = new this.createMock({ host: this.identity, db });
      this.databases.set(db, mock);
    }
    return mock;
  }

  private method(mock: MockRedis, name: string): MockMethod | undefined {
    const candidate = (mock as unknown as Record<string, unknown>)[name];
    return typeof candidate === 'function' ? (candidate as MockMethod) : undefined;
  }

  /** Redis checks ioredis-mock skips; an error reply when the command must be refused. */
  private async checkSemantics(
    mock: MockRedis,
    name: string,
    args: readonly Buffer[],
  ): Promise<ServerReply | undefined> {
    const key = args[0]?.toString('utf8') ?? '';
    if (STRING_COMMANDS.has(name)) {
      const type = await mock.type(key);
      if (type !== 'none' && type !== 'string') return errorReply(WRONGTYPE);
    }
    if (INTEGER_COMMANDS.has(name)) {
      const current = await mock.get(key);
      if (current !== null && !INT64.test(current)) return errorReply(NOT_AN_INTEGER);
      const increment = args[1];
      if (increment !== undefined && !INT64.test(increment.toString('latin1')))
        return errorReply(NOT_AN_INTEGER);
    }
    if (EXPIRE_COMMANDS.has(name) && !INT64.test(args[1]?.toString('latin1') ?? '')) {
      return errorReply(NOT_AN_INTEGER);
    }
    if ((name === 'rename' || name === 'renamenx') && (await mock.exists(key)) === 0) {
      return errorReply('ERR no such key');
    }
    if (name === 'xread' && args.some((arg) => arg.toString('latin1').toUpperCase() === 'BLOCK')) {
      // A blocking read would hold the server-wide lock and stall every connection.
      return errorReply('ERR XREAD BLOCK is not supported by EmbeddedServer');
    }
    return undefined;
  }
}

/** Arguments go to ioredis-mock as strings (it parses options with string methods) unless binary. */
function toMockArgument(arg: Buffer): string | Buffer {
  const text = arg.toString('utf8');
  return Buffer.byteLength(text) === arg.length && Buffer.from(text).equals(arg) ? text : arg;
}

function isStatusResult(name: string, args: readonly Buffer[]): boolean {
  if (!STATUS_COMMANDS.has(name)) return false;
  // SET … GET answers with the old value, which is data and may well be the text "OK".
  return name !== 'set' || !args.some((arg) => arg.toString('latin1').toUpperCase() === 'GET');
}

function toReply(result: unknown, asStatus: boolean): ServerReply {
  if (result === null || result === undefined) return null;
  if (typeof result === 'string' || Buffer.isBuffer(result)) {
    return asStatus ? status(result.toString('utf8')) : result;
  }
  if (typeof result === 'number' || typeof result === 'bigint' || typeof result === 'boolean') return result;
  if (result instanceof Error) return mockErrorReply(result, '', []);
  if (Array.isArray(result)) return result.map((item: unknown) => toReply(item, false));
  if (typeof result === 'object') {
    // HGETALL and friends: ioredis-mock answers with a plain object.
    const map = new Map<string, ServerReply>();
    for (const [field, value] of Object.entries(result)) map.set(field, toReply(value, false));
    return map;
  }
  return String(result);
}

function mockErrorReply(error: unknown, name: string, args: readonly Buffer[]): ReplyError {
  if (error instanceof ReplyError) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Commands in Redis's table that ioredis-mock does not implement are stubs that throw this.
  if (error instanceof TypeError && message.startsWith('Unsupported command'))
    return unknownCommand(name, args);
  if (/^Key .* does not contain a /.test(message)) return errorReply(WRONGTYPE);
  if (/^[A-Z][A-Z_]+(?: |$)/.test(message)) return errorReply(message);
  return errorReply(`ERR ${message}`);
}
