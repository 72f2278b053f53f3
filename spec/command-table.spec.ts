import {
  commandInfo,
  isReadOnly,
  isWrite,
  keyPositions,
  keysOf,
  resolveCommand,
} from '../lib/commands/command-table';

describe('command table', () => {
  it('knows GET as a read-only command with its key at 1', () => {
    const get = commandInfo('GET');
    expect(get).toMatchObject({
      name: 'GET',
      readonly: true,
      write: false,
      firstKey: 1,
      lastKey: 1,
      step: 1,
    });
    expect(isReadOnly('GET')).toBe(true);
    expect(isWrite('GET')).toBe(false);
    expect(keyPositions(['GET', 'k'])).toEqual([1]);
  });

  it('knows SET as a write with its key at 1, whatever options follow', () => {
    expect(isWrite('SET')).toBe(true);
    expect(isReadOnly('SET')).toBe(false);
    expect(keyPositions(['SET', 'k', 'v'])).toEqual([1]);
    expect(keyPositions(['SET', 'k', 'v', 'EX', 10, 'NX'])).toEqual([1]);
  });

  it('finds MSET keys every second argument', () => {
    expect(commandInfo('MSET')).toMatchObject({ write: true, firstKey: 1, lastKey: -1, step: 2 });
    expect(keyPositions(['MSET', 'a', '1', 'b', '2', 'c', '3'])).toEqual([1, 3, 5]);
    expect(keysOf(['MSET', 'a', '1', 'b', '2', 'c', '3'])).toEqual(['a', 'b', 'c']);
  });

  it('finds every MGET and DEL argument as a key', () => {
    expect(keysOf(['MGET', 'a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(isReadOnly('MGET')).toBe(true);
    expect(keysOf(['DEL', 'a', Buffer.from('b'), 'c'])).toEqual(['a', Buffer.from('b'), 'c']);
    expect(isWrite('DEL')).toBe(true);
  });

  it('honours a negative last key that stops before the end (BLPOP key… timeout)', () => {
    expect(commandInfo('BLPOP')).toMatchObject({ blocking: true, lastKey: -2 });
    expect(keysOf(['BLPOP', 'a', 'b', 0])).toEqual(['a', 'b']);
  });

  it('returns undefined for commands whose keys move with their arguments', () => {
    expect(commandInfo('EVAL')?.movableKeys).toBe(true);
    expect(keyPositions(['EVAL', 'return 1', 1, 'k'])).toBeUndefined();
    expect(keyPositions(['ZUNIONSTORE', 'dest', 2, 'a', 'b'])).toBeUndefined();
    expect(keyPositions(['SORT', 'list', 'STORE', 'dest'])).toBeUndefined();
    expect(keyPositions(['XREAD', 'STREAMS', 's', '0'])).toBeUndefined();
  });

  it('returns no keys for commands without keys', () => {
    expect(keyPositions(['PING'])).toEqual([]);
    expect(keysOf(['PING', 'hello'])).toEqual([]);
    expect(keyPositions(['FLUSHALL'])).toEqual([]);
  });

  it('returns undefined for unknown commands and malformed argument lists', () => {
    expect(commandInfo('NOSUCHCOMMAND')).toBeUndefined();
    expect(isReadOnly('NOSUCHCOMMAND')).toBe(false);
    expect(isWrite('NOSUCHCOMMAND')).toBe(false);
    expect(keyPositions(['NOSUCHCOMMAND', 'k'])).toBeUndefined();
    expect(keyPositions([])).toBeUndefined();
    expect(keyPositions([42, 'k'])).toBeUndefined();
    expect(keyPositions(['GET'])).toBeUndefined();
    expect(keyPositions(['GET', 'a', 'b'])).toBeUndefined();
    expect(commandInfo(42 as unknown as string)).toBeUndefined();
  });

  it('looks names up in any case, from strings or Buffers', () => {
    const get = commandInfo('GET');
    expect(get).toBeDefined();
    expect(commandInfo('get')).toBe(get);
    expect(commandInfo('gEt')).toBe(get);
    expect(isWrite('hSeT')).toBe(true);
    expect(keyPositions(['mset', 'a', '1'])).toEqual([1]);
    expect(keyPositions([Buffer.from('Get'), 'k'])).toEqual([1]);
  });

  it('resolves container commands to their subcommand', () => {
    expect(commandInfo('OBJECT')?.hasSubcommands).toBe(true);
    expect(resolveCommand(['object', 'encoding', 'k'])?.name).toBe('OBJECT|ENCODING');
    expect(keysOf(['OBJECT', 'ENCODING', 'k'])).toEqual(['k']);
    expect(commandInfo('client|setname')?.name).toBe('CLIENT|SETNAME');
    expect(keyPositions(['CLIENT', 'SETNAME', 'me'])).toEqual([]);
    expect(resolveCommand(['OBJECT', 'NOSUCHSUB', 'k'])).toBeUndefined();
  });

  it('marks pub/sub, blocking and script-forbidden commands', () => {
    expect(commandInfo('SUBSCRIBE')).toMatchObject({ pubsub: true, noscript: true });
    expect(commandInfo('XREAD')).toMatchObject({ blocking: true, readonly: true });
    expect(commandInfo('GET')).toMatchObject({ blocking: false, pubsub: false, noscript: false });
  });
});
