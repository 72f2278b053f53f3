import { InvalidArgumentError } from '../errors';
import type { CommandArg } from './types';

/** An encoded command: a string when every argument was text, else one Buffer. */
export interface EncodedCommand {
  payload: string | Buffer;
  /** Exact size on the wire. */
  bytes: number;
  /** The payload is a string of ASCII only, so it can be written as latin1, which is cheaper than UTF-8. */
  ascii: boolean;
}

/**
 * Encodes a command as a RESP array of bulk strings.
 *
 * Text-only commands stay a JS string: the connection joins a tick's worth of them and converts once
 * on write, which beats building a Buffer per command. A Buffer argument switches that command to a
 * single preallocated Buffer, so binary values are copied exactly once.
 */
export function encodeCommand(args: readonly CommandArg[], into: EncodedCommand): void {
  const count = args.length;
  if (count === 0) throw new InvalidArgumentError('a command needs at least its name');
  let text = `*${count}\r\n`;
  let bytes = text.length;
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    if (typeof arg === 'string') {
      const length = Buffer.byteLength(arg);
      const header = `$${length}\r\n`;
      text += header + arg + '\r\n';
      bytes += header.length + length + 2;
    } else if (typeof arg === 'number') {
      const digits = numberArg(arg, args, i);
      text += `$${digits.length}\r\n${digits}\r\n`;
      bytes += 3 + String(digits.length).length + digits.length + 2;
    } else if (Buffer.isBuffer(arg)) {
      encodeBinary(args, into);
      return;
    } else {
      throw badArgument(args, i);
    }
  }
  into.payload = text;
  into.bytes = bytes;
  // Every header byte is ASCII, and an argument's UTF-8 length equals its length only when it is ASCII.
  into.ascii = bytes === text.length;
}

/** Slow path for commands carrying Buffers: measure, allocate once, fill. */
function encodeBinary(args: readonly CommandArg[], into: EncodedCommand): void {
  const count = args.length;
  const parts: (string | Buffer)[] = new Array<string | Buffer>(count);
  let total = `*${count}\r\n`.length;
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    let part: string | Buffer;
    if (typeof arg === 'string') part = arg;
    else if (typeof arg === 'number') part = numberArg(arg, args, i);
    else if (Buffer.isBuffer(arg)) part = arg;
    else throw badArgument(args, i);
    parts[i] = part;
    const length = typeof part === 'string' ? Buffer.byteLength(part) : part.length;
    total += 1 + String(length).length + 2 + length + 2;
  }
  const out = Buffer.allocUnsafe(total);
  let offset = out.write(`*${count}\r\n`, 0, 'latin1');
  for (const part of parts) {
    const length = typeof part === 'string' ? Buffer.byteLength(part) : part.length;
    offset += out.write(`$${length}\r\n`, offset, 'latin1');
    offset += typeof part === 'string' ? out.write(part, offset, 'utf8') : part.copy(out, offset);
    out[offset++] = 13;
    out[offset++] = 10;
  }
  into.payload = out;
  into.bytes = total;
  into.ascii = false;
}

function numberArg(value: number, args: readonly unknown[], index: number): string {
  if (!Number.isFinite(value)) throw badArgument(args, index);
  return String(value);
}

function badArgument(args: readonly unknown[], index: number): InvalidArgumentError {
  const name = typeof args[0] === 'string' ? args[0].toUpperCase() : 'command';
  const value = args[index];
  const shown = typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
  return new InvalidArgumentError(
    `argument ${index} of ${name} is ${shown}: arguments must be strings, Buffers or finite numbers`,
  );
}
