import { InvalidArgumentError } from '../lib/errors';
import { RespDecoder } from '../lib/resp/decoder';
import { encodeCommand, measureCommand, writeCommand, type CommandSize } from '../lib/resp/encoder';
import type { CommandArg, RespValue } from '../lib/resp/types';

function measure(args: CommandArg[]): CommandSize {
  const size: CommandSize = { bytes: 0, ascii: true };
  measureCommand(args, size);
  return size;
}

function wireBytes(args: CommandArg[]): Buffer {
  return encodeCommand(args);
}

/** Decodes what the encoder wrote, as a server would read it: an array of byte strings. */
function roundTrip(args: CommandArg[]): Buffer[] {
  const replies: RespValue[] = [];
  const decoder = new RespDecoder({
    wantsBuffers: () => true,
    onReply: (value) => replies.push(value),
    onPush: () => undefined,
  });
  decoder.feed(wireBytes(args));
  expect(replies).toHaveLength(1);
  return replies[0] as Buffer[];
}

function asBytes(arg: CommandArg): Buffer {
  return Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg), 'utf8');
}

describe('command encoder', () => {
  test('encodes a text command as the exact RESP array of bulk strings', () => {
    expect(wireBytes(['SET', 'key', 'value']).toString('latin1')).toBe(
      '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n',
    );
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
    expect(measure(args).bytes).toBe(wireBytes(args).length);
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
    expect(() => measure(['SET', 'k', bad as CommandArg])).toThrow(InvalidArgumentError);
    expect(() => encodeCommand(['SET', 'k', bad as CommandArg])).toThrow(/argument 2 of SET/);
  });

  test('rejects an empty command', () => {
    expect(() => measure([])).toThrow(InvalidArgumentError);
  });

  test('marks commands whose strings are all ASCII, so they can skip UTF-8 encoding', () => {
    expect(measure(['SET', 'plain', 12]).ascii).toBe(true);
    expect(measure(['SET', 'é', 'v']).ascii).toBe(false);
    expect(measure(['SET', Buffer.from('k'), 'v']).ascii).toBe(false);
  });

  test('writes commands back to back into one shared buffer', () => {
    const commands: CommandArg[][] = [
      ['GET', 'a'],
      ['SET', 'ключ', Buffer.from([0, 1])],
      ['INCRBY', 'n', 1234567],
    ];
    const sizes = commands.map(measure);
    const out = Buffer.alloc(sizes.reduce((sum, size) => sum + size.bytes, 0));
    let offset = 0;
    commands.forEach(
      (args, i) => (offset = writeCommand(args, (sizes[i] as CommandSize).ascii, out, offset)),
    );
    expect(offset).toBe(out.length);
    expect(out.equals(Buffer.concat(commands.map(wireBytes)))).toBe(true);
  });
});
