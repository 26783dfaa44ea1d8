/**
 * Open alarms across houses from the `alarm` stream (edge/alarms/alarm-model.ts): `alarm.raised`
 * carries the alarm (id, kind, deviceId, assignedTo?, reason?), then `alarm.notified` and
 * `alarm.escalated` `{id, level}`, `alarm.acknowledged` `{id, by}`, `alarm.resolved` `{id, by,
 * outcome}`. One row per alarm, merged so that any order of arrival gives the edge's own state:
 * the edge's reducer only moves forward (raised → notified → escalated → acknowledged → resolved),
 * so the state is the furthest reached; the first raised, acknowledged and resolved record (lowest
 * seq) gives their facts; the level is the highest escalated to. `by` (a user) and notes are not
 * kept: the city sees residents by id and nothing else personal.
 */
import type { SyncRecord } from '../../protocol/record.js';
import type { Queryable } from '../db/db.js';
import { int, text } from './body-fields.js';

/** The state an alarm record moves its alarm to, as a rank (`alarm.delivery` moves nothing). */
export const ALARM_STATES = ['raised', 'notified', 'escalated', 'acknowledged', 'resolved'] as const;
export type AlarmStateName = (typeof ALARM_STATES)[number];
const RANK: Record<string, number> = {
  'alarm.raised': 0,
  'alarm.notified': 1,
  'alarm.escalated': 2,
  'alarm.acknowledged': 3,
  'alarm.resolved': 4,
};
export const RESOLVED_RANK = 4;

/** `SET` clauses taking `cols` from the incoming row when its `seq` column is lower (or first). */
function firstBy(seq: string, cols: readonly string[]): string {
  const newer = `(EXCLUDED.${seq} IS NOT NULL AND (a.${seq} IS NULL OR EXCLUDED.${seq} < a.${seq}))`;
  return [...cols, seq]
    .map((c) => `${c} = CASE WHEN ${newer} THEN EXCLUDED.${c} ELSE a.${c} END`)
    .join(',\n');
}

export async function projectAlarms(
  tx: Queryable,
  house: string,
  records: readonly SyncRecord[],
): Promise<void> {
  const facts: object[] = [];
  for (const r of records) {
    const rank = RANK[r.type];
    const id = text(r.body.id);
    if (rank === undefined || id === undefined) continue;
    facts.push({
      alarm_id: id,
      seq: r.seq,
      type: r.type,
      rank,
      ts: r.ts,
      kind: text(r.body.kind, 32) ?? null,
      device_id: text(r.body.deviceId) ?? null,
      assigned_to: text(r.body.assignedTo) ?? null,
      reason: text(r.body.reason, 500) ?? null,
      level: r.type === 'alarm.escalated' ? (int(r.body.level, 0, 1000) ?? 0) : null,
      outcome: text(r.body.outcome, 32) ?? null,
    });
  }
  if (facts.length === 0) return;
  await tx.query(
    `WITH x AS (
       SELECT * FROM jsonb_to_recordset($2::text::jsonb)
         AS x (alarm_id text, seq bigint, type text, rank smallint, ts timestamptz, kind text,
               device_id text, assigned_to text, reason text, level integer, outcome text)
     ), raised AS (
       SELECT DISTINCT ON (alarm_id) * FROM x WHERE type = 'alarm.raised' ORDER BY alarm_id, seq
     ), ack AS (
       SELECT DISTINCT ON (alarm_id) * FROM x WHERE type = 'alarm.acknowledged' ORDER BY alarm_id, seq
     ), res AS (
       SELECT DISTINCT ON (alarm_id) * FROM x WHERE type = 'alarm.resolved' ORDER BY alarm_id, seq
     ), g AS (
       SELECT alarm_id, max(rank) AS rank, coalesce(max(level), 0) AS level, max(seq) AS last_seq,
              (array_agg(ts ORDER BY seq DESC))[1] AS last_at
         FROM x GROUP BY alarm_id
     )
     INSERT INTO alarm_state AS a
            (house, alarm_id, raised_seq, raised_at, kind, device_id, assigned_to, reason, state_rank,
             level, ack_seq, acknowledged_at, resolved_seq, resolved_at, outcome, last_seq, last_at)
     SELECT $1, g.alarm_id, raised.seq, raised.ts, raised.kind, raised.device_id, raised.assigned_to,
            raised.reason, g.rank, g.level, ack.seq, ack.ts, res.seq, res.ts, res.outcome, g.last_seq,
            g.last_at
       FROM g LEFT JOIN raised USING (alarm_id) LEFT JOIN ack USING (alarm_id) LEFT JOIN res USING (alarm_id)
     ON CONFLICT (house, alarm_id) DO UPDATE SET
       ${firstBy('raised_seq', ['raised_at', 'kind', 'device_id', 'assigned_to', 'reason'])},
       ${firstBy('ack_seq', ['acknowledged_at'])},
       ${firstBy('resolved_seq', ['resolved_at', 'outcome'])},
       state_rank = greatest(a.state_rank, EXCLUDED.state_rank),
       level = greatest(a.level, EXCLUDED.level),
       last_at = CASE WHEN EXCLUDED.last_seq > a.last_seq THEN EXCLUDED.last_at ELSE a.last_at END,
       last_seq = greatest(a.last_seq, EXCLUDED.last_seq)`,
    [house, JSON.stringify(facts)],
  );
}
