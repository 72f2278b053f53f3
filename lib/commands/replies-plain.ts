import { reply } from './reply';

/**
 * Replies that decode to the same value under RESP2 and RESP3, so they need no transform, typed
 * for both methods: a simple string (OK, a type name) is a Buffer from the …Buffer twin like any
 * other string.
 */

/** A simple-string acknowledgement. */
export const ok = reply<'OK', Buffer>();
/** A simple string other than OK (a type name, "Background saving started"…). */
export const status = reply<string, Buffer>();
