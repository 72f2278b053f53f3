import { InvalidArgumentError } from '../lib/errors';
import { RespDecoder } from '../lib/resp/decoder';
import { encodeCommand, type EncodedCommand } from '../lib/resp/encoder';
import type { CommandArg, RespValue } from '../lib/resp/types';

function encode(args: CommandArg[]): EncodedCommand {
  const out: EncodedCommand = { payload: '', bytes: 0, ascii: true };
  encodeCommand(args, out);
  return out;
}

function wireBytes(encoded: EncodedCommand): Buffer {
  return typeof encoded.payload === 'string' ? Buffer.from(encoded.payload, 'utf8') : encoded.payload;
}

/** Decodes what the encoder wrote, as a server would read it: an array of byte strings. */
function roundTrip(args: CommandArg[]): Buffer[] {
  const replies: RespValue[] = [];
  const decoder = new RespDecoder({
    wantsBuffers: () => true,
    onReply: (value) => replies.push(value),
    onPush: () => undefined,
  });
  decoder.feed(wireBytes(encode(args)));
  expect(replies).toHaveLength(1);
  return replies[0] as Buffer[];
}

function asBytes(arg: CommandArg): Buffer {
  return Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
}

describe('command encoder', () => {
  test('encodes a text command as the exact RESP array of bulk strings', () => {
    expect(encode(['SET', 'key', 'value']).payload).toBe('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');
  });

  test.each<[string, CommandArg[]]>([
    ['text', ['SET', 'k', 'v']],
    ['multibyte text', ['SET', 'ключ', '值🔑']],
    ['numbers', ['EXPIRE', 'k', 10, -1.5, 0]],
    ['empty strings', ['SET', '', '']],
    ['binary', ['SET', Buffer.from([0, 13, 10, 255]), Buffer.alloc(0)]],
    ['mixed', ['HSET', 'h', Buffer.from('f'), 12, 'é']],
  ])('round-trips %s and reports the exact byte size', (_label, args) => {
    const decoded = roundTrip(args);
    expect(decoded.map((part) => part.toString('hex'))).toEqual(
      args.map((arg) => asBytes(arg).toString('hex')),
    );
    const encoded = encode(args);
    expect(encoded.bytes).toBe(wireBytes(encoded).length);
  });

  test('a 32 MiB binary argument is carried exactly', () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 7);
    big[12345] = 0;
    const decoded = roundTrip(['SET', 'big', big]);
    expect(decoded[2]?.equals(big)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an object', { a: 1 }],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('rejects %s as an argument with InvalidArgumentError', (_label, bad) => {
    expect(() => encode(['SET', 'k', bad as CommandArg])).toThrow(InvalidArgumentError);
    expect(() => encode(['SET', 'k', bad as CommandArg])).toThrow(/argument 2 of SET/);
  });

  test('rejects an empty command', () => {
    expect(() => encode([])).toThrow(InvalidArgumentError);
  });
});
