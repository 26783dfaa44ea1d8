/**
 * `GET /api/v1/city/records-per-day`: records per day (Asia/Shanghai) and stream over the last
 * `days` days (default 14, at most 366), for the whole city or a place or a house. Per day and
 * stream: `records` by the record's own ts, `unsynced` of them written before the edge's clock was
 * trusted (their ts, hence their day, may be wrong), and `received` by the cloud that day.
 */
import { type Static, Type } from 'typebox';
import { STREAMS } from '../../protocol/record.js';
import { cityDay, daysBefore } from '../city-time.js';
import type { Queryable } from '../db/db.js';
import { hasPlace, PLACE_JOIN, PlaceQuery, placeConditions } from './city-query.js';

export const DailyQuery = Type.Object({
  ...PlaceQuery.properties,
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 14 })),
  stream: Type.Optional(Type.Union(STREAMS.map((s) => Type.Literal(s)))),
});
export type DailyQuery = Static<typeof DailyQuery>;

export interface DayCounts {
  records: number;
  unsynced: number;
  received: number;
}

export interface DailyAnswer {
  from: string;
  to: string;
  /** Every day of the range, oldest first, zeros included. */
  days: { day: string; total: DayCounts; streams: Record<string, DayCounts> }[];
}

export async function dailyView(db: Queryable, q: DailyQuery, nowMs: number): Promise<DailyAnswer> {
  const to = cityDay(nowMs);
  const from = daysBefore(to, (q.days ?? 14) - 1);
  const params: unknown[] = [from, to];
  const conditions = ['r.day BETWEEN $1::date AND $2::date'];
  if (q.stream) {
    params.push(q.stream);
    conditions.push(`r.stream = $${params.length}`);
  }
  let join = '';
  if (hasPlace(q)) {
    join = `JOIN (${PLACE_JOIN}) ON h.id = r.house`;
    conditions.push(...placeConditions(q, params));
  }
  const rows = await db.query<{
    day: string;
    stream: string;
    records: number;
    unsynced: number;
    received: number;
  }>(
    `SELECT to_char(r.day, 'YYYY-MM-DD') AS day, r.stream, sum(r.records)::float8 AS records,
            sum(r.unsynced)::float8 AS unsynced, sum(r.received)::float8 AS received
       FROM records_daily r ${join}
      WHERE ${conditions.join(' AND ')}
      GROUP BY r.day, r.stream`,
    params,
  );
  const byDay = new Map<string, DailyAnswer['days'][number]>();
  for (let d = from; d <= to; d = daysBefore(d, -1)) {
    byDay.set(d, { day: d, total: { records: 0, unsynced: 0, received: 0 }, streams: {} });
  }
  for (const r of rows) {
    const day = byDay.get(r.day);
    if (!day) continue;
    const c = { records: Number(r.records), unsynced: Number(r.unsynced), received: Number(r.received) };
    day.streams[r.stream] = c;
    day.total.records += c.records;
    day.total.unsynced += c.unsynced;
    day.total.received += c.received;
  }
  return { from, to, days: [...byDay.values()] };
}
