import { defineGroup } from '../define';
import * as r from '../replies';

/** The geo commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const geo = defineGroup('geo', {
  GEOADD: r.integer,
  GEODIST: r.nullableScore,
  GEOHASH: r.nullableList,
  GEOPOS: r.coordinates,
  // The argument index where each command's options start: WITH… before it is a name, not an option.
  GEORADIUS: r.geoSearch(6),
  GEORADIUSBYMEMBER: r.geoSearch(5),
  GEORADIUSBYMEMBER_RO: r.geoSearch(5),
  GEORADIUS_RO: r.geoSearch(6),
  GEOSEARCH: r.geoSearch(2),
  GEOSEARCHSTORE: r.integer,
});
