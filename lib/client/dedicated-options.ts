import type { ResolvedOptions } from '../connection/options';

/**
 * A dedicated connection's options: the Client's own (same server, AUTH, db, name, protocol), but it
 * never reconnects. A socket that silently came back would have lost its WATCHes and selected db,
 * and a transaction checked against nothing would then run; so a lost connection stays lost.
 */
export function dedicatedOptions(resolved: ResolvedOptions): ResolvedOptions {
  const options: ResolvedOptions = { ...resolved, reconnect: false };
  // The password is kept non-enumerable, as resolveOptions does, so no log or inspection shows it.
  Object.defineProperty(options, 'password', { value: resolved.password, enumerable: false });
  return options;
}
