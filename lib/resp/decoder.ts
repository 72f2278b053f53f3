import { ProtocolError, ReplyError } from '../errors';
import { readUtf8 } from './buffer-text';
import { ByteAccumulator } from './byte-accumulator';
import { DEFAULT_DECODER_LIMITS, type DecoderLimits, type RespValue } from './types';

/** Where decoded frames go. */
export interface ReplySink {
  /** Asked once per top-level frame, before it is decoded: should strings become Buffers? */
  wantsBuffers(): boolean;
  /** Called with each complete top-level reply, in order (an error reply as a ReplyError). */
  onReply(value: RespValue): void;
  /** Called with each complete RESP3 push frame (pub/sub messages, invalidations). */
  onPush(value: RespValue[]): void;
}

const CR = 13;
const LF = 10;
const MINUS = 45;
const PLUS = 43;
const ZERO = 48;
const NINE = 57;

const enum Aggregate {
  Array,
  Map,
  Set,
  Push,
  Attribute,
}

/** An aggregate whose elements are still arriving. Lives on an explicit stack, never the JS stack. */
interface Frame {
  kind: Aggregate;
  remaining: number;
  items: RespValue[];
}

/** A bulk-style body whose bytes span chunks. */
interface PartialBody {
  type: number;
  length: number;
  bytes: ByteAccumulator;
}

/** Returned by header parsers when the line is not complete yet. */
const INCOMPLETE = -2;

/** Unfinished lines shorter than this are re-parsed whole; longer ones are scanned incrementally. */
const SHORT_TAIL = 64;

/** Types whose header is a length: only digits may follow past the first byte or two. */
const LENGTH_TYPES = new Set([36, 61, 33, 42, 37, 126, 62, 124]);

/**
 * Streaming RESP2/RESP3 decoder.
 *
 * Input may be split at any byte. Aggregates in progress stay on `stack`; a bulk body in progress is
 * gathered in `body`; an unfinished line is gathered in `tail`, and each new chunk is scanned only for
 * the line's end, so slow or tiny chunks cost linear time. A protocol error is sticky: later input is
 * never decoded.
 */
export class RespDecoder {
  private readonly limits: DecoderLimits;
  private readonly stack: Frame[] = [];
  private body: PartialBody | null = null;
  private tail: ByteAccumulator | null = null;
  /** Bytes fed since the open top-level aggregate began, against maxReplyBytes. */
  private replyBytes = 0;
  private buffers = false;
  private failure: ProtocolError | null = null;
  /** Position reached by the last header parse; a field so parsers can return the value alone. */
  private cursor = 0;

  constructor(
    private readonly sink: ReplySink,
    limits: Partial<DecoderLimits> = {},
  ) {
    this.limits = { ...DEFAULT_DECODER_LIMITS, ...limits };
  }

  /** Bytes held for frames not yet complete. */
  get bufferedBytes(): number {
    return (this.tail?.length ?? 0) + (this.body?.bytes.length ?? 0);
  }

  /** True when no frame is partly decoded. */
  get idle(): boolean {
    return this.stack.length === 0 && this.body === null && this.tail === null;
  }

  /** Forget any partial frame, for a fresh socket. Clears a previous failure too. */
  reset(): void {
    this.stack.length = 0;
    this.body = null;
    this.tail = null;
    this.replyBytes = 0;
    this.failure = null;
  }

  /** Decode a chunk. Throws ProtocolError on malformed input, and again on every later call. */
  feed(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    try {
      let start = 0;
      if (this.tail !== null) {
        start = this.continueLine(chunk);
        if (start < 0) return this.countReplyBytes(chunk.length);
      }
      if (this.body !== null) {
        start = this.continueBody(chunk, start);
        if (start < 0) return;
      }
      this.parse(chunk, start);
      this.countReplyBytes(chunk.length);
    } catch (error) {
      this.failure =
        error instanceof ProtocolError
          ? error
          : new ProtocolError(`reply handling failed: ${(error as Error).message}`, { cause: error });
      this.stack.length = 0;
      this.body = null;
      this.tail = null;
      throw this.failure;
    }
  }

  /**
   * Bounds what one aggregate reply may take in, since element counts alone allow a peer to stream
   * endless small elements into one open array. Counted per chunk, so the bound is approximate by at
   * most one chunk.
   */
  private countReplyBytes(length: number): void {
    if (this.stack.length === 0) {
      this.replyBytes = 0;
      return;
    }
    this.replyBytes += length;
    if (this.replyBytes > this.limits.maxReplyBytes) {
      throw new ProtocolError(
        `one reply took in more than maxReplyBytes (${this.limits.maxReplyBytes}) bytes`,
      );
    }
  }

  /**
   * Feeds a chunk to the unfinished line in `tail`. Returns where parsing of the chunk resumes, or -1
   * when the chunk was consumed. A short tail is simply re-parsed with the chunk; a long one (a hostile
   * or huge line arriving in pieces) is never re-scanned: only the new bytes are checked, by the same
   * rules the parser applies, so errors surface at the same byte however the input is split.
   */
  private continueLine(chunk: Buffer): number {
    const tail = this.tail as ByteAccumulator;
    this.tail = null;
    if (tail.length < SHORT_TAIL) {
      this.parse(tail.concat(chunk), 0);
      return -1;
    }
    const lengthLine = LENGTH_TYPES.has(tail.firstByte());
    let index = 0;
    if (tail.lastByte() !== CR) {
      for (; index < chunk.length; index++) {
        const byte = chunk[index] as number;
        if (byte === CR) break;
        if (lengthLine ? byte < ZERO || byte > NINE : byte === LF) {
          this.parse(tail.concat(chunk.subarray(0, index + 1)), 0); // throws this byte's error
          throw new ProtocolError('malformed line');
        }
      }
      this.checkLineLength(tail.length + index - 1);
      if (index >= chunk.length - 1) {
        tail.append(chunk);
        this.tail = tail;
        return -1;
      }
    } else {
      index = -1;
    }
    const end = index + 2;
    this.parse(tail.concat(chunk.subarray(0, end)), 0);
    return end;
  }

  private parse(buf: Buffer, start: number): void {
    const end = buf.length;
    let pos = start;
    while (pos < end) {
      if (this.stack.length === 0) this.buffers = this.sink.wantsBuffers();
      const type = buf[pos];
      switch (type) {
        case 36: // $ bulk string
        case 61: // = verbatim string
        case 33: {
          // ! bulk error
          const length = this.readLength(buf, pos + 1, end, type, this.limits.maxBulkLength);
          if (length === INCOMPLETE) return this.keepTail(buf, pos);
          const bodyStart = this.cursor;
          if (length === -1) {
            if (type !== 36) throw new ProtocolError(`null length is only valid for bulk strings`);
            this.emit(null);
            pos = bodyStart;
            break;
          }
          const bodyEnd = bodyStart + length;
          if (bodyEnd + 2 > end) {
            this.startBody(type, length, buf.subarray(bodyStart));
            return;
          }
          if (buf[bodyEnd] !== CR || buf[bodyEnd + 1] !== LF) {
            throw new ProtocolError(`missing CRLF after a ${length}-byte bulk body`);
          }
          this.emit(this.bodyValue(type, buf, bodyStart, bodyEnd));
          pos = bodyEnd + 2;
          break;
        }
        case 43: // + simple string
        case 45: {
          // - simple error
          const lineEnd = this.findLineEnd(buf, pos + 1, end);
          if (lineEnd === INCOMPLETE) return this.keepTail(buf, pos);
          if (type === 43) {
            this.emit(
              this.buffers ? copyBytes(buf, pos + 1, lineEnd) : buf.toString('utf8', pos + 1, lineEnd),
            );
          } else {
            this.emit(new ReplyError(buf.toString('utf8', pos + 1, lineEnd)));
          }
          pos = lineEnd + 2;
          break;
        }
        case 58: {
          // : integer
          const value = this.readInteger(buf, pos + 1, end);
          if (value === undefined) return this.keepTail(buf, pos);
          this.emit(value);
          pos = this.cursor;
          break;
        }
        case 42: // * array
        case 37: // % map
        case 126: // ~ set
        case 62: // > push
        case 124: {
          // | attribute
          const pairs = type === 37 || type === 124;
          const limit = pairs ? Math.floor(this.limits.maxArrayLength / 2) : this.limits.maxArrayLength;
          const count = this.readLength(buf, pos + 1, end, type, limit);
          if (count === INCOMPLETE) return this.keepTail(buf, pos);
          pos = this.cursor;
          if (count === -1) {
            if (type !== 42) throw new ProtocolError(`null length is only valid for arrays`);
            this.emit(null);
            break;
          }
          const kind = aggregateKind(type);
          if (count === 0) {
            if (kind === Aggregate.Attribute) break;
            if (kind === Aggregate.Push && this.stack.length === 0) this.sink.onPush([]);
            else this.emit(buildAggregate(kind, []));
            break;
          }
          if (this.stack.length >= this.limits.maxDepth) {
            throw new ProtocolError(`aggregates nested deeper than maxDepth (${this.limits.maxDepth})`);
          }
          this.stack.push({ kind, remaining: pairs ? count * 2 : count, items: [] });
          break;
        }
        case 95: {
          // _ null
          if (pos + 3 > end) return this.keepTail(buf, pos);
          if (buf[pos + 1] !== CR || buf[pos + 2] !== LF)
            throw new ProtocolError(`malformed null: expected "_\\r\\n"`);
          this.emit(null);
          pos += 3;
          break;
        }
        case 35: {
          // # boolean
          if (pos + 4 > end) return this.keepTail(buf, pos);
          const flag = buf[pos + 1];
          if ((flag !== 116 && flag !== 102) || buf[pos + 2] !== CR || buf[pos + 3] !== LF) {
            throw new ProtocolError(`malformed boolean: expected "#t" or "#f"`);
          }
          this.emit(flag === 116);
          pos += 4;
          break;
        }
        case 44: {
          // , double
          const lineEnd = this.findLineEnd(buf, pos + 1, end);
          if (lineEnd === INCOMPLETE) return this.keepTail(buf, pos);
          this.emit(parseDouble(buf.toString('latin1', pos + 1, lineEnd)));
          pos = lineEnd + 2;
          break;
        }
        case 40: {
          // ( big number
          const lineEnd = this.findLineEnd(buf, pos + 1, end);
          if (lineEnd === INCOMPLETE) return this.keepTail(buf, pos);
          const text = buf.toString('latin1', pos + 1, lineEnd);
          if (!/^[+-]?\d+$/.test(text)) throw new ProtocolError(`malformed big number: ${quote(text)}`);
          this.emit(BigInt(text));
          pos = lineEnd + 2;
          break;
        }
        default:
          throw new ProtocolError(
            `unknown RESP type byte 0x${(type ?? 0).toString(16).padStart(2, '0')}${describeByte(type)}`,
          );
      }
    }
  }

  /** Adds a finished value to the open aggregate, closing every aggregate it completes. */
  private emit(value: RespValue): void {
    const stack = this.stack;
    let current = value;
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        this.sink.onReply(current);
        return;
      }
      top.items.push(current);
      if (--top.remaining > 0) return;
      stack.pop();
      if (top.kind === Aggregate.Attribute) return; // metadata about the next value, never a value itself
      if (top.kind === Aggregate.Push && stack.length === 0) {
        this.sink.onPush(top.items);
        return;
      }
      current = buildAggregate(top.kind, top.items);
    }
  }

  private startBody(type: number, length: number, available: Buffer): void {
    this.body = { type, length, bytes: new ByteAccumulator(available, length + 2) };
  }

  /** Feeds a chunk, from `start`, to the body in progress. Returns where parsing resumes, or -1. */
  private continueBody(chunk: Buffer, start: number): number {
    const body = this.body as PartialBody;
    const needed = body.length + 2 - body.bytes.length;
    if (chunk.length - start < needed) {
      body.bytes.append(start === 0 ? chunk : chunk.subarray(start));
      return -1;
    }
    body.bytes.append(chunk.subarray(start, start + needed));
    this.body = null;
    const whole = body.bytes.bytes();
    if (whole[body.length] !== CR || whole[body.length + 1] !== LF) {
      throw new ProtocolError(`missing CRLF after a ${body.length}-byte bulk body`);
    }
    if (this.stack.length === 0) this.buffers = this.sink.wantsBuffers();
    this.emit(this.bodyValue(body.type, whole, 0, body.length));
    return start + needed;
  }

  private bodyValue(type: number, buf: Buffer, start: number, end: number): RespValue {
    if (type === 33) return new ReplyError(buf.toString('utf8', start, end));
    if (type === 61) {
      // Verbatim strings carry a three-letter format and a colon before the text.
      if (end - start < 4 || buf[start + 3] !== 58)
        throw new ProtocolError(`malformed verbatim string format`);
      start += 4;
    }
    return this.buffers ? copyBytes(buf, start, end) : readUtf8(buf, start, end);
  }

  private keepTail(buf: Buffer, from: number): void {
    // A CR that ends the chunk belongs to the CRLF, which the limit does not count.
    this.checkLineLength(buf.length - from - (buf[buf.length - 1] === CR ? 1 : 0));
    // Copied, so a small unfinished header does not pin a large socket chunk.
    this.tail = new ByteAccumulator(buf.subarray(from), this.limits.maxLineLength + 3);
  }

  /** `length` counts the type byte and the line, not its CRLF. */
  private checkLineLength(length: number): void {
    if (length > this.limits.maxLineLength + 1) {
      throw new ProtocolError(`line longer than maxLineLength (${this.limits.maxLineLength}) without CRLF`);
    }
  }

  /** Index of the CR that ends the line starting at `from`, or INCOMPLETE. Validates the LF. */
  private findLineEnd(buf: Buffer, from: number, end: number): number {
    const limit = Math.min(end, from + this.limits.maxLineLength + 1);
    let i = from;
    while (i < limit) {
      const byte = buf[i];
      if (byte === CR) {
        if (i + 1 >= end) return INCOMPLETE;
        if (buf[i + 1] !== LF) throw new ProtocolError(`CR without LF at the end of a line`);
        return i;
      }
      if (byte === LF) throw new ProtocolError(`LF without CR inside a line`);
      i++;
    }
    if (limit < end) {
      throw new ProtocolError(`line longer than maxLineLength (${this.limits.maxLineLength}) without CRLF`);
    }
    return INCOMPLETE;
  }

  /**
   * Parses a length line (`-1` or a non-negative decimal) starting at `from`. Sets `cursor` past
   * its CRLF. Fails as soon as the digits read exceed `limit`, before the rest of the line arrives.
   */
  private readLength(buf: Buffer, from: number, end: number, type: number, limit: number): number {
    let i = from;
    if (i >= end) return INCOMPLETE;
    if (buf[i] === MINUS) {
      if (i + 3 > end) return INCOMPLETE;
      if (buf[i + 1] === 49 && buf[i + 2] === CR) {
        if (i + 4 > end) return INCOMPLETE;
        if (buf[i + 3] !== LF) throw new ProtocolError(`CR without LF at the end of a line`);
        this.cursor = i + 4;
        return -1;
      }
      throw new ProtocolError(`negative length for type ${typeName(type)}: only -1 is allowed`);
    }
    if (buf[i] === 63) throw new ProtocolError(`streamed ${typeName(type)} ("?" length) is not supported`);
    let value = 0;
    let digits = 0;
    for (;;) {
      if (i >= end) return INCOMPLETE;
      const byte = buf[i] as number;
      if (byte >= ZERO && byte <= NINE) {
        value = value * 10 + (byte - ZERO);
        digits++;
        if (digits > this.limits.maxLineLength) this.checkLineLength(digits + 1);
        if (value > limit) {
          throw new ProtocolError(`${typeName(type)} length exceeds the limit (${limit})`);
        }
        i++;
        continue;
      }
      if (byte === CR && digits > 0) {
        if (i + 1 >= end) return INCOMPLETE;
        if (buf[i + 1] !== LF) throw new ProtocolError(`CR without LF at the end of a line`);
        this.cursor = i + 2;
        return value;
      }
      throw new ProtocolError(
        `malformed length for type ${typeName(type)}: unexpected ${describeByte(byte) || 'byte'}`,
      );
    }
  }

  /** Parses an integer line into a number, or a bigint past 2^53. Sets `cursor` past its CRLF. */
  private readInteger(buf: Buffer, from: number, end: number): number | bigint | undefined {
    const lineEnd = this.findLineEnd(buf, from, end);
    if (lineEnd === INCOMPLETE) return undefined;
    this.cursor = lineEnd + 2;
    let i = from;
    let negative = false;
    if (buf[i] === MINUS || buf[i] === PLUS) {
      negative = buf[i] === MINUS;
      i++;
    }
    const digits = lineEnd - i;
    if (digits === 0) throw new ProtocolError(`malformed integer: no digits`);
    if (digits > 20) throw new ProtocolError(`integer outside the signed 64-bit range`);
    let value = 0;
    for (let j = i; j < lineEnd; j++) {
      const byte = buf[j] as number;
      if (byte < ZERO || byte > NINE)
        throw new ProtocolError(`malformed integer: unexpected ${describeByte(byte) || 'byte'}`);
      value = value * 10 + (byte - ZERO);
    }
    if (digits <= 15) return negative ? -value : value;
    const big = BigInt(buf.toString('latin1', from, lineEnd));
    if (big > 9223372036854775807n || big < -9223372036854775808n) {
      throw new ProtocolError(`integer outside the signed 64-bit range`);
    }
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
  }
}

function aggregateKind(type: number): Aggregate {
  switch (type) {
    case 37:
      return Aggregate.Map;
    case 126:
      return Aggregate.Set;
    case 62:
      return Aggregate.Push;
    case 124:
      return Aggregate.Attribute;
    default:
      return Aggregate.Array;
  }
}

function buildAggregate(kind: Aggregate, items: RespValue[]): RespValue {
  if (kind === Aggregate.Map) {
    const map = new Map<RespValue, RespValue>();
    for (let i = 0; i < items.length; i += 2) map.set(items[i] as RespValue, items[i + 1] as RespValue);
    return map;
  }
  if (kind === Aggregate.Set) return new Set(items);
  return items;
}

const DOUBLE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseDouble(text: string): number {
  switch (text) {
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    case 'nan':
    case '-nan':
      return NaN;
  }
  if (!DOUBLE.test(text)) throw new ProtocolError(`malformed double: ${quote(text)}`);
  return Number(text);
}

function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  return Buffer.copyBytesFrom(buf, start, end - start);
}

function typeName(type: number): string {
  return `"${String.fromCharCode(type)}"`;
}

function describeByte(byte: number | undefined): string {
  if (byte === undefined) return '';
  if (byte >= 32 && byte < 127) return ` ("${String.fromCharCode(byte)}")`;
  return ` (0x${byte.toString(16).padStart(2, '0')})`;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
