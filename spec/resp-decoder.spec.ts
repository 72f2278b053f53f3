import { ProtocolError, ReplyError } from '../lib/errors';
import { RespDecoder } from '../lib/resp/decoder';
import type { DecoderLimits, RespValue } from '../lib/resp/types';

interface Decoded {
  replies: RespValue[];
  pushes: RespValue[][];
}

function decoderInto(out: Decoded, buffers = false, limits: Partial<DecoderLimits> = {}): RespDecoder {
  return new RespDecoder(
    {
      wantsBuffers: () => buffers,
      onReply: (value) => out.replies.push(value),
      onPush: (value) => out.pushes.push(value),
    },
    limits,
  );
}

/** Every way the bytes can arrive: whole, one byte at a time, and split in two at each offset. */
function chunkings(bytes: Buffer): { label: string; chunks: Buffer[] }[] {
  const ways = [
    { label: 'whole', chunks: [bytes] },
    { label: 'byte by byte', chunks: [...bytes].map((byte) => Buffer.from([byte])) },
  ];
  for (let cut = 1; cut < bytes.length; cut++) {
    ways.push({ label: `split at ${cut}`, chunks: [bytes.subarray(0, cut), bytes.subarray(cut)] });
  }
  return ways;
}

function decodeEveryWay(wire: string | Buffer, buffers = false): Decoded {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  let first: Decoded | undefined;
  for (const { label, chunks } of chunkings(bytes)) {
    const out: Decoded = { replies: [], pushes: [] };
    const decoder = decoderInto(out, buffers);
    for (const chunk of chunks) decoder.feed(chunk);
    expect({ label, idle: decoder.idle }).toEqual({ label, idle: true });
    if (first === undefined) first = out;
    else expect({ label, out }).toEqual({ label, out: first });
  }
  return first as Decoded;
}

function failureEveryWay(wire: string | Buffer, limits: Partial<DecoderLimits> = {}): ProtocolError {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  let message: string | undefined;
  for (const { label, chunks } of chunkings(bytes)) {
    const decoder = decoderInto({ replies: [], pushes: [] }, false, limits);
    let caught: unknown;
    try {
      for (const chunk of chunks) decoder.feed(chunk);
    } catch (error) {
      caught = error;
    }
    expect({ label, isProtocolError: caught instanceof ProtocolError }).toEqual({
      label,
      isProtocolError: true,
    });
    message ??= (caught as Error).message;
  }
  return new ProtocolError(message as string);
}

describe('RESP2 values', () => {
  test.each<[string, string, RespValue]>([
    ['simple string', '+OK\r\n', 'OK'],
    ['empty simple string', '+\r\n', ''],
    ['integer', ':1234\r\n', 1234],
    ['negative integer', ':-42\r\n', -42],
    ['zero', ':0\r\n', 0],
    ['largest safe integer', ':9007199254740991\r\n', 9007199254740991],
    ['integer past 2^53 becomes bigint', ':9007199254740993\r\n', 9007199254740993n],
    ['int64 max', ':9223372036854775807\r\n', 9223372036854775807n],
    ['int64 min', ':-9223372036854775808\r\n', -9223372036854775808n],
    ['bulk string', '$5\r\nhello\r\n', 'hello'],
    ['empty bulk string', '$0\r\n\r\n', ''],
    ['bulk string holding CRLF', '$4\r\na\r\nb\r\n', 'a\r\nb'],
    ['null bulk', '$-1\r\n', null],
    ['null array', '*-1\r\n', null],
    ['empty array', '*0\r\n', []],
    ['nested array', '*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$-1\r\n', [1, ['a', 'b'], null]],
  ])('%s', (_label, wire, expected) => {
    expect(decodeEveryWay(wire).replies).toEqual([expected]);
  });

  test('UTF-8 bulk strings decode as text, split inside a multibyte character', () => {
    const text = 'ключ 键 🔑';
    const body = Buffer.from(text, 'utf8');
    const wire = Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n')]);
    expect(decodeEveryWay(wire).replies).toEqual([text]);
  });

  test('error replies become ReplyError values with their code, not thrown', () => {
    const { replies } = decodeEveryWay('-WRONGTYPE Operation against a key\r\n*2\r\n-ERR inner\r\n:1\r\n');
    expect(replies[0]).toBeInstanceOf(ReplyError);
    expect((replies[0] as ReplyError).code).toBe('WRONGTYPE');
    expect((replies[0] as ReplyError).message).toBe('WRONGTYPE Operation against a key');
    const nested = replies[1] as RespValue[];
    expect(nested[0]).toBeInstanceOf(ReplyError);
    expect(nested[1]).toBe(1);
  });

  test('binary bulk strings come back as exact Buffers in buffer mode', () => {
    const payload = Buffer.from([0, 255, 13, 10, 128, 36, 42]);
    const wire = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
    const [value] = decodeEveryWay(wire, true).replies;
    expect(Buffer.isBuffer(value)).toBe(true);
    expect((value as Buffer).equals(payload)).toBe(true);
  });

  test('several pipelined replies in one stream arrive in order', () => {
    expect(decodeEveryWay('+OK\r\n$1\r\na\r\n:7\r\n$-1\r\n').replies).toEqual(['OK', 'a', 7, null]);
  });
});

describe('RESP3 values', () => {
  test.each<[string, string, RespValue]>([
    ['null', '_\r\n', null],
    ['true', '#t\r\n', true],
    ['false', '#f\r\n', false],
    ['double', ',3.14\r\n', 3.14],
    ['negative double with exponent', ',-1.5e-3\r\n', -0.0015],
    ['integral double', ',10\r\n', 10],
    ['inf', ',inf\r\n', Infinity],
    ['-inf', ',-inf\r\n', -Infinity],
    [
      'big number',
      '(3492890328409238509324850943850943825024385\r\n',
      3492890328409238509324850943850943825024385n,
    ],
    ['negative big number', '(-12\r\n', -12n],
    ['verbatim string', '=15\r\ntxt:Some string\r\n', 'Some string'],
    [
      'map',
      '%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n',
      new Map<RespValue, RespValue>([
        ['first', 1],
        ['second', 2],
      ]),
    ],
    ['empty map', '%0\r\n', new Map()],
    ['set', '~3\r\n+a\r\n+b\r\n:1\r\n', new Set<RespValue>(['a', 'b', 1])],
    ['array of maps', '*1\r\n%1\r\n+k\r\n*1\r\n#t\r\n', [new Map<RespValue, RespValue>([['k', [true]]])]],
  ])('%s', (_label, wire, expected) => {
    expect(decodeEveryWay(wire).replies).toEqual([expected]);
  });

  test('nan', () => {
    expect(decodeEveryWay(',nan\r\n').replies[0]).toBeNaN();
  });

  test('blob errors become ReplyError', () => {
    const [value] = decodeEveryWay('!21\r\nSYNTAX invalid syntax\r\n').replies;
    expect(value).toBeInstanceOf(ReplyError);
    expect((value as ReplyError).code).toBe('SYNTAX');
  });

  test('push frames go to onPush, never to the reply stream', () => {
    const { replies, pushes } = decodeEveryWay(
      '+before\r\n>3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n+after\r\n>0\r\n',
    );
    expect(replies).toEqual(['before', 'after']);
    expect(pushes).toEqual([['message', 'chan', 'hi'], []]);
  });

  test('attribute frames are dropped, at top level and inside aggregates', () => {
    const wire =
      '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039\r\n|1\r\n+ttl\r\n:3\r\n:9543\r\n|0\r\n+OK\r\n';
    expect(decodeEveryWay(wire).replies).toEqual([[2039, 9543], 'OK']);
  });
});

describe('malformed input gives ProtocolError', () => {
  test.each<[string, string, RegExp]>([
    ['unknown type byte', '@foo\r\n', /unknown RESP type byte 0x40/],
    ['negative length other than -1', '$-2\r\n', /only -1 is allowed/],
    ['negative array length', '*-5\r\n', /only -1 is allowed/],
    ['null map', '%-1\r\n', /only valid for arrays/],
    ['length with junk', '$1x\r\n', /malformed length/],
    ['empty length', '*\r\n', /malformed length/],
    ['missing CRLF after bulk body', '$3\r\nabcXY', /missing CRLF/],
    ['CR without LF', '+OK\rX', /CR without LF/],
    ['LF inside a line', '+O\nK\r\n', /LF without CR/],
    ['integer above int64', ':9223372036854775808\r\n', /signed 64-bit range/],
    ['integer below int64', ':-9223372036854775809\r\n', /signed 64-bit range/],
    ['integer with 21 digits', ':123456789012345678901\r\n', /signed 64-bit range/],
    ['integer with letters', ':12a\r\n', /malformed integer/],
    ['integer without digits', ':-\r\n', /no digits/],
    ['bad double', ',1.2.3\r\n', /malformed double/],
    ['bad double word', ',infinity\r\n', /malformed double/],
    ['bad boolean', '#x\r\n', /malformed boolean/],
    ['bad null', '_x\r\n', /malformed null/],
    ['bad big number', '(12e3\r\n', /malformed big number/],
    ['verbatim without format', '=3\r\nabc\r\n', /verbatim/],
    ['streamed string', '$?\r\n;4\r\nHell\r\n;0\r\n', /not supported/],
  ])('%s', (_label, wire, message) => {
    expect(failureEveryWay(wire).message).toMatch(message);
  });

  test('a declared bulk length over maxBulkLength fails before its bytes arrive', () => {
    const out: Decoded = { replies: [], pushes: [] };
    const decoder = decoderInto(out, false, { maxBulkLength: 1024 });
    expect(() => decoder.feed(Buffer.from('$1025'))).toThrow(/length exceeds the limit \(1024\)/);
  });

  test('the default bulk limit is 512 MiB: a 4 GiB declaration fails at once', () => {
    const decoder = decoderInto({ replies: [], pushes: [] });
    expect(() => decoder.feed(Buffer.from('$4294967296\r\n'))).toThrow(ProtocolError);
  });

  test('an array over maxArrayLength fails before its elements arrive', () => {
    expect(failureEveryWay('*11\r\n', { maxArrayLength: 10 }).message).toMatch(/length exceeds the limit/);
  });

  test('a map counts keys and values against maxArrayLength', () => {
    expect(failureEveryWay('%6\r\n', { maxArrayLength: 10 }).message).toMatch(
      /length exceeds the limit \(5\)/,
    );
  });

  test('nesting past maxDepth fails', () => {
    expect(failureEveryWay('*1\r\n'.repeat(5), { maxDepth: 4 }).message).toMatch(/maxDepth \(4\)/);
  });

  test('a line with no CRLF within maxLineLength fails without waiting for more', () => {
    const decoder = decoderInto({ replies: [], pushes: [] }, false, { maxLineLength: 16 });
    expect(() => decoder.feed(Buffer.from('+' + 'a'.repeat(40)))).toThrow(/maxLineLength/);
  });

  test('an overlong line is caught even when it arrives in small pieces', () => {
    const decoder = decoderInto({ replies: [], pushes: [] }, false, { maxLineLength: 16 });
    let caught: unknown;
    try {
      for (let i = 0; i < 100; i++) decoder.feed(Buffer.from('aaaa'.replace(/^a/, i === 0 ? '+' : 'a')));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
  });

  test('the error is sticky: bytes after it are never decoded', () => {
    const out: Decoded = { replies: [], pushes: [] };
    const decoder = decoderInto(out);
    expect(() => decoder.feed(Buffer.from('+ok\r\n?bad\r\n+later\r\n'))).toThrow(ProtocolError);
    expect(() => decoder.feed(Buffer.from('+more\r\n'))).toThrow(ProtocolError);
    expect(out.replies).toEqual(['ok']);
  });

  test('an exception from the sink poisons the decoder as a ProtocolError', () => {
    const decoder = new RespDecoder({
      wantsBuffers: () => false,
      onReply: () => {
        throw new Error('no command waiting');
      },
      onPush: () => undefined,
    });
    expect(() => decoder.feed(Buffer.from('+OK\r\n'))).toThrow(ProtocolError);
  });
});

describe('streaming', () => {
  test('10,000 nested arrays decode without touching the JS stack', () => {
    const depth = 10_000;
    const wire = Buffer.from('*1\r\n'.repeat(depth) + ':7\r\n');
    const out: Decoded = { replies: [], pushes: [] };
    decoderInto(out).feed(wire);
    let value = out.replies[0];
    let levels = 0;
    while (Array.isArray(value)) {
      value = value[0] as RespValue;
      levels++;
    }
    expect(levels).toBe(depth);
    expect(value).toBe(7);
  });

  test('a large bulk body arriving in many chunks is assembled once and exactly', () => {
    const body = Buffer.alloc(1_000_003);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const wire = Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n:1\r\n')]);
    const out: Decoded = { replies: [], pushes: [] };
    const decoder = decoderInto(out, true);
    for (let offset = 0; offset < wire.length; offset += 4093)
      decoder.feed(wire.subarray(offset, offset + 4093));
    expect(out.replies).toHaveLength(2);
    expect((out.replies[0] as Buffer).equals(body)).toBe(true);
    expect(out.replies[1]).toBe(1);
  });

  test('bytes held while waiting for a body are reported', () => {
    const decoder = decoderInto({ replies: [], pushes: [] });
    decoder.feed(Buffer.from('$10\r\nabc'));
    expect(decoder.bufferedBytes).toBe(3);
    expect(decoder.idle).toBe(false);
  });

  test('buffer mode is asked per top-level reply', () => {
    const modes = [false, true, false];
    const replies: RespValue[] = [];
    const decoder = new RespDecoder({
      wantsBuffers: () => modes[replies.length] as boolean,
      onReply: (value) => replies.push(value),
      onPush: () => undefined,
    });
    decoder.feed(Buffer.from('$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n'));
    expect(replies).toEqual(['a', Buffer.from('b'), 'c']);
  });
});
