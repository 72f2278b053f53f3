import { reply } from './reply';

/** SORT: the sorted elements (null where a GET pattern found nothing), or their count with STORE. */
export const sorted = reply<(string | null)[] | number, (Buffer | null)[] | number>();
/** DUMP: Redis's serialization, binary: a Buffer from both methods (see the generic group). */
export const dumped = reply<Buffer | null, Buffer | null>();
/** MIGRATE: OK, or NOKEY when none of the keys existed. */
export const migrated = reply<'OK' | 'NOKEY', Buffer>();
