/** The generic (keyspace) commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import { InvalidArgumentError } from '../lib/errors';
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);
/** 2100-01-01T00:00:00Z. */
const FAR = 4_102_444_800;

describe('generic commands under every protocol', () => {
  test('copy, exists, rename, touch, type, del, unlink', async () => {
    const results = await trio.each(async (c) => {
      await c.set('g:a', 'alpha');
      return {
        copy: await c.copy('g:a', 'g:b'),
        copyTaken: await c.copy('g:a', 'g:b'),
        exists: await c.exists('g:a', 'g:b', 'g:none', 'g:a'),
        rename: await c.rename('g:b', 'g:c'),
        renameMissing: await c.rename('g:none', 'g:x').catch((error: Error) => error.message),
        renamenx: await c.renamenx('g:c', 'g:a'),
        touch: await c.touch('g:a', 'g:c', 'g:none'),
        type: await c.type('g:a'),
        typeMissing: await c.type('g:none'),
        typeBuffer: await c.typeBuffer('g:c'),
        unlink: await c.unlink('g:c', 'g:none'),
        del: await c.del('g:a', 'g:none'),
        existsAfter: await c.exists('g:a', 'g:c'),
      };
    });
    expectSameAndRight(results, {
      copy: 1,
      copyTaken: 0,
      exists: 3,
      rename: 'OK',
      renameMissing: 'ERR no such key',
      renamenx: 0,
      touch: 2,
      type: 'string',
      typeMissing: 'none',
      typeBuffer: b('string'),
      unlink: 1,
      del: 1,
      existsAfter: 0,
    });
  });

  test('expiry: EXPIREAT, EXPIRETIME, PEXPIRETIME, PERSIST, PTTL and TTL', async () => {
    const results = await trio.each(async (c) => {
      await c.set('ex:k', 'v');
      return {
        noTtl: await c.ttl('ex:k'),
        noPttl: await c.pttl('ex:k'),
        noExpiretime: await c.expiretime('ex:k'),
        missingExpiretime: await c.pexpiretime('ex:none'),
        expireat: await c.expireat('ex:k', FAR),
        expiretime: await c.expiretime('ex:k'),
        pexpiretime: await c.pexpiretime('ex:k'),
        pexpireat: await c.pexpireat('ex:k', FAR * 1000 + 250),
        pexpiretimeMs: await c.pexpiretime('ex:k'),
        expireNx: await c.expire('ex:k', 100, 'NX'),
        persist: await c.persist('ex:k'),
        persistAgain: await c.persist('ex:k'),
        pexpire: await c.pexpire('ex:k', 50_000),
        ttlPositive: (await c.ttl('ex:k')) > 0,
      };
    });
    expectSameAndRight(results, {
      noTtl: -1,
      noPttl: -1,
      noExpiretime: -1,
      missingExpiretime: -2,
      expireat: 1,
      expiretime: FAR,
      pexpiretime: FAR * 1000,
      pexpireat: 1,
      pexpiretimeMs: FAR * 1000 + 250,
      expireNx: 0,
      persist: 1,
      persistAgain: 0,
      pexpire: 1,
      ttlPositive: true,
    });
  });

  test('DUMP gives a Buffer from both methods, so binary values survive RESTORE', async () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]);
    const results = await trio.each(async (c) => {
      await c.set('du:bin', binary);
      await c.set('du:text', 'alpha');
      const dump = await c.dump('du:bin');
      const dumpText = await c.dump('du:text');
      return {
        isBuffer: Buffer.isBuffer(dump),
        sameAsBufferTwin: dump !== null && dump.equals((await c.dumpBuffer('du:bin')) ?? Buffer.alloc(0)),
        // A string payload's header: type 0 (string), length 5, the bytes.
        textHead: dumpText?.subarray(0, 7),
        missing: await c.dump('du:none'),
        restore: dump === null ? 'no dump' : await c.restore('du:copy', 0, dump),
        restored: await c.getBuffer('du:copy'),
        restoreTaken:
          dump === null
            ? 'no dump'
            : await c.restore('du:copy', 0, dump).catch((error: Error) => error.message),
        restoreReplace: dumpText === null ? 'no dump' : await c.restore('du:copy', 0, dumpText, 'REPLACE'),
        replaced: await c.get('du:copy'),
      };
    });
    expectSameAndRight(results, {
      isBuffer: true,
      sameAsBufferTwin: true,
      textHead: Buffer.from([0x00, 0x05, ...b('alpha')]),
      missing: null,
      restore: 'OK',
      restored: binary,
      restoreTaken: 'BUSYKEY Target key name already exists.',
      restoreReplace: 'OK',
      replaced: 'alpha',
    });
  });

  test('OBJECT, MOVE, MIGRATE of nothing, WAIT', async () => {
    let run = 0;
    const results = await trio.each(async (c) => {
      run += 1;
      await c.set('ob:s', 'short');
      await c.rpush('ob:l', 'x');
      // A key name of its own per client: MOVE's target database is shared by the three.
      const moving = `ob:move:${run}`;
      await c.set(moving, 'm');
      return {
        encoding: await c.objectEncoding('ob:s'),
        encodingList: await c.objectEncoding('ob:l'),
        encodingBuffer: await c.objectEncodingBuffer('ob:s'),
        encodingMissing: await c.objectEncoding('ob:none'),
        viaContainer: await c.object('ENCODING', 'ob:l'),
        refcount: await c.objectRefcount('ob:s'),
        refcountMissing: await c.objectRefcount('ob:none'),
        idletimeIsNumber: typeof (await c.objectIdletime('ob:s')),
        idletimeMissing: await c.objectIdletime('ob:none'),
        freq: await c.objectFreq('ob:s').catch((error: Error) => error.message.slice(0, 43)),
        helpFirst: (await c.objectHelp())[0],
        move: await c.move(moving, 9),
        moveMissing: await c.move('ob:none', 9),
        migrate: await c.migrate('127.0.0.1', 1, 'ob:none', 0, 1000),
        wait: await c.wait(0, 0),
      };
    });
    expectSameAndRight(results, {
      encoding: 'embstr',
      encodingList: 'quicklist',
      encodingBuffer: b('embstr'),
      encodingMissing: null,
      viaContainer: 'quicklist',
      refcount: 1,
      refcountMissing: null,
      idletimeIsNumber: 'number',
      idletimeMissing: null,
      freq: 'ERR An LFU maxmemory policy is not selected',
      helpFirst: 'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
      move: 1,
      moveMissing: 0,
      migrate: 'NOKEY',
      wait: 0,
    });
  });

  test('SORT and SORT_RO: elements, nil for a GET that finds nothing, the count with STORE', async () => {
    const results = await trio.each(async (c) => {
      await c.rpush('so:l', '3', '1', '2');
      await c.set('so:w_1', 'one');
      await c.set('so:w_3', 'three');
      return {
        sort: await c.sort('so:l'),
        desc: await c.sort('so:l', 'DESC', 'LIMIT', 0, 2),
        get: await c.sort('so:l', 'GET', 'so:w_*'),
        store: await c.sort('so:l', 'STORE', 'so:dst'),
        stored: await c.lrange('so:dst', 0, -1),
        ro: await c.sortRo('so:l', 'ALPHA', 'DESC'),
        buffer: await c.sortBuffer('so:l', 'LIMIT', 0, 1),
      };
    });
    expectSameAndRight(results, {
      sort: ['1', '2', '3'],
      desc: ['3', '2'],
      get: ['one', null, 'three'],
      store: 3,
      stored: ['1', '2', '3'],
      ro: ['3', '2', '1'],
      buffer: [b('1')],
    });
  });

  test('KEYS, SCAN (cursor as text), RANDOMKEY in an empty and a one-key database', async () => {
    const results = await trio.each(async (c) => {
      const flush = await c.flushdb();
      const randomEmpty = await c.randomkey();
      await c.mset({ 'sc:1': 'a', 'sc:2': 'b', 'sc:3': 'c', 'other:1': 'd' });
      const [cursor, keys] = await c.scan('0', 'MATCH', 'sc:*', 'COUNT', 1000);
      const [, buffers] = await c.scanBuffer(0, 'MATCH', 'sc:1', 'COUNT', 1000);
      const [, typed] = await c.scan(0, 'TYPE', 'hash', 'COUNT', 1000);
      const all = await c.keys('*');
      await c.del('sc:1', 'sc:2', 'sc:3');
      return {
        flush,
        randomEmpty,
        keys: [...all].sort(),
        cursor,
        scanned: [...keys].sort(),
        buffers,
        typed,
        random: await c.randomkey(),
        randomBuffer: await c.randomkeyBuffer(),
      };
    });
    expectSameAndRight(results, {
      flush: 'OK',
      randomEmpty: null,
      keys: ['other:1', 'sc:1', 'sc:2', 'sc:3'],
      cursor: '0',
      scanned: ['sc:1', 'sc:2', 'sc:3'],
      buffers: [b('sc:1')],
      typed: [],
      random: 'other:1',
      randomBuffer: b('other:1'),
    });
  });

  test('keys in arguments and replies are data: a Buffer key round-trips', async () => {
    const key = Buffer.from([0x6b, 0xff, 0x00]);
    const results = await trio.each(async (c) => {
      await c.set(key, 'v');
      const [, found] = await c.scanBuffer(0, 'MATCH', key, 'COUNT', 1000);
      return { exists: await c.exists(key), found, type: await c.type(key), del: await c.del(key) };
    });
    expectSameAndRight(results, { exists: 1, found: [key], type: 'string', del: 1 });
  });

  test('a method refuses too few arguments before sending', async () => {
    const results = await trio.each(async (c) => ({
      del: await c.del().catch((error: Error) => error instanceof InvalidArgumentError),
    }));
    expectSameAndRight(results, { del: true });
  });
});
