/**
 * `GET /api/v1/city/places`: the tenancy tree (city → district → street → community, with the
 * number of houses in each community), for the filters of the city page.
 */
import type { Queryable } from '../db/db.js';

export interface PlacesAnswer {
  cities: {
    name: string;
    districts: {
      name: string;
      streets: { name: string; communities: { name: string; houses: number }[] }[];
    }[];
  }[];
}

export async function placeView(db: Queryable): Promise<PlacesAnswer> {
  const rows = await db.query<{
    city: string;
    district: string;
    street: string;
    community: string;
    houses: number;
  }>(
    `SELECT c.name AS city, d.name AS district, s.name AS street, k.name AS community,
            (SELECT count(*)::int FROM houses h WHERE h.community_id = k.id) AS houses
       FROM communities k
       JOIN streets s ON s.id = k.street_id
       JOIN districts d ON d.id = s.district_id
       JOIN cities c ON c.id = d.city_id
      ORDER BY c.name, d.name, s.name, k.name`,
  );
  const out: PlacesAnswer = { cities: [] };
  for (const r of rows) {
    let city = out.cities.at(-1);
    if (city?.name !== r.city) {
      city = { name: r.city, districts: [] };
      out.cities.push(city);
    }
    let district = city.districts.at(-1);
    if (district?.name !== r.district) {
      district = { name: r.district, streets: [] };
      city.districts.push(district);
    }
    let street = district.streets.at(-1);
    if (street?.name !== r.street) {
      street = { name: r.street, communities: [] };
      district.streets.push(street);
    }
    street.communities.push({ name: r.community, houses: Number(r.houses) });
  }
  return out;
}
