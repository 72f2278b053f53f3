import type { ResolvedOptions } from '../connection/options';

/**
 * A dedicated connection's options: the Client's own (same server, AUTH, db, name, protocol), but it
 * never reconnects. A socket that silently came back would have lost its WATCHes and selected db,
 * and a transaction checked against nothing would then run; so a lost connection stays lost.
 * No heartbeat either: its PING, sent while the caller holds a MULTI open, would be queued into the
 * transaction and add a slot to EXEC's reply. A dead socket is found by the next command instead.
 */
export function dedicatedOptions(resolved: ResolvedOptions): ResolvedOptions {
  // No tracking either: the cache lives on the shared connection, and nobody reads this one's pushes.
  const options: ResolvedOptions = { ...resolved, reconnect: false, heartbeatInterval: 0, tracking: false };
  // The password is kept non-enumerable, as resolveOptions does, so no log or inspection shows it.
  Object.defineProperty(options, 'password', { value: resolved.password, enumerable: false });
  return options;
}
