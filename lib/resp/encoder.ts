import { InvalidArgumentError } from '../errors';
import { writeLatin1, writeUtf8 } from './buffer-text';
import type { CommandArg } from './types';

/** What a command costs on the wire, found before it is written. */
export interface CommandSize {
  /** Exact size on the wire. */
  bytes: number;
  /** Every argument is an ASCII string or a number, so each string's length is its byte length. */
  ascii: boolean;
}

/**
 * Checks a command's arguments and measures its RESP encoding, without building it: the connection
 * encodes every command of a tick straight into one Buffer at flush time (see `writeCommand`), so no
 * intermediate strings are made per command.
 */
export function measureCommand(args: readonly CommandArg[], into: CommandSize): void {
  const count = args.length;
  if (count === 0) throw new InvalidArgumentError('a command needs at least its name');
  let bytes = 3 + digitCount(count);
  let ascii = true;
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    let length: number;
    if (typeof arg === 'string') {
      length = Buffer.byteLength(arg);
      if (length !== arg.length) ascii = false;
    } else if (typeof arg === 'number') {
      if (!Number.isFinite(arg)) throw badArgument(args, i);
      length = String(arg).length;
    } else if (Buffer.isBuffer(arg)) {
      length = arg.length;
      ascii = false;
    } else {
      throw badArgument(args, i);
    }
    bytes += 5 + digitCount(length) + length;
  }
  into.bytes = bytes;
  into.ascii = ascii;
}

/**
 * Writes a measured command as a RESP array of bulk strings at `offset`; returns the new offset.
 * `ascii` must be what `measureCommand` found: it lets strings skip UTF-8 measurement and encoding.
 */
export function writeCommand(
  args: readonly CommandArg[],
  ascii: boolean,
  out: Buffer,
  offset: number,
): number {
  const count = args.length;
  out[offset++] = 42; // *
  offset = writeDigits(out, offset, count);
  for (let i = 0; i < count; i++) {
    const arg = args[i] as CommandArg;
    out[offset++] = 36; // $
    if (typeof arg === 'string') {
      if (ascii) {
        const length = arg.length;
        offset = writeDigits(out, offset, length);
        if (length < SHORT_STRING) for (let c = 0; c < length; c++) out[offset++] = arg.charCodeAt(c);
        else offset += writeLatin1(out, arg, offset);
      } else {
        offset = writeDigits(out, offset, Buffer.byteLength(arg));
        offset += writeUtf8(out, arg, offset);
      }
    } else if (typeof arg === 'number') {
      const text = String(arg);
      offset = writeDigits(out, offset, text.length);
      offset += writeLatin1(out, text, offset);
    } else {
      offset = writeDigits(out, offset, arg.length);
      offset += arg.copy(out, offset);
    }
    out[offset++] = 13;
    out[offset++] = 10;
  }
  return offset;
}

/** Encodes one command into a Buffer of its own: for callers outside the connection's write path. */
export function encodeCommand(args: readonly CommandArg[]): Buffer {
  const size: CommandSize = { bytes: 0, ascii: true };
  measureCommand(args, size);
  const out = Buffer.allocUnsafe(size.bytes);
  writeCommand(args, size.ascii, out, 0);
  return out;
}

/** ASCII strings shorter than this are copied in JS, which beats a call into the runtime. */
const SHORT_STRING = 32;

/** Writes `value` in decimal followed by CRLF. */
function writeDigits(out: Buffer, offset: number, value: number): number {
  if (value < 10) {
    out[offset++] = 48 + value;
  } else {
    const end = offset + digitCount(value);
    for (let at = end - 1, rest = value; at >= offset; at--, rest = Math.floor(rest / 10)) {
      out[at] = 48 + (rest % 10);
    }
    offset = end;
  }
  out[offset++] = 13;
  out[offset++] = 10;
  return offset;
}

function digitCount(value: number): number {
  if (value < 10) return 1;
  if (value < 100) return 2;
  if (value < 1000) return 3;
  if (value < 10000) return 4;
  return String(value).length;
}

function badArgument(args: readonly unknown[], index: number): InvalidArgumentError {
  const name = typeof args[0] === 'string' ? args[0].toUpperCase() : 'command';
  const value = args[index];
  const shown = typeof value === 'number' ? String(value) : value === null ? 'null' : typeof value;
  return new InvalidArgumentError(
    `argument ${index} of ${name} is ${shown}: arguments must be strings, Buffers or finite numbers`,
  );
}
