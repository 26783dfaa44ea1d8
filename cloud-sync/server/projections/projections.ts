/**
 * The city views' projections, kept by `ingest()` in its own transaction from exactly the records
 * that call stored (the rows its INSERT returned), so each record is projected once however often
 * it is re-sent. Every projection is keyed by house and fed by one stream, whose `stream_state`
 * row ingest holds locked: two instances ingesting one house serialize on it, and never wait on
 * each other in another order. Each is independent of the order of arrival (a resent gap may come
 * after later records): sums add each record once, "latest" and "first" go by seq.
 *
 * - `stream_state`: records stored, highest seq held, gap ranges (at most 100) per stream;
 * - `records_daily`: per (day, house, stream) in Asia/Shanghai, by ts and by arrival;
 * - `device_state`, `alarm_state`, `points_monthly`: see their files.
 */
import type { SyncRecord } from '../../protocol/record.js';
import { CITY_TZ } from '../city-time.js';
import type { Queryable } from '../db/db.js';
import type { StreamAnswer } from '../ingest.js';
import { projectAlarms } from './alarm-projection.js';
import { projectDevices } from './device-projection.js';
import { projectPoints } from './points-projection.js';

export interface ProjectInput {
  house: string;
  /** Records stored by this ingest call (newly inserted, as the INSERT returned them). */
  stored: readonly SyncRecord[];
  /** Seqs held by rejections kept by this call. */
  heldSeqs: readonly { stream: string; seq: number }[];
  /** The streams' contiguity and gaps after this call. */
  streams: Readonly<Record<string, StreamAnswer>>;
}

export async function project(tx: Queryable, input: ProjectInput): Promise<void> {
  const { house, stored } = input;
  await projectStreams(tx, input);
  if (stored.length === 0) return;
  await projectDaily(tx, house, stored);
  const of = (stream: string) => stored.filter((r) => r.stream === stream);
  await projectDevices(tx, house, of('device'));
  await projectAlarms(tx, house, of('alarm'));
  await projectPoints(tx, house, of('points'));
}

async function projectStreams(
  tx: Queryable,
  { house, stored, heldSeqs, streams }: ProjectInput,
): Promise<void> {
  const names = Object.keys(streams);
  if (names.length === 0) return;
  const count = new Map<string, number>();
  const max = new Map<string, number>();
  for (const r of stored) count.set(r.stream, (count.get(r.stream) ?? 0) + 1);
  for (const r of [...stored, ...heldSeqs]) max.set(r.stream, Math.max(max.get(r.stream) ?? 0, r.seq));
  await tx.query(
    `UPDATE stream_state
        SET records = records + u.n, max_seq = greatest(max_seq, contiguous, u.m), gaps = u.g
       FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::integer[]) AS u (s, n, m, g)
      WHERE house = $1 AND stream = u.s`,
    [
      house,
      names,
      names.map((s) => count.get(s) ?? 0),
      names.map((s) => max.get(s) ?? 0),
      names.map((s) => streams[s]?.gaps.length ?? 0),
    ],
  );
}

/** Records per day by ts (and how many with an unsynced clock) and per day of arrival (now()). */
async function projectDaily(tx: Queryable, house: string, stored: readonly SyncRecord[]): Promise<void> {
  await tx.query(
    `INSERT INTO records_daily AS d (day, house, stream, records, unsynced, received)
     SELECT x.day, $1, x.stream, sum(x.records), sum(x.unsynced), sum(x.received)
       FROM (
         SELECT (u.ts AT TIME ZONE '${CITY_TZ}')::date AS day, u.stream, 1 AS records,
                CASE WHEN u.clock = 'unsynced' THEN 1 ELSE 0 END AS unsynced, 0 AS received
           FROM unnest($2::text[], $3::timestamptz[], $4::text[]) AS u (stream, ts, clock)
         UNION ALL
         SELECT (now() AT TIME ZONE '${CITY_TZ}')::date, u.stream, 0, 0, 1
           FROM unnest($2::text[]) AS u (stream)
       ) x
      GROUP BY x.day, x.stream
     ON CONFLICT (day, house, stream) DO UPDATE
        SET records = d.records + EXCLUDED.records, unsynced = d.unsynced + EXCLUDED.unsynced,
            received = d.received + EXCLUDED.received`,
    [house, stored.map((r) => r.stream), stored.map((r) => r.ts), stored.map((r) => r.clock)],
  );
}
