/**
 * Points earned per (month, house, resident), as the edge's monthly ranking counts them
 * (edge/points/points-ledger.ts: `points.credited` and `points.deducted` add their signed
 * `points` to the member's total of the month of the record's ts, in the house's time zone;
 * redemptions spend a balance and do not change the ranking). Sums add each newly stored record
 * once, so the order of arrival never matters.
 */
import type { SyncRecord } from '../../protocol/record.js';
import { CITY_TZ } from '../city-time.js';
import type { Queryable } from '../db/db.js';
import { int, text } from './body-fields.js';

const MAX_POINTS = 1_000_000;

export async function projectPoints(
  tx: Queryable,
  house: string,
  records: readonly SyncRecord[],
): Promise<void> {
  const facts: object[] = [];
  for (const r of records) {
    if (r.type !== 'points.credited' && r.type !== 'points.deducted') continue;
    const residentId = text(r.body.residentId, 64);
    const points = int(r.body.points, -MAX_POINTS, MAX_POINTS);
    if (residentId === undefined || points === undefined) continue;
    facts.push({ resident_id: residentId, ts: r.ts, points });
  }
  if (facts.length === 0) return;
  await tx.query(
    `INSERT INTO points_monthly AS p (month, house, resident_id, points, records)
     SELECT to_char(x.ts AT TIME ZONE '${CITY_TZ}', 'YYYY-MM'), $1, x.resident_id, sum(x.points), count(*)
       FROM jsonb_to_recordset($2::text::jsonb) AS x (resident_id text, ts timestamptz, points bigint)
      GROUP BY 1, x.resident_id
     ON CONFLICT (month, house, resident_id) DO UPDATE
        SET points = p.points + EXCLUDED.points, records = p.records + EXCLUDED.records`,
    [house, JSON.stringify(facts)],
  );
}
