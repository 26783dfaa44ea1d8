/**
 * `GET /api/v1/city/alarms`: open alarms across houses (raised and not resolved), oldest first,
 * with house and place; `state` narrows to some of `raised`, `notified`, `escalated`,
 * `acknowledged` (comma-separated), `kind` to `sos`, `service` or `technical`. Who the alarm is
 * for appears as the edge recorded it (`assignedTo`: a resident id or a location), never a name.
 */
import { type Static, Type } from 'typebox';
import type { Queryable } from '../db/db.js';
import { ALARM_STATES, type AlarmStateName, RESOLVED_RANK } from '../projections/alarm-projection.js';
import {
  iso,
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

export const OPEN_STATES = ALARM_STATES.filter((s) => s !== 'resolved');

export const AlarmQuery = Type.Object({
  ...PlaceQuery.properties,
  ...PageQuery.properties,
  state: Type.Optional(
    Type.String({ pattern: `^(${OPEN_STATES.join('|')})(,(${OPEN_STATES.join('|')}))*$`, maxLength: 100 }),
  ),
  kind: Type.Optional(Type.String({ pattern: '^[a-z-]{1,32}$' })),
});
export type AlarmQuery = Static<typeof AlarmQuery>;

export interface OpenAlarm {
  house: string;
  place: Place;
  alarmId: string;
  kind: string | null;
  state: AlarmStateName;
  level: number;
  deviceId: string | null;
  assignedTo: string | null;
  reason: string | null;
  raisedAt: string;
  ageS: number;
  acknowledgedAt: string | null;
  /** The alarm's latest record (by seq): its ts. */
  lastAt: string;
}

export interface AlarmsAnswer {
  total: number;
  /** Open alarms per state under the place filter (whatever `state` asks). */
  summary: Record<string, number>;
  alarms: OpenAlarm[];
}

interface Row extends PlaceRow {
  house: string;
  alarm_id: string;
  kind: string | null;
  state_rank: number;
  level: number;
  device_id: string | null;
  assigned_to: string | null;
  reason: string | null;
  raised_at: Date;
  acknowledged_at: Date | null;
  last_at: Date;
  age_s: number;
}

export async function alarmView(db: Queryable, q: AlarmQuery, nowMs: number): Promise<AlarmsAnswer> {
  const params: unknown[] = [];
  const conditions = [
    `a.state_rank < ${RESOLVED_RANK}`,
    'a.raised_seq IS NOT NULL',
    ...placeConditions(q, params),
  ];
  const from = `alarm_state a JOIN (${PLACE_JOIN}) ON h.id = a.house`;
  const counts = await db.query<{ state_rank: number; kind: string | null; n: number }>(
    `SELECT a.state_rank, a.kind, count(*)::int AS n FROM ${from}
      WHERE ${conditions.join(' AND ')} GROUP BY a.state_rank, a.kind`,
    params,
  );
  const summary: Record<string, number> = Object.fromEntries(OPEN_STATES.map((s) => [s, 0]));
  const states = q.state?.split(',').map((s) => ALARM_STATES.indexOf(s as AlarmStateName));
  let total = 0;
  for (const r of counts) {
    const state = ALARM_STATES[r.state_rank] as string;
    summary[state] = (summary[state] ?? 0) + Number(r.n);
    if ((!states || states.includes(r.state_rank)) && (!q.kind || r.kind === q.kind)) total += Number(r.n);
  }

  if (states) {
    params.push(states);
    conditions.push(`a.state_rank = ANY($${params.length}::smallint[])`);
  }
  if (q.kind) {
    params.push(q.kind);
    conditions.push(`a.kind = $${params.length}`);
  }
  const { limit, offset } = page(q);
  params.push(new Date(nowMs).toISOString(), limit, offset);
  const n = params.length;
  const rows = await db.query<Row>(
    `SELECT a.house, a.alarm_id, a.kind, a.state_rank, a.level, a.device_id, a.assigned_to, a.reason,
            a.raised_at, a.acknowledged_at, a.last_at, ${PLACE_COLUMNS},
            greatest(0, extract(epoch FROM ($${n - 2}::timestamptz - a.raised_at)))::float8 AS age_s
       FROM ${from} WHERE ${conditions.join(' AND ')}
      ORDER BY a.raised_at, a.house COLLATE "C", a.alarm_id COLLATE "C"
      LIMIT $${n - 1} OFFSET $${n}`,
    params,
  );
  return {
    total,
    summary,
    alarms: rows.map((r) => ({
      house: r.house,
      place: placeOf(r),
      alarmId: r.alarm_id,
      kind: r.kind,
      state: ALARM_STATES[r.state_rank] as AlarmStateName,
      level: Number(r.level),
      deviceId: r.device_id,
      assignedTo: r.assigned_to,
      reason: r.reason,
      raisedAt: iso(r.raised_at) as string,
      ageS: Math.round(Number(r.age_s)),
      acknowledgedAt: iso(r.acknowledged_at),
      lastAt: iso(r.last_at) as string,
    })),
  };
}
