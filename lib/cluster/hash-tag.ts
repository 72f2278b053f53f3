/** Where a key's hash tag lies: bytes [start, end). One object is reused so routing allocates nothing. */
export interface HashTagBounds {
  start: number;
  end: number;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Redis Cluster's hash-tag rule: take the first '{', then the first '}' after it; if at least one byte
 * lies between them, only those bytes are hashed. Returns false when the whole key is hashed.
 *
 * Working on bytes is exact for UTF-8 text as well: '{' and '}' are ASCII, and UTF-8 never uses
 * bytes below 0x80 inside a multi-byte sequence. A JS loop beats Buffer#indexOf on short keys,
 * which are the common case.
 */
export function findHashTag(bytes: Uint8Array, length: number, bounds: HashTagBounds): boolean {
  let open = 0;
  while (open < length && bytes[open] !== OPEN_BRACE) open++;
  if (open >= length) return false;
  let close = open + 1;
  while (close < length && bytes[close] !== CLOSE_BRACE) close++;
  if (close >= length || close === open + 1) return false;
  bounds.start = open + 1;
  bounds.end = close;
  return true;
}
