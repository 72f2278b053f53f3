import { ProtocolError } from '../errors';
import { RespDecoder } from '../resp/decoder';
import type { RespValue } from '../resp/types';

const STAR = 42;
const LF = 10;
/** Redis's limit for an inline request line (PROTO_INLINE_MAX_SIZE). */
const MAX_INLINE_BYTES = 64 * 1024;

/**
 * Splits a client's byte stream into commands (argument vectors, name first).
 *
 * Requests are RESP arrays of bulk strings. Like Redis, a request that does not start with `*` is an
 * inline command (`PING\r\n`), so the server can be driven by hand over a raw socket. The inline form is
 * only recognised at the start of a chunk or after another inline command: a RESP request followed by an
 * inline one in the same chunk is a protocol error here, a case no real client produces.
 */
export class RequestParser {
  private readonly decoder: RespDecoder;
  private inline: Buffer[] | null = null;
  private inlineBytes = 0;

  constructor(private readonly onCommand: (argv: Buffer[]) => void) {
    this.decoder = new RespDecoder({
      wantsBuffers: () => true,
      onReply: (value) => this.acceptRequest(value),
      onPush: () => {
        throw new ProtocolError('expected an array of bulk strings, got a push frame');
      },
    });
  }

  /** Parses a chunk, calling `onCommand` for every complete command. Throws ProtocolError. */
  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.inline === null && (!this.decoder.idle || chunk[pos] === STAR)) {
        this.decoder.feed(pos === 0 ? chunk : chunk.subarray(pos));
        return;
      }
      const lineEnd = chunk.indexOf(LF, pos);
      const piece = chunk.subarray(pos, lineEnd === -1 ? chunk.length : lineEnd);
      this.inline ??= [];
      this.inline.push(piece);
      this.inlineBytes += piece.length;
      if (this.inlineBytes > MAX_INLINE_BYTES) throw new ProtocolError('too big inline request');
      if (lineEnd === -1) return;
      this.finishInline();
      pos = lineEnd + 1;
    }
  }

  private finishInline(): void {
    const line = Buffer.concat(this.inline ?? []).toString('utf8');
    this.inline = null;
    this.inlineBytes = 0;
    const words = line
      .replace(/\r$/, '')
      .split(/[ \t]+/)
      .filter((word) => word.length > 0);
    if (words.length > 0) this.onCommand(words.map((word) => Buffer.from(word)));
  }

  private acceptRequest(value: RespValue): void {
    if (!Array.isArray(value) || !value.every((item): item is Buffer => Buffer.isBuffer(item))) {
      throw new ProtocolError('expected an array of bulk strings');
    }
    // Redis ignores an empty request (`*0\r\n`).
    if (value.length > 0) this.onCommand(value);
  }
}
