/**
 * What the city views share: the place filter (city → district → street → community → house, by
 * name, or a house by id), paging (limit ≤ 500), and the join that gives every house its place.
 */
import { type Static, Type } from 'typebox';

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 100;
export const MAX_OFFSET = 1_000_000;

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const PlaceQuery = Type.Object({
  city: Type.Optional(Name),
  district: Type.Optional(Name),
  street: Type.Optional(Name),
  community: Type.Optional(Name),
  house: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
});
export type PlaceQuery = Static<typeof PlaceQuery>;

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 })),
});
export type PageQuery = Static<typeof PageQuery>;

export interface Place {
  city: string;
  district: string;
  street: string;
  community: string;
  /** The house's name in its community. */
  name: string;
}

/** Houses with their place: `h` houses, `k` communities, `s` streets, `d` districts, `c` cities. */
export const PLACE_JOIN = `houses h
  JOIN communities k ON k.id = h.community_id
  JOIN streets s ON s.id = k.street_id
  JOIN districts d ON d.id = s.district_id
  JOIN cities c ON c.id = d.city_id`;

/** The place columns of {@link PLACE_JOIN}, read back by {@link placeOf}. */
export const PLACE_COLUMNS =
  'c.name AS p_city, d.name AS p_district, s.name AS p_street, k.name AS p_community, h.name AS p_name';

export interface PlaceRow {
  p_city: string;
  p_district: string;
  p_street: string;
  p_community: string;
  p_name: string;
}

export const placeOf = (r: PlaceRow): Place => ({
  city: r.p_city,
  district: r.p_district,
  street: r.p_street,
  community: r.p_community,
  name: r.p_name,
});

/** Order by place (city, district, street, community, house name) of a row of {@link PLACE_COLUMNS}. */
export function placeOrder(alias: string): string {
  return ['p_city', 'p_district', 'p_street', 'p_community', 'p_name'].map((c) => `${alias}.${c}`).join(', ');
}

/** True when the query filters by place at all. */
export function hasPlace(q: PlaceQuery): boolean {
  return [q.city, q.district, q.street, q.community, q.house].some((v) => v !== undefined);
}

/** SQL conditions on {@link PLACE_JOIN} for the query, their values appended to `params`. */
export function placeConditions(q: PlaceQuery, params: unknown[]): string[] {
  const out: string[] = [];
  const add = (column: string, v: string | undefined) => {
    if (v === undefined) return;
    params.push(v);
    out.push(`${column} = $${params.length}`);
  };
  add('c.name', q.city);
  add('d.name', q.district);
  add('s.name', q.street);
  add('k.name', q.community);
  add('h.id', q.house);
  return out;
}

/** `WHERE a AND b …`, or nothing. */
export function where(conditions: readonly string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

export function page(q: PageQuery): { limit: number; offset: number } {
  return { limit: q.limit ?? DEFAULT_LIMIT, offset: q.offset ?? 0 };
}

export const iso = (d: Date | string | null | undefined): string | null =>
  d === null || d === undefined ? null : new Date(d).toISOString();
