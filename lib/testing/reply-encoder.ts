import { ReplyError } from '../errors';

/**
 * Server-side RESP reply encoding for EmbeddedServer. The client never encodes replies, so this lives
 * with the testing kit rather than in lib/resp.
 */

/** A simple-string reply (`+OK`, `+PONG`, `+string`), as opposed to a bulk string. */
export class StatusReply {
  /** The status text, without the leading `+` and the CRLF. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/** What a server-side command handler answers with. */
export type ServerReply =
  | StatusReply
  | ReplyError
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | ServerReply[]
  | Map<string | Buffer, ServerReply>;

/** The RESP version a connection speaks: 2, or 3 after `HELLO 3`. */
export type ProtocolVersion = 2 | 3;

/** A simple-string reply: `status('OK')` encodes as `+OK`. */
export function status(text: string): StatusReply {
  return new StatusReply(text);
}

/** An error reply. `message` starts with its code, as in `ERR syntax error` or `WRONGTYPE …`. */
export function errorReply(message: string): ReplyError {
  return new ReplyError(message);
}

/**
 * Encodes one reply. RESP3 differs only where RESP2 has no type for the value: maps become `%`,
 * null becomes `_`, booleans become `#` and non-integer numbers become `,` doubles.
 */
export function encodeReply(reply: ServerReply, protocol: ProtocolVersion = 2): Buffer {
  const parts: Buffer[] = [];
  appendReply(parts, reply, protocol);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

function appendReply(parts: Buffer[], reply: ServerReply, protocol: ProtocolVersion): void {
  if (reply === null) {
    parts.push(Buffer.from(protocol === 3 ? '_\r\n' : '$-1\r\n'));
  } else if (reply instanceof StatusReply) {
    parts.push(Buffer.from(`+${singleLine(reply.text)}\r\n`));
  } else if (reply instanceof ReplyError) {
    parts.push(Buffer.from(`-${singleLine(reply.message)}\r\n`));
  } else if (typeof reply === 'string' || Buffer.isBuffer(reply)) {
    const body = typeof reply === 'string' ? Buffer.from(reply) : reply;
    parts.push(Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n'));
  } else if (typeof reply === 'number') {
    if (Number.isInteger(reply)) parts.push(Buffer.from(`:${reply}\r\n`));
    else if (protocol === 3) parts.push(Buffer.from(`,${formatDouble(reply)}\r\n`));
    else appendReply(parts, formatDouble(reply), protocol);
  } else if (typeof reply === 'bigint') {
    parts.push(Buffer.from(`:${reply}\r\n`));
  } else if (typeof reply === 'boolean') {
    parts.push(Buffer.from(protocol === 3 ? (reply ? '#t\r\n' : '#f\r\n') : reply ? ':1\r\n' : ':0\r\n'));
  } else if (Array.isArray(reply)) {
    parts.push(Buffer.from(`*${reply.length}\r\n`));
    for (const item of reply) appendReply(parts, item, protocol);
  } else {
    parts.push(Buffer.from(protocol === 3 ? `%${reply.size}\r\n` : `*${reply.size * 2}\r\n`));
    for (const [key, value] of reply) {
      appendReply(parts, key, protocol);
      appendReply(parts, value, protocol);
    }
  }
}

function formatDouble(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  return String(value);
}

/** Simple strings and errors end at the first CRLF, so a stray line break would desynchronise the client. */
function singleLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
