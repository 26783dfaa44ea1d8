/**
 * `GET /api/v1/city/rankings`: members ranked by points earned in a month (`month=YYYY-MM`, this
 * month in Asia/Shanghai by default), as the edge ranks them (credits and deductions of the month;
 * ties share a rank), across the houses of a place (`district=` …) and/or of a party branch
 * (`branch=`). A member's branch is their resident entity's `branch` in the house's config bundle
 * (`config_entities`); members without one have branch null. Members appear by resident id and
 * house only — names stay sealed in the bundle. Members without points that month are not listed.
 */
import { type Static, Type } from 'typebox';
import { cityMonth } from '../city-time.js';
import type { Queryable } from '../db/db.js';
import {
  PageQuery,
  PLACE_COLUMNS,
  PLACE_JOIN,
  type Place,
  PlaceQuery,
  type PlaceRow,
  page,
  placeConditions,
  placeOf,
} from './city-query.js';

export const RankingQuery = Type.Object({
  ...PlaceQuery.properties,
  ...PageQuery.properties,
  month: Type.Optional(Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' })),
  branch: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export type RankingQuery = Static<typeof RankingQuery>;

export interface RankedMember {
  rank: number;
  residentId: string;
  house: string;
  place: Place;
  branch: string | null;
  points: number;
}

export interface RankingAnswer {
  month: string;
  branch: string | null;
  /** Members ranked. */
  total: number;
  rows: RankedMember[];
}

interface Row extends PlaceRow {
  house: string;
  resident_id: string;
  branch: string | null;
  points: number;
  rank: number;
  total: number;
}

/** The branch of a resident entity: a non-empty string, else null. */
const BRANCH = `CASE WHEN NOT e.deleted AND jsonb_typeof(e.data -> 'branch') = 'string'
                     THEN nullif(e.data ->> 'branch', '') END`;

/**
 * Two steps, so the city-wide ranking never joins every member's entity: rank the month's rows
 * (filtered by place, and — only when a branch is asked — joined to the branch's entities, through
 * the `config_entities_branch` index), take the page, then look up the page's branches and places.
 */
export async function rankingView(db: Queryable, q: RankingQuery, nowMs: number): Promise<RankingAnswer> {
  const month = q.month ?? cityMonth(nowMs);
  const params: unknown[] = [month];
  const conditions = ['p.month = $1'];
  let from = 'points_monthly p';
  const place = placeConditions(q, params);
  if (place.length > 0) {
    from += ` JOIN (${PLACE_JOIN}) ON h.id = p.house`;
    conditions.push(...place);
  }
  if (q.branch !== undefined) {
    params.push(q.branch);
    from += ` JOIN config_entities b ON b.house = p.house AND b.kind = 'resident' AND b.id = p.resident_id`;
    conditions.push(
      'NOT b.deleted',
      `b.data ->> 'branch' = $${params.length}`,
      `jsonb_typeof(b.data -> 'branch') = 'string'`,
    );
  }
  const { limit, offset } = page(q);
  params.push(limit, offset);
  const rows = await db.query<Row>(
    `WITH ranked AS (
       SELECT p.house, p.resident_id, p.points,
              rank() OVER (ORDER BY p.points DESC)::int AS rank, count(*) OVER ()::int AS total
         FROM ${from}
        WHERE ${conditions.join(' AND ')}
     ), paged AS (
       SELECT * FROM ranked ORDER BY rank, house COLLATE "C", resident_id COLLATE "C"
        LIMIT $${params.length - 1} OFFSET $${params.length}
     )
     SELECT r.house, r.resident_id, r.points, r.rank, r.total, ${BRANCH} AS branch, ${PLACE_COLUMNS}
       FROM paged r
       JOIN (${PLACE_JOIN}) ON h.id = r.house
       LEFT JOIN config_entities e ON e.house = r.house AND e.kind = 'resident' AND e.id = r.resident_id
      ORDER BY r.rank, r.house COLLATE "C", r.resident_id COLLATE "C"`,
    params,
  );
  let total = rows[0]?.total;
  if (total === undefined)
    total = offset > 0 ? await countRanked(db, from, conditions, params.slice(0, -2)) : 0;
  return {
    month,
    branch: q.branch ?? null,
    total,
    rows: rows.map((r) => ({
      rank: Number(r.rank),
      residentId: r.resident_id,
      house: r.house,
      place: placeOf(r),
      branch: r.branch,
      points: Number(r.points),
    })),
  };
}

async function countRanked(
  db: Queryable,
  from: string,
  conditions: string[],
  params: unknown[],
): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${from} WHERE ${conditions.join(' AND ')}`,
    params,
  );
  return Number(row?.n ?? 0);
}
