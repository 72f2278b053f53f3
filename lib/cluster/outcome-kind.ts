import {
  AbortError,
  ConnectionError,
  InvalidArgumentError,
  ProtocolError,
  ReplyError,
  TimeoutError,
  type ReplicaOutcome,
} from '../errors';
import type { RespValue } from '../resp/types';

/** How the cluster treats a command's rejection from one server. */
export const enum Rejection {
  /** An error reply the server chose to give (WRONGTYPE…): an answer, like any reply. */
  Answer,
  /**
   * The server is alive but could not run it (LOADING, BUSY, OOM, READONLY…): it says nothing about
   * the data, so a read tries another replica and a write does not count it as an acknowledgement.
   */
  Unavailable,
  /** The server did not answer (timeout, lost or refused connection, bad protocol): try another, count it. */
  ServerFailure,
  /** Nothing the server did: the client is closed or its queue full. Try another, but do not count it. */
  LocalFailure,
  /** The caller's own mistake (a bad argument): every replica would refuse it, so reject at once. */
  CallerError,
}

// Replies about the server's state rather than the command's data: another replica may well answer.
const UNAVAILABLE_CODES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'TRYAGAIN',
  'OOM',
  'READONLY',
  'MISCONF',
  'NOREPLICAS',
]);

export function classifyRejection(error: unknown): Rejection {
  if (error instanceof ReplyError)
    return UNAVAILABLE_CODES.has(error.code) ? Rejection.Unavailable : Rejection.Answer;
  if (error instanceof TimeoutError || error instanceof ConnectionError || error instanceof ProtocolError) {
    return Rejection.ServerFailure;
  }
  // The caller's own signal: nothing the server did, and another replica would not change it.
  if (error instanceof InvalidArgumentError || error instanceof AbortError) return Rejection.CallerError;
  return Rejection.LocalFailure;
}

/** Rejections arrive as `unknown`; everything respline rejects with is an Error, but stay safe. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Deep equality of two replies, for spotting replicas that disagree. */
export function sameReply(a: RespValue, b: RespValue): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (a instanceof ReplyError) return b instanceof ReplyError && a.message === b.message;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameReply(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    const right = [...b];
    let i = 0;
    for (const [key, value] of a) {
      if (!sameReply(key, right[i][0]) || !sameReply(value, right[i][1])) return false;
      i++;
    }
    return true;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    // Set members from RESP3 come in server order, which replicas need not share.
    const right = [...b];
    for (const member of a) if (!right.some((other) => sameReply(member, other))) return false;
    return true;
  }
  return false;
}

/** `replica 1 (redis://…): TimeoutError: GET timed out…; replica 2 (…): …` for error messages. */
export function describeOutcomes(outcomes: readonly ReplicaOutcome[]): string {
  return outcomes
    .map((outcome) => {
      const what = outcome.ok
        ? 'answered'
        : outcome.error === undefined
          ? 'no reply yet'
          : `${outcome.error.name}: ${outcome.error.message}`;
      return `replica ${outcome.replica} of shard ${outcome.shard} (${outcome.url}): ${what}`;
    })
    .join('; ');
}
