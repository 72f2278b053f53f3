import { createRequire } from 'node:module';
import { RespDecoder } from '../../lib/resp/decoder';
import type { DecoderImpl, DecoderMeasure } from './protocol';
import { benchValue } from './protocol';

interface RedisParserOptions {
  returnReply(reply: unknown): void;
  returnError(error: Error): void;
  returnFatalError(error: Error): void;
  returnBuffers: boolean;
}
type RedisParserConstructor = new (options: RedisParserOptions) => { execute(chunk: Buffer): void };

/** Feeds one chunk; returns nothing, counts through the sink. */
type Feed = (chunk: Buffer) => void;

/**
 * Replies per second decoding `$<size>\r\n<size bytes>\r\n` frames from memory. The frames are prebuilt in
 * one Buffer and fed in fixed-size chunks, so frames straddle chunk boundaries as they do off a socket.
 * Replies decode to strings (the common case) for every implementation.
 */
export function measureDecoder(
  impl: DecoderImpl,
  frames: number,
  chunkBytes: number,
  valueSize: number,
  durationMs: number,
): DecoderMeasure {
  const chunks = buildChunks(frames, chunkBytes, valueSize);
  let replies = 0;
  const count = (): void => {
    replies++;
  };
  const feed = makeFeed(impl, count);
  if (typeof feed === 'string') return { impl, replies: 0, elapsedMs: 0, repliesPerSec: 0, skipped: feed };

  // One whole pass as warm-up, then whole passes until the time is up: a pass never stops mid-frame.
  for (const chunk of chunks) feed(chunk);
  if (replies !== frames) throw new Error(`${impl} decoded ${replies} replies, expected ${frames}`);
  replies = 0;
  const start = performance.now();
  let elapsedMs: number;
  do {
    for (const chunk of chunks) feed(chunk);
    elapsedMs = performance.now() - start;
  } while (elapsedMs < durationMs);
  return { impl, replies, elapsedMs, repliesPerSec: replies / (elapsedMs / 1000) };
}

function makeFeed(impl: DecoderImpl, onReply: () => void): Feed | string {
  if (impl === 'respline') {
    const decoder = new RespDecoder({ wantsBuffers: () => false, onReply, onPush: () => undefined });
    return (chunk) => decoder.feed(chunk);
  }
  // redis-parser is optional (present only as a dependency of ioredis 5); never installed for this.
  let Parser: RedisParserConstructor;
  try {
    Parser = createRequire(__filename)('redis-parser') as RedisParserConstructor;
  } catch {
    return 'redis-parser is not installed';
  }
  const fail = (error: Error): never => {
    throw error;
  };
  const parser = new Parser({
    returnReply: onReply,
    returnError: fail,
    returnFatalError: fail,
    returnBuffers: false,
  });
  return (chunk) => parser.execute(chunk);
}

function buildChunks(frames: number, chunkBytes: number, valueSize: number): Buffer[] {
  const frame = Buffer.from(`$${valueSize}\r\n${benchValue(valueSize)}\r\n`);
  const all = Buffer.allocUnsafe(frame.length * frames);
  for (let i = 0; i < frames; i++) frame.copy(all, i * frame.length);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < all.length; offset += chunkBytes)
    chunks.push(all.subarray(offset, offset + chunkBytes));
  return chunks;
}
