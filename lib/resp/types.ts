import type { ReplyError } from '../errors';

/** A decoded RESP2 or RESP3 value. Error replies decode to `ReplyError` instances, never thrown. */
export type RespValue =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | ReplyError
  | RespValue[]
  | Map<RespValue, RespValue>
  | Set<RespValue>;

/** What a caller may pass as a command argument. */
export type CommandArg = string | Buffer | number;

/** What a server may make the decoder allocate; a frame past any of them is a ProtocolError. */
export interface DecoderLimits {
  /** Largest bulk string accepted, in bytes. Default 512 MiB, Redis's proto-max-bulk-len. */
  maxBulkLength: number;
  /** Most elements in one array, set, push or attribute (a map counts key and value). */
  maxArrayLength: number;
  /** Deepest nesting of aggregates. */
  maxDepth: number;
  /** Longest header, simple string, error or number line, CRLF excluded. */
  maxLineLength: number;
  /** Most bytes one aggregate reply may span on the wire, so an endless array cannot exhaust memory. */
  maxReplyBytes: number;
}

export const DEFAULT_DECODER_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxBulkLength: 512 * 1024 * 1024,
  maxArrayLength: 2 ** 32 - 1,
  maxDepth: 16_384,
  maxLineLength: 1024 * 1024,
  maxReplyBytes: 1024 * 1024 * 1024,
});
