/** The geo commands against redis-server: one value per reply under protocol 2, 3 and unset. */
import type { GeoCoordinates } from '../lib/commands/reply';
import { expectSameAndRight, useProtocolTrio } from './support/protocol-trio';

const trio = useProtocolTrio();
const b = (text: string): Buffer => Buffer.from(text);

/** Where redis-server's 52-bit geohash puts Palermo and Catania: what every reply must carry. */
const PALERMO: { hash: number; coordinates: GeoCoordinates } = {
  hash: 3479099956230698,
  coordinates: [13.361389338970184, 38.1155563954963],
};
const CATANIA: { hash: number; coordinates: GeoCoordinates } = {
  hash: 3479447370796909,
  coordinates: [15.087267458438873, 37.50266842333162],
};

describe('geo commands under every protocol', () => {
  test('add, positions, distances and hashes', async () => {
    const results = await trio.each(async (c) => ({
      geoadd: await c.geoadd('g:sicily', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania'),
      geoaddAgain: await c.geoadd('g:sicily', 'CH', 13.361389, 38.115556, 'Palermo'),
      geopos: await c.geopos('g:sicily', 'Palermo', 'Atlantis', 'Catania'),
      geoposMissingKey: await c.geopos('g:none', 'Palermo'),
      geodist: await c.geodist('g:sicily', 'Palermo', 'Catania'),
      geodistKm: await c.geodist('g:sicily', 'Palermo', 'Catania', 'km'),
      geodistMissing: await c.geodist('g:sicily', 'Palermo', 'Atlantis'),
      geohash: await c.geohash('g:sicily', 'Catania', 'Atlantis'),
      geohashBuffer: await c.geohashBuffer('g:sicily', 'Palermo'),
    }));
    expectSameAndRight(results, {
      geoadd: 2,
      geoaddAgain: 0,
      geopos: [PALERMO.coordinates, null, CATANIA.coordinates],
      geoposMissingKey: [null],
      geodist: 166274.1516,
      geodistKm: 166.2742,
      geodistMissing: null,
      geohash: ['sqdtr74hyu0', null],
      geohashBuffer: [b('sqc8b49rny0')],
    });
  });

  test('GEOSEARCH: names, or hits with exactly what WITH… asked for', async () => {
    const results = await trio.each(async (c) => {
      await c.geoadd('g:s', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania');
      return {
        names: await c.geosearch('g:s', 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC'),
        all: await c.geosearch(
          'g:s',
          'FROMLONLAT',
          15,
          37,
          'BYRADIUS',
          200,
          'km',
          'ASC',
          'WITHCOORD',
          'WITHDIST',
          'WITHHASH',
        ),
        distOnly: await c.geosearch(
          'g:s',
          'FROMMEMBER',
          'Palermo',
          'BYBOX',
          400,
          400,
          'km',
          'DESC',
          'WITHDIST',
        ),
        hashBuffer: await c.geosearchBuffer('g:s', 'FROMMEMBER', 'Catania', 'BYRADIUS', 1, 'km', 'withhash'),
        store: await c.geosearchstore(
          'g:stored',
          'g:s',
          'FROMLONLAT',
          15,
          37,
          'BYRADIUS',
          100,
          'km',
          'STOREDIST',
        ),
        stored: await c.zrange('g:stored', 0, -1, 'WITHSCORES'),
      };
    });
    expectSameAndRight(results, {
      names: ['Catania', 'Palermo'],
      all: [
        { member: 'Catania', distance: 56.4413, ...CATANIA },
        { member: 'Palermo', distance: 190.4424, ...PALERMO },
      ],
      distOnly: [
        { member: 'Catania', distance: 166.2742 },
        { member: 'Palermo', distance: 0 },
      ],
      hashBuffer: [{ member: b('Catania'), hash: CATANIA.hash }],
      store: 1,
      stored: [{ member: 'Catania', score: 56.4412578701582 }],
    });
  });

  test('GEORADIUS and GEORADIUSBYMEMBER, their _RO forms and STORE', async () => {
    const results = await trio.each(async (c) => {
      await c.geoadd('g:r', 13.361389, 38.115556, 'Palermo', 15.087269, 37.502669, 'Catania');
      return {
        georadius: await c.georadius('g:r', 15, 37, 200, 'km', 'WITHDIST', 'ASC'),
        georadiusRo: await c.georadiusRo('g:r', 15, 37, 100, 'km', 'WITHCOORD'),
        byMember: await c.georadiusbymember('g:r', 'Palermo', 200, 'km', 'WITHHASH', 'WITHDIST', 'DESC'),
        byMemberRoBuffer: await c.georadiusbymemberRoBuffer('g:r', 'Catania', 1, 'km'),
        store: await c.georadius('g:r', 15, 37, 200, 'km', 'STORE', 'g:rstored'),
      };
    });
    expectSameAndRight(results, {
      georadius: [
        { member: 'Catania', distance: 56.4413 },
        { member: 'Palermo', distance: 190.4424 },
      ],
      georadiusRo: [{ member: 'Catania', coordinates: CATANIA.coordinates }],
      byMember: [
        { member: 'Catania', distance: 166.2742, hash: CATANIA.hash },
        { member: 'Palermo', distance: 0, hash: PALERMO.hash },
      ],
      byMemberRoBuffer: [b('Catania')],
      store: 2,
    });
  });
});
