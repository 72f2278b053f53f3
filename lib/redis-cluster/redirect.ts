import { ReplyError } from '../errors';
import type { NodeAddress } from './topology';

/** What a cluster node's error reply asks of the client. */
export type Redirect =
  | { readonly kind: 'MOVED' | 'ASK'; readonly slot: number; readonly target: NodeAddress }
  /** TRYAGAIN (keys of a multi-key command mid-migration) or CLUSTERDOWN: the same command, a little later. */
  | { readonly kind: 'RETRY' };

/** The redirect an error carries, or null when it is an answer for the caller. */
export function redirectOf(error: unknown): Redirect | null {
  if (!(error instanceof ReplyError)) return null;
  const code = error.code;
  if (code === 'MOVED' || code === 'ASK') return parseTarget(code, error.message);
  if (code === 'TRYAGAIN' || code === 'CLUSTERDOWN') return { kind: 'RETRY' };
  if (code === 'EXECABORT') {
    // A transaction refused because a queued command belongs elsewhere: its reason is in the message.
    const match = /\b(MOVED|ASK) \d+ \S+/.exec(error.message);
    if (match !== null) return parseTarget(match[1] as 'MOVED' | 'ASK', match[0]);
    if (/\b(TRYAGAIN|CLUSTERDOWN)\b/.test(error.message)) return { kind: 'RETRY' };
  }
  return null;
}

/** "MOVED 3999 127.0.0.1:6381" or "ASK 3999 [::1]:6381"; an endpoint of '' or ':port' means the same host. */
function parseTarget(kind: 'MOVED' | 'ASK', message: string): Redirect | null {
  const parts = message.split(' ');
  if (parts.length < 3) return null;
  const slot = Number(parts[1]);
  const endpoint = parts[2].replace(/\)$/, '');
  const colon = endpoint.lastIndexOf(':');
  if (!Number.isInteger(slot) || colon === -1) return null;
  const port = Number(endpoint.slice(colon + 1));
  if (!Number.isInteger(port) || port <= 0) return null;
  const host = endpoint.slice(0, colon).replace(/^\[|\]$/g, '');
  return { kind, slot, target: { host, port } };
}

/**
 * Why a command was still being redirected or retried when its time ran out, in words for the caller's
 * error: never the redirect's own reply, which a caller must not have to parse.
 */
export function retryReason(error: unknown): string {
  const redirect = redirectOf(error);
  if (redirect !== null && redirect.kind !== 'RETRY') {
    return `it was being redirected to ${redirect.target.host}:${redirect.target.port}`;
  }
  if (redirect !== null) {
    return /\bTRYAGAIN\b/.test((error as ReplyError).message)
      ? "its keys were split between two nodes by the slot's migration"
      : 'the cluster said it was down';
  }
  return error instanceof Error ? error.message : 'it had no answer yet';
}
