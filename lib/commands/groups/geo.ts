import { defineGroup } from '../define';
import * as r from '../replies';

/** The geo commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const geo = defineGroup('geo', {
  GEOADD: r.raw,
  GEODIST: r.raw,
  GEOHASH: r.raw,
  GEOPOS: r.raw,
  GEORADIUS: r.raw,
  GEORADIUSBYMEMBER: r.raw,
  GEORADIUSBYMEMBER_RO: r.raw,
  GEORADIUS_RO: r.raw,
  GEOSEARCH: r.raw,
  GEOSEARCHSTORE: r.raw,
});
